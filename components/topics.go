package components

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TopicsPackage is the Lambda that creates the CDC topics inside the VPC.
const TopicsPackage = "github.com/haina-data/haina/cmd/topics-lambda"

// TopicSpec is one topic as the topics Lambda takes it (package kafkatopics,
// same JSON): partitions, replication factor and the configs it must have.
type TopicSpec struct {
	Name              string            `json:"name"`
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int16             `json:"replicationFactor"`
	Configs           map[string]string `json:"configs,omitempty"`
}

// HeartbeatTopic is where Debezium writes its heartbeats:
// <topic.heartbeat.prefix>.<topic.prefix>, the prefix left at its default
// (https://debezium.io/documentation/reference/stable/connectors/mysql.html#mysql-property-topic-heartbeat-prefix).
func HeartbeatTopic(prefix string) string { return "__debezium-heartbeat." + prefix }

// CDCTopics are the topics the connector writes, created before it runs: a
// change topic per captured table, Debezium's schema history (one partition,
// kept forever: Debezium needs all of it to restart,
// https://debezium.io/documentation/reference/stable/connectors/mysql.html#mysql-schema-history-topic)
// and the heartbeat topic. A replicated topic keeps writing while one broker
// is down: min.insync.replicas is one less than the replication factor.
//
// MSK Serverless fixes the replication and lets a topic set only a few configs
// (cleanup.policy, retention.ms, retention.bytes among them;
// https://docs.aws.amazon.com/msk/latest/developerguide/serverless-config.html):
// there no min.insync.replicas is asked for.
func CDCTopics(prefix string, tables []string, partitions, replication, retentionHours int, serverless bool) []TopicSpec {
	base := func(retentionMs string) map[string]string {
		c := map[string]string{"cleanup.policy": "delete", "retention.ms": retentionMs}
		if replication > 1 && !serverless {
			c["min.insync.replicas"] = fmt.Sprint(replication - 1)
		}
		return c
	}
	retention := fmt.Sprint(int64(retentionHours) * 3600 * 1000)
	var out []TopicSpec
	for _, t := range tables {
		out = append(out, TopicSpec{Name: ChangeTopic(prefix, t), Partitions: int32(partitions), ReplicationFactor: int16(replication), Configs: base(retention)})
	}
	history := base("-1")
	history["retention.bytes"] = "-1"
	out = append(out,
		TopicSpec{Name: HistoryTopic(prefix), Partitions: 1, ReplicationFactor: int16(replication), Configs: history},
		TopicSpec{Name: HeartbeatTopic(prefix), Partitions: 1, ReplicationFactor: int16(replication), Configs: base(retention)},
	)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TopicsArgs configures the Topics component.
type TopicsArgs struct {
	// Name is the function's physical name (and its role's and log group's).
	Name   string
	Region string
	Topics []TopicSpec
	// ClusterArn scopes the role; BootstrapBrokers are the SASL/IAM brokers.
	ClusterArn       pulumi.StringInput
	BootstrapBrokers pulumi.StringInput
	// The function runs in the VPC's private subnets and reaches the brokers
	// (their security group admits it on the IAM port).
	VpcID                pulumi.StringInput
	SubnetIDs            pulumi.StringArrayInput
	KafkaSecurityGroupID pulumi.StringInput
	LogRetentionDays     int
	// LogKeyArn, when set, encrypts the log group with this KMS key (its policy must let CloudWatch Logs use it).
	LogKeyArn pulumi.StringPtrInput
	Tags      pulumi.StringMap
	// Archive is a prebuilt function; nil builds it from haina's module.
	Archive *LambdaArchive
	// DependsOn: the cluster must be up.
	DependsOn []pulumi.Resource
}

// Topics creates the CDC topics before the connector and the landing views
// need them: MSK creates no topic by itself (auto-create is off) and its brokers
// are reachable only from the VPC, over IAM and TLS, so a Lambda in the VPC
// does it during `pulumi up`, invoked by an aws.lambda.Invocation whose
// lifecycle follows the topic list (CRUD: a change invokes it again).
type Topics struct {
	pulumi.ResourceState

	Archive       *LambdaArchive
	LogGroup      *cloudwatch.LogGroup
	SecurityGroup *ec2.SecurityGroup
	Role          *iam.Role
	RolePolicy    *iam.RolePolicy
	Function      *lambda.Function
	// Invocation is what depends-on waits for: once it succeeded, the topics exist.
	Invocation *lambda.Invocation
}

// NewTopics declares the function, its role and network, and the invocation.
func NewTopics(ctx *pulumi.Context, name string, args *TopicsArgs, opts ...pulumi.ResourceOption) (*Topics, error) {
	if args == nil || args.ClusterArn == nil || args.BootstrapBrokers == nil || args.VpcID == nil || args.SubnetIDs == nil ||
		args.KafkaSecurityGroupID == nil || len(args.Topics) == 0 {
		return nil, fmt.Errorf("topics %s: ClusterArn, BootstrapBrokers, VpcID, SubnetIDs, KafkaSecurityGroupID and Topics are required", name)
	}
	archive, err := archiveOrBuild(args.Archive, TopicsPackage)
	if err != nil {
		return nil, err
	}
	t := &Topics{Archive: archive}
	if err := ctx.RegisterComponentResource("haina:kafka:Topics", name, t, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(t)

	t.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name: pulumi.String("/aws/lambda/" + args.Name), RetentionInDays: pulumi.Int(args.LogRetentionDays), KmsKeyId: args.LogKeyArn, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	// Only the IAM port to the brokers, nothing in.
	t.SecurityGroup, err = ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId: args.VpcID, Description: pulumi.String("haina: the CDC topics function, Kafka out only"), Tags: withName(args.Tags, args.Name),
	}, parent)
	if err != nil {
		return nil, err
	}
	rules := []pulumi.Resource{}
	ingress, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-to-brokers", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: args.KafkaSecurityGroupID, Description: pulumi.String("Kafka over SASL/IAM from the CDC topics function"),
		IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(KafkaIAMPort), ToPort: pulumi.Int(KafkaIAMPort),
		ReferencedSecurityGroupId: t.SecurityGroup.ID(),
	}, parent)
	if err != nil {
		return nil, err
	}
	egress, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-brokers", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: t.SecurityGroup.ID(), Description: pulumi.String("Kafka over SASL/IAM to the CDC cluster"),
		IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(KafkaIAMPort), ToPort: pulumi.Int(KafkaIAMPort),
		ReferencedSecurityGroupId: args.KafkaSecurityGroupID,
	}, parent)
	if err != nil {
		return nil, err
	}
	rules = append(rules, ingress, egress)

	// Exactly what creating and fixing these topics takes
	// (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html):
	// connect, describe the cluster, and on these topics only create, describe,
	// grow (AlterTopic) and read and set their configs.
	var names []string
	for _, tp := range args.Topics {
		names = append(names, tp.Name)
	}
	stmts := []Statement{
		{Sid: "Cluster", Actions: []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"}, Resources: pulumi.StringArray{args.ClusterArn}},
		{Sid: "Topics", Actions: []string{"kafka-cluster:AlterTopic", "kafka-cluster:AlterTopicDynamicConfiguration", "kafka-cluster:CreateTopic",
			"kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration"},
			Resources: kafkaArns(args.ClusterArn, "topic", names...)},
		{Sid: "Logs", Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: pulumi.StringArray{pulumi.Sprintf("%s:*", t.LogGroup.Arn)}},
	}
	t.Role, t.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.Name, Description: "haina: creates the CDC topics from inside the VPC", PolicyName: "create-topics",
		Trust: pulumi.String(TrustPolicy([]string{"lambda.amazonaws.com"}, nil)), Statements: stmts, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	// A function in a VPC needs network interfaces: AWS's managed policy for
	// exactly that (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
	vpcAccess, err := iam.NewRolePolicyAttachment(ctx, name+"-vpc", &iam.RolePolicyAttachmentArgs{
		Role: t.Role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"),
	}, parent)
	if err != nil {
		return nil, err
	}

	t.Function, err = lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Name:           pulumi.String(args.Name),
		Description:    pulumi.String("haina: creates and checks the CDC topics (idempotent; never shrinks or deletes one)"),
		Runtime:        pulumi.String("provided.al2023"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		Handler:        pulumi.String("bootstrap"),
		Code:           pulumi.NewFileArchive(archive.Path),
		SourceCodeHash: pulumi.String(archive.SHA256),
		Role:           t.Role.Arn,
		MemorySize:     pulumi.Int(256),
		Timeout:        pulumi.Int(120),
		VpcConfig: &lambda.FunctionVpcConfigArgs{
			SubnetIds: args.SubnetIDs, SecurityGroupIds: pulumi.StringArray{t.SecurityGroup.ID()},
		},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: t.LogGroup.Name},
		Tags:          args.Tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{t.RolePolicy, vpcAccess}))
	if err != nil {
		return nil, err
	}

	topics := args.Topics
	input := args.BootstrapBrokers.ToStringOutput().ApplyT(func(brokers string) (string, error) {
		b, err := json.Marshal(struct {
			Bootstrap []string    `json:"bootstrap"`
			Topics    []TopicSpec `json:"topics"`
		}{strings.Split(brokers, ","), topics})
		return string(b), err
	}).(pulumi.StringOutput)
	// CRUD: created with the stack, invoked again when the input changes, and on
	// delete with {"tf": {"action": "delete"}}, which the function answers
	// without deleting anything (the topics hold the change history).
	t.Invocation, err = lambda.NewInvocation(ctx, name, &lambda.InvocationArgs{
		FunctionName: t.Function.Name, Input: input, LifecycleScope: pulumi.String("CRUD"),
	}, parent, pulumi.DependsOn(append(append([]pulumi.Resource{t.Function}, rules...), args.DependsOn...)))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{"functionName": t.Function.Name, "topics": pulumi.ToStringArray(names)}); err != nil {
		return nil, err
	}
	return t, nil
}
