package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SourceDatabaseConfig (haina:cdc.database) is the MySQL that Debezium reads:
// one haina creates (Aurora MySQL 3, Serverless v2) or an existing one.
type SourceDatabaseConfig struct {
	Mode          string  `json:"mode"` // create | existing
	EngineVersion string  `json:"engineVersion"`
	MinACU        float64 `json:"minAcu"`
	MaxACU        float64 `json:"maxAcu"`
	// BackupRetentionDays of automated backups (1–35).
	BackupRetentionDays int `json:"backupRetentionDays"`
	// BinlogRetentionHours keeps binlogs this long (24–2160): longer than a connector outage.
	BinlogRetentionHours int `json:"binlogRetentionHours"`
	// DemoSchema creates a demo table, salesdb.CUSTOMER, with a few rows, to watch changes flow (staging).
	DemoSchema bool `json:"demoSchema"`
	// PasswordRotation: a new value (a date, a counter) rotates the Debezium
	// user's password in place and replaces the connector (created databases only).
	PasswordRotation string `json:"passwordRotation"`
	// Existing database: where it is and the secret with Debezium's credentials.
	Endpoint        string `json:"endpoint"`
	Port            int    `json:"port"`
	SecretArn       string `json:"secretArn"`
	SecurityGroupID string `json:"securityGroupId"`
	// SecretKmsKeyArn is the customer key encrypting that secret, if any.
	SecretKmsKeyArn string `json:"secretKmsKeyArn"`
	// ClusterArn is an existing Aurora MySQL cluster a zero-ETL integration
	// replicates from (zero-etl mode; its parameter group is yours to set).
	ClusterArn string `json:"clusterArn"`
}

// debeziumDatabaseFields are haina:cdc.database's keys that only the Debezium
// mode reads: the binlog retention and rotation of Debezium's user on a
// created database, and how the connector reaches an existing one.
type debeziumDatabaseFields struct {
	BinlogRetentionHours int    `json:"binlogRetentionHours"`
	PasswordRotation     string `json:"passwordRotation"`
	Endpoint             string `json:"endpoint"`
	Port                 int    `json:"port"`
	SecretArn            string `json:"secretArn"`
	SecurityGroupID      string `json:"securityGroupId"`
	SecretKmsKeyArn      string `json:"secretKmsKeyArn"`
}

func (d SourceDatabaseConfig) debeziumOnly() debeziumDatabaseFields {
	return debeziumDatabaseFields{d.BinlogRetentionHours, d.PasswordRotation, d.Endpoint, d.Port, d.SecretArn, d.SecurityGroupID, d.SecretKmsKeyArn}
}

// SourceDatabaseArgs configures the SourceDatabase component (mode create).
type SourceDatabaseArgs struct {
	Config    SourceDatabaseConfig
	Name      string // physical cluster identifier
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// SetupProvider runs the setup SQL (haina's provider, RDS Data API engine).
	SetupProvider  pulumi.ProviderResource
	AllowDataLoss  bool
	GuardDelete    bool
	TimeoutSeconds int
	Protect        bool
	// FinalSnapshot keeps a snapshot when the cluster is deleted (production,
	// even after haina:protect is lifted for a teardown).
	FinalSnapshot bool
	// ZeroETL makes the cluster a zero-ETL source: its parameter group carries
	// zeroETLParameters instead of Debezium's, and no binlog retention is set
	// (the integration reads the enhanced binlog, not a binlog client's files).
	ZeroETL bool
	Tags    pulumi.StringMap
}

// SourceDatabase is an Aurora MySQL 3 cluster ready for change data capture:
// binlog in ROW format with full row images, encrypted with its own key, the
// master password managed by Secrets Manager, private subnets only, the RDS
// Data API on (haina's provider runs its setup SQL through it).
type SourceDatabase struct {
	pulumi.ResourceState

	Key            *kms.Key
	ParameterGroup *rds.ClusterParameterGroup
	SubnetGroup    *rds.SubnetGroup
	SecurityGroup  *ec2.SecurityGroup
	Cluster        *rds.Cluster
	Writer         *rds.ClusterInstance

	ClusterArn      pulumi.StringOutput
	Endpoint        pulumi.StringOutput // the writer: binlogs are read there only
	MasterSecretArn pulumi.StringOutput
}

// binlogParameters make MySQL write what Debezium needs.
var binlogParameters = [][2]string{{"binlog_format", "ROW"}, {"binlog_row_image", "FULL"}}

// auditParameters turn Advanced Auditing on, so the exported audit log holds
// something: without server_audit_logging the "audit" export stays empty
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Auditing.html).
// Logins and changes to users, grants and schemas: who touched the source, not every query.
var auditParameters = [][2]string{{"server_audit_logging", "1"}, {"server_audit_events", "CONNECT,QUERY_DCL,QUERY_DDL"}}

// NewSourceDatabase declares the Aurora MySQL cluster and its writer.
func NewSourceDatabase(ctx *pulumi.Context, name string, args *SourceDatabaseArgs, opts ...pulumi.ResourceOption) (*SourceDatabase, error) {
	if args == nil || args.VpcID == nil || args.SubnetIDs == nil || args.Name == "" {
		return nil, fmt.Errorf("source database %s: Name, VpcID and SubnetIDs are required", name)
	}
	d := &SourceDatabase{}
	if err := ctx.RegisterComponentResource("haina:sourcedb:SourceDatabase", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	stateful := []pulumi.ResourceOption{parent, pulumi.Protect(args.Protect)}
	cfg := args.Config

	var err error
	// RDS encrypts the cluster's storage and snapshots with grants it creates
	// ("AWS KMS key management", authorizing a customer managed key,
	// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Overview.Encryption.Keys.html);
	// the master secret RDS manages and Debezium's secret (the connector's) are
	// encrypted through Secrets Manager
	// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
	if d.Key, err = newCustomerKey(ctx, name+"-key", customerKey{Description: "haina: CDC source database " + args.Name,
		Use: keyUse{Services: []string{"rds", "secretsmanager"}, Grants: true}, Protect: args.Protect, Tags: args.Tags, Parent: d}); err != nil {
		return nil, err
	}
	params := rds.ClusterParameterGroupParameterArray{}
	// A zero-ETL source's group has a name of its own: a stack switching modes
	// gets a new group (the description cannot change in place) that the
	// cluster moves to, rather than a replacement under the same name.
	binlog, purpose, groupName := binlogParameters, "haina: row-based binlog for Debezium", args.Name+"-binlog"
	if args.ZeroETL {
		binlog, purpose, groupName = zeroETLParameters, "haina: enhanced binlog for a zero-ETL integration", args.Name+"-zero-etl"
	}
	for _, p := range binlog {
		// binlog_format and aurora_enhanced_binlog are static: they take effect
		// after the writer restarts, so the group is attached at creation (AWS:
		// a group attached later needs a reboot before an integration can be made).
		params = append(params, rds.ClusterParameterGroupParameterArgs{
			Name: pulumi.String(p[0]), Value: pulumi.String(p[1]), ApplyMethod: pulumi.String("pending-reboot"),
		})
	}
	for _, p := range auditParameters {
		params = append(params, rds.ClusterParameterGroupParameterArgs{
			Name: pulumi.String(p[0]), Value: pulumi.String(p[1]), ApplyMethod: pulumi.String("immediate"),
		})
	}
	d.ParameterGroup, err = rds.NewClusterParameterGroup(ctx, name, &rds.ClusterParameterGroupArgs{
		Name: pulumi.String(groupName), Family: pulumi.String("aurora-mysql8.0"),
		Description: pulumi.String(purpose), Parameters: params, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	d.SubnetGroup, err = rds.NewSubnetGroup(ctx, name, &rds.SubnetGroupArgs{
		Name: pulumi.String(args.Name), SubnetIds: args.SubnetIDs, Description: pulumi.String("haina: private subnets only"), Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	// No rule yet: the connector's group is admitted on the MySQL port where it is declared.
	d.SecurityGroup, err = ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId: args.VpcID, Description: pulumi.String("haina: CDC source database"), Tags: withName(args.Tags, args.Name),
	}, parent)
	if err != nil {
		return nil, err
	}
	clusterArgs := &rds.ClusterArgs{
		ClusterIdentifier: pulumi.String(args.Name), Engine: pulumi.String("aurora-mysql"), EngineMode: pulumi.String("provisioned"),
		EngineVersion: pulumi.String(cfg.EngineVersion), DatabaseName: pulumi.String("haina"),
		MasterUsername: pulumi.String("haina_admin"),
		// RDS generates the password and keeps it in Secrets Manager, encrypted with the key: never in state.
		ManageMasterUserPassword: pulumi.Bool(true), MasterUserSecretKmsKeyId: d.Key.Arn,
		StorageEncrypted: pulumi.Bool(true), KmsKeyId: d.Key.Arn,
		DbSubnetGroupName: d.SubnetGroup.Name, VpcSecurityGroupIds: pulumi.StringArray{d.SecurityGroup.ID()},
		DbClusterParameterGroupName: d.ParameterGroup.Name,
		Serverlessv2ScalingConfiguration: rds.ClusterServerlessv2ScalingConfigurationArgs{
			MinCapacity: pulumi.Float64(cfg.MinACU), MaxCapacity: pulumi.Float64(cfg.MaxACU),
		},
		BackupRetentionPeriod: pulumi.Int(cfg.BackupRetentionDays), CopyTagsToSnapshot: pulumi.Bool(true),
		EnableHttpEndpoint:           pulumi.Bool(true),
		EnabledCloudwatchLogsExports: pulumi.ToStringArray([]string{"audit", "error"}),
		DeletionProtection:           pulumi.Bool(args.Protect),
		SkipFinalSnapshot:            pulumi.Bool(!args.FinalSnapshot),
		Tags:                         args.Tags,
	}
	if args.FinalSnapshot {
		clusterArgs.FinalSnapshotIdentifier = pulumi.String(args.Name + "-final")
	}
	d.Cluster, err = rds.NewCluster(ctx, name, clusterArgs, stateful...)
	if err != nil {
		return nil, err
	}
	d.Writer, err = rds.NewClusterInstance(ctx, name+"-writer", &rds.ClusterInstanceArgs{
		Identifier: pulumi.String(args.Name + "-writer"), ClusterIdentifier: d.Cluster.ID(),
		InstanceClass: pulumi.String("db.serverless"), Engine: pulumi.String("aurora-mysql"), EngineVersion: pulumi.String(cfg.EngineVersion),
		PubliclyAccessible: pulumi.Bool(false), Tags: args.Tags,
	}, stateful...)
	if err != nil {
		return nil, err
	}
	d.ClusterArn, d.Endpoint = d.Cluster.Arn, d.Cluster.Endpoint
	d.MasterSecretArn = d.Cluster.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	if args.SetupProvider != nil {
		if err := d.setup(ctx, name, args, parent); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"clusterArn": d.ClusterArn, "endpoint": d.Endpoint}); err != nil {
		return nil, err
	}
	return d, nil
}

// setup runs the database-side CDC setup as SQL resources through the RDS
// Data API, as the master user, once the writer is up: binlog retention and,
// in staging, the demo table salesdb.CUSTOMER.
func (d *SourceDatabase) setup(ctx *pulumi.Context, name string, args *SourceDatabaseArgs, parent pulumi.ResourceOption) error {
	target := SqlTarget{
		Provider: args.SetupProvider, ResourceArn: d.ClusterArn, SecretArn: d.MasterSecretArn, Database: pulumi.String("mysql"),
		AllowDataLoss: args.AllowDataLoss, GuardDelete: args.GuardDelete, TimeoutSeconds: args.TimeoutSeconds,
	}
	object := func(suffix, file string, data map[string]string, holdsData bool) error {
		obj, err := sql.Render(file, data)
		if err != nil {
			return err
		}
		_, err = target.Declare(ctx, name+"-"+suffix, SqlSpec{Object: obj, HoldsData: holdsData}, parent, pulumi.DependsOn([]pulumi.Resource{d.Writer}))
		return err
	}
	if !args.ZeroETL {
		hours := fmt.Sprint(args.Config.BinlogRetentionHours)
		if err := object("binlog-retention", sql.MySQLBinlogRetention, map[string]string{"Hours": hours, "HoursText": hours}, false); err != nil {
			return err
		}
	}
	if args.Config.DemoSchema {
		return object("demo-schema", sql.MySQLDemoSchema, map[string]string{"Database": "salesdb", "Table": "CUSTOMER"}, true)
	}
	return nil
}

// sourceDatabaseDefaults: a new Aurora MySQL 3 cluster, 0.5-4 ACU with a day
// of backups in staging (with the demo schema), 2-16 ACU and a week in production.
// Binlogs are kept a week so Debezium can catch up after an outage.
func sourceDatabaseDefaults(env Environment) SourceDatabaseConfig {
	d := SourceDatabaseConfig{Mode: "create", EngineVersion: "8.0.mysql_aurora.3.08.0", MinACU: 0.5, MaxACU: 4,
		BackupRetentionDays: 1, BinlogRetentionHours: 168, Port: 3306, DemoSchema: env != Production}
	if env == Production {
		d.MinACU, d.MaxACU, d.BackupRetentionDays = 2, 16, 7
	}
	return d
}

var (
	reAuroraMySQL3 = regexp.MustCompile(`^8\.0\.mysql_aurora\.3\.[0-9]+\.[0-9]+$`)
	// The full ARN (name, "-" and 6 characters): the config provider resolves the secret by name.
	reSecretArn   = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	reHostname    = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$`)
	reSecurityGrp = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
)

// check applies haina:cdc.database's rules; zeroETL: for a zero-ETL source
// (the Debezium-only keys are refused in CDCConfig.check).
func (d SourceDatabaseConfig) check(ck checker, zeroETL bool) {
	switch {
	case zeroETL && d.Mode == "create":
		if !zeroETLVersionOK(d.EngineVersion) {
			ck.bad("engineVersion", d.EngineVersion, "zero-ETL needs Aurora MySQL 3.05.2 or later, such as 8.0.mysql_aurora.3.08.0")
		}
		d.checkCapacity(ck)
		return
	case zeroETL && d.Mode == "existing":
		if !reRDSClusterArn.MatchString(d.ClusterArn) {
			ck.bad("clusterArn", d.ClusterArn, "an existing zero-ETL source needs its Aurora MySQL cluster's ARN, such as arn:aws:rds:us-east-1:123456789012:cluster:shop "+
				"(its DB cluster parameter group must carry zero-ETL's binlog settings: docs/runbooks.md#zero-etl-source-parameters)")
		}
		return
	}
	switch d.Mode {
	case "create":
		if !reAuroraMySQL3.MatchString(d.EngineVersion) {
			ck.bad("engineVersion", d.EngineVersion, "allowed: an Aurora MySQL 3 version such as 8.0.mysql_aurora.3.08.0")
		}
		d.checkCapacity(ck)
		if d.BinlogRetentionHours < 24 || d.BinlogRetentionHours > 2160 {
			ck.bad("binlogRetentionHours", d.BinlogRetentionHours, "allowed: 24 to 2160 hours (Aurora MySQL's maximum is 90 days)")
		}
		if len(d.PasswordRotation) > 64 || strings.ContainsAny(d.PasswordRotation, "\n\r") {
			ck.bad("passwordRotation", d.PasswordRotation, "allowed: up to 64 characters on one line (a date or a counter); a new value rotates Debezium's password")
		}
	case "existing":
		if d.PasswordRotation != "" {
			ck.bad("passwordRotation", d.PasswordRotation, "an existing database's Debezium user and secret are yours: rotate the password in Secrets Manager and restart the connector")
		}
		if !reHostname.MatchString(d.Endpoint) {
			ck.bad("endpoint", d.Endpoint, "an existing database needs its writer endpoint, such as mydb.cluster-abc.us-east-1.rds.amazonaws.com")
		}
		if d.Port < 1 || d.Port > 65535 {
			ck.bad("port", d.Port, "allowed: 1 to 65535")
		}
		if !reSecretArn.MatchString(d.SecretArn) {
			ck.bad("secretArn", d.SecretArn, "an existing database needs the full ARN (ending in - and 6 characters) of the Secrets Manager secret holding Debezium's username and password")
		}
		if d.SecretKmsKeyArn != "" && !reKmsKeyArn.MatchString(d.SecretKmsKeyArn) {
			ck.bad("secretKmsKeyArn", d.SecretKmsKeyArn, "allowed: empty (the secret uses aws/secretsmanager) or the ARN of the KMS key encrypting it")
		}
		if !reSecurityGrp.MatchString(d.SecurityGroupID) {
			ck.bad("securityGroupId", d.SecurityGroupID, "an existing database needs its security group id (the connector is admitted to it), such as sg-0123456789abcdef0")
		}
	default:
		ck.bad("mode", d.Mode, "allowed: create, existing")
	}
}

// checkCapacity applies the rules of a created cluster's size and backups.
func (d SourceDatabaseConfig) checkCapacity(ck checker) {
	validACU := func(v float64) bool { return v >= 0.5 && v <= 256 && v*2 == float64(int(v*2)) }
	if !validACU(d.MinACU) {
		ck.bad("minAcu", d.MinACU, "allowed: 0.5 to 256 in steps of 0.5")
	}
	if !validACU(d.MaxACU) || d.MaxACU < d.MinACU {
		ck.bad("maxAcu", d.MaxACU, fmt.Sprintf("allowed: %v (minAcu) to 256 in steps of 0.5", d.MinACU))
	}
	if d.BackupRetentionDays < 1 || d.BackupRetentionDays > 35 {
		ck.bad("backupRetentionDays", d.BackupRetentionDays, "allowed: 1 to 35 days")
	}
}
