package components

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HealthPackage is the function that makes the scheduled call and reads the
// warehouse's health in the same wake-up (package health).
const HealthPackage = "github.com/haina-data/haina/cmd/health-lambda"

// Health function settings. The call waits up to HealthWaitSeconds for the
// warehouse (a first refresh of a large stream is slow); the function's
// timeout leaves room for the checks after it.
const (
	HealthTimeoutSeconds = 600
	HealthWaitSeconds    = 480
	HealthMemoryMB       = 128
)

// HealthFunctionArgs configures the health function.
type HealthFunctionArgs struct {
	FunctionName string
	Region       string
	Account      pulumi.StringInput
	Environment  Environment
	// Warehouse: where the call and the checks run.
	Warehouse *Warehouse
	// Call is the scheduled statement; Spec names what the checks read.
	Call string
	Spec sql.HealthSpec
	// LookbackSeconds widens each count back past the call's start (refresh
	// mode auto: the views also refresh between calls).
	LookbackSeconds int
	// DbRoles (Serverless: tag RedshiftDbRoles on the function's role) or
	// DbUser (provisioned) is who the statements run as.
	DbRoles []string
	DbUser  string
	// LogKeyArn encrypts the function's log group.
	LogKeyArn        pulumi.StringPtrInput
	LogRetentionDays int
	// SQL is where the grants run; GrantRole is the database role the call
	// runs as (DbRoles' or DbUser's), given SELECT on the checks' relations
	// (Spec.Relations, declared as Reads, in that order) and sys:monitor.
	SQL       SqlTarget
	GrantRole string
	Reads     []*SqlObject
	DependsOn []pulumi.Resource
	// Archive is a prebuilt function; nil builds it from haina's module.
	Archive *LambdaArchive
	Tags    pulumi.StringMap
}

// HealthFunction is the function the refresh schedule invokes: it makes the
// call, waits for it (so a failed call becomes the metric
// Haina/ScheduledCallFailed instead of a success the scheduler reports), runs
// the health queries while the warehouse is awake and publishes them to
// CloudWatch (namespace Haina). Its role runs statements only on this
// warehouse, reads only its own statements' results and publishes only to
// namespace Haina.
type HealthFunction struct {
	pulumi.ResourceState

	Archive      *LambdaArchive
	LogGroup     *cloudwatch.LogGroup
	Role         *iam.Role
	RolePolicy   *iam.RolePolicy
	Function     *lambda.Function
	InvokeConfig *lambda.FunctionEventInvokeConfig
	// Grants let the call's database role read what the checks read.
	Grants *SqlObject

	FunctionArn pulumi.StringOutput
}

// healthStatements is the function's policy. The Data API's DescribeStatement
// and GetStatementResult have no resource type, so they are limited to the
// statements this role submitted ("Authorizing access to the Amazon Redshift
// Data API", https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html);
// PutMetricData has none either, so it is limited to namespace Haina
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
func healthStatements(args *HealthFunctionArgs, logGroupArn pulumi.StringOutput) []Statement {
	return append(dataAPIStatements(args.Region, args.Account, args.Warehouse, args.DbUser, args.DbRoles),
		Statement{Sid: "ReadOwnStatements", Actions: []string{"redshift-data:DescribeStatement", "redshift-data:GetStatementResult"},
			Resources:  pulumi.ToStringArray([]string{"*"}),
			Conditions: map[string]map[string][]string{"StringEquals": {"redshift-data:statement-owner-iam-userid": {"${aws:userid}"}}}},
		Statement{Sid: "PublishHealth", Actions: []string{"cloudwatch:PutMetricData"}, Resources: pulumi.ToStringArray([]string{"*"}),
			Conditions: map[string]map[string][]string{"StringEquals": {"cloudwatch:namespace": {HealthNamespace}}}},
		Statement{Sid: "Logs", Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: pulumi.StringArray{pulumi.Sprintf("%s:*", logGroupArn)}})
}

// HealthNamespace is the CloudWatch namespace of haina's own metrics.
const HealthNamespace = "Haina"

// NewHealthFunction declares the log group, role, function and its
// asynchronous-invocation settings.
func NewHealthFunction(ctx *pulumi.Context, name string, args *HealthFunctionArgs, opts ...pulumi.ResourceOption) (*HealthFunction, error) {
	if args == nil || args.Warehouse == nil || args.Account == nil || args.FunctionName == "" || args.Call == "" {
		return nil, fmt.Errorf("health function %s: Warehouse, Account, FunctionName and Call are required", name)
	}
	if args.Warehouse.Cluster != nil && args.DbUser == "" {
		return nil, fmt.Errorf("health function %s: a provisioned cluster needs DbUser", name)
	}
	// Render the checks now: a spec the function could not use fails the preview, not every run.
	if _, err := sql.HealthChecks(args.Spec); err != nil {
		return nil, fmt.Errorf("health function %s: %w", name, err)
	}
	if len(args.Reads) != len(args.Spec.Relations()) || args.GrantRole == "" {
		return nil, fmt.Errorf("health function %s: GrantRole and one SQL object per relation the checks read (%d) are required", name, len(args.Spec.Relations()))
	}
	grants, err := sql.HealthGrantsObject(args.Spec, args.GrantRole)
	if err != nil {
		return nil, fmt.Errorf("health function %s: %w", name, err)
	}
	spec, err := json.Marshal(args.Spec)
	if err != nil {
		return nil, err
	}
	if n := len(spec) + len(args.Call); n > 3500 {
		// Lambda allows 4 KB of environment variables in all.
		return nil, fmt.Errorf("health function %s: its settings take %d bytes, more than the 4 KB Lambda allows for environment variables (fewer haina:cdc.redshift.tables, or shorter names)", name, n)
	}
	archive, err := archiveOrBuild(args.Archive, HealthPackage)
	if err != nil {
		return nil, err
	}
	h := &HealthFunction{Archive: archive}
	if err := ctx.RegisterComponentResource("haina:monitoring:HealthFunction", name, h, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(h)
	// Built on what it grants on: a relation replaced (a new view has no
	// grants) replaces the grants too, so they are given again.
	deps := append([]pulumi.Resource{}, args.DependsOn...)
	for _, r := range args.Reads {
		deps = append(deps, r)
	}
	if h.Grants, err = args.SQL.Declare(ctx, name+"-grants", SqlSpec{Object: grants, BasedOn: args.Reads}, parent, pulumi.DependsOn(deps)); err != nil {
		return nil, err
	}
	h.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + args.FunctionName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        args.LogKeyArn,
		Tags:            args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	tags := copyTags(args.Tags)
	addDbRoles(tags, args.DbRoles, args.Warehouse.Cluster != nil)
	h.Role, h.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.FunctionName, Description: "haina: the health function makes the scheduled call and publishes the warehouse's health",
		PolicyName: "call-and-report", Trust: pulumi.String(TrustPolicy([]string{"lambda.amazonaws.com"}, nil)),
		Statements: healthStatements(args, h.LogGroup.Arn), Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	wh := args.Warehouse
	env := pulumi.StringMap{
		"DATABASE":         wh.DatabaseName,
		"CALL_SQL":         pulumi.String(args.Call),
		"ENVIRONMENT":      pulumi.String(string(args.Environment)),
		"HEALTH_SPEC":      pulumi.String(string(spec)),
		"WAIT_SECONDS":     pulumi.String(strconv.Itoa(HealthWaitSeconds)),
		"LOOKBACK_SECONDS": pulumi.String(strconv.Itoa(args.LookbackSeconds)),
	}
	if wh.Cluster != nil {
		env["CLUSTER_IDENTIFIER"], env["DB_USER"] = wh.ClusterIdentifier, pulumi.String(args.DbUser)
	} else {
		env["WORKGROUP_NAME"] = wh.WorkgroupName
	}
	h.Function, err = lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Name:           pulumi.String(args.FunctionName),
		Description:    pulumi.String("haina: makes the warehouse's scheduled call and publishes its health (namespace Haina)"),
		Runtime:        pulumi.String("provided.al2023"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		Handler:        pulumi.String("bootstrap"),
		Code:           pulumi.NewFileArchive(archive.Path),
		SourceCodeHash: pulumi.String(archive.SHA256),
		Role:           h.Role.Arn,
		MemorySize:     pulumi.Int(HealthMemoryMB),
		Timeout:        pulumi.Int(HealthTimeoutSeconds),
		Environment:    &lambda.FunctionEnvironmentArgs{Variables: env},
		LoggingConfig:  &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: h.LogGroup.Name},
		Tags:           args.Tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{h.RolePolicy}))
	if err != nil {
		return nil, err
	}
	// The scheduler invokes asynchronously; Lambda would retry a failed run
	// twice, waking the warehouse again each time. A failed call is already
	// a metric and an alarm, and the next period calls again.
	h.InvokeConfig, err = lambda.NewFunctionEventInvokeConfig(ctx, name, &lambda.FunctionEventInvokeConfigArgs{
		FunctionName: h.Function.Name, MaximumRetryAttempts: pulumi.Int(0), MaximumEventAgeInSeconds: pulumi.Int(MaxEventAgeSeconds),
	}, parent)
	if err != nil {
		return nil, err
	}
	h.FunctionArn = h.Function.Arn
	if err := ctx.RegisterResourceOutputs(h, pulumi.Map{"functionName": h.Function.Name, "functionArn": h.Function.Arn}); err != nil {
		return nil, err
	}
	return h, nil
}
