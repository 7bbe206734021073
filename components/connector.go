package components

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/haina-data/haina/pluginarchive"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/mskconnect"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ConnectorConfig (haina:cdc.connector) is the Debezium MySQL connector on MSK Connect.
type ConnectorConfig struct {
	// TopicPrefix names the change topics: <topicPrefix>.<database>.<table>.
	TopicPrefix string `json:"topicPrefix"`
	// Tables to capture, as database.table.
	Tables []string `json:"tables"`
	// CapacityMode must be provisioned; McuCount is 1, 2, 4 or 8 per worker.
	CapacityMode string `json:"capacityMode"`
	McuCount     int    `json:"mcuCount"`
	// WorkerCount and TasksMax must be 1: Debezium MySQL runs one task.
	WorkerCount int `json:"workerCount"`
	TasksMax    int `json:"tasksMax"`
	// KafkaConnectVersion is MSK Connect's: 3.7.x or 2.7.1.
	KafkaConnectVersion string `json:"kafkaConnectVersion"`
	// ServerID is the MySQL replica id Debezium uses; 0: derived from prefix and environment.
	ServerID int64 `json:"serverId"`
	// TopicPartitions of each change topic (created up front, see Topics).
	TopicPartitions int `json:"topicPartitions"`
	// TopicRetentionHours is how long a change topic keeps messages (the landing
	// views keep everything they read; this bounds replays from Kafka and how
	// far Redshift may fall behind).
	TopicRetentionHours int `json:"topicRetentionHours"`
	LogRetentionDays    int `json:"logRetentionDays"`
}

// PluginConfig (haina:cdc.plugin) says where the connector plugin comes from:
// by default haina's provider downloads the pinned files at deploy time;
// Archive (a local ZIP) or S3URI serve air-gapped deploys.
type PluginConfig struct {
	Archive string `json:"archive"`
	S3URI   string `json:"s3Uri"`
	// BaseURL replaces the scheme and host of the official download URLs (a mirror).
	BaseURL string `json:"baseUrl"`
	// Sha256 pins downloaded files by source name (see the cdcPluginSha256 output).
	Sha256 map[string]string `json:"sha256"`
}

// DebeziumUser is Debezium's MySQL user on a database haina creates.
const DebeziumUser = "debezium"

func renderDebeziumUser() (sql.Object, error) {
	return sql.Render(sql.MySQLDebeziumUser, map[string]string{"User": DebeziumUser, "Host": "%"})
}

// DebeziumSettings are the values the connector configuration is rendered from.
type DebeziumSettings struct {
	Hostname         string
	Port             int
	SecretName       string // resolved by the Secrets Manager config provider
	BootstrapServers string
	TopicPrefix      string
	Tables           []string
	ServerID         int64
	Partitions       int
	Replication      int
	// KeyColumns are the configured primary keys (database.table → columns):
	// Debezium keys each message by them, so every change of one row lands in
	// the same partition even where MySQL's own key differs.
	KeyColumns map[string][]string
}

// HistoryTopic is where Debezium keeps the captured tables' schema history.
func HistoryTopic(prefix string) string { return "schemahistory." + prefix }

// HistoryGroup is the consumer group Debezium reads its history with.
func HistoryGroup(prefix string) string { return prefix + "-schemahistory" }

// DebeziumConfig renders the connector configuration. The password is a
// ${secretsmanager:…} reference that the workers resolve: never a value.
func DebeziumConfig(s DebeziumSettings) map[string]string {
	iam := func(prefix string) map[string]string {
		return map[string]string{
			prefix + "security.protocol":                  "SASL_SSL",
			prefix + "sasl.mechanism":                     "AWS_MSK_IAM",
			prefix + "sasl.jaas.config":                   "software.amazon.msk.auth.iam.IAMLoginModule required;",
			prefix + "sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
		}
	}
	// Include lists are anchored regular expressions: names are escaped to match exactly.
	dbs := map[string]bool{}
	var tables []string
	for _, t := range s.Tables {
		db, table, _ := strings.Cut(t, ".")
		dbs[regexp.QuoteMeta(db)] = true
		tables = append(tables, regexp.QuoteMeta(db)+`\.`+regexp.QuoteMeta(table))
	}
	sort.Strings(tables)
	c := map[string]string{
		"connector.class": "io.debezium.connector.mysql.MySqlConnector",
		// Debezium MySQL reads one binlog: one task (AWS and Debezium document it).
		"tasks.max": "1",
		// Only a changed configuration restarts the connector, not a rotated secret:
		// a password haina sets changes the configuration (SecretVersionKey).
		"config.action.reload":  "none",
		"database.hostname":     s.Hostname,
		"database.port":         fmt.Sprint(s.Port),
		"database.user":         "${secretsmanager:" + s.SecretName + ":username}",
		"database.password":     "${secretsmanager:" + s.SecretName + ":password}",
		"database.ssl.mode":     "required",
		"database.server.id":    fmt.Sprint(s.ServerID),
		"topic.prefix":          s.TopicPrefix,
		"database.include.list": strings.Join(sortedKeys(dbs), ","),
		"table.include.list":    strings.Join(tables, ","),
		// DDL events would need a topic of their own; the schema history keeps DDL.
		"include.schema.changes": "false",
		// Aurora refuses the global read lock, and the user has no LOCK TABLES:
		// the snapshot takes no locks (consistent while no DDL runs during it).
		"snapshot.locking.mode": "none",
		// Exact decimals as strings: readable without a schema, exact in Redshift.
		"decimal.handling.mode": "string",
		// Dates as days, times and datetimes as milliseconds since the epoch: one
		// encoding per type, which the apply procedures convert.
		"time.precision.mode": "connect",
		// Auto-create is off on the brokers: the connector creates its topics.
		"topic.creation.default.partitions":               fmt.Sprint(s.Partitions),
		"topic.creation.default.replication.factor":       fmt.Sprint(s.Replication),
		"schema.history.internal.kafka.bootstrap.servers": s.BootstrapServers,
		"schema.history.internal.kafka.topic":             HistoryTopic(s.TopicPrefix),
		"schema.history.internal.consumer.group.id":       HistoryGroup(s.TopicPrefix),
		// A heartbeat every minute commits the binlog position even while the
		// captured tables are quiet; without it a restart after a long quiet spell
		// asks for a binlog the server has purged
		// (https://debezium.io/documentation/reference/stable/connectors/mysql.html#mysql-property-heartbeat-interval-ms).
		"heartbeat.interval.ms": "60000",
		// TRUNCATE is skipped (Debezium's default, said here on purpose): an
		// emptied MySQL table leaves the target's rows; docs/cdc.md says how to resync.
		"skipped.operations": "t",
	}
	if keys := messageKeyColumns(s.KeyColumns); keys != "" {
		c["message.key.columns"] = keys
	}
	// The history's own producer and consumer do not inherit MSK Connect's IAM settings.
	for _, side := range []string{"producer", "consumer"} {
		for k, v := range iam("schema.history.internal." + side + ".") {
			c[k] = v
		}
	}
	return c
}

// SecretVersionKey is the connector configuration key holding the version id
// of the Debezium user's password in its secret (never the password, nor a
// hash of it). The workers resolve ${secretsmanager:…} only when they start,
// and config.action.reload is none, so a running connector keeps the password
// it started with. When haina's provider sets a new one (a replaced user, a
// rotation, a new secret) the version changes, so does the configuration, and
// the connector is replaced (ReplaceOnChanges, delete first; it resumes from
// its offsets topic) and logs in with the new password.
//
// Neither Kafka Connect nor Debezium reads the key. Kafka Connect validates a
// connector configuration against the keys its ConfigDefs define and the
// connector's own validate(); a key no one defines yields no ConfigValue, so no
// error (AbstractHerder.validateConnectorConfig, ConfigDef.validateAll in
// apache/kafka connect/runtime), and the connector gets it among its
// properties, which Debezium's MySQL connector ignores (its Configuration
// validates its own fields). The "haina." prefix is no prefix Kafka Connect
// or Debezium passes on: not database.* or driver.* (JDBC driver), not
// producer.override.*/consumer.override.* (clients), not schema.history.internal.*.
const SecretVersionKey = "haina.secret.version"

// WithSecretVersion adds SecretVersionKey when there is a version (a state
// from before the provider recorded versions has none: nothing changes then).
func WithSecretVersion(c map[string]string, version string) map[string]string {
	if version != "" {
		c[SecretVersionKey] = version
	}
	return c
}

// messageKeyColumns renders Debezium's message.key.columns:
// "<database>.<table>:<col>,<col>;…", each name a regular expression, so escaped
// (https://debezium.io/documentation/reference/stable/connectors/mysql.html#mysql-property-message-key-columns).
func messageKeyColumns(keys map[string][]string) string {
	var parts []string
	for _, table := range sortedKeys(keys) {
		db, tbl, _ := strings.Cut(table, ".")
		// Debezium reads the column names as regular expressions too: escaped, so a
		// name never matches another column (nor none, which would fall back to MySQL's key).
		var cols []string
		for _, c := range keys[table] {
			cols = append(cols, regexp.QuoteMeta(c))
		}
		parts = append(parts, regexp.QuoteMeta(db)+`\.`+regexp.QuoteMeta(tbl)+":"+strings.Join(cols, ","))
	}
	return strings.Join(parts, ";")
}

var topicUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// ChangeTopic is the topic Debezium writes a table's changes to:
// <prefix>.<database>.<table>, with each character Kafka does not allow in a
// topic name (such as $) replaced by _, as Debezium's topic naming does.
func ChangeTopic(prefix, table string) string {
	return topicUnsafe.ReplaceAllString(prefix+"."+table, "_")
}

// OffsetTopic is where the connector's source offsets (its binlog position)
// live: named for the connector, not for one instance of it, so a replaced
// connector resumes where the old one stopped instead of snapshotting again.
func OffsetTopic(connector string) string { return "__amazon_msk_connect_offsets_" + connector }

// WorkerProperties is the worker configuration: schemaless JSON, the fixed
// offsets topic, and the Secrets Manager config provider that resolves ${secretsmanager:…}.
func WorkerProperties(region, connector string) string {
	return strings.Join([]string{
		"offset.storage.topic=" + OffsetTopic(connector),
		"key.converter=org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable=false",
		"value.converter=org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable=false",
		"config.providers=secretsmanager",
		"config.providers.secretsmanager.class=com.amazonaws.kafka.config.providers.SecretsManagerConfigProvider",
		"config.providers.secretsmanager.param.region=" + region,
	}, "\n") + "\n"
}

// DefaultServerID derives a stable MySQL server id (100000–999999) from a name.
func DefaultServerID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 100000 + int64(h.Sum32()%900000)
}

// SecretName is a secret's name from its ARN (Secrets Manager appends "-" and 6 characters).
func SecretName(arn string) string {
	i := strings.Index(arn, ":secret:")
	if i < 0 {
		return arn
	}
	name := arn[i+len(":secret:"):]
	if j := strings.LastIndex(name, "-"); j > 0 && len(name)-j == 7 {
		name = name[:j]
	}
	return name
}

// FileSha256 hashes a local file (a user's plugin archive).
func FileSha256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// LocalPluginArchive is a user's plugin archive as haina deploys it: the
// bytes read once, checked, hashed and copied into a private file (Path; see
// LambdaArchive), which is what the engine uploads. Whatever happens to the
// user's file afterwards, the upload is the bytes that were checked and whose
// digest names the S3 key and the custom plugin.
type LocalPluginArchive struct {
	Path   string
	Sha256 string // hex
}

// readPluginArchive reads the user's plugin archive once (see LocalPluginArchive).
func readPluginArchive(path string) (LocalPluginArchive, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LocalPluginArchive{}, err
	}
	if err := pluginarchive.Check(b); err != nil {
		return LocalPluginArchive{}, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	hexSum := hex.EncodeToString(sum[:])
	private, err := privateCopy("plugin-"+hexSum[:16]+".zip", b)
	if err != nil {
		return LocalPluginArchive{}, fmt.Errorf("copying %s: %w", path, err)
	}
	return LocalPluginArchive{Path: private, Sha256: hexSum}, nil
}

// ConnectorArgs configures the Connector component.
type ConnectorArgs struct {
	Config ConnectorConfig
	// LogKeyArn, when set, encrypts the log group with this KMS key (its policy must let CloudWatch Logs use it).
	LogKeyArn pulumi.StringPtrInput
	Plugin    PluginConfig
	// RequirePluginPins: a downloaded plugin file must be pinned (production).
	RequirePluginPins bool
	Name              string // physical name of the connector and its resources
	Region            string
	Account           pulumi.StringInput
	VpcID             pulumi.StringInput
	// SubnetIDs the workers run in; VpcCidr reaches the interface endpoints.
	SubnetIDs pulumi.StringArrayInput
	VpcCidr   pulumi.StringInput
	// The MSK cluster: its ARN, name, IAM bootstrap servers and security group.
	ClusterArn           pulumi.StringInput
	BootstrapServers     pulumi.StringInput
	KafkaSecurityGroupID pulumi.StringInput
	Replication          int
	// The database: where it is and its security group.
	DatabaseHost            pulumi.StringInput
	DatabasePort            int
	DatabaseSecurityGroupID pulumi.StringInput
	// Credentials: a database haina creates gets a Debezium user (through
	// Provider, as the master secret's user on ClusterArn); an existing one names its secret.
	CreateUser      bool
	DatabaseArn     pulumi.StringInput
	MasterSecretArn pulumi.StringInput
	DatabaseKeyArn  pulumi.StringInput // encrypts the Debezium secret (create) or the existing secret (optional)
	ExistingSecret  string             // ARN, existing database
	// PasswordRotation: a new value rotates the Debezium user's password in
	// place (a database haina creates): AWSPENDING, ALTER USER, AWSCURRENT,
	// then the connector is replaced to log in with it. Empty: never rotated.
	PasswordRotation string
	Provider         pulumi.ProviderResource
	UserDependsOn    []pulumi.Resource
	TimeoutSeconds   int
	// KeyColumns are the target tables' primary keys by captured table (message.key.columns).
	KeyColumns map[string][]string
	// DependsOn: what the workers need before they start (the Secrets Manager endpoint, the topics).
	DependsOn          []pulumi.Resource
	SecretRecoveryDays int
	Tags               pulumi.StringMap
}

// Connector is Debezium MySQL on MSK Connect: the plugin, a worker
// configuration, the execution role, the workers' security group and the
// connector (provisioned, one worker, one task, IAM and TLS to MSK).
type Connector struct {
	pulumi.ResourceState

	ArtifactsBucket *s3.BucketV2
	PluginArchive   pulumi.CustomResource // the provider's haina:msk:PluginArchive (download mode)
	PluginObject    *s3.BucketObjectv2    // a local archive uploaded (archive mode)
	CustomPlugin    *mskconnect.CustomPlugin
	Worker          *mskconnect.WorkerConfiguration
	Secret          *secretsmanager.Secret // Debezium's credentials (a database haina creates)
	User            *SqlObject
	Role            *iam.Role
	RolePolicy      *iam.RolePolicy
	SecurityGroup   *ec2.SecurityGroup
	Rules           []pulumi.Resource // the workers' security-group rules
	LogGroup        *cloudwatch.LogGroup
	Connector       *mskconnect.Connector

	ConnectorArn pulumi.StringOutput
	// PluginSha256 is the observed sha256 of each downloaded file (download mode).
	PluginSha256 pulumi.StringMapOutput
	// Topics are the change topics, <prefix>.<database>.<table>.
	Topics []string
}

// pluginArchiveState is the provider resource's state.
type pluginArchiveState struct {
	pulumi.CustomResourceState
	Sha256        pulumi.StringMapOutput `pulumi:"sha256"`
	ArchiveSha256 pulumi.StringOutput    `pulumi:"archiveSha256"`
	Key           pulumi.StringOutput    `pulumi:"key"`
	Bucket        pulumi.StringOutput    `pulumi:"bucket"`
}

// Sources are the plugin files with config's mirror and pins applied.
func (p PluginConfig) Sources() ([]pluginarchive.Source, error) {
	out := make([]pluginarchive.Source, 0, len(pluginarchive.DebeziumMySQL))
	for _, s := range pluginarchive.DebeziumMySQL {
		s, err := pluginarchive.WithBaseURL(s, p.BaseURL)
		if err != nil {
			return nil, err
		}
		s.Sha256 = strings.ToLower(p.Sha256[s.Name])
		out = append(out, s)
	}
	return out, nil
}

// NewConnector declares the connector and what it needs.
func NewConnector(ctx *pulumi.Context, name string, args *ConnectorArgs, opts ...pulumi.ResourceOption) (*Connector, error) {
	if args == nil || args.Name == "" || args.ClusterArn == nil || args.BootstrapServers == nil || args.VpcID == nil || args.SubnetIDs == nil {
		return nil, fmt.Errorf("connector %s: Name, ClusterArn, BootstrapServers, VpcID and SubnetIDs are required", name)
	}
	c := &Connector{}
	if err := ctx.RegisterComponentResource("haina:cdc:Connector", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	cfg := args.Config
	for _, t := range cfg.Tables {
		c.Topics = append(c.Topics, ChangeTopic(cfg.TopicPrefix, t))
	}
	sort.Strings(c.Topics)

	if err := c.plugin(ctx, name, args, parent); err != nil {
		return nil, err
	}
	var err error
	// Worker configurations cannot change: new properties are a new one, named by their content.
	props := WorkerProperties(args.Region, args.Name)
	c.Worker, err = mskconnect.NewWorkerConfiguration(ctx, name, &mskconnect.WorkerConfigurationArgs{
		Name: pulumi.String(args.Name + "-" + shortHash(props)), Description: pulumi.String("haina: schemaless JSON, Secrets Manager config provider"),
		PropertiesFileContent: pulumi.String(props),
	}, parent)
	if err != nil {
		return nil, err
	}

	secretArn, secretName, keyArn, err := c.credentials(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	if err := c.network(ctx, name, args, parent); err != nil {
		return nil, err
	}
	if err := c.role(ctx, name, args, secretArn, keyArn, parent); err != nil {
		return nil, err
	}

	c.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name: pulumi.String("/haina/" + args.Name + "/connector"), RetentionInDays: pulumi.Int(cfg.LogRetentionDays), KmsKeyId: args.LogKeyArn, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	serverID := cfg.ServerID
	if serverID == 0 {
		serverID = DefaultServerID(args.Name)
	}
	// The password's version (a database haina creates): a new password is a
	// changed configuration, so a new connector that reads it (see SecretVersionKey).
	passwordVersion := pulumi.String("").ToStringOutput()
	if c.User != nil {
		passwordVersion = c.User.PasswordVersion
	}
	connConfig := pulumi.All(args.DatabaseHost, secretName, args.BootstrapServers, passwordVersion).ApplyT(func(v []any) map[string]string {
		return WithSecretVersion(DebeziumConfig(DebeziumSettings{
			Hostname: v[0].(string), Port: args.DatabasePort, SecretName: v[1].(string), BootstrapServers: v[2].(string),
			TopicPrefix: cfg.TopicPrefix, Tables: cfg.Tables, ServerID: serverID, Partitions: cfg.TopicPartitions, Replication: args.Replication,
			KeyColumns: args.KeyColumns,
		}), v[3].(string))
	}).(pulumi.StringMapOutput)

	// Workers start only once they can reach MySQL, the brokers and the endpoint.
	deps := append(append([]pulumi.Resource{c.RolePolicy}, args.DependsOn...), c.Rules...)
	if c.User != nil {
		deps = append(deps, c.User) // the user exists before Debezium logs in
	}
	c.Connector, err = mskconnect.NewConnector(ctx, name, &mskconnect.ConnectorArgs{
		Name: pulumi.String(args.Name), Description: pulumi.String("haina: Debezium MySQL change data capture"),
		KafkaconnectVersion: pulumi.String(cfg.KafkaConnectVersion),
		// AWS: Debezium MySQL does not work with autoscaled capacity; one worker.
		Capacity: mskconnect.ConnectorCapacityArgs{ProvisionedCapacity: mskconnect.ConnectorCapacityProvisionedCapacityArgs{
			McuCount: pulumi.Int(cfg.McuCount), WorkerCount: pulumi.Int(1),
		}},
		ConnectorConfiguration: connConfig,
		KafkaCluster: mskconnect.ConnectorKafkaClusterArgs{ApacheKafkaCluster: mskconnect.ConnectorKafkaClusterApacheKafkaClusterArgs{
			BootstrapServers: args.BootstrapServers,
			Vpc: mskconnect.ConnectorKafkaClusterApacheKafkaClusterVpcArgs{
				SecurityGroups: pulumi.StringArray{c.SecurityGroup.ID()}, Subnets: args.SubnetIDs,
			},
		}},
		KafkaClusterClientAuthentication: mskconnect.ConnectorKafkaClusterClientAuthenticationArgs{AuthenticationType: pulumi.String("IAM")},
		KafkaClusterEncryptionInTransit:  mskconnect.ConnectorKafkaClusterEncryptionInTransitArgs{EncryptionType: pulumi.String("TLS")},
		LogDelivery: mskconnect.ConnectorLogDeliveryArgs{WorkerLogDelivery: mskconnect.ConnectorLogDeliveryWorkerLogDeliveryArgs{
			CloudwatchLogs: mskconnect.ConnectorLogDeliveryWorkerLogDeliveryCloudwatchLogsArgs{Enabled: pulumi.Bool(true), LogGroup: c.LogGroup.Name},
		}},
		Plugins: mskconnect.ConnectorPluginArray{mskconnect.ConnectorPluginArgs{CustomPlugin: mskconnect.ConnectorPluginCustomPluginArgs{
			Arn: c.CustomPlugin.Arn, Revision: c.CustomPlugin.LatestRevision,
		}}},
		ServiceExecutionRoleArn: c.Role.Arn,
		WorkerConfiguration:     mskconnect.ConnectorWorkerConfigurationArgs{Arn: c.Worker.Arn, Revision: c.Worker.LatestRevision},
		Tags:                    args.Tags,
		// Its name is fixed and a new plugin or worker configuration replaces it: delete first.
		// A changed configuration replaces it too: MSK Connect can update one in place,
		// but the provider has reported such updates as applied when they were not
		// (hashicorp/terraform-provider-aws#47004, #48199). The replacement resumes
		// from the fixed offsets topic, so nothing is read twice or skipped.
	}, parent, pulumi.DependsOn(deps), pulumi.DeleteBeforeReplace(true), pulumi.ReplaceOnChanges([]string{"connectorConfiguration"}))
	if err != nil {
		return nil, err
	}
	c.ConnectorArn = c.Connector.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"connectorArn": c.ConnectorArn, "topics": pulumi.ToStringArray(c.Topics),
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// plugin puts the plugin ZIP in S3 (built by haina's provider, or the user's
// local archive) or points at the user's S3 object, and registers it.
func (c *Connector) plugin(ctx *pulumi.Context, name string, args *ConnectorArgs, parent pulumi.ResourceOption) error {
	var bucketArn, key pulumi.StringInput
	var version string // names the custom plugin: a new archive is a new plugin
	p := args.Plugin
	if p.S3URI != "" {
		bucket, k, _ := strings.Cut(strings.TrimPrefix(p.S3URI, "s3://"), "/")
		bucketArn, key = pulumi.String("arn:aws:s3:::"+bucket), pulumi.String(k)
		sum := sha256.Sum256([]byte(p.S3URI))
		version = hex.EncodeToString(sum[:])[:12]
	} else {
		var err error
		c.ArtifactsBucket, _, err = newPrivateBucket(ctx, name+"-artifacts", privateBucketArgs{
			// Global names: account and region make it unique, hashed to stay within 63 characters.
			Name: args.Account.ToStringOutput().ApplyT(func(acct string) string {
				h := sha256.Sum256([]byte(acct + "/" + args.Region))
				return args.Name + "-artifacts-" + hex.EncodeToString(h[:])[:12]
			}).(pulumi.StringOutput), ForceDestroy: true, Tags: args.Tags,
		}, parent)
		if err != nil {
			return err
		}
		bucketArn = c.ArtifactsBucket.Arn
		if p.Archive != "" {
			local, err := readPluginArchive(p.Archive)
			if err != nil {
				return fmt.Errorf("haina:cdc.plugin.archive: %w", err)
			}
			sum := local.Sha256
			version = sum[:12]
			c.PluginObject, err = s3.NewBucketObjectv2(ctx, name+"-plugin", &s3.BucketObjectv2Args{
				Bucket: c.ArtifactsBucket.ID(), Key: pulumi.String("msk-connect/plugins/local-" + sum[:16] + ".zip"),
				Source: pulumi.NewFileAsset(local.Path), ContentType: pulumi.String("application/zip"), Tags: args.Tags,
			}, parent)
			if err != nil {
				return err
			}
			key = c.PluginObject.Key
		} else {
			sources, err := p.Sources()
			if err != nil {
				return fmt.Errorf("haina:cdc.plugin.baseUrl: %w", err)
			}
			k := pluginarchive.Key("msk-connect/plugins/", sources)
			version = strings.TrimSuffix(k[strings.LastIndex(k, "-")+1:], ".zip")
			list := pulumi.Array{}
			for _, s := range sources {
				m := pulumi.Map{"name": pulumi.String(s.Name), "version": pulumi.String(s.Version), "format": pulumi.String(string(s.Format)), "url": pulumi.String(s.URL)}
				for f, v := range map[string]string{"checksumUrl": s.ChecksumURL, "sha256": s.Sha256, "dir": s.Dir} {
					if v != "" {
						m[f] = pulumi.String(v)
					}
				}
				list = append(list, m)
			}
			var archive pluginArchiveState
			if err := ctx.RegisterResource(provider.PluginArchiveType, name+"-plugin", pulumi.Map{
				"bucket": c.ArtifactsBucket.Bucket, "key": pulumi.String(k), "sources": list,
				// Production downloads pinned files only (the provider refuses the rest at preview).
				"requirePins": pulumi.Bool(args.RequirePluginPins),
			}, &archive, parent, pulumi.Provider(args.Provider), pulumi.DependsOn([]pulumi.Resource{c.ArtifactsBucket})); err != nil {
				return err
			}
			c.PluginArchive, c.PluginSha256 = &archive, archive.Sha256
			key = archive.Key
		}
	}
	var err error
	c.CustomPlugin, err = mskconnect.NewCustomPlugin(ctx, name, &mskconnect.CustomPluginArgs{
		Name: pulumi.String(args.Name + "-debezium-" + version), ContentType: pulumi.String("ZIP"),
		Description: pulumi.String("haina: Debezium MySQL, MSK IAM auth, MSK config providers"),
		Location:    mskconnect.CustomPluginLocationArgs{S3: mskconnect.CustomPluginLocationS3Args{BucketArn: bucketArn, FileKey: key}},
		Tags:        args.Tags,
	}, parent)
	return err
}

// credentials returns the secret Debezium logs in with: for a database haina
// creates, a new secret whose password haina's provider generates with the user.
func (c *Connector) credentials(ctx *pulumi.Context, name string, args *ConnectorArgs, parent pulumi.ResourceOption) (arn, secretName pulumi.StringOutput, keyArn pulumi.StringInput, err error) {
	if !args.CreateUser {
		return pulumi.String(args.ExistingSecret).ToStringOutput(), pulumi.String(SecretName(args.ExistingSecret)).ToStringOutput(), args.DatabaseKeyArn, nil
	}
	c.Secret, err = secretsmanager.NewSecret(ctx, name+"-debezium", &secretsmanager.SecretArgs{
		NamePrefix:  pulumi.String(args.Name + "-debezium-"),
		Description: pulumi.String("haina: Debezium's MySQL user; the password is generated at deploy time by haina's provider"),
		KmsKeyId:    args.DatabaseKeyArn, RecoveryWindowInDays: pulumi.Int(args.SecretRecoveryDays), Tags: args.Tags,
	}, parent) // not protected: a new secret gets a new password with the user it replaces
	if err != nil {
		return
	}
	obj, rerr := renderDebeziumUser()
	if rerr != nil {
		err = rerr
		return
	}
	mysql := SqlTarget{Provider: args.Provider, ResourceArn: args.DatabaseArn, SecretArn: args.MasterSecretArn,
		Database: pulumi.String("mysql"), TimeoutSeconds: args.TimeoutSeconds}
	c.User, err = mysql.Declare(ctx, name+"-debezium-user", SqlSpec{
		Object: obj, PasswordSecretArn: c.Secret.Arn, PasswordUsername: DebeziumUser, PasswordRotation: args.PasswordRotation,
		// A changed template is an in-place update of the grants (the template's
		// update section): never a DROP, never a new password. A new secret
		// moves the password into it in place; a rotation sets a new one.
	}, parent, pulumi.DependsOn(args.UserDependsOn))
	return c.Secret.Arn, c.Secret.Name, args.DatabaseKeyArn, err
}

// network: the workers' security group reaches MySQL, the brokers' IAM port
// and HTTPS endpoints inside the VPC; MySQL and the brokers admit it.
func (c *Connector) network(ctx *pulumi.Context, name string, args *ConnectorArgs, parent pulumi.ResourceOption) error {
	var err error
	c.SecurityGroup, err = ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId: args.VpcID, Description: pulumi.String("haina: MSK Connect workers (Debezium)"), Tags: withName(args.Tags, args.Name),
	}, parent)
	if err != nil {
		return err
	}
	tcp := func(port int) (pulumi.StringInput, pulumi.IntInput, pulumi.IntInput) {
		return pulumi.String("tcp"), pulumi.Int(port), pulumi.Int(port)
	}
	egress := []struct {
		suffix, desc string
		port         int
		group, cidr  pulumi.StringInput
	}{
		{"to-mysql", "MySQL binlog and snapshot reads", args.DatabasePort, args.DatabaseSecurityGroupID, nil},
		{"to-kafka", "Kafka over SASL/IAM", KafkaIAMPort, args.KafkaSecurityGroupID, nil},
		{"to-endpoints", "HTTPS to interface endpoints (Secrets Manager)", 443, nil, args.VpcCidr},
	}
	for _, e := range egress {
		proto, from, to := tcp(e.port)
		rule, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-"+e.suffix, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: c.SecurityGroup.ID(), Description: pulumi.String(e.desc), IpProtocol: proto, FromPort: from, ToPort: to,
			ReferencedSecurityGroupId: e.group, CidrIpv4: e.cidr,
		}, parent)
		if err != nil {
			return err
		}
		c.Rules = append(c.Rules, rule)
	}
	ingress := []struct {
		suffix, desc string
		port         int
		group        pulumi.StringInput
	}{
		{"mysql-from-connector", "MySQL from the Debezium connector", args.DatabasePort, args.DatabaseSecurityGroupID},
		{"kafka-from-connector", "Kafka over SASL/IAM from the Debezium connector", KafkaIAMPort, args.KafkaSecurityGroupID},
	}
	for _, in := range ingress {
		proto, from, to := tcp(in.port)
		rule, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-"+in.suffix, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: in.group, Description: pulumi.String(in.desc), IpProtocol: proto, FromPort: from, ToPort: to,
			ReferencedSecurityGroupId: c.SecurityGroup.ID(),
		}, parent)
		if err != nil {
			return err
		}
		c.Rules = append(c.Rules, rule)
	}
	return nil
}

// role is the service execution role: Kafka actions on this cluster's own
// topics and groups, the one secret (and its key, through Secrets Manager).
// Worker logs are delivered by the service (log delivery), not by the role.
func (c *Connector) role(ctx *pulumi.Context, name string, args *ConnectorArgs, secretArn pulumi.StringOutput, keyArn pulumi.StringInput, parent pulumi.ResourceOption) error {
	prefix := args.Config.TopicPrefix
	cluster := args.ClusterArn.ToStringOutput()
	under := func(kind string, names ...string) pulumi.StringArray { return kafkaArns(cluster, kind, names...) }
	stmts := []Statement{
		// Debezium's admin client reads the brokers' default replication factor before creating its history topic.
		{Sid: "Cluster", Actions: []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeClusterDynamicConfiguration"},
			Resources: pulumi.StringArray{cluster}},
		// Change topics are written, never read, by a source connector.
		{Sid: "ChangeTopics", Actions: []string{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"},
			Resources: under("topic", prefix+".*", HeartbeatTopic(prefix))},
		{Sid: "SchemaHistoryAndConnectTopics", Actions: []string{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"},
			Resources: under("topic", HistoryTopic(prefix), "__amazon_msk_connect_*")},
		{Sid: "Groups", Actions: []string{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"},
			Resources: under("group", HistoryGroup(prefix), "__amazon_msk_connect_*")},
		{Sid: "DatabaseSecret", Actions: []string{"secretsmanager:GetSecretValue"}, Resources: pulumi.StringArray{secretArn}},
	}
	if keyArn != nil {
		stmts = append(stmts, Statement{Sid: "DatabaseSecretKey", Actions: []string{"kms:Decrypt"}, Resources: pulumi.StringArray{keyArn},
			Conditions: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {"secretsmanager." + args.Region + ".amazonaws.com"}}}})
	}
	var err error
	c.Role, c.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.Name + "-connector", Description: "haina: MSK Connect runs Debezium", PolicyName: "debezium",
		Trust: accountTrust(args.Account, []string{"kafkaconnect.amazonaws.com"}, map[string]map[string][]string{
			"ArnLike": {"aws:SourceArn": {"arn:aws:kafkaconnect:" + args.Region + ":{account}:connector/" + args.Name + "/*"}},
		}),
		Statements: stmts, Tags: args.Tags,
	}, parent)
	return err
}

// connectorDefaults: one worker of one MCU (two in production) and one task,
// the only shape Debezium's MySQL connector runs in. Staging captures the
// demo table salesdb.CUSTOMER (topic salesdb.salesdb.CUSTOMER); production
// names its own topic prefix and tables (validation asks for them).
func connectorDefaults(env Environment) ConnectorConfig {
	c := ConnectorConfig{CapacityMode: "provisioned", McuCount: 1, WorkerCount: 1, TasksMax: 1,
		KafkaConnectVersion: "3.7.x", TopicPartitions: 3, TopicRetentionHours: 168, LogRetentionDays: 14}
	if env == Production {
		c.McuCount, c.LogRetentionDays = 2, 90
	} else {
		c.TopicPrefix, c.Tables = "salesdb", []string{"salesdb.CUSTOMER"}
	}
	return c
}

var (
	reTopicPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reCDCTable    = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}\.[A-Za-z0-9_$]{1,64}$`)
	reS3PluginURI = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\s]+\.zip$`)
	reSha256      = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// debeziumOneTask is why the connector's capacity is fixed.
const debeziumOneTask = "AWS documents that the Debezium MySQL connector supports only one task and does not work with autoscaled capacity; " +
	"haina runs it on provisioned capacity with workerCount 1 and tasksMax 1"

// check applies haina:cdc.connector's rules.
func (c ConnectorConfig) check(ck checker) {
	if !reTopicPrefix.MatchString(c.TopicPrefix) {
		ck.bad("topicPrefix", c.TopicPrefix, "allowed: 1-64 letters, digits, _ or - (topics are <topicPrefix>.<database>.<table>)")
	}
	if len(c.Tables) == 0 {
		ck.bad("tables", c.Tables, "list at least one table to capture, as database.table (for example salesdb.CUSTOMER)")
	}
	seen := map[string]bool{}
	for i, t := range c.Tables {
		key := fmt.Sprintf("tables[%d]", i)
		switch {
		case !reCDCTable.MatchString(t):
			ck.bad(key, t, "allowed: database.table, each 1-64 letters, digits, _ or $")
		case seen[strings.ToLower(t)]:
			ck.bad(key, t, "each table once")
		}
		seen[strings.ToLower(t)] = true
	}
	if c.CapacityMode != "provisioned" {
		ck.bad("capacityMode", c.CapacityMode, "allowed: provisioned; "+debeziumOneTask)
	}
	if c.WorkerCount != 1 {
		ck.bad("workerCount", c.WorkerCount, "allowed: 1; "+debeziumOneTask)
	}
	if c.TasksMax != 1 {
		ck.bad("tasksMax", c.TasksMax, "allowed: 1; "+debeziumOneTask)
	}
	if !slices.Contains([]int{1, 2, 4, 8}, c.McuCount) {
		ck.bad("mcuCount", c.McuCount, "allowed: 1, 2, 4 or 8 MCUs per worker")
	}
	if c.KafkaConnectVersion != "3.7.x" && c.KafkaConnectVersion != "2.7.1" {
		ck.bad("kafkaConnectVersion", c.KafkaConnectVersion, "allowed: 3.7.x, 2.7.1 (the versions MSK Connect runs)")
	}
	if c.ServerID < 0 || c.ServerID > 4294967295 {
		ck.bad("serverId", c.ServerID, "allowed: 0 (derived from prefix and environment) or a MySQL server id from 1 to 4294967295 unused by any replica")
	}
	if c.TopicPartitions < 1 || c.TopicPartitions > 100 {
		ck.bad("topicPartitions", c.TopicPartitions, "allowed: 1 to 100 partitions per change topic")
	}
	if c.TopicRetentionHours < 24 || c.TopicRetentionHours > 8760 {
		ck.bad("topicRetentionHours", c.TopicRetentionHours, "allowed: 24 to 8760 hours a change topic keeps its messages")
	}
	ck.logRetention("logRetentionDays", c.LogRetentionDays)
}

// check applies haina:cdc.plugin's rules.
func (p PluginConfig) check(ck checker) {
	if p.Archive != "" && p.S3URI != "" {
		ck.bad("s3Uri", p.S3URI, "set either haina:cdc.plugin.archive or haina:cdc.plugin.s3Uri, not both")
	}
	if p.S3URI != "" && !reS3PluginURI.MatchString(p.S3URI) {
		ck.bad("s3Uri", p.S3URI, "allowed: s3://<bucket>/<key>.zip, a ZIP already in S3 in this region")
	}
	if p.Archive != "" {
		if b, err := os.ReadFile(p.Archive); err != nil {
			ck.bad("archive", p.Archive, fmt.Sprintf("the file cannot be read (%v); give the path of a ZIP, relative to the project directory", errors.Unwrap(err)))
		} else if err := pluginarchive.Check(b); err != nil {
			ck.bad("archive", p.Archive, err.Error()+"; build one ZIP holding the Debezium MySQL connector's jars, aws-msk-iam-auth-<version>-all.jar and "+
				"msk-config-providers-<version>-all.jar (docs/cdc.md: air-gapped), or remove the key to let haina download the pinned release")
		}
	}
	if p.BaseURL != "" {
		u, err := url.Parse(p.BaseURL)
		if err != nil || u.Host == "" || u.Scheme != "https" {
			ck.bad("baseUrl", p.BaseURL, "allowed: an https URL of a mirror serving the official download paths")
		}
		// A mirror serves the checksums too: only pins tie its files to the releases.
		for _, s := range pluginarchive.DebeziumMySQL {
			if p.Sha256[s.Name] == "" {
				ck.bad("baseUrl", p.BaseURL, "a mirror's files are trusted only when pinned: set haina:cdc.plugin.sha256."+s.Name+
					" (the cdcPluginSha256 output of a deploy from the official locations, or the digest you verified)")
			}
		}
	}
	names := map[string]bool{}
	for _, s := range pluginarchive.DebeziumMySQL {
		names[s.Name] = true
	}
	for _, k := range sortedKeys(p.Sha256) {
		switch {
		case p.Archive != "" || p.S3URI != "":
			ck.bad("sha256."+k, p.Sha256[k], "pins apply to downloaded files only; remove them when naming an archive or s3Uri")
		case !names[k]:
			ck.bad("sha256."+k, p.Sha256[k], fmt.Sprintf("allowed: pins for %v", sortedKeys(names)))
		case !reSha256.MatchString(p.Sha256[k]):
			ck.bad("sha256."+k, p.Sha256[k], "allowed: a sha256 of 64 hex digits (see the cdcPluginSha256 stack output)")
		}
	}
}
