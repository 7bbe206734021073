package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CDCRedshiftConfig (haina:cdc.redshift) is the Redshift side of change data
// capture: streaming from MSK into landing views, and the target tables the
// apply procedures keep up to date on a schedule.
type CDCRedshiftConfig struct {
	// ExternalSchema exposes the MSK topics (FROM KAFKA … URI); Schema holds the
	// landing views, target tables, watermarks and procedures.
	ExternalSchema string `json:"externalSchema"`
	Schema         string `json:"schema"`
	// ApplyRole is the database role that may run the apply procedures by hand.
	ApplyRole string `json:"applyRole"`
	// ScheduleEnabled: the scheduled call (haina:ingestion.refresh) runs the
	// apply procedures; false leaves them out (the landing views still fill).
	ScheduleEnabled bool `json:"scheduleEnabled"`
	// Tables are the target tables, one per captured table that is applied.
	Tables []CDCTableConfig `json:"tables"`
}

// CDCTableConfig declares one target table.
type CDCTableConfig struct {
	// Source is the captured table, database.table as in haina:cdc.connector.tables.
	Source string `json:"source"`
	// Table is the target's name in Schema (default: the source table's name in lower case).
	Table      string         `json:"table"`
	Columns    []ColumnConfig `json:"columns"`
	PrimaryKey []string       `json:"primaryKey"`
}

// ColumnConfig is a target column: the MySQL column's name and a Redshift type.
type ColumnConfig struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Names of the objects ChangeTables declares besides the configured ones.
const (
	cdcOffsetsTable = "apply_offsets"
	cdcRunsTable    = "apply_runs"
	cdcRejectsTable = "apply_rejects"
)

// LandingViewName is the landing view of a captured table (database.table).
func LandingViewName(source string) string {
	return strings.ToLower(strings.Replace(source, ".", "_", 1)) + "_changes"
}

// TargetName is a target table's name: configured, or the source table's name in lower case.
func (t CDCTableConfig) TargetName() string {
	if t.Table != "" {
		return t.Table
	}
	_, table, _ := strings.Cut(t.Source, ".")
	return strings.ToLower(table)
}

// ProcedureName is the apply procedure of a target table.
func ProcedureName(target string) string { return "apply_" + target }

// TargetColumns validates a table's columns and key and returns them typed
// (key columns marked), the key in its configured order.
func (t CDCTableConfig) TargetColumns() (cols, key []sql.Column, err error) {
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k] = true
	}
	byName := map[string]sql.Column{}
	for _, c := range t.Columns {
		col, err := sql.NewColumn(c.Name, c.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		col.Key = isKey[c.Name]
		cols = append(cols, col)
		byName[c.Name] = col
	}
	for _, k := range t.PrimaryKey {
		col, ok := byName[k]
		if !ok {
			return nil, nil, fmt.Errorf("primary key column %q is not among the columns", k)
		}
		key = append(key, col)
	}
	return cols, key, nil
}

// ChangeTablesArgs configures the ChangeTables component.
type ChangeTablesArgs struct {
	Config CDCRedshiftConfig
	// TopicPrefix and Captured (database.table) name the change topics.
	TopicPrefix string
	Captured    []string
	ClusterArn  pulumi.StringInput
	// BootstrapBrokers are the cluster's SASL/IAM brokers (the schema's URI).
	BootstrapBrokers pulumi.StringInput
	// StreamingRole is the name of the namespace's default role: it gets a policy to read the topics.
	StreamingRole pulumi.StringInput
	// AutoRefresh is the landing views' AUTO REFRESH (haina:ingestion.refresh).
	AutoRefresh bool
	// SQL is the warehouse the objects run on; its data-safety policy applies
	// to the objects holding data (landing views, target tables, watermarks).
	SQL SqlTarget
	// DependsOn: the workgroup, its default role allowed to read the topics,
	// the cluster and the connector that creates the topics.
	DependsOn []pulumi.Resource
}

// ChangeTables is the Redshift side of CDC, run after deploy by haina's
// provider: the external schema over MSK, a landing MV per change topic, and
// per applied table its target table and apply procedure, with the watermark,
// run and rejects tables and the database role the schedule uses.
type ChangeTables struct {
	pulumi.ResourceState

	// ReadPolicy lets the streaming role read the change topics.
	ReadPolicy *iam.RolePolicy

	ExternalSchema *SqlObject
	Schema         *SqlObject
	Offsets        *SqlObject
	Runs           *SqlObject
	// Rejects lists the messages the procedures could not apply (it holds data).
	Rejects *SqlObject
	Role    *SqlObject
	// Landing views by captured table; targets and procedures by target table name.
	Landing    map[string]*SqlObject
	Targets    map[string]*SqlObject
	Procedures map[string]*SqlObject
	// ApplyCalls are the CALL statements, by target table name.
	ApplyCalls map[string]string
	// Queries are ready to run in the query editor (last runs, failures, watermarks, rejects).
	Queries pulumi.StringMap
}

// NewChangeTables declares the SQL objects in dependency order.
func NewChangeTables(ctx *pulumi.Context, name string, args *ChangeTablesArgs, opts ...pulumi.ResourceOption) (*ChangeTables, error) {
	if args == nil || args.ClusterArn == nil || args.BootstrapBrokers == nil || args.StreamingRole == nil || (args.SQL.WorkgroupName == nil && args.SQL.ClusterIdentifier == nil) || args.SQL.Database == nil || args.SQL.Provider == nil || len(args.Captured) == 0 {
		return nil, fmt.Errorf("change tables %s: ClusterArn, BootstrapBrokers, StreamingRole, SQL (WorkgroupName, Database, Provider) and Captured are required", name)
	}
	ct := &ChangeTables{Landing: map[string]*SqlObject{}, Targets: map[string]*SqlObject{}, Procedures: map[string]*SqlObject{}, ApplyCalls: map[string]string{}}
	if err := ctx.RegisterComponentResource("haina:cdc:ChangeTables", name, ct, opts...); err != nil {
		return nil, err
	}
	c := args.Config
	base := map[string]any{
		"ExternalSchema": c.ExternalSchema, "Schema": c.Schema, "Offsets": cdcOffsetsTable, "Runs": cdcRunsTable, "Rejects": cdcRejectsTable,
		"Role": c.ApplyRole, "AutoRefresh": args.AutoRefresh, "Dialect": "redshift",
	}
	with := func(kv ...any) map[string]any {
		d := map[string]any{}
		for k, v := range base {
			d[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
		return d
	}
	// declare declares an object that runs after deps and is built on based
	// (the schema it lives in, the relations it reads: see SqlSpec.BasedOn).
	declare := func(suffix string, obj sql.Object, holdsData bool, based []*SqlObject, deps ...pulumi.Resource) (*SqlObject, error) {
		return args.SQL.Declare(ctx, name+"-"+suffix, SqlSpec{Object: obj, HoldsData: holdsData, BasedOn: based},
			pulumi.Parent(ct), pulumi.DependsOn(deps))
	}
	// declareOnCluster declares an object whose text names the cluster's ARN,
	// known after deploy: rendered without it for its name and drop, with it for
	// its create statements and definition.
	declareOnCluster := func(suffix, file string, data func(arn string) map[string]any, holdsData bool, based []*SqlObject, deps ...pulumi.Resource) (*SqlObject, error) {
		obj, err := sql.Render(file, data(""))
		if err != nil {
			return nil, err
		}
		return args.SQL.Declare(ctx, name+"-"+suffix, SqlSpec{
			Object: obj, HoldsData: holdsData, BasedOn: based,
			Late:       args.ClusterArn,
			LateRender: func(arn string) (sql.Object, error) { return sql.Render(file, data(arn)) },
		}, pulumi.Parent(ct), pulumi.DependsOn(deps))
	}
	var err error
	var topics []string
	for _, t := range args.Captured {
		topics = append(topics, ChangeTopic(args.TopicPrefix, t))
	}
	// Redshift reads the topics as the namespace's default role, over IAM, with
	// exactly AWS's policy for streaming ingestion from MSK: connect to the
	// cluster, describe and read the change topics (here: exactly ours), and
	// AlterGroup/DescribeGroup on the cluster's groups, which Redshift names itself
	// (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started-MSK.html).
	// The schema names the brokers (URI), so no kafka:GetBootstrapBrokers.
	ct.ReadPolicy, err = iam.NewRolePolicy(ctx, name+"-read-topics", &iam.RolePolicyArgs{
		Role: args.StreamingRole, Name: pulumi.String("read-cdc-topics"),
		Policy: PolicyDocument(
			Statement{Sid: "Cluster", Actions: []string{"kafka-cluster:Connect"},
				Resources: pulumi.StringArray{args.ClusterArn}},
			Statement{Sid: "ChangeTopics", Actions: []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"},
				Resources: kafkaArns(args.ClusterArn, "topic", topics...)},
			Statement{Sid: "Groups", Actions: []string{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"},
				Resources: kafkaArns(args.ClusterArn, "group", "*")},
		),
	}, pulumi.Parent(ct))
	if err != nil {
		return nil, err
	}
	// The schema names the cluster (its identity) and its brokers, both known after deploy.
	schemaData := func(late string) map[string]any {
		arn, brokers, _ := strings.Cut(late, "\n")
		return with("ClusterArn", arn, "Brokers", brokers)
	}
	schemaObj0, err := sql.Render(sql.MSKSchema, schemaData(""))
	if err != nil {
		return nil, err
	}
	ct.ExternalSchema, err = args.SQL.Declare(ctx, name+"-msk-schema", SqlSpec{
		Object:     schemaObj0,
		Late:       pulumi.Sprintf("%s\n%s", args.ClusterArn, args.BootstrapBrokers),
		LateRender: func(late string) (sql.Object, error) { return sql.Render(sql.MSKSchema, schemaData(late)) },
	}, pulumi.Parent(ct), pulumi.DependsOn(append(args.DependsOn, ct.ReadPolicy)))
	if err != nil {
		return nil, err
	}
	schemaObj, err := sql.Render(sql.Schema, with())
	if err != nil {
		return nil, err
	}
	if ct.Schema, err = declare("schema", schemaObj, false, nil, args.DependsOn...); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		file   string
		suffix string
		dst    **SqlObject
		holds  bool
	}{{sql.CDCOffsetsTable, "offsets", &ct.Offsets, true}, {sql.CDCRunsTable, "runs", &ct.Runs, false},
		{sql.CDCRejectsTable, "rejects", &ct.Rejects, true}, {sql.DBRole, "apply-role", &ct.Role, false}} {
		obj, err := sql.Render(f.file, with())
		if err != nil {
			return nil, err
		}
		if *f.dst, err = declare(f.suffix, obj, f.holds, []*SqlObject{ct.Schema}, ct.Schema); err != nil {
			return nil, err
		}
	}
	targetOf := map[string]string{}
	for _, t := range c.Tables {
		targetOf[t.Source] = t.TargetName()
	}
	for _, source := range args.Captured {
		// Creating a landing view forgets the watermark of the target it feeds; the
		// cluster's ARN, known after deploy, is part of its definition.
		var reset []string
		if target, ok := targetOf[source]; ok {
			reset = []string{target}
		}
		data := func(arn string) map[string]any {
			return with("Name", LandingViewName(source), "Topic", ChangeTopic(args.TopicPrefix, source), "ResetTargets", reset, "ClusterArn", arn)
		}
		if ct.Landing[source], err = declareOnCluster("landing-"+source, sql.CDCLandingMV, data, true,
			[]*SqlObject{ct.ExternalSchema, ct.Schema}, ct.ExternalSchema, ct.Schema, ct.Offsets); err != nil {
			return nil, err
		}
	}
	for _, t := range c.Tables {
		cols, key, err := t.TargetColumns()
		if err != nil {
			return nil, fmt.Errorf("haina:cdc.redshift.tables %s: %w", t.Source, err)
		}
		target := t.TargetName()
		data := with("Table", target, "Columns", cols, "Key", key, "DistKey", key[0].Name,
			"Landing", LandingViewName(t.Source), "Name", ProcedureName(target))
		tableObj, err := sql.Render(sql.CDCTargetTable, data)
		if err != nil {
			return nil, err
		}
		if ct.Targets[target], err = declare("table-"+target, tableObj, true, []*SqlObject{ct.Schema}, ct.Schema, ct.Offsets); err != nil {
			return nil, err
		}
		procObj, err := sql.Render(sql.CDCApplyProcedure, data)
		if err != nil {
			return nil, err
		}
		ct.Procedures[target], err = declare("apply-"+target, procObj, false, []*SqlObject{ct.Schema},
			ct.Landing[t.Source], ct.Targets[target], ct.Offsets, ct.Runs, ct.Rejects, ct.Role)
		if err != nil {
			return nil, err
		}
		if ct.ApplyCalls[target], err = sql.Section(sql.CDCApplyProcedure, "call", data); err != nil {
			return nil, err
		}
	}
	queries, err := sql.Queries(sql.CDCExamples, with())
	if err != nil {
		return nil, err
	}
	ct.Queries = pulumi.StringMap{}
	for _, k := range sortedKeys(queries) {
		ct.Queries[k] = pulumi.String(queries[k])
	}
	for _, k := range sortedKeys(ct.ApplyCalls) {
		ct.Queries["apply_"+k] = pulumi.String(ct.ApplyCalls[k] + ";")
	}
	if err := ctx.RegisterResourceOutputs(ct, pulumi.Map{"queries": ct.Queries}); err != nil {
		return nil, err
	}
	return ct, nil
}

// cdcRedshiftDefaults: changes applied by the scheduled call
// (haina:ingestion.refresh); the database role <prefix>_cdc_apply may run an
// apply by hand.
func cdcRedshiftDefaults(prefix string) CDCRedshiftConfig {
	return CDCRedshiftConfig{ExternalSchema: "cdc_msk", Schema: "cdc", ApplyRole: glueName(prefix) + "_cdc_apply", ScheduleEnabled: true}
}

var reApplyRole = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,126}$`)

// check applies haina:cdc.redshift's own rules: names, the schedule and each
// target table (typed, keyed). Whether a table is captured, and names shared
// with ingestion, are checked in Validate.
func (r CDCRedshiftConfig) check(ck checker) {
	for _, n := range []struct{ key, value string }{
		{"externalSchema", r.ExternalSchema}, {"schema", r.Schema}, {"applyRole", r.ApplyRole},
	} {
		if err := sql.CheckIdent(n.value); err != nil {
			ck.bad(n.key, n.value, "allowed: a Redshift identifier ("+err.Error()+")")
		}
	}
	if !reApplyRole.MatchString(r.ApplyRole) {
		ck.bad("applyRole", r.ApplyRole, "allowed: 1-127 letters, digits or _, starting with a letter or _ (it is also the value of the scheduler role's RedshiftDbRoles tag)")
	}
	targets := map[string]bool{}
	for i, t := range r.Tables {
		tck := ck.in(fmt.Sprintf("tables[%d]", i))
		target := t.TargetName()
		switch err := sql.CheckIdent(target); {
		case err != nil:
			tck.bad("table", target, "allowed: a Redshift identifier ("+err.Error()+")")
		case len(ProcedureName(target)) > 127:
			tck.bad("table", target, "allowed: at most 121 bytes (its procedure is apply_<table>, within Redshift's 127)")
		case targets[target]:
			tck.bad("table", target, "each target table once; another entry of haina:cdc.redshift.tables already uses it")
		}
		targets[target] = true
		if len(t.Columns) == 0 {
			tck.bad("columns", t.Columns, "list the columns to keep: [{name, type}], name as in MySQL, type a Redshift type ("+sql.SupportedTypes+")")
		}
		names := map[string]bool{}
		for j, c := range t.Columns {
			cck := tck.in(fmt.Sprintf("columns[%d]", j))
			if err := sql.CheckIdent(c.Name); err != nil {
				cck.bad("name", c.Name, "allowed: the MySQL column's name ("+err.Error()+")")
			} else if names[strings.ToLower(c.Name)] {
				cck.bad("name", c.Name, "each column once")
			}
			names[strings.ToLower(c.Name)] = true
			if _, _, err := sql.ColumnType(c.Type); err != nil {
				cck.bad("type", c.Type, err.Error())
			}
		}
		if len(t.PrimaryKey) == 0 {
			tck.bad("primaryKey", t.PrimaryKey, "the primary key's columns: changes are applied by key (Debezium keys its messages by the MySQL primary key)")
		}
		inKey := map[string]bool{}
		for j, k := range t.PrimaryKey {
			var typ string
			found := false
			for _, c := range t.Columns {
				if c.Name == k {
					found, typ = true, c.Type
				}
			}
			kkey := fmt.Sprintf("primaryKey[%d]", j)
			switch _, fam, _ := sql.ColumnType(typ); {
			case !found:
				tck.bad(kkey, k, "one of the table's columns")
			case inKey[k]:
				tck.bad(kkey, k, "each key column once")
			case fam == sql.FamilySuper:
				tck.bad(kkey, k, "a column of a scalar type: SUPER cannot be a key")
			}
			inKey[k] = true
		}
	}
}
