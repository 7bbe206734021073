package components

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ScheduledStatement is one SQL statement run on a schedule.
type ScheduledStatement struct {
	Name string // names the schedule and the Data API statement
	SQL  string
}

// SqlScheduleArgs configures the SqlSchedule component.
type SqlScheduleArgs struct {
	// Name is the physical name of the schedule group and the role.
	Name    string
	Region  string
	Account pulumi.StringInput
	// The workgroup (its ARN scopes the role) and database the statements run on.
	WorkgroupName pulumi.StringInput
	WorkgroupArn  pulumi.StringInput
	Database      pulumi.StringInput
	Statements    []ScheduledStatement
	RateMinutes   int
	Enabled       bool
	// DbRoles are the database roles the role's temporary user gets (tag RedshiftDbRoles).
	DbRoles []string
	Tags    pulumi.StringMap
	// DependsOn: what the statements need (the schedules start after it exists).
	DependsOn []pulumi.Resource
}

// SqlSchedule runs SQL statements on a Redshift Serverless workgroup every few
// minutes with no servers: an EventBridge Scheduler schedule per statement,
// whose universal target calls the Redshift Data API's ExecuteStatement. Its
// role may only run statements on that workgroup, as its own temporary
// database user (redshift-serverless:GetCredentials).
type SqlSchedule struct {
	pulumi.ResourceState

	Group      *scheduler.ScheduleGroup
	Role       *iam.Role
	RolePolicy *iam.RolePolicy
	Schedules  []*scheduler.Schedule
}

// ExecuteStatementTarget is the scheduler's universal target for the Data API.
const ExecuteStatementTarget = "arn:aws:scheduler:::aws-sdk:redshiftdata:executeStatement"

// RateExpression is a scheduler rate for a number of minutes.
func RateExpression(minutes int) string {
	if minutes == 1 {
		return "rate(1 minute)"
	}
	return fmt.Sprintf("rate(%d minutes)", minutes)
}

// executeStatementInput is the ExecuteStatement request the target sends.
type executeStatementInput struct {
	WorkgroupName string `json:"WorkgroupName"`
	Database      string `json:"Database"`
	Sql           string `json:"Sql"`
	StatementName string `json:"StatementName"`
}

// NewSqlSchedule declares the group, the role and one schedule per statement.
func NewSqlSchedule(ctx *pulumi.Context, name string, args *SqlScheduleArgs, opts ...pulumi.ResourceOption) (*SqlSchedule, error) {
	if args == nil || args.Account == nil || args.WorkgroupName == nil || args.WorkgroupArn == nil || args.Database == nil {
		return nil, fmt.Errorf("sql schedule %s: Account, WorkgroupName, WorkgroupArn and Database are required", name)
	}
	if args.RateMinutes < 1 || args.RateMinutes > 1440 {
		return nil, fmt.Errorf("sql schedule %s: RateMinutes %d is outside 1–1440", name, args.RateMinutes)
	}
	s := &SqlSchedule{}
	if err := ctx.RegisterComponentResource("haina:scheduler:SqlSchedule", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	var err error
	s.Group, err = scheduler.NewScheduleGroup(ctx, name, &scheduler.ScheduleGroupArgs{
		Name: pulumi.String(args.Name), Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	tags := pulumi.StringMap{}
	for k, v := range args.Tags {
		tags[k] = v
	}
	if len(args.DbRoles) > 0 {
		// Redshift Serverless grants these database roles to the role's temporary user at sign-in.
		tags["RedshiftDbRoles"] = pulumi.String(strings.Join(args.DbRoles, ":"))
	}
	workgroup := pulumi.StringArray{args.WorkgroupArn}
	stmts := []Statement{
		{Sid: "RunStatements", Actions: []string{"redshift-data:ExecuteStatement"}, Resources: workgroup},
		{Sid: "WorkgroupCredentials", Actions: []string{"redshift-serverless:GetCredentials"}, Resources: workgroup},
	}
	if len(args.DbRoles) > 0 {
		// Redshift Serverless reads the RedshiftDbRoles tag through the tagging
		// API as the caller: without these the temporary user gets no database
		// role and every statement fails on permissions ("Defining database roles
		// to grant to federated users in Amazon Redshift Serverless",
		// https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html).
		// Neither action has a resource type, so "*" is their only resource.
		stmts = append(stmts, Statement{Sid: "ReadRoleTags", Actions: []string{"tag:GetResources", "tag:GetTagKeys"},
			Resources: pulumi.ToStringArray([]string{"*"})})
	}
	s.Role, s.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.Name, Description: "haina: EventBridge Scheduler runs SQL on " + args.Name, PolicyName: "run-statements",
		// Only this account's schedules in this group may assume it.
		Trust: accountTrust(args.Account, []string{"scheduler.amazonaws.com"}, map[string]map[string][]string{
			"ArnEquals": {"aws:SourceArn": {"arn:aws:scheduler:" + args.Region + ":{account}:schedule-group/" + args.Name}},
		}),
		Statements: stmts,
		Tags:       tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	state := "DISABLED"
	if args.Enabled {
		state = "ENABLED"
	}
	for _, st := range args.Statements {
		st := st
		input := pulumi.All(args.WorkgroupName, args.Database).ApplyT(func(v []any) (string, error) {
			b, err := json.Marshal(executeStatementInput{WorkgroupName: v[0].(string), Database: v[1].(string), Sql: st.SQL, StatementName: st.Name})
			return string(b), err
		}).(pulumi.StringOutput)
		sched, err := scheduler.NewSchedule(ctx, name+"-"+st.Name, &scheduler.ScheduleArgs{
			Name: pulumi.String(st.Name), GroupName: s.Group.Name,
			Description:        pulumi.String("haina: " + st.SQL),
			ScheduleExpression: pulumi.String(RateExpression(args.RateMinutes)),
			FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
			State:              pulumi.String(state),
			Target: scheduler.ScheduleTargetArgs{
				Arn: pulumi.String(ExecuteStatementTarget), RoleArn: s.Role.Arn, Input: input,
				// A missed call is not worth chasing past the next one.
				RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{
					MaximumEventAgeInSeconds: pulumi.Int(max(60, 60*args.RateMinutes)), MaximumRetryAttempts: pulumi.Int(2),
				},
			},
		}, parent, pulumi.DependsOn(append([]pulumi.Resource{s.RolePolicy}, args.DependsOn...)))
		if err != nil {
			return nil, err
		}
		s.Schedules = append(s.Schedules, sched)
	}
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"groupName": s.Group.Name, "roleArn": s.Role.Arn}); err != nil {
		return nil, err
	}
	return s, nil
}
