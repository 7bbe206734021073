package components

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FlowLogsConfig (haina:flowLogs) captures VPC traffic into the lake.
type FlowLogsConfig struct {
	Enabled bool `json:"enabled"`
	// VpcIDs to capture besides the pipeline's own VPC.
	VpcIDs []string `json:"vpcIds"`
	// Fields of the log format, in order (default: the 14 version-2 fields).
	Fields           []string `json:"fields"`
	LogRetentionDays int      `json:"logRetentionDays"`
}

// FlowLogsArgs configures the FlowLogs component.
type FlowLogsArgs struct {
	Config  FlowLogsConfig
	Name    string // physical name prefix
	Region  string
	Account pulumi.StringInput
	// VpcIDs are every VPC to capture (the pipeline's and the configured ones).
	VpcIDs []pulumi.StringInput
	// Delivery is the lake delivery's arguments; FlowLogs sets the source, processors, columns and format.
	Delivery DeliveryArgs
	Protect  bool
	Tags     pulumi.StringMap
}

// FlowLogs is VPC flow logs → a KMS-encrypted CloudWatch log group → a
// subscription filter → Firehose, whose native processors replace the usual
// Lambda (gunzip, extract the log events, one line per record) → the lake.
type FlowLogs struct {
	pulumi.ResourceState

	Key              *kms.Key
	LogGroup         *cloudwatch.LogGroup
	DeliveryRole     *iam.Role
	FlowLogs         []*ec2.FlowLog
	Delivery         *Delivery
	SubscriptionRole *iam.Role
	Subscription     *cloudwatch.LogSubscriptionFilter
}

// logsKeyPolicy lets the account administer the key (keyPolicy) and the
// regional logs service use it for one log group only ("Encrypt log data in
// CloudWatch Logs using AWS KMS", encryption context aws:logs:arn,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
// No principal of the account uses it directly: CloudWatch Logs does.
func logsKeyPolicy(account, region, groupArn string) string {
	return keyPolicy(account, region, keyUse{Extra: []policyStmt{
		{Sid: "LogsUseForTheFlowLogGroup", Effect: "Allow", Principal: map[string][]string{"Service": {"logs." + region + ".amazonaws.com"}},
			Action:    logsKeyActions,
			Resource:  []string{"*"},
			Condition: map[string]map[string][]string{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": {groupArn}}}},
	}})
}

// NewFlowLogs declares the flow-log pipeline.
func NewFlowLogs(ctx *pulumi.Context, name string, args *FlowLogsArgs, opts ...pulumi.ResourceOption) (*FlowLogs, error) {
	if args == nil || args.Account == nil || len(args.VpcIDs) == 0 {
		return nil, fmt.Errorf("flow logs %s: Account and at least one VPC are required", name)
	}
	cols, err := FlowLogColumns(args.Config.Fields)
	if err != nil {
		return nil, err
	}
	f := &FlowLogs{}
	if err := ctx.RegisterComponentResource("haina:flowlogs:FlowLogs", name, f, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(f)
	account := args.Account.ToStringOutput()
	groupName := "/haina/" + args.Name
	groupArn := pulumi.Sprintf("arn:aws:logs:%s:%s:log-group:%s", args.Region, account, groupName)

	window := 7
	if args.Protect {
		window = 30
	}
	f.Key, err = kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.String("haina: VPC flow log group"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(window),
		Policy: pulumi.All(account, groupArn).ApplyT(func(v []any) string {
			return logsKeyPolicy(v[0].(string), args.Region, v[1].(string))
		}).(pulumi.StringOutput),
		Tags: args.Tags,
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	f.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name: pulumi.String(groupName), RetentionInDays: pulumi.Int(args.Config.LogRetentionDays), KmsKeyId: f.Key.Arn, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}

	// The flow-log service writes into this one group, only for flow logs of this account.
	f.DeliveryRole, _, err = newServiceRole(ctx, name+"-publish", serviceRole{
		Name: args.Name + "-publish", Description: "haina: VPC flow logs publish to their log group", PolicyName: "publish",
		Trust: accountTrust(account, []string{"vpc-flow-logs.amazonaws.com"},
			map[string]map[string][]string{"ArnLike": {"aws:SourceArn": {"arn:aws:ec2:" + args.Region + ":{account}:vpc-flow-log/*"}}}),
		// AWS's documented role for flow logs to CloudWatch Logs
		// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html)
		// also lists logs:CreateLogGroup (the group exists: not needed) and
		// logs:DescribeLogGroups, which lists groups and so is granted on this
		// account's groups in this region, not on "*".
		Statements: []Statement{
			{Sid: "Publish", Actions: []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
				Resources: pulumi.StringArray{groupArn, pulumi.Sprintf("%s:*", groupArn)}},
			{Sid: "FindGroup", Actions: []string{"logs:DescribeLogGroups"},
				Resources: pulumi.StringArray{pulumi.Sprintf("arn:aws:logs:%s:%s:log-group:*", args.Region, account)}},
		},
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	for i, vpcID := range args.VpcIDs {
		fl, err := ec2.NewFlowLog(ctx, fmt.Sprintf("%s-%d", name, i), &ec2.FlowLogArgs{
			VpcId: vpcID, TrafficType: pulumi.String("ALL"), MaxAggregationInterval: pulumi.Int(60),
			LogDestinationType: pulumi.String("cloud-watch-logs"), LogDestination: f.LogGroup.Arn, IamRoleArn: f.DeliveryRole.Arn,
			LogFormat: pulumi.String(FlowLogFormat(args.Config.Fields)), Tags: args.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		f.FlowLogs = append(f.FlowLogs, fl)
	}

	d := args.Delivery
	d.SourceStreamArn, d.SourceStreamKeyArn = nil, nil
	d.Columns, d.Format = cols, SpaceDelimited
	d.Processors = []Processor{
		{Type: "Decompression", Parameters: [][2]string{{"CompressionFormat", "GZIP"}}},
		{Type: "CloudWatchLogProcessing", Parameters: [][2]string{{"DataMessageExtraction", "true"}}},
		{Type: "AppendDelimiterToRecord", Parameters: [][2]string{{"Delimiter", "\\n"}}},
	}
	if f.Delivery, err = NewDelivery(ctx, name+"-lake", &d, parent); err != nil {
		return nil, err
	}

	// CloudWatch Logs in this region, for this account's log groups, may put records on this one stream.
	var subPolicy *iam.RolePolicy
	f.SubscriptionRole, subPolicy, err = newServiceRole(ctx, name+"-subscription", serviceRole{
		Name: args.Name + "-subscription", Description: "haina: CloudWatch Logs forwards flow logs to Firehose", PolicyName: "forward",
		Trust: accountTrust(account, []string{"logs." + args.Region + ".amazonaws.com"},
			map[string]map[string][]string{"ArnLike": {"aws:SourceArn": {"arn:aws:logs:" + args.Region + ":{account}:*"}}}),
		Statements: []Statement{{Sid: "Forward", Actions: []string{"firehose:PutRecord", "firehose:PutRecordBatch"},
			Resources: pulumi.StringArray{f.Delivery.StreamArn}}},
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	f.Subscription, err = cloudwatch.NewLogSubscriptionFilter(ctx, name, &cloudwatch.LogSubscriptionFilterArgs{
		Name: pulumi.String(args.Name + "-to-lake"), LogGroup: f.LogGroup.Name, FilterPattern: pulumi.String(""),
		DestinationArn: f.Delivery.StreamArn, RoleArn: f.SubscriptionRole.Arn,
	}, parent, pulumi.DependsOn([]pulumi.Resource{subPolicy}))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{"logGroup": f.LogGroup.Name, "table": f.Delivery.TableName}); err != nil {
		return nil, err
	}
	return f, nil
}

// flowLogsDefaults: on, with the default fields, kept 14 days in staging and 90 in production.
func flowLogsDefaults(env Environment) FlowLogsConfig {
	// A copy: decoding config into the struct must never write into the package default.
	f := FlowLogsConfig{Enabled: true, Fields: slices.Clone(DefaultFlowLogFields), LogRetentionDays: 14}
	if env == Production {
		f.LogRetentionDays = 90
	}
	return f
}

// flowLogQueryFields are the fields the named flow-log queries read.
var flowLogQueryFields = []string{"action", "bytes", "dstaddr", "dstport", "interface-id", "packets", "srcaddr", "start"}

// check applies haina:flowLogs' rules (none when it is off).
func (f FlowLogsConfig) check(ck checker) {
	if !f.Enabled {
		return
	}
	seen := map[string]bool{}
	for i, field := range f.Fields {
		if _, ok := flowLogFieldTypes[field]; !ok {
			ck.bad(fmt.Sprintf("fields[%d]", i), field, "allowed: a VPC flow log field such as "+strings.Join(DefaultFlowLogFields, ", ")+", vpc-id, subnet-id, tcp-flags, flow-direction, …")
		} else if seen[field] {
			ck.bad(fmt.Sprintf("fields[%d]", i), field, "each field may appear once")
		}
		seen[field] = true
	}
	for _, q := range flowLogQueryFields {
		if !seen[q] {
			ck.bad("fields", f.Fields, "must include "+strings.Join(flowLogQueryFields, ", ")+" (the named queries read them)")
			break
		}
	}
	for i, id := range f.VpcIDs {
		if !reVpcID.MatchString(id) {
			ck.bad(fmt.Sprintf("vpcIds[%d]", i), id, "allowed: a VPC id such as vpc-0123456789abcdef0")
		}
	}
	ck.logRetention("logRetentionDays", f.LogRetentionDays)
}
