package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/haina-data/haina/sql"
	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// awkwardCDC captures a table with a $ in its name under a mixed-case,
// hyphenated topic prefix, and applies it to a target with a space in its
// name, a composite key and one column of every type family.
const awkwardCDC = `{"enabled": true,
 "connector": {"topicPrefix": "Sales-DB", "tables": ["salesdb.CUSTOMER", "Billing.Invoice$2026"]},
 "redshift": {"tables": [
  {"source": "salesdb.CUSTOMER", "primaryKey": ["CUST_ID"], "columns": [
    {"name": "CUST_ID", "type": "int"}, {"name": "NAME", "type": "varchar(100)"}, {"name": "UPDATED_AT", "type": "timestamptz"}]},
  {"source": "Billing.Invoice$2026", "table": "Invoice 2026", "primaryKey": ["InvoiceNo", "Line"], "columns": [
    {"name": "InvoiceNo", "type": "BIGINT"}, {"name": "Line", "type": "int2"}, {"name": "Line Total", "type": "numeric(12, 2)"},
    {"name": "Paid", "type": "bool"}, {"name": "Rate", "type": "float"}, {"name": "Due", "type": "DATE"}, {"name": "At", "type": "time"},
    {"name": "Issued", "type": "TIMESTAMP"}, {"name": "Note", "type": "text"}, {"name": "Code", "type": "char(3)"}, {"name": "Meta", "type": "SUPER"}]}]}}`

func sqlObjectOf(r harness.Resource) sql.Object {
	i := in(r)
	strs := func(k string) []string {
		var out []string
		if v, ok := i[k].([]any); ok {
			for _, s := range v {
				out = append(out, s.(string))
			}
		}
		return out
	}
	str := func(k string) string { s, _ := i[k].(string); return s }
	return sql.Object{Kind: str("kind"), Name: str("objectName"), Definition: str("definition"),
		Create: strs("create"), Update: strs("update"), Drop: strs("drop"), Exists: str("exists")}
}

// Every SQL text CDC deploys, as the engine receives it, is golden: awkward names included.
func TestGoldenCDCSQL(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:cdc": awkwardCDC})
	var objs []harness.Resource
	for _, o := range g.OfType(tSQL) {
		if strings.Contains(o.Parent, "haina:cdc:ChangeTables") {
			objs = append(objs, o)
		}
	}
	require.Len(t, objs, 12, "external schema, schema, watermarks, runs, rejects, role, 2 landing views, 2 tables, 2 procedures")
	unsafe := regexp.MustCompile(`[^A-Za-z0-9_.-]`)
	for _, o := range objs {
		name := unsafe.ReplaceAllString(strings.TrimPrefix(o.Name, "haina-changes-"), "_") + ".sql"
		got := sqlObjectOf(o).Script()
		path := filepath.Join("testdata", "sql", "cdc", name)
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run `go test ./tests -run GoldenCDCSQL -update` once to create it")
		assert.Equal(t, string(want), got, name)
	}
	assert.Contains(t, fmt.Sprint(g.Outputs["cdcQueries"]), `apply_Invoice 2026:CALL "cdc"."apply_Invoice 2026"();`)
	// The one scheduled call refreshes both landing views and applies both tables, names quoted as they are.
	proc := in(one(t, g, tSQL, "haina-refresh-procedure"))["create"].([]any)[0].(string)
	for _, stmt := range []string{`REFRESH MATERIALIZED VIEW "cdc"."billing_invoice$2026_changes";`, `CALL "cdc"."apply_Invoice 2026"();`, `CALL "cdc"."apply_customer"();`} {
		assert.Contains(t, proc, stmt)
	}
}

// The apply procedure is one atomic CALL: no COMMIT, no NONATOMIC, nothing
// that would let a failed run keep part of its work or move the watermark.
func TestApplyProcedureIsAtomicAndRunsAsItsOwner(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		for _, o := range g.OfType(tSQL) {
			if !strings.Contains(o.Name, "-apply-") || strings.HasSuffix(o.Name, "-apply-role") {
				continue
			}
			obj := sqlObjectOf(o)
			require.Len(t, obj.Create, 2, "%s: the procedure and its grant", o.Name)
			body := strings.ToUpper(obj.Create[0])
			for _, banned := range []string{"COMMIT", "ROLLBACK", "NONATOMIC", "TRUNCATE"} {
				assert.NotContains(t, body, banned, o.Name)
			}
			assert.Contains(t, body, "SECURITY DEFINER", o.Name)
			assert.Regexp(t, `^GRANT EXECUTE ON PROCEDURE "cdc"\."apply_[a-z]+"\(\) TO ROLE "haina_cdc_apply"$`, obj.Create[1])
			assert.Equal(t, obj.Create, obj.Update, "%s: a new body replaces the old one in place (CREATE OR REPLACE)", o.Name)
			// Each rule of the model is implemented by a marked clause.
			// Redshift's PL/pgSQL takes only variables after RAISE's format, and its
			// variables must not share a name with a column (they would replace it).
			declared := regexp.MustCompile(`(?s)DECLARE\n(.*?)\nBEGIN`).FindStringSubmatch(obj.Create[0])
			require.NotNil(t, declared, o.Name)
			for _, line := range strings.Split(declared[1], "\n") {
				assert.Regexp(t, `^\s+v_[a-z]+ `, line, "%s: a variable named unlike any column", o.Name)
			}
			raises := regexp.MustCompile(`RAISE (INFO|EXCEPTION) '[^']*',\s*([^;]*);`).FindAllStringSubmatch(obj.Create[0], -1)
			require.Len(t, raises, 3, o.Name)
			for _, r := range raises {
				for _, arg := range strings.Split(r[2], ",") {
					assert.Regexp(t, `^v_[a-z]+$`, strings.TrimSpace(arg), "%s: RAISE argument", o.Name)
				}
			}
			for _, r := range []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12", "R13"} {
				assert.Regexp(t, `-- [R0-9, ]*\b`+r+`\b`, obj.Create[0], "%s implements %s", o.Name, r)
			}
		}
	}
}

func TestCDCRedshiftObjectsAndTheirDependencies(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			cluster := out(g.OfType(tMSK)[0])["arn"].(string)
			schema := one(t, g, tSQL, "haina-changes-msk-schema")
			brokers := out(g.OfType(tMSK)[0])["bootstrapBrokersSaslIam"].(string)
			// AWS's recommended form: FROM KAFKA with the IAM brokers' URI (CLUSTER_ARN is
			// "for backward compatibility" and needs an MSK API call); the brokers change in place.
			assert.Equal(t, []any{"CREATE EXTERNAL SCHEMA IF NOT EXISTS \"cdc_msk\"\nFROM KAFKA\nIAM_ROLE default\nAUTHENTICATION iam\nURI '" + brokers + "'"},
				in(schema)["create"])
			assert.Equal(t, []any{"ALTER EXTERNAL SCHEMA \"cdc_msk\" URI '" + brokers + "'"}, in(schema)["update"])
			assert.Equal(t, "FROM KAFKA AUTHENTICATION iam CLUSTER '"+cluster+"'", in(schema)["definition"])
			for _, dep := range []struct{ token, name string }{
				{tWorkgroup, "haina"}, {tNamespace, "haina"}, {tRolePolicy, "haina-streaming"}, {tRolePolicy, "haina-changes-read-topics"},
				{tMSK, "haina-kafka"}, {"aws:mskconnect/connector:Connector", "haina-connector"},
			} {
				assert.True(t, dependsOn(schema, dep.token, dep.name), "the MSK schema waits for %s %s", dep.token, dep.name)
			}
			tables := map[string][]string{"staging": {"customer"}, "production": {"customers", "orders"}}[stack]
			sources := map[string][]string{"staging": {"salesdb.CUSTOMER"}, "production": {"shop.customers", "shop.orders"}}[stack]
			for _, src := range sources {
				mv := one(t, g, tSQL, "haina-changes-landing-"+src)
				assert.Equal(t, true, in(mv)["holdsData"])
				assert.Equal(t, stack == "production", mv.Protect)
				assert.True(t, dependsOn(mv, tSQL, "haina-changes-msk-schema"))
				topic := map[string]string{"staging": "salesdb.", "production": "shop."}[stack] + src
				assert.True(t, strings.HasSuffix(in(mv)["create"].([]any)[0].(string), `FROM "cdc_msk"."`+topic+`"`), "%s reads %s", mv.Name, topic)
				assert.Contains(t, in(mv)["definition"], "ON CLUSTER '"+cluster+"'", "a new cluster replaces the view")
				assert.True(t, dependsOn(mv, tSQL, "haina-changes-offsets"), "creating a landing view resets its target's watermark")
			}
			for _, table := range tables {
				target := one(t, g, tSQL, "haina-changes-table-"+table)
				assert.Equal(t, true, in(target)["holdsData"], "a target table holds data")
				assert.Equal(t, stack == "production", target.Protect)
				proc := one(t, g, tSQL, "haina-changes-apply-"+table)
				for _, dep := range []string{"haina-changes-table-" + table, "haina-changes-offsets", "haina-changes-runs", "haina-changes-rejects", "haina-changes-apply-role"} {
					assert.True(t, dependsOn(proc, tSQL, dep), "%s waits for %s", proc.Name, dep)
				}
			}
			offsets := one(t, g, tSQL, "haina-changes-offsets")
			assert.Equal(t, true, in(offsets)["holdsData"], "the watermarks are state")
			rejects := one(t, g, tSQL, "haina-changes-rejects")
			assert.Equal(t, true, in(rejects)["holdsData"], "the rejects hold data")
			assert.Equal(t, stack == "production", rejects.Protect)
		})
	}
}

// The streaming role reads exactly the change topics of this cluster.
func TestStreamingRoleReadsExactlyTheChangeTopics(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		cluster := out(g.OfType(tMSK)[0])["arn"].(string)
		topic := strings.Replace(cluster, ":cluster/", ":topic/", 1) + "/"
		pol := one(t, g, tRolePolicy, "haina-changes-read-topics")
		assert.Equal(t, out(one(t, g, "aws:iam/role:Role", "haina-streaming"))["name"], in(pol)["role"])
		p := parsePolicy(t, in(pol)["policy"])
		// Exactly AWS's policy for streaming ingestion from MSK (materialized-view-streaming-ingestion-getting-started-MSK.html),
		// with the topics narrowed to the captured ones.
		require.Len(t, p.Statement, 3)
		a, r := statement(t, p, "Cluster")
		assert.Equal(t, []string{"kafka-cluster:Connect"}, a)
		assert.Equal(t, []string{cluster}, r)
		a, r = statement(t, p, "ChangeTopics")
		assert.Equal(t, []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}, a)
		want := map[string][]string{"staging": {topic + "salesdb.salesdb.CUSTOMER"}, "production": {topic + "shop.shop.customers", topic + "shop.shop.orders"}}[stack]
		assert.Equal(t, want, r, "no wildcard: only the captured tables' topics")
		a, r = statement(t, p, "Groups")
		assert.Equal(t, []string{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"}, a)
		assert.Equal(t, []string{strings.Replace(cluster, ":cluster/", ":group/", 1) + "/*"}, r, "the cluster's groups only")
	}
}

// No schedule of its own: the one scheduled call (haina:ingestion.refresh)
// refreshes each CDC landing view and runs each apply procedure after the
// rollup's refresh, so a period wakes the warehouse once. Its schedule starts
// once every procedure and landing view it names exists.
func TestCDCApplyRunsInTheOneScheduledCall(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			for _, s := range g.OfType("aws:scheduler/scheduleGroup:ScheduleGroup") {
				assert.NotContains(t, in(s)["name"], "cdc-apply", "no apply schedule of its own")
			}
			_, err := g.One("aws:iam/role:Role", "haina-apply")
			assert.Error(t, err, "no apply schedule role")

			proc := in(one(t, g, tSQL, "haina-refresh-procedure"))["create"].([]any)[0].(string)
			// The refreshes are committed before any apply, and each apply on its
			// own: a failing apply cannot undo the ingestion nor another table.
			want := map[string][]string{
				"staging": {`REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE;`,
					`REFRESH MATERIALIZED VIEW "cdc"."salesdb_customer_changes";`, "COMMIT;", `CALL "cdc"."apply_customer"();`, "COMMIT;"},
				"production": {`REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE;`,
					`REFRESH MATERIALIZED VIEW "cdc"."shop_customers_changes";`, `REFRESH MATERIALIZED VIEW "cdc"."shop_orders_changes";`,
					"COMMIT;", `CALL "cdc"."apply_customers"();`, "COMMIT;", `CALL "cdc"."apply_orders"();`, "COMMIT;"},
			}[stack]
			last := -1
			for _, stmt := range want {
				at := strings.Index(proc[last+1:], stmt)
				require.GreaterOrEqual(t, at, 0, "the call runs %s after what comes before it", stmt)
				last += 1 + at
			}
			assert.Equal(t, strings.Count(proc, "COMMIT;"), strings.Count(strings.Join(want, " "), "COMMIT;"), "no other COMMIT")
			var scheds []harness.Resource
			for _, s := range g.OfType("aws:scheduler/schedule:Schedule") {
				if strings.Contains(s.Parent, "haina:scheduler:SqlSchedule::haina-refresh") {
					scheds = append(scheds, s)
				}
			}
			require.Len(t, scheds, 1, "one schedule, one call")
			tables := map[string][]string{"staging": {"customer"}, "production": {"customers", "orders"}}[stack]
			for _, table := range tables {
				assert.True(t, dependsOn(scheds[0], tSQL, "haina-changes-apply-"+table), "the schedule starts once apply_%s exists", table)
			}
			for _, source := range map[string][]string{"staging": {"salesdb.CUSTOMER"}, "production": {"shop.customers", "shop.orders"}}[stack] {
				assert.True(t, dependsOn(scheds[0], tSQL, "haina-changes-landing-"+source), "and once the landing view of %s exists", source)
			}
		})
	}
	// The apply can be left out of the call (the landing views still fill).
	g := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"redshift":{"scheduleEnabled":false,` +
		`"tables":[{"source":"salesdb.CUSTOMER","primaryKey":["CUST_ID"],"columns":[{"name":"CUST_ID","type":"INTEGER"}]}]}}`})
	proc := in(one(t, g, tSQL, "haina-refresh-procedure"))["create"].([]any)[0].(string)
	assert.Contains(t, proc, `REFRESH MATERIALIZED VIEW "cdc"."salesdb_customer_changes";`)
	assert.NotContains(t, proc, "CALL", "scheduleEnabled false: no apply in the call")
}

func TestCDCRedshiftValidation(t *testing.T) {
	base := func(redshift string) map[string]string {
		return map[string]string{"haina:cdc": `{"enabled": true, "connector": {"topicPrefix": "salesdb", "tables": ["salesdb.CUSTOMER"]}, "redshift": ` + redshift + `}`}
	}
	table := func(fields string) string {
		return `{"tables": [{"source": "salesdb.CUSTOMER", ` + fields + `}]}`
	}
	ok := `"primaryKey": ["CUST_ID"], "columns": [{"name": "CUST_ID", "type": "INTEGER"}]`
	for _, c := range []struct{ name, redshift, want string }{
		{"not captured", `{"tables": [{"source": "salesdb.ORDERS", "primaryKey": ["id"], "columns": [{"name": "id", "type": "INTEGER"}]}]}`,
			`haina:cdc.redshift.tables[0].source: "salesdb.ORDERS" is not allowed; a table haina:cdc.connector.tables captures (salesdb.CUSTOMER); add it there first`},
		{"bad type", table(`"primaryKey": ["CUST_ID"], "columns": [{"name": "CUST_ID", "type": "INTEGER"}, {"name": "NAME", "type": "STRING"}]`),
			`haina:cdc.redshift.tables[0].columns[1].type: "STRING" is not allowed; "STRING" is not a Redshift type; supported: SMALLINT`},
		{"unsupported type", table(`"primaryKey": ["CUST_ID"], "columns": [{"name": "CUST_ID", "type": "INTEGER"}, {"name": "B", "type": "VARBYTE(16)"}]`),
			`"VARBYTE(16)" is a Redshift type haina cannot fill from Debezium's JSON`},
		{"bad precision", table(`"primaryKey": ["CUST_ID"], "columns": [{"name": "CUST_ID", "type": "INTEGER"}, {"name": "X", "type": "DECIMAL(40,2)"}]`),
			`DECIMAL precision is 1 to 38`},
		{"missing key", table(`"columns": [{"name": "CUST_ID", "type": "INTEGER"}]`),
			`haina:cdc.redshift.tables[0].primaryKey: [] is not allowed; the primary key's columns`},
		{"key not a column", table(`"primaryKey": ["ID"], "columns": [{"name": "CUST_ID", "type": "INTEGER"}]`),
			`haina:cdc.redshift.tables[0].primaryKey[0]: "ID" is not allowed; one of the table's columns`},
		{"super key", table(`"primaryKey": ["CUST_ID"], "columns": [{"name": "CUST_ID", "type": "SUPER"}]`),
			`SUPER cannot be a key`},
		{"no columns", table(`"primaryKey": ["CUST_ID"], "columns": []`),
			`haina:cdc.redshift.tables[0].columns: [] is not allowed; list the columns to keep`},
		{"replaced: the schedule", `{"scheduleMinutes": 5}`,
			`haina:cdc.redshift.scheduleMinutes: 5 is not read any more; it was replaced by haina:ingestion.refresh.everyMinutes: the CDC apply now runs in the same scheduled call as the refresh`},
		{"replaced: auto refresh", `{"autoRefresh":false}`,
			`haina:cdc.redshift.autoRefresh: false is not read any more; it was replaced by haina:ingestion.refresh.mode, which now sets the CDC landing views' AUTO REFRESH too`},
		{"reserved name", table(ok + `, "table": "apply_offsets"`), `haina:cdc.redshift.tables[0].table: "apply_offsets" is not allowed; a name of its own: cdc.apply_offsets is already haina's`},
		{"same schema as ingestion", `{"schema": "ingest"}`, `haina:cdc.redshift.schema: "ingest" is not allowed; a schema of its own`},
		{"apply role", `{"applyRole": "cdc:apply"}`, `haina:cdc.redshift.applyRole: "cdc:apply" is not allowed; allowed: 1-127 letters, digits or _`},
		{"duplicate column", table(`"primaryKey": ["CUST_ID"], "columns": [{"name": "CUST_ID", "type": "INTEGER"}, {"name": "cust_id", "type": "INTEGER"}]`),
			`haina:cdc.redshift.tables[0].columns[1].name: "cust_id" is not allowed; each column once`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := evaluateErr(t, "staging", base(c.redshift))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	// A valid table evaluates.
	_, err := evaluateErr(t, "staging", base(table(ok)))
	require.NoError(t, err)
}

// The CDC landing views follow haina:ingestion.refresh like the Kinesis one.
func TestCDCLandingViewsFollowTheRefreshPolicy(t *testing.T) {
	for mode, want := range map[string]string{"scheduled": "AUTO REFRESH NO", "auto": "AUTO REFRESH YES"} {
		g := evaluate(t, "staging", map[string]string{"haina:ingestion": `{"refresh":"` + mode + `"}`})
		landing := in(one(t, g, tSQL, "haina-changes-landing-salesdb.CUSTOMER"))
		assert.Contains(t, landing["create"].([]any)[0], want, mode)
		assert.Equal(t, []any{`ALTER MATERIALIZED VIEW "cdc"."salesdb_customer_changes" ` + want}, landing["update"], mode)
	}
}
