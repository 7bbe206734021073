package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/msk"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KafkaConfig (haina:cdc.kafka) is the MSK cluster change events travel through.
type KafkaConfig struct {
	// Mode is provisioned (brokers you size) or serverless.
	Mode string `json:"mode"`
	// BrokerCount is a multiple of the number of subnets (AZs).
	BrokerCount      int    `json:"brokerCount"`
	InstanceType     string `json:"instanceType"`
	KafkaVersion     string `json:"kafkaVersion"`
	VolumeGB         int    `json:"volumeGb"`
	LogRetentionDays int    `json:"logRetentionDays"`
}

// CDCConfig (haina:cdc) is change data capture from Aurora MySQL: through
// Debezium and MSK (mode debezium) or a zero-ETL integration (mode zero-etl).
type CDCConfig struct {
	Enabled bool `json:"enabled"`
	// Mode is debezium (the default) or zero-etl; each reads its own sections
	// (see ZeroETLConfig and debeziumOnly).
	Mode      string               `json:"mode"`
	ZeroETL   ZeroETLConfig        `json:"zeroEtl"`
	Kafka     KafkaConfig          `json:"kafka"`
	Database  SourceDatabaseConfig `json:"database"`
	Connector ConnectorConfig      `json:"connector"`
	Plugin    PluginConfig         `json:"plugin"`
	Redshift  CDCRedshiftConfig    `json:"redshift"`
}

// KafkaIAMPort is MSK's port for SASL/IAM clients inside the VPC.
const KafkaIAMPort = 9098

// KafkaArgs configures the Kafka component.
type KafkaArgs struct {
	Config KafkaConfig
	// LogKeyArn, when set, encrypts the log group with this KMS key (its policy must let CloudWatch Logs use it).
	LogKeyArn pulumi.StringPtrInput
	Name      string // physical name
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// ClientSecurityGroups may reach the brokers on the IAM port (the warehouse's):
	// the brokers admit them and they get a matching egress rule. The connector
	// adds its own rules where it is declared.
	ClientSecurityGroups map[string]pulumi.StringInput
	Protect              bool
	Tags                 pulumi.StringMap
}

// Kafka is an MSK cluster: IAM the only client authentication, TLS only in
// transit, KMS at rest, no topic created by accident.
type Kafka struct {
	pulumi.ResourceState

	Key           *kms.Key
	SecurityGroup *ec2.SecurityGroup
	LogGroup      *cloudwatch.LogGroup
	Configuration *msk.Configuration
	Cluster       *msk.Cluster           // provisioned
	Serverless    *msk.ServerlessCluster // serverless

	ClusterArn pulumi.StringOutput
	// BootstrapBrokers are the SASL/IAM (port 9098) bootstrap servers.
	BootstrapBrokers pulumi.StringOutput
	// Replication is the replication factor topics get.
	Replication int
	// ClusterName is the physical name, known before deploy (IAM ARNs use it).
	ClusterName string
}

// brokerProperties are the cluster configuration for a broker count.
func brokerProperties(brokers int) string {
	props := map[string]string{
		// Topics are created on purpose (Debezium's topic.creation.*), never by a typo.
		"auto.create.topics.enable":      "false",
		"unclean.leader.election.enable": "false",
		"default.replication.factor":     "3",
		"min.insync.replicas":            "2",
	}
	if brokers < 3 {
		props["default.replication.factor"], props["min.insync.replicas"] = fmt.Sprint(brokers), "1"
	}
	var b strings.Builder
	for _, k := range sortedKeys(props) {
		b.WriteString(k + "=" + props[k] + "\n")
	}
	return b.String()
}

// NewKafka declares the cluster.
func NewKafka(ctx *pulumi.Context, name string, args *KafkaArgs, opts ...pulumi.ResourceOption) (*Kafka, error) {
	if args == nil || args.VpcID == nil || args.SubnetIDs == nil || args.Name == "" {
		return nil, fmt.Errorf("kafka %s: Name, VpcID and SubnetIDs are required", name)
	}
	k := &Kafka{ClusterName: args.Name}
	if err := ctx.RegisterComponentResource("haina:kafka:Kafka", name, k, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(k)
	stateful := []pulumi.ResourceOption{parent, pulumi.Protect(args.Protect)}
	cfg := args.Config

	var err error
	k.SecurityGroup, err = ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId: args.VpcID, Description: pulumi.String("haina: MSK brokers, IAM port from named clients only"), Tags: withName(args.Tags, args.Name),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, client := range sortedKeys(args.ClientSecurityGroups) {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-from-"+client, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: k.SecurityGroup.ID(), Description: pulumi.String("Kafka over SASL/IAM from " + client),
			IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(KafkaIAMPort), ToPort: pulumi.Int(KafkaIAMPort),
			ReferencedSecurityGroupId: args.ClientSecurityGroups[client],
		}, parent); err != nil {
			return nil, err
		}
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-to-"+client, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: args.ClientSecurityGroups[client], Description: pulumi.String("Kafka over SASL/IAM to the CDC cluster"),
			IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(KafkaIAMPort), ToPort: pulumi.Int(KafkaIAMPort),
			ReferencedSecurityGroupId: k.SecurityGroup.ID(),
		}, parent); err != nil {
			return nil, err
		}
	}

	if cfg.Mode == "serverless" {
		// MSK Serverless: IAM only, TLS only and encrypted at rest by design.
		k.Serverless, err = msk.NewServerlessCluster(ctx, name, &msk.ServerlessClusterArgs{
			ClusterName: pulumi.String(args.Name),
			VpcConfigs: msk.ServerlessClusterVpcConfigArray{msk.ServerlessClusterVpcConfigArgs{
				SubnetIds: args.SubnetIDs, SecurityGroupIds: pulumi.StringArray{k.SecurityGroup.ID()},
			}},
			ClientAuthentication: msk.ServerlessClusterClientAuthenticationArgs{
				Sasl: msk.ServerlessClusterClientAuthenticationSaslArgs{Iam: msk.ServerlessClusterClientAuthenticationSaslIamArgs{Enabled: pulumi.Bool(true)}},
			},
			Tags: args.Tags,
		}, stateful...)
		if err != nil {
			return nil, err
		}
		k.ClusterArn, k.BootstrapBrokers, k.Replication = k.Serverless.Arn, k.Serverless.BootstrapBrokersSaslIam, 3
	} else {
		// MSK encrypts the brokers' volumes with a grant it creates when the
		// cluster is created (the creator needs kms:CreateGrant and DescribeKey:
		// AmazonMSKFullAccess, "AWS KMS permissions … required for Amazon MSK to
		// be able to use the passed key",
		// https://docs.aws.amazon.com/msk/latest/developerguide/security-iam-awsmanpol-AmazonMSKFullAccess.html;
		// "Amazon MSK encryption", https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html).
		if k.Key, err = newCustomerKey(ctx, name+"-key", customerKey{Description: "haina: MSK cluster " + args.Name,
			Use: keyUse{Services: []string{"kafka"}, Grants: true}, Protect: args.Protect, Tags: args.Tags, Parent: k}); err != nil {
			return nil, err
		}
		k.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
			Name: pulumi.String("/haina/" + args.Name + "/brokers"), RetentionInDays: pulumi.Int(cfg.LogRetentionDays), KmsKeyId: args.LogKeyArn, Tags: args.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		k.Configuration, err = msk.NewConfiguration(ctx, name, &msk.ConfigurationArgs{
			Name: pulumi.String(args.Name), KafkaVersions: pulumi.StringArray{pulumi.String(cfg.KafkaVersion)},
			ServerProperties: pulumi.String(brokerProperties(cfg.BrokerCount)),
		}, parent)
		if err != nil {
			return nil, err
		}
		monitoring := "DEFAULT"
		if args.Protect {
			monitoring = "PER_TOPIC_PER_BROKER"
		}
		k.Cluster, err = msk.NewCluster(ctx, name, &msk.ClusterArgs{
			ClusterName: pulumi.String(args.Name), KafkaVersion: pulumi.String(cfg.KafkaVersion),
			NumberOfBrokerNodes: pulumi.Int(cfg.BrokerCount),
			BrokerNodeGroupInfo: msk.ClusterBrokerNodeGroupInfoArgs{
				InstanceType: pulumi.String(cfg.InstanceType), ClientSubnets: args.SubnetIDs,
				SecurityGroups: pulumi.StringArray{k.SecurityGroup.ID()},
				StorageInfo: msk.ClusterBrokerNodeGroupInfoStorageInfoArgs{
					EbsStorageInfo: msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs{VolumeSize: pulumi.Int(cfg.VolumeGB)},
				},
			},
			EncryptionInfo: msk.ClusterEncryptionInfoArgs{
				EncryptionAtRestKmsKeyArn: k.Key.Arn,
				EncryptionInTransit:       msk.ClusterEncryptionInfoEncryptionInTransitArgs{ClientBroker: pulumi.String("TLS"), InCluster: pulumi.Bool(true)},
			},
			ClientAuthentication: msk.ClusterClientAuthenticationArgs{
				Sasl:            msk.ClusterClientAuthenticationSaslArgs{Iam: pulumi.Bool(true)},
				Unauthenticated: pulumi.Bool(false),
			},
			ConfigurationInfo: msk.ClusterConfigurationInfoArgs{Arn: k.Configuration.Arn, Revision: k.Configuration.LatestRevision},
			LoggingInfo: msk.ClusterLoggingInfoArgs{BrokerLogs: msk.ClusterLoggingInfoBrokerLogsArgs{
				CloudwatchLogs: msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs{Enabled: pulumi.Bool(true), LogGroup: k.LogGroup.Name},
			}},
			EnhancedMonitoring: pulumi.String(monitoring),
			Tags:               args.Tags,
		}, stateful...)
		if err != nil {
			return nil, err
		}
		k.ClusterArn, k.BootstrapBrokers, k.Replication = k.Cluster.Arn, k.Cluster.BootstrapBrokersSaslIam, min(3, cfg.BrokerCount)
	}
	if err := ctx.RegisterResourceOutputs(k, pulumi.Map{"clusterArn": k.ClusterArn}); err != nil {
		return nil, err
	}
	return k, nil
}

// kafkaArns are the ARNs of topics or groups (kind) of a cluster:
// arn:aws:kafka:r:a:cluster/<name>/<uuid> → arn:aws:kafka:r:a:<kind>/<name>/<uuid>/<n>.
func kafkaArns(cluster pulumi.StringInput, kind string, names ...string) pulumi.StringArray {
	out := pulumi.StringArray{}
	for _, n := range names {
		out = append(out, cluster.ToStringOutput().ApplyT(func(arn string) string {
			return strings.Replace(arn, ":cluster/", ":"+kind+"/", 1) + "/" + n
		}).(pulumi.StringOutput))
	}
	return out
}

// Resource is the cluster resource, provisioned or serverless.
func (k *Kafka) Resource() pulumi.Resource {
	if k.Cluster != nil {
		return k.Cluster
	}
	return k.Serverless
}

// cdcDefaults: off. When on: a provisioned MSK cluster of three brokers
// (kafka.t3.small in staging, kafka.m7g.large with 500 GiB in production), a
// new Aurora database and a Debezium connector (see their defaults).
func cdcDefaults(env Environment, prefix string) CDCConfig {
	k := KafkaConfig{Mode: "provisioned", BrokerCount: 3, InstanceType: "kafka.t3.small", KafkaVersion: "3.6.0", VolumeGB: 20, LogRetentionDays: 14}
	if env == Production {
		k.InstanceType, k.VolumeGB, k.LogRetentionDays = "kafka.m7g.large", 500, 90
	}
	return CDCConfig{Mode: CDCDebezium, Kafka: k, Database: sourceDatabaseDefaults(env), Connector: connectorDefaults(env),
		Redshift: cdcRedshiftDefaults(prefix), ZeroETL: zeroETLDefaults(env, prefix)}
}

// ZeroETL reports whether CDC runs through a zero-ETL integration.
func (c CDCConfig) ZeroETLMode() bool { return c.Enabled && c.Mode == CDCZeroETL }

// Debezium reports whether CDC runs through Debezium and MSK.
func (c CDCConfig) DebeziumMode() bool { return c.Enabled && c.Mode == CDCDebezium }

// check applies haina:cdc's rules, section by section (none when it is off):
// the mode's own sections, and none set that only the other mode reads
// (defaults tells set from unset). Rules between CDC and the rest of the
// stack are in Validate.
func (c CDCConfig) check(ck checker, defaults CDCConfig) {
	if !c.Enabled {
		return
	}
	switch c.Mode {
	case CDCDebezium:
		c.Database.check(ck.in("database"), false)
		c.Connector.check(ck.in("connector"))
		c.Plugin.check(ck.in("plugin"))
		c.Redshift.check(ck.in("redshift"))
		c.Kafka.check(ck.in("kafka"))
		for _, f := range changedFields(c.ZeroETL, defaults.ZeroETL, "zeroEtl") {
			ck.bad(f.key, f.value, "only haina:cdc.mode zero-etl reads it (the mode is debezium); remove it, or set the mode")
		}
		if c.Database.ClusterArn != "" {
			ck.bad("database.clusterArn", c.Database.ClusterArn, "only haina:cdc.mode zero-etl reads it; Debezium reaches an existing database through endpoint, secretArn and securityGroupId")
		}
	case CDCZeroETL:
		c.Database.check(ck.in("database"), true)
		c.ZeroETL.check(ck.in("zeroEtl"))
		for _, section := range []struct {
			got, def any
			key      string
		}{{c.Kafka, defaults.Kafka, "kafka"}, {c.Connector, defaults.Connector, "connector"}, {c.Plugin, defaults.Plugin, "plugin"},
			{c.Redshift, defaults.Redshift, "redshift"}, {c.Database.debeziumOnly(), defaults.Database.debeziumOnly(), "database"}} {
			for _, f := range changedFields(section.got, section.def, section.key) {
				ck.bad(f.key, f.value, "only haina:cdc.mode debezium reads it: zero-ETL needs no Kafka, connector, plugin or apply, "+
					"and replicates the tables listed in haina:cdc.zeroEtl.tables into their own database; remove it")
			}
		}
	default:
		ck.bad("mode", c.Mode, "allowed: debezium (Debezium on MSK Connect, through MSK, applied on a schedule), "+
			"zero-etl (an Aurora zero-ETL integration, no Kafka)")
	}
}

var (
	reKafkaInstance = regexp.MustCompile(`^kafka\.[a-z0-9]+\.[a-z0-9]+$`)
	reKafkaVersion  = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)$`)
)

// kafkaSubnets is how many subnets (AZs) the brokers spread over.
const kafkaSubnets = 3

// check applies haina:cdc.kafka's rules (a serverless cluster has no sizes).
func (k KafkaConfig) check(ck checker) {
	switch k.Mode {
	case "serverless":
		return
	case "provisioned":
	default:
		ck.bad("mode", k.Mode, "allowed: provisioned, serverless")
		return
	}
	if k.BrokerCount < kafkaSubnets || k.BrokerCount%kafkaSubnets != 0 || k.BrokerCount > 30 {
		ck.bad("brokerCount", k.BrokerCount, fmt.Sprintf("allowed: a multiple of the %d subnets (AZs) the brokers spread over, up to 30", kafkaSubnets))
	}
	if !reKafkaInstance.MatchString(k.InstanceType) {
		ck.bad("instanceType", k.InstanceType, "allowed: an MSK broker type such as kafka.t3.small or kafka.m7g.large")
	}
	if m := reKafkaVersion.FindStringSubmatch(k.KafkaVersion); m == nil || !atLeast(m[1:], []int{2, 7, 1}) {
		ck.bad("kafkaVersion", k.KafkaVersion, "allowed: an MSK Kafka version of 2.7.1 or later (Redshift's IAM authentication needs it), such as 3.6.0")
	}
	if k.VolumeGB < 1 || k.VolumeGB > 16384 {
		ck.bad("volumeGb", k.VolumeGB, "allowed: 1 to 16384 GiB per broker")
	}
	ck.logRetention("logRetentionDays", k.LogRetentionDays)
}
