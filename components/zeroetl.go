package components

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CDC modes (haina:cdc.mode).
const (
	// CDCDebezium: Debezium on MSK Connect writes each change to MSK; Redshift
	// streams the topics and applies them to typed tables on the schedule.
	CDCDebezium = "debezium"
	// CDCZeroETL: an Aurora zero-ETL integration replicates whole tables into
	// a Redshift database of their own; no Kafka, connector or apply.
	CDCZeroETL = "zero-etl"
)

// ZeroETLConfig (haina:cdc.zeroEtl) is what the zero-ETL mode reads.
type ZeroETLConfig struct {
	// Tables are the replicated tables, database.table as in MySQL (table may
	// be * for every table of a database): the integration's data filter.
	Tables []string `json:"tables"`
	// Database is the Redshift database the integration fills (read-only,
	// one schema per MySQL database).
	Database string `json:"database"`
}

// zeroETLDefaults: the destination database <prefix>_cdc; in staging the
// demo table (haina:cdc.database.demoSchema) is replicated.
func zeroETLDefaults(env Environment, prefix string) ZeroETLConfig {
	z := ZeroETLConfig{Database: glueName(prefix) + "_cdc"}
	if env != Production {
		z.Tables = []string{"salesdb.CUSTOMER"}
	}
	return z
}

// zeroETLMinVersion is the first Aurora MySQL version zero-ETL integrations
// with Redshift support ("Supported Regions and Aurora DB engines for zero-ETL
// integrations", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Zero-ETL.html).
var zeroETLMinVersion = [2]int{5, 2} // 3.05.2

// zeroETLParameters are the DB cluster parameters AWS requires of a zero-ETL
// source on Aurora MySQL 8.0 ("Step 1: Create a custom DB cluster parameter
// group", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.setting-up.html):
// enhanced binlog on, binlog backup and global-database replication off, row
// binlogs with full images and metadata. binlog_transaction_compression (not
// ON) and binlog_row_value_options (not PARTIAL_JSON) keep their defaults.
// The fake cloud holds the same list (tests/fakeprovider).
var zeroETLParameters = [][2]string{
	{"aurora_enhanced_binlog", "1"}, {"binlog_backup", "0"}, {"binlog_format", "ROW"},
	{"binlog_replication_globaldb", "0"}, {"binlog_row_image", "full"}, {"binlog_row_metadata", "full"},
}

var (
	// A MySQL database and table name (or * for every table): the literal
	// patterns of a Maxwell filter ("Data filtering for Aurora zero-ETL
	// integrations", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.filtering.html).
	reZeroETLTable   = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}\.([A-Za-z0-9_$]{1,64}|\*)$`)
	reRedshiftDbName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	reAuroraVersion  = regexp.MustCompile(`^8\.0\.mysql_aurora\.3\.([0-9]+)\.([0-9]+)$`)
	reRDSClusterArn  = regexp.MustCompile(`^arn:aws[a-z-]*:rds:[a-z0-9-]+:[0-9]{12}:cluster:[a-z][a-z0-9-]{0,62}$`)
)

// zeroETLMaxPatterns: an integration's data filter holds at most 99 patterns (same page).
const zeroETLMaxPatterns = 99

// check applies haina:cdc.zeroEtl's rules (zero-etl mode only).
func (z ZeroETLConfig) check(ck checker) {
	if len(z.Tables) == 0 || len(z.Tables) > zeroETLMaxPatterns {
		ck.bad("tables", z.Tables, fmt.Sprintf("list 1 to %d tables to replicate, database.table (or database.* for all of a database's tables)", zeroETLMaxPatterns))
	}
	seen := map[string]bool{}
	for i, t := range z.Tables {
		switch {
		case !reZeroETLTable.MatchString(t):
			ck.bad(fmt.Sprintf("tables[%d]", i), t, "allowed: database.table or database.* (letters, digits, _ and $)")
		case seen[t]:
			ck.bad(fmt.Sprintf("tables[%d]", i), t, "each table once")
		}
		seen[t] = true
	}
	if !reRedshiftDbName.MatchString(z.Database) {
		ck.bad("database", z.Database, "allowed: a Redshift database name of 1-63 lower-case letters, digits or _, not starting with a digit")
	}
}

// DataFilter is the integration's data filter: an include pattern per table,
// comma-separated. Through the API each pattern carries its own filter type
// ("include: mydb.mytable, include: mydb./table_\d+/", same page); a bare
// pattern after the first is refused.
func (z ZeroETLConfig) DataFilter() string {
	parts := make([]string, len(z.Tables))
	for i, t := range z.Tables {
		parts[i] = "include: " + t
	}
	return strings.Join(parts, ", ")
}

// zeroETLVersionOK: an Aurora MySQL 3 version at or after 3.05.2.
func zeroETLVersionOK(v string) bool {
	m := reAuroraVersion.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	minor, _ := strconv.Atoi(m[1])
	patch, _ := strconv.Atoi(m[2])
	return minor > zeroETLMinVersion[0] || (minor == zeroETLMinVersion[0] && patch >= zeroETLMinVersion[1])
}

// ZeroETLArgs configures the ZeroETL component.
type ZeroETLArgs struct {
	Config ZeroETLConfig
	// Name is the integration's name (1-63 letters, digits and hyphens).
	Name string
	// SourceArn is the Aurora MySQL cluster; SourceReady what must exist
	// before the integration (the writer: a cluster without an instance
	// cannot be a source).
	SourceArn   pulumi.StringInput
	SourceReady []pulumi.Resource
	// Warehouse is the target: its namespace gets the resource policy.
	Warehouse *Warehouse
	// Account is the deploying account (the authorized principal).
	Account pulumi.StringInput
	// SQL runs CREATE DATABASE … FROM INTEGRATION as the admin (a superuser).
	SQL     SqlTarget
	Protect bool
	Tags    pulumi.StringMap
}

// ZeroETL is CDC through an Aurora zero-ETL integration: the namespace's
// resource policy that lets this source in, the integration, and the
// Redshift database the integration fills.
type ZeroETL struct {
	pulumi.ResourceState

	// Policy authorizes the source (and this account) on the namespace.
	Policy *redshift.ResourcePolicy
	// Key encrypts the integration (a customer key: its policy and rotation
	// are the stack's, and the integration's kmsKeyId is known, never drifts).
	Key         *kms.Key
	Integration *rds.Integration
	// Filter keeps the integration's data filter the configured tables,
	// modifying it in place (haina:rds:IntegrationDataFilter).
	Filter *integrationFilterState
	// Database is the destination database (it holds the replicated data).
	Database *SqlObject

	// IntegrationID is the id CREATE DATABASE names and the metrics' IntegrationId dimension.
	IntegrationID pulumi.StringOutput
	// Queries are ready to run (table states, the integration's lag).
	Queries pulumi.StringMap
}

// IntegrationID is the integration's id, the last part of its ARN
// (arn:aws:rds:<region>:<account>:integration:<id>).
func IntegrationID(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// NewZeroETL declares the policy, the integration and the destination database.
func NewZeroETL(ctx *pulumi.Context, name string, args *ZeroETLArgs, opts ...pulumi.ResourceOption) (*ZeroETL, error) {
	if args == nil || args.SourceArn == nil || args.Warehouse == nil || args.Account == nil || args.Name == "" || args.SQL.Provider == nil {
		return nil, fmt.Errorf("zero-ETL %s: Name, SourceArn, Warehouse, Account and SQL are required", name)
	}
	z := &ZeroETL{}
	if err := ctx.RegisterComponentResource("haina:cdc:ZeroETL", name, z, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(z)
	w := args.Warehouse
	var err error
	// The namespace names who may replicate into it: Redshift itself, for this
	// source cluster only (authorized integration source), and this account
	// (authorized principal). Redshift's PutResourcePolicy on the namespace ARN,
	// Serverless or provisioned ("Configure authorization for your Amazon
	// Redshift data warehouse", https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl-using.redshift-iam.html);
	// the redshift-serverless policy API is for snapshots, not integrations.
	policy := pulumi.All(args.SourceArn, args.Account, w.NamespaceArn).ApplyT(func(v []any) (string, error) {
		return integrationPolicy(v[0].(string), v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
	z.Policy, err = redshift.NewResourcePolicy(ctx, name, &redshift.ResourcePolicyArgs{
		ResourceArn: w.NamespaceArn, Policy: policy,
	}, parent)
	if err != nil {
		return nil, err
	}
	// The integration's own key. RDS uses it on the deployer's behalf
	// (through rds, grants for AWS resources only) and Redshift, which reads
	// the integration, attaches a grant to it (integrationKeyUse).
	z.Key, err = newCustomerKey(ctx, name+"-key", customerKey{Description: "haina: zero-ETL integration " + args.Name,
		Use: integrationKeyUse, Protect: args.Protect, Tags: args.Tags, Parent: z})
	if err != nil {
		return nil, err
	}
	// Every input but tags replaces an integration (pulumi-aws 6.83.4), and AWS
	// refuses a second integration between the same source and target
	// ("Aurora zero-ETL integrations: quotas", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.html):
	// the old one goes first. The data filter is the one input AWS modifies in
	// place: the integration is created with it and ignores later changes,
	// which z.Filter applies (a new table list must not replace the
	// integration and the database it fills).
	filter := pulumi.String(args.Config.DataFilter())
	z.Integration, err = rds.NewIntegration(ctx, name, &rds.IntegrationArgs{
		IntegrationName: pulumi.String(args.Name), SourceArn: args.SourceArn, TargetArn: w.NamespaceArn,
		KmsKeyId: z.Key.Arn, DataFilter: filter, Tags: args.Tags,
	}, parent, pulumi.DeleteBeforeReplace(true), pulumi.Protect(args.Protect), pulumi.IgnoreChanges([]string{"dataFilter"}),
		pulumi.DependsOn(append(append([]pulumi.Resource{z.Policy}, args.SourceReady...), w.Ready...)))
	if err != nil {
		return nil, err
	}
	z.IntegrationID = z.Integration.Arn.ApplyT(IntegrationID).(pulumi.StringOutput)
	data := func(id string) map[string]string {
		return map[string]string{"Database": args.Config.Database, "IntegrationID": id}
	}
	obj, err := sql.Render(sql.ZeroETLDatabase, data(""))
	if err != nil {
		return nil, err
	}
	// CREATE DATABASE … FROM INTEGRATION cannot run in a transaction block
	// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_DATABASE.html).
	// AWS refuses to drop the database while its integration exists ("You must
	// first delete any integrations that are associated with a destination
	// database before deleting the destination database",
	// https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl.reqs-lims.html),
	// and the engine deletes the database first (it names the integration):
	// deleted with the integration, it is left in place, read-only, its rows
	// kept (they go with the warehouse, or by hand: docs/runbooks.md).
	z.Database, err = args.SQL.Declare(ctx, name+"-database", SqlSpec{
		Object: obj, HoldsData: true, NonTransactional: true,
		Late: z.IntegrationID, LateRender: func(id string) (sql.Object, error) { return sql.Render(sql.ZeroETLDatabase, data(id)) },
	}, parent, pulumi.DependsOn([]pulumi.Resource{z.Integration}), pulumi.DeletedWith(z.Integration))
	if err != nil {
		return nil, err
	}
	// The filter is modified once the destination database exists: AWS
	// modifies a data filter only when "the target database [is] configured
	// and connected with the RDS integration" (terraform-provider-aws PR 45632,
	// docs/research/zero-etl.md).
	z.Filter = &integrationFilterState{}
	if err := ctx.RegisterResource(provider.IntegrationDataFilterType, name+"-filter", pulumi.Map{
		"integrationArn": z.Integration.Arn, "dataFilter": filter,
	}, z.Filter, parent, pulumi.Provider(args.SQL.Provider), pulumi.DependsOn([]pulumi.Resource{z.Database})); err != nil {
		return nil, err
	}
	z.Queries = pulumi.StringMap{}
	queries, err := sql.Queries(sql.ZeroETLExamples, data("<integration id>"))
	if err != nil {
		return nil, err
	}
	for k, q := range queries {
		k, q := k, q
		z.Queries[k] = z.IntegrationID.ApplyT(func(id string) string {
			return strings.ReplaceAll(q, "<integration id>", id)
		}).(pulumi.StringOutput)
	}
	if err := ctx.RegisterResourceOutputs(z, pulumi.Map{
		"integrationArn": z.Integration.Arn, "integrationId": z.IntegrationID, "database": pulumi.String(args.Config.Database),
	}); err != nil {
		return nil, err
	}
	return z, nil
}

// integrationFilterState is the data filter resource's state.
type integrationFilterState struct {
	pulumi.CustomResourceState
	DataFilter pulumi.StringOutput `pulumi:"dataFilter"`
}

// integrationKeyUse is the integration key's policy beyond administration,
// as "Encrypting integrations with a customer managed key" asks
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.creating.html):
// "the key policy must provide the Amazon Redshift service principal access
// to the CreateGrant action. In addition, it must allow the current user to
// perform the DescribeKey and CreateGrant actions." The caller's grant goes
// through RDS (kms:ViaService rds, as the page's sample), DescribeKey is an
// administrator's action; Redshift's grant is limited to the operations the
// sample names (kms:GrantOperations). No encryption-context condition: the
// sample's is for additional context, which haina does not add.
var integrationKeyUse = keyUse{Services: []string{"rds"}, Grants: true, Extra: []policyStmt{
	{Sid: "RedshiftCreatesGrants", Effect: "Allow", Principal: map[string][]string{"Service": {"redshift.amazonaws.com"}},
		Action: []string{"kms:CreateGrant"}, Resource: []string{"*"},
		Condition: map[string]map[string][]string{"ForAllValues:StringEquals": {"kms:GrantOperations": integrationGrantOperations}}},
}}

// integrationGrantOperations are the operations Redshift's grant on the
// integration key may allow (the page above).
var integrationGrantOperations = []string{"CreateGrant", "Decrypt", "GenerateDataKey"}

// integrationPolicy is the namespace's resource policy, as AWS documents it
// (the page above; the Resource as terraform-provider-aws's acceptance test
// writes it): Redshift may authorize inbound integrations from this source
// cluster only, and the account may create them.
func integrationPolicy(sourceArn, account, namespaceArn string) (string, error) {
	doc := policyDoc{Version: "2012-10-17", Statement: []policyStmt{
		{Sid: "AuthorizeInboundIntegration", Effect: "Allow", Principal: map[string][]string{"Service": {"redshift.amazonaws.com"}},
			Action: []string{"redshift:AuthorizeInboundIntegration"}, Resource: []string{namespaceArn},
			Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceArn": {sourceArn}}}},
		{Sid: "CreateInboundIntegration", Effect: "Allow", Principal: map[string][]string{"AWS": {"arn:aws:iam::" + account + ":root"}},
			Action: []string{"redshift:CreateInboundIntegration"}, Resource: []string{namespaceArn}},
	}}
	b, err := json.Marshal(doc)
	return string(b), err
}
