package sql_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/haina-data/haina/sql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files in sql/testdata from the templates.
var update = flag.Bool("update", false, "rewrite the golden files in sql/testdata from the templates")

// data is what the Ingestion component passes to the templates, with the
// stack defaults and an awkward stream name (mixed case, dots, hyphens).
func sqlData(name string) map[string]any {
	return map[string]any{
		"ExternalSchema": "kds", "Schema": "ingest", "Stream": "App.Events-1", "Name": name,
		"Landing": "events_landing", "Dimension": "gender", "AutoRefresh": true,
		"LandingView": "events_landing", "EventsView": "events", "RollupView": "events_per_minute",
		"Table": "events_history", "Job": "haina_staging_events_history", "Hours": "168", "HoursText": "168", "Database": "salesdb", "Source": "s3://haina-staging-lake-123456789012-us-east-1/redshift-events/",
		"RoleArn": "arn:aws:iam::123456789012:role/haina-staging-redshift-streaming", "Role": "haina_refresh", "RefreshProcedure": "refresh_views",
		"CDCSchema": "cdc", "CDCLanding": []string{"salesdb_customer_changes"}, "CDCApply": []string{"apply_customer"},
	}
}

func TestGoldenSQL(t *testing.T) {
	for golden, c := range map[string]struct{ file, name string }{
		"kinesis_schema.sql":         {sql.KinesisSchema, ""},
		"schema.sql":                 {sql.Schema, ""},
		"kinesis_landing_mv.sql":     {sql.KinesisLandingMV, "events_landing"},
		"events_view.sql":            {sql.EventsView, "events"},
		"rollup_mv.sql":              {sql.RollupMV, "gender_per_minute"},
		"target_table.sql":           {sql.TargetTable, "events_history"},
		"copy_job.sql":               {sql.CopyJob, ""},
		"refresh_procedure.sql":      {sql.RefreshProcedure, "refresh_views"},
		"mysql_binlog_retention.sql": {sql.MySQLBinlogRetention, ""},
		"mysql_demo_schema.sql":      {sql.MySQLDemoSchema, ""},
		"mysql_debezium_user.sql":    {sql.MySQLDebeziumUser, ""},
	} {
		t.Run(golden, func(t *testing.T) {
			data := sqlData(c.name)
			if c.file == sql.MySQLDemoSchema {
				data["Table"] = "CUSTOMER" // the demo table
			}
			if c.file == sql.MySQLDebeziumUser {
				data["User"], data["Host"] = "debezium", "%"
			}
			o, err := sql.Render(c.file, data)
			require.NoError(t, err)
			got := o.Script()
			path := filepath.Join("testdata", golden)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run `go test ./sql -run GoldenSQL -update` once to create it")
			assert.Equal(t, string(want), got)
		})
	}
	queries, err := sql.Queries(sql.Examples, sqlData(""))
	require.NoError(t, err)
	var b strings.Builder
	for _, k := range []string{"events-per-minute", "failed-records", "failed-refreshes", "latest-events", "refresh-now", "scan-errors"} {
		b.WriteString("-- " + k + "\n" + queries[k] + "\n")
	}
	assert.Len(t, queries, 6)
	path := filepath.Join("testdata", "examples.sql")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
}

func TestIdentifiersAreQuotedAndChecked(t *testing.T) {
	q, err := sql.Ident("App.Events-1")
	require.NoError(t, err)
	assert.Equal(t, `"App.Events-1"`, q)
	q, err = sql.Ident("select")
	require.NoError(t, err)
	assert.Equal(t, `"select"`, q, "reserved words are safe once quoted")

	for name, want := range map[string]string{
		"":                        "identifier is empty",
		`bad"name`:                `identifier "bad\"name" contains a double quote`,
		"two\nlines":              `identifier "two\nlines" contains a control character`,
		strings.Repeat("x", 128):  "is 128 bytes; Redshift allows 127",
		string([]byte{0xff, 'a'}): "is not valid UTF-8",
	} {
		_, err := sql.Ident(name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, `'it''s a \\ test'`, sql.Literal(`it's a \ test`))

	// A bad identifier reaching a template is an error naming the template, not broken SQL.
	data := sqlData("events_landing")
	data["Stream"] = `evil"; DROP TABLE x; --`
	_, err = sql.Render(sql.KinesisLandingMV, data)
	require.Error(t, err)
	assert.Equal(t, `kinesis_landing_mv.sql.tmpl: identifier "evil\"; DROP TABLE x; --" contains a double quote`, err.Error())
}

func TestColumnTypesAreCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"int": "INTEGER", "int8": "BIGINT", "Numeric(12, 2)": "DECIMAL(12,2)", "decimal": "DECIMAL(18,0)", "text": "VARCHAR(256)",
		"varchar(max)": "VARCHAR(MAX)", "character varying(10)": "VARCHAR(10)", "bpchar": "CHAR(1)", "float": "DOUBLE PRECISION",
		"timestamp with time zone": "TIMESTAMPTZ", "bool": "BOOLEAN", "super": "SUPER",
	} {
		got, _, err := sql.ColumnType(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"STRING", "INTEGER(4)", "DECIMAL(0)", "DECIMAL(10,11)", "VARCHAR(65536)", "CHAR(MAX)", "VARBYTE", "INT; DROP TABLE x", "DATE)"} {
		_, _, err := sql.ColumnType(bad)
		assert.Error(t, err, bad)
	}
}

// A procedure body is one statement: its inner semicolons do not split it.
func TestStatementsKeepProcedureBodiesWhole(t *testing.T) {
	o, err := sql.Render(sql.CDCApplyProcedure, map[string]any{
		"Schema": "cdc", "Name": "apply_t", "Table": "t", "Landing": "l", "Offsets": "o", "Runs": "r", "Rejects": "rj", "Role": "x", "Dialect": "redshift",
		"Columns": []sql.Column{{Name: "id", Type: "BIGINT", Family: sql.FamilyInteger, Key: true}},
		"Key":     []sql.Column{{Name: "id", Type: "BIGINT", Family: sql.FamilyInteger, Key: true}}, "DistKey": "id",
	})
	require.NoError(t, err)
	require.Len(t, o.Create, 2)
	assert.True(t, strings.HasPrefix(o.Create[0], "CREATE OR REPLACE PROCEDURE"))
	assert.True(t, strings.HasSuffix(o.Create[0], "SET enable_case_sensitive_super_attribute TO true"))
	assert.True(t, strings.HasPrefix(o.Create[1], "GRANT EXECUTE"))
}

// A key the caller forgot fails the render, naming the key, instead of
// writing "<no value>" into the SQL.
func TestRenderRefusesAMissingKey(t *testing.T) {
	_, err := sql.Render(sql.Schema, map[string]string{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `map has no entry for key "Schema"`)
}

// healthSpec is a stack's health spec with one change table.
var healthSpec = sql.HealthSpec{Schema: "ingest", Landing: "events_landing", External: "kds", RetentionHours: 24,
	CDCSchema: "cdc", CDCExternal: "cdc_msk", Offsets: "apply_offsets", Runs: "apply_runs", Rejects: "apply_rejects",
	CDC:          []sql.HealthCDC{{Table: "customer", Landing: "salesdb.CUSTOMER_changes"}},
	CopyJobTable: "events_history", CopyJobWindowMinutes: 10}

// The health function's queries and its grants, as golden files: what runs
// every period in the warehouse is reviewed here.
func TestGoldenHealthSQL(t *testing.T) {
	checks, err := sql.HealthChecks(healthSpec)
	require.NoError(t, err)
	var b strings.Builder
	for _, c := range checks {
		b.WriteString("-- " + c.Metric + " (" + c.Unit + ") of " + c.Object + "\n" + c.SQL + ";\n")
	}
	grants, err := sql.HealthGrantsObject(healthSpec, "haina_refresh")
	require.NoError(t, err)
	for golden, got := range map[string]string{"health_checks.sql": b.String(), "health_grants.sql": grants.Script()} {
		path := filepath.Join("testdata", golden)
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run `go test ./sql -run GoldenHealthSQL -update` once to create it")
		assert.Equal(t, string(want), got, golden)
	}
}

// The grants cover exactly the relations the checks read, besides SYS views:
// read from the SQL text, not from the spec the grants are built from.
func TestHealthGrantsCoverWhatTheChecksRead(t *testing.T) {
	checks, err := sql.HealthChecks(healthSpec)
	require.NoError(t, err)
	reads := map[string]bool{}
	from := regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+("(?:[^"]|"")+"\."(?:[^"]|"")+"|[a-z_]+)`)
	for _, c := range checks {
		for _, m := range from.FindAllStringSubmatch(c.SQL, -1) {
			if !strings.HasPrefix(m[1], "sys_") {
				reads[m[1]] = true
			}
		}
	}
	grants, err := sql.HealthGrantsObject(healthSpec, "haina_refresh")
	require.NoError(t, err)
	granted, usage := map[string]bool{}, map[string]bool{`"ingest"`: true} // the role's own schema (db_role.sql.tmpl)
	on := regexp.MustCompile(`"(?:[^"]|"")+"\."(?:[^"]|"")+"`)
	for _, stmt := range grants.Create {
		switch {
		case strings.HasPrefix(stmt, "GRANT SELECT ON "):
			for _, r := range on.FindAllString(stmt, -1) {
				granted[r] = true
			}
		case strings.HasPrefix(stmt, "GRANT USAGE ON SCHEMA "):
			usage[strings.Fields(stmt)[4]] = true
		}
	}
	assert.Equal(t, reads, granted)
	for r := range reads {
		schema := r[:strings.Index(r, `".`)+1]
		assert.True(t, usage[schema], "%s: SELECT needs USAGE on its schema %s", r, schema)
	}
	assert.Contains(t, grants.Create, `GRANT ROLE "sys:monitor" TO ROLE "haina_refresh"`, "SYS views show the call's rows only to a monitor")
}

// A spec the function could not use is refused before anything is declared.
func TestHealthChecksRefuseAnIncompleteSpec(t *testing.T) {
	_, err := sql.HealthChecks(sql.HealthSpec{Schema: "ingest", Landing: "events_landing", External: "kds"})
	assert.ErrorContains(t, err, "retentionHours")
	s := healthSpec
	s.Offsets = ""
	_, err = sql.HealthChecks(s)
	assert.ErrorContains(t, err, "offsets")
}
