package components

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProducerConfig (haina:producer) is the scheduled Lambda that sends synthetic events.
type ProducerConfig struct {
	Enabled             bool   `json:"enabled"`
	Schedule            string `json:"schedule"`
	ScheduleEnabled     bool   `json:"scheduleEnabled"`
	EventsPerInvocation int    `json:"eventsPerInvocation"`
	MemoryMB            int    `json:"memoryMb"`
	TimeoutSeconds      int    `json:"timeoutSeconds"`
	LogRetentionDays    int    `json:"logRetentionDays"`
	// ReservedConcurrency caps concurrent runs; 0 leaves the function unreserved.
	// Off by default: AWS refuses a reservation that would leave the account
	// fewer than 10 unreserved executions, which new accounts (quota 10) hit at once.
	ReservedConcurrency int `json:"reservedConcurrency"`
}

// ProducerPackage is the Lambda's Go package, built by the program during `pulumi up`.
const ProducerPackage = "github.com/haina-data/haina/cmd/producer-lambda"

// ProducerArgs configures the Producer component.
type ProducerArgs struct {
	Config ProducerConfig
	// LogKeyArn, when set, encrypts the log group with this KMS key (its policy must let CloudWatch Logs use it).
	LogKeyArn pulumi.StringPtrInput
	// FunctionName is the physical name of the function (and its log group).
	FunctionName string
	StreamArn    pulumi.StringInput
	// StreamKeyArn is the stream's customer key; nil for the AWS managed key.
	StreamKeyArn pulumi.StringInput
	// Region scopes the scheduler's trust to this region's default schedule group.
	Region string
	// Archive is a prebuilt function; nil builds it from haina's module.
	Archive *LambdaArchive
	Tags    pulumi.StringMap
}

// Producer is a Go Lambda that sends synthetic app events to the stream,
// invoked by an EventBridge Scheduler schedule.
//
// The schedule invokes it asynchronously, and Lambda retries a failed
// asynchronous run twice by default: each retry would send a whole new batch
// (new events, new event_ids), multiplying the load exactly when something
// is wrong. InvokeConfig turns those retries off (the next scheduled run
// comes soon) and sends the record of a failed or expired run to Failures,
// a small encrypted queue, where it can be seen.
type Producer struct {
	pulumi.ResourceState

	Archive         *LambdaArchive
	LogGroup        *cloudwatch.LogGroup
	Failures        *sqs.Queue
	Role            *iam.Role
	RolePolicy      *iam.RolePolicy
	Function        *lambda.Function
	InvokeConfig    *lambda.FunctionEventInvokeConfig
	SchedulerRole   *iam.Role
	SchedulerPolicy *iam.RolePolicy
	Schedule        *scheduler.Schedule

	FunctionName pulumi.StringOutput
}

// NewProducer declares the producer; it builds the Lambda archive first.
func NewProducer(ctx *pulumi.Context, name string, args *ProducerArgs, opts ...pulumi.ResourceOption) (*Producer, error) {
	if args == nil || args.StreamArn == nil || args.FunctionName == "" {
		return nil, fmt.Errorf("producer %s: StreamArn and FunctionName are required", name)
	}
	archive, err := archiveOrBuild(args.Archive, ProducerPackage)
	if err != nil {
		return nil, err
	}
	p := &Producer{Archive: archive}
	if err := ctx.RegisterComponentResource("haina:producer:Producer", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)
	cfg := args.Config
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(p)).AccountId()

	p.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + args.FunctionName),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
		KmsKeyId:        args.LogKeyArn,
		Tags:            args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	// Where Lambda records a run that failed or expired (the destination of
	// the asynchronous invocation): SSE-KMS with the AWS managed key for SQS,
	// whose key policy lets this account's principals use it through SQS, so
	// the role needs no KMS grant (and no customer key to protect and pay for).
	// At most one message a minute; three days are enough to look after a
	// weekend, and nothing piles up.
	p.Failures, err = sqs.NewQueue(ctx, name+"-failures", &sqs.QueueArgs{
		Name:                         pulumi.String(args.FunctionName + "-failures"),
		KmsMasterKeyId:               pulumi.String("alias/aws/sqs"),
		KmsDataKeyReusePeriodSeconds: pulumi.Int(300),
		MessageRetentionSeconds:      pulumi.Int(FailureRetentionSeconds),
		Tags:                         args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	failuresArn := queueArn(args.StreamArn, p.Failures.Name)
	stmts := []Statement{
		{Sid: "PutRecords", Actions: []string{"kinesis:PutRecord", "kinesis:PutRecords"}, Resources: pulumi.StringArray{args.StreamArn}},
		{Sid: "Logs", Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resources: pulumi.StringArray{pulumi.Sprintf("%s:*", p.LogGroup.Arn)}},
		// Lambda sends the failure record as the function's role.
		{Sid: "ReportFailures", Actions: []string{"sqs:SendMessage"}, Resources: pulumi.StringArray{failuresArn}},
	}
	if args.StreamKeyArn != nil {
		stmts = append(stmts, Statement{Sid: "EncryptRecords", Actions: []string{"kms:GenerateDataKey"}, Resources: pulumi.StringArray{args.StreamKeyArn}})
	}
	p.Role, p.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.FunctionName, Description: "haina: the producer Lambda writes to the pipeline's stream", PolicyName: "produce",
		Trust: pulumi.String(TrustPolicy([]string{"lambda.amazonaws.com"}, nil)), Statements: stmts, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}

	p.Function, err = lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Name:           pulumi.String(args.FunctionName),
		Description:    pulumi.String("haina: sends synthetic seed events to the pipeline's stream"),
		Runtime:        pulumi.String("provided.al2023"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		Handler:        pulumi.String("bootstrap"),
		Code:           pulumi.NewFileArchive(archive.Path),
		SourceCodeHash: pulumi.String(archive.SHA256),
		Role:           p.Role.Arn,
		MemorySize:     pulumi.Int(cfg.MemoryMB),
		Timeout:        pulumi.Int(cfg.TimeoutSeconds),
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			"STREAM":                args.StreamArn,
			"EVENTS_PER_INVOCATION": pulumi.String(strconv.Itoa(cfg.EventsPerInvocation)),
		}},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: p.LogGroup.Name},
		// -1 is Lambda's "unreserved" (the provider's default); a run's timeout
		// (≤ the schedule's period by default) already keeps runs from piling up.
		ReservedConcurrentExecutions: pulumi.Int(reservedConcurrency(cfg.ReservedConcurrency)),
		Tags:                         args.Tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{p.RolePolicy}))
	if err != nil {
		return nil, err
	}

	// No retries of a failed asynchronous run (each would send a new batch),
	// and a run waiting longer than a scheduling period is dropped; both go
	// to the failures queue. Lambda checks the role may send there when this
	// is set, hence after the function (which waits for the role's policy).
	p.InvokeConfig, err = lambda.NewFunctionEventInvokeConfig(ctx, name, &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             p.Function.Name,
		MaximumRetryAttempts:     pulumi.Int(0),
		MaximumEventAgeInSeconds: pulumi.Int(MaxEventAgeSeconds),
		DestinationConfig: &lambda.FunctionEventInvokeConfigDestinationConfigArgs{
			OnFailure: &lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: failuresArn},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{p.RolePolicy, p.Failures}))
	if err != nil {
		return nil, err
	}

	// The scheduler's role may invoke this function only, and only for schedules of this account.
	p.SchedulerRole, p.SchedulerPolicy, err = newServiceRole(ctx, name+"-schedule", serviceRole{
		Name: args.FunctionName + "-schedule", Description: "haina: EventBridge Scheduler invokes the producer", PolicyName: "invoke",
		// Only this account's default schedule group (where the producer's schedule
		// lives) may assume it: the scheduler sends aws:SourceArn with the group's ARN
		// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
		Trust: accountTrust(account, []string{"scheduler.amazonaws.com"}, map[string]map[string][]string{
			"ArnEquals": {"aws:SourceArn": {"arn:aws:scheduler:" + args.Region + ":{account}:schedule-group/default"}},
		}),
		Statements: []Statement{{Sid: "Invoke", Actions: []string{"lambda:InvokeFunction"}, Resources: pulumi.StringArray{p.Function.Arn}}},
		Tags:       args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	state := "DISABLED"
	if cfg.ScheduleEnabled {
		state = "ENABLED"
	}
	p.Schedule, err = scheduler.NewSchedule(ctx, name, &scheduler.ScheduleArgs{
		Name:               pulumi.String(args.FunctionName),
		Description:        pulumi.String("haina: runs the producer"),
		ScheduleExpression: pulumi.String(cfg.Schedule),
		State:              pulumi.String(state),
		FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: scheduler.ScheduleTargetArgs{
			Arn:     p.Function.Arn,
			RoleArn: p.SchedulerRole.Arn,
			Input:   pulumi.String("{}"),
			// A missed run is not worth replaying: the next one comes soon.
			RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{MaximumRetryAttempts: pulumi.Int(0), MaximumEventAgeInSeconds: pulumi.Int(60)},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{p.SchedulerPolicy}))
	if err != nil {
		return nil, err
	}
	p.FunctionName = p.Function.Name
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{"functionName": p.FunctionName, "schedule": p.Schedule.Name, "failuresQueue": p.Failures.Name}); err != nil {
		return nil, err
	}
	return p, nil
}

// Asynchronous invocation of the producer: a run waits at most
// MaxEventAgeSeconds (Lambda's minimum) before it is dropped; the failures
// queue keeps a record FailureRetentionSeconds.
const (
	MaxEventAgeSeconds      = 60
	FailureRetentionSeconds = 3 * 24 * 3600
)

// queueArn is the ARN of a queue of this name in the stream's partition,
// region and account (what the queue's arn output is), known before the
// queue exists.
func queueArn(streamArn pulumi.StringInput, name pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.All(streamArn, name).ApplyT(func(v []any) (string, error) {
		parts := strings.SplitN(v[0].(string), ":", 6)
		if len(parts) != 6 || parts[0] != "arn" {
			return "", fmt.Errorf("producer: %q is not a stream ARN", v[0])
		}
		return strings.Join([]string{"arn", parts[1], "sqs", parts[3], parts[4], v[1].(string)}, ":"), nil
	}).(pulumi.StringOutput)
}

// reservedConcurrency maps haina's 0 (none) to Lambda's -1 (unreserved).
func reservedConcurrency(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// producerDefaults: 1000 events a minute. Staging's schedule runs; in
// production synthetic load is opt-in, so the schedule starts disabled.
func producerDefaults(env Environment) ProducerConfig {
	p := ProducerConfig{Enabled: true, Schedule: "rate(1 minute)", EventsPerInvocation: 1000, MemoryMB: 256, TimeoutSeconds: 60,
		ScheduleEnabled: env != Production, LogRetentionDays: 14}
	if env == Production {
		p.LogRetentionDays = 90
	}
	return p
}

var reSchedule = regexp.MustCompile(`^(rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$`)

// check applies haina:producer's rules (none when it is off).
func (p ProducerConfig) check(ck checker) {
	if !p.Enabled {
		return
	}
	if m := reSchedule.FindStringSubmatch(p.Schedule); m == nil {
		ck.bad("schedule", p.Schedule, "allowed: rate(<n> minute[s]|hour[s]|day[s]) or cron(<fields>)")
	} else if m[2] == "1" && (m[3] == "minutes" || m[3] == "hours" || m[3] == "days") ||
		m[2] != "" && m[2] != "1" && (m[3] == "minute" || m[3] == "hour" || m[3] == "day") {
		ck.bad("schedule", p.Schedule, "EventBridge wants the singular unit for 1 and the plural otherwise, e.g. rate(1 minute), rate(5 minutes)")
	}
	if p.EventsPerInvocation < 1 || p.EventsPerInvocation > 1_000_000 {
		ck.bad("eventsPerInvocation", p.EventsPerInvocation, "allowed: 1 to 1000000")
	}
	if p.MemoryMB < 128 || p.MemoryMB > 10240 {
		ck.bad("memoryMb", p.MemoryMB, "allowed: 128 to 10240 MB")
	}
	if p.TimeoutSeconds < 1 || p.TimeoutSeconds > 900 {
		ck.bad("timeoutSeconds", p.TimeoutSeconds, "allowed: 1 to 900 seconds")
	}
	ck.logRetention("logRetentionDays", p.LogRetentionDays)
	if p.ReservedConcurrency < 0 || p.ReservedConcurrency > 1000 {
		ck.bad("reservedConcurrency", p.ReservedConcurrency, "allowed: 0 (unreserved) to 1000; AWS also keeps 10 executions of the account unreserved")
	}
}
