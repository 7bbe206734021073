package components

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// ConfigNamespace is the namespace of every haina config key ("haina:stream", …).
const ConfigNamespace = "haina"

// Environment is a deployment environment; its defaults differ (see defaultsFor).
type Environment string

const (
	Staging    Environment = "staging"
	Production Environment = "production"
)

// PipelineArgs is the whole, validated configuration of one haina stack.
// LoadPipelineArgs builds it from stack config; Go callers may also fill it
// themselves and call Validate.
type PipelineArgs struct {
	Environment Environment
	// Region is aws:region; it decides which RPU sizes are available.
	Region string
	// Prefix starts every physical name ("<prefix>-<environment>-…").
	Prefix string
	// Protect marks stateful resources (stream, namespace, workgroup, KMS keys)
	// as protected. Default: true in production, false in staging.
	Protect bool
	// Tags are added to every taggable resource, beside project and environment.
	Tags map[string]string

	Network    NetworkConfig
	Stream     StreamConfig
	Warehouse  WarehouseConfig
	Ingestion  IngestionConfig
	Producer   ProducerConfig
	LogShipper LogShipperConfig
	Lake       LakeConfig
	FlowLogs   FlowLogsConfig
	// RedshiftDelivery loads the stream's events into a Redshift table through Firehose.
	RedshiftDelivery RedshiftDeliveryConfig
	CDC              CDCConfig

	// LambdaArchives are prebuilt function archives by Go package
	// (ProducerPackage, TopicsPackage), for a program that builds them itself;
	// a package without one is built from haina's module during evaluation.
	LambdaArchives map[string]*LambdaArchive
}

// RedshiftDeliveryConfig (haina:redshiftDelivery) is Firehose delivering the app events into a Redshift table (the classic path, beside streaming ingestion).
type RedshiftDeliveryConfig struct {
	Enabled bool `json:"enabled"`
	// Mode is copy-job (Firehose → S3, Redshift auto-copy; the workgroup stays private)
	// or direct (Firehose's Redshift destination; needs a publicly accessible workgroup).
	Mode  string `json:"mode"`
	Table string `json:"table"`
	// AllowDirectInProduction is the second, explicit override direct mode needs in production.
	AllowDirectInProduction bool `json:"allowDirectInProduction"`
}

// NetworkConfig (haina:network) either describes a VPC to create or names an existing one.
type NetworkConfig struct {
	// CidrBlock of the VPC haina creates (ignored when VpcID is set). /16 to /22.
	CidrBlock string `json:"cidrBlock"`
	// VpcID and SubnetIDs select an existing VPC; at least 3 subnets in 3 AZs.
	VpcID     string   `json:"vpcId"`
	SubnetIDs []string `json:"subnetIds"`
	// ClientCidrs may reach the warehouse port. Default: the VPC's CIDR.
	ClientCidrs []string `json:"clientCidrs"`
	// CreateEndpoints adds the S3 gateway and Kinesis interface endpoints.
	// Default true for a new VPC; false for an existing one, which usually has them.
	CreateEndpoints *bool `json:"createEndpoints"`
}

// Existing reports whether the network is an existing VPC.
func (n NetworkConfig) Existing() bool { return n.VpcID != "" }

// StreamConfig (haina:stream) is the Kinesis data stream.
type StreamConfig struct {
	Name           string `json:"name"`
	Mode           string `json:"mode"`
	ShardCount     int    `json:"shardCount"`
	RetentionHours int    `json:"retentionHours"`
	// KmsKeyArn is an existing customer key; CustomerKey creates one. Neither:
	// the AWS managed key alias/aws/kinesis.
	KmsKeyArn   string `json:"kmsKeyArn"`
	CustomerKey bool   `json:"customerKey"`
}

// WarehouseConfig (haina:warehouse) is the Redshift Serverless namespace and workgroup.
type WarehouseConfig struct {
	NamespaceName string `json:"namespaceName"`
	WorkgroupName string `json:"workgroupName"`
	DatabaseName  string `json:"databaseName"`
	AdminUsername string `json:"adminUsername"`
	BaseCapacity  int    `json:"baseCapacity"`
	MaxCapacity   int    `json:"maxCapacity"`
	Port          int    `json:"port"`
	// PubliclyAccessible is refused in production unless AllowPublicInProduction.
	PubliclyAccessible      bool `json:"publiclyAccessible"`
	AllowPublicInProduction bool `json:"allowPublicInProduction"`
	// KmsKeyArn is an existing customer key for the namespace; default: haina creates one.
	KmsKeyArn string `json:"kmsKeyArn"`
	// ConfigParameters override single workgroup parameters; haina always sends
	// the full set (see workgroupConfigDefaults) so AWS reports no drift.
	ConfigParameters map[string]string `json:"configParameters"`
	UsageLimit       UsageLimitConfig  `json:"usageLimit"`
}

// UsageLimitConfig caps RPU-hours per period.
type UsageLimitConfig struct {
	Amount       int    `json:"amount"`
	Period       string `json:"period"`
	BreachAction string `json:"breachAction"`
}

// defaultsFor returns the environment's defaults; config overrides them field by field.
func defaultsFor(env Environment, prefix string) PipelineArgs {
	base := fmt.Sprintf("%s-%s", prefix, env)
	a := PipelineArgs{
		Environment: env,
		Prefix:      prefix,
		Network:     NetworkConfig{CidrBlock: "10.40.0.0/16"},
		Stream:      StreamConfig{Name: base + "-events", Mode: "ON_DEMAND"},
		Warehouse: WarehouseConfig{
			NamespaceName: base,
			WorkgroupName: base,
			DatabaseName:  "haina",
			AdminUsername: "haina_admin",
			Port:          5439,
		},
		Ingestion: IngestionConfig{
			ExternalSchema: "kds", Schema: "ingest", LandingView: "events_landing", EventsView: "events",
			RollupView: "events_per_minute", RollupDimension: "event_name", AutoRefresh: true, TimeoutSeconds: 600,
			RefreshMinutes: 15,
		},
		Producer: ProducerConfig{
			Enabled: true, Schedule: "rate(1 minute)", EventsPerInvocation: 1000, MemoryMB: 256, TimeoutSeconds: 60,
		},
		LogShipper: LogShipperConfig{InstanceType: "t4g.small", Paths: []string{"/var/log/app/*.log"}},
		Lake:       LakeConfig{Enabled: true, Parquet: true},
		// A copy: decoding config into the struct must never write into the package default.
		FlowLogs:         FlowLogsConfig{Enabled: true, Fields: slices.Clone(DefaultFlowLogFields)},
		RedshiftDelivery: RedshiftDeliveryConfig{Mode: "copy-job", Table: "events_history"},
		CDC: CDCConfig{
			Kafka: KafkaConfig{
				Mode: "provisioned", BrokerCount: 3, InstanceType: "kafka.t3.small", KafkaVersion: "3.6.0", VolumeGB: 20, LogRetentionDays: 14,
			},
			Database: SourceDatabaseConfig{Mode: "create", EngineVersion: "8.0.mysql_aurora.3.08.0", MinACU: 0.5, MaxACU: 4,
				BackupRetentionDays: 1, BinlogRetentionHours: 168, Port: 3306},
			Connector: ConnectorConfig{CapacityMode: "provisioned", McuCount: 1, WorkerCount: 1, TasksMax: 1,
				KafkaConnectVersion: "3.7.x", TopicPartitions: 3, TopicRetentionHours: 168, LogRetentionDays: 14},
			Redshift: CDCRedshiftConfig{ExternalSchema: "cdc_msk", Schema: "cdc", ApplyRole: glueName(prefix) + "_cdc_apply", AutoRefresh: true,
				ScheduleMinutes: 5, ScheduleEnabled: true},
		},
	}
	switch env {
	case Production:
		a.Protect = true
		a.Stream.RetentionHours = 168
		a.Warehouse.BaseCapacity = 32
		a.Warehouse.MaxCapacity = 256
		// 32 RPU around the clock is 768 RPU-hours a day: alert well above it, never stop ingestion.
		a.Warehouse.UsageLimit = UsageLimitConfig{Amount: 1024, Period: "daily", BreachAction: "emit-metric"}
		a.Producer.LogRetentionDays = 90 // synthetic load is opt-in in production: the schedule starts disabled
		a.Lake.BufferSeconds, a.Lake.BufferMB = 300, 128
		a.Lake.ErrorRetentionDays, a.Lake.AthenaScanLimitMB, a.Lake.LogRetentionDays = 90, 100*1024, 90
		a.FlowLogs.LogRetentionDays = 90
		a.CDC.Kafka.InstanceType, a.CDC.Kafka.VolumeGB, a.CDC.Kafka.LogRetentionDays = "kafka.m7g.large", 500, 90
		a.CDC.Database.MinACU, a.CDC.Database.MaxACU, a.CDC.Database.BackupRetentionDays = 2, 16, 7
		// Production names its own topic prefix and tables (validation asks for them).
		a.CDC.Connector.McuCount, a.CDC.Connector.LogRetentionDays = 2, 90
		a.CDC.Redshift.ScheduleMinutes = 1
		a.Ingestion.RefreshMinutes = 5
	default:
		a.Stream.RetentionHours = 24
		a.Warehouse.BaseCapacity = 8
		a.Warehouse.MaxCapacity = 32
		// Six hours a day at 8 RPU; beyond that staging queries are turned off until the next day.
		a.Warehouse.UsageLimit = UsageLimitConfig{Amount: 48, Period: "daily", BreachAction: "deactivate"}
		a.Producer.ScheduleEnabled = true
		a.Producer.LogRetentionDays = 14
		a.CDC.Database.DemoSchema = true
		// Seed 003's demo: topic salesdb.salesdb.CUSTOMER.
		a.CDC.Connector.TopicPrefix, a.CDC.Connector.Tables = "salesdb", []string{"salesdb.CUSTOMER"}
		// Short buffers for quick feedback; 64 MiB is the least Parquet conversion accepts.
		a.Lake.BufferSeconds, a.Lake.BufferMB = 60, 64
		a.Lake.ErrorRetentionDays, a.Lake.AthenaScanLimitMB, a.Lake.LogRetentionDays = 14, 1024, 14
		a.FlowLogs.LogRetentionDays = 14
	}
	return a
}

// LoadPipelineArgs reads the haina: stack config, applies the environment's
// defaults and validates everything. It declares no resources.
func LoadPipelineArgs(ctx *pulumi.Context) (*PipelineArgs, error) {
	cfg := config.New(ctx, ConfigNamespace)
	envName := cfg.Get("environment")
	if envName == "" {
		envName = ctx.Stack()
	}
	env := Environment(envName)
	if env != Staging && env != Production {
		return nil, fmt.Errorf("haina:environment: unknown environment %q; allowed: staging, production "+
			"(it defaults to the stack name; set it with `pulumi config set haina:environment staging`)", envName)
	}
	prefix := cfg.Get("prefix")
	if prefix == "" {
		prefix = "haina"
	}
	args := defaultsFor(env, prefix)
	args.Region = config.Get(ctx, "aws:region")

	if v := cfg.Get("protect"); v != "" {
		switch v {
		case "true":
			args.Protect = true
		case "false":
			args.Protect = false
		default:
			return nil, fmt.Errorf("haina:protect: %q is not a boolean; allowed: true, false", v)
		}
	}
	for _, obj := range []struct {
		key    string
		target any
	}{
		{"tags", &args.Tags},
		{"network", &args.Network},
		{"stream", &args.Stream},
		{"warehouse", &args.Warehouse},
		{"ingestion", &args.Ingestion},
		{"producer", &args.Producer},
		{"logShipper", &args.LogShipper},
		{"lake", &args.Lake},
		{"flowLogs", &args.FlowLogs},
		{"redshiftDelivery", &args.RedshiftDelivery},
		{"cdc", &args.CDC},
	} {
		if err := decodeStrict(cfg.Get(obj.key), obj.target); err != nil {
			return nil, fmt.Errorf("haina:%s: %w", obj.key, err)
		}
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	return &args, nil
}

// decodeStrict decodes a structured config value over the defaults already in
// target, refusing unknown fields so a misspelt key is an error, not a no-op.
func decodeStrict(raw string, target any) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		return fmt.Errorf("cannot read %s: %v", raw, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("cannot read %s: trailing data", raw)
	}
	return nil
}

// Name returns "<prefix>-<environment>-<suffix>", the physical name haina gives a resource.
func (a *PipelineArgs) Name(suffix string) string {
	return fmt.Sprintf("%s-%s-%s", a.Prefix, a.Environment, suffix)
}

// RefreshRole is the database role the refresh schedule runs as: the prefix
// (hyphens as underscores, so it is also a tag-safe value) and _refresh.
func (a *PipelineArgs) RefreshRole() string { return glueName(a.Prefix) + "_refresh" }

// AllTags returns the tags every taggable resource carries.
func (a *PipelineArgs) AllTags() pulumi.StringMap {
	tags := pulumi.StringMap{
		"haina:project":     pulumi.String("haina"),
		"haina:environment": pulumi.String(string(a.Environment)),
	}
	for k, v := range a.Tags {
		tags[k] = pulumi.String(v)
	}
	return tags
}
