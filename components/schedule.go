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
	// Warehouse is where the statements run: its workgroup or cluster (whose
	// ARN scopes the role) and database.
	Warehouse   *Warehouse
	Statements  []ScheduledStatement
	RateMinutes int
	Enabled     bool
	// DbRoles are the database roles the role's temporary user gets (tag
	// RedshiftDbRoles) on Serverless. On a provisioned cluster DbUser is the
	// database user the statements run as (holding those roles).
	DbRoles []string
	DbUser  string
	Tags    pulumi.StringMap
	// DependsOn: what the statements need (the schedules start after it exists).
	DependsOn []pulumi.Resource
	// Function, when set, is invoked instead of the Data API: it makes the
	// statements' call itself (the health function) and signs in as its own
	// role, so the schedule's role may only invoke it.
	Function pulumi.StringInput
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
	WorkgroupName     string `json:"WorkgroupName,omitempty"`
	ClusterIdentifier string `json:"ClusterIdentifier,omitempty"`
	DbUser            string `json:"DbUser,omitempty"`
	Database          string `json:"Database"`
	Sql               string `json:"Sql"`
	StatementName     string `json:"StatementName"`
}

// NewSqlSchedule declares the group, the role and one schedule per statement.
func NewSqlSchedule(ctx *pulumi.Context, name string, args *SqlScheduleArgs, opts ...pulumi.ResourceOption) (*SqlSchedule, error) {
	if args == nil || args.Account == nil || args.Warehouse == nil {
		return nil, fmt.Errorf("sql schedule %s: Account and Warehouse are required", name)
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
	tags := copyTags(args.Tags)
	if args.Function != nil {
		return s.invokeFunction(ctx, name, args, tags, parent)
	}
	cluster := args.Warehouse.Cluster != nil
	if cluster && args.DbUser == "" {
		return nil, fmt.Errorf("sql schedule %s: a provisioned cluster needs DbUser, the database user the statements run as", name)
	}
	addDbRoles(tags, args.DbRoles, cluster)
	wh := args.Warehouse
	stmts := dataAPIStatements(args.Region, args.Account, wh, args.DbUser, args.DbRoles)
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
	// The Data API's universal target, with each statement as its input.
	return s.schedules(ctx, name, args, parent, func(st ScheduledStatement) (pulumi.StringInput, pulumi.StringInput) {
		input := pulumi.All(wh.WorkgroupName, wh.ClusterIdentifier, wh.DatabaseName).ApplyT(func(v []any) (string, error) {
			in := executeStatementInput{WorkgroupName: v[0].(string), ClusterIdentifier: v[1].(string),
				Database: v[2].(string), Sql: st.SQL, StatementName: st.Name}
			if cluster {
				in.DbUser = args.DbUser
			}
			b, err := json.Marshal(in)
			return string(b), err
		}).(pulumi.StringOutput)
		return pulumi.String(ExecuteStatementTarget), input
	})
}

// schedules declares one schedule per statement, every RateMinutes, with the
// target (ARN and input) target gives, then the component's outputs.
func (s *SqlSchedule) schedules(ctx *pulumi.Context, name string, args *SqlScheduleArgs, parent pulumi.ResourceOption,
	target func(ScheduledStatement) (arn, input pulumi.StringInput)) (*SqlSchedule, error) {
	state := "DISABLED"
	if args.Enabled {
		state = "ENABLED"
	}
	for _, st := range args.Statements {
		arn, input := target(st)
		sched, err := scheduler.NewSchedule(ctx, name+"-"+st.Name, &scheduler.ScheduleArgs{
			Name: pulumi.String(st.Name), GroupName: s.Group.Name,
			Description:        pulumi.String("haina: " + st.SQL),
			ScheduleExpression: pulumi.String(RateExpression(args.RateMinutes)),
			FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
			State:              pulumi.String(state),
			Target: scheduler.ScheduleTargetArgs{
				Arn: arn, RoleArn: s.Role.Arn, Input: input,
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

// addDbRoles sets the RedshiftDbRoles tag: Redshift Serverless grants these
// database roles to the role's temporary database user (IAMR:<role name>) at
// sign-in. A cluster signs in as a database user instead.
func addDbRoles(tags pulumi.StringMap, dbRoles []string, cluster bool) {
	if len(dbRoles) > 0 && !cluster {
		tags["RedshiftDbRoles"] = pulumi.String(strings.Join(dbRoles, ":"))
	}
}

// dataAPIStatements let a role run statements through the Data API on the
// warehouse and nothing else: ExecuteStatement on it, and its sign-in —
// GetCredentials on the workgroup, or on a cluster GetClusterCredentials on
// dbUser and the database.
func dataAPIStatements(region string, account pulumi.StringInput, wh *Warehouse, dbUser string, dbRoles []string) []Statement {
	warehouse := pulumi.StringArray{wh.Arn}
	stmts := []Statement{{Sid: "RunStatements", Actions: []string{"redshift-data:ExecuteStatement"}, Resources: warehouse}}
	if wh.Cluster != nil {
		// On a cluster the Data API signs in as DbUser with temporary
		// credentials: GetClusterCredentials on that user and the database
		// ("Authorizing access to the Amazon Redshift Data API",
		// https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html;
		// ARN forms: "Resource policies for GetClusterCredentials",
		// https://docs.aws.amazon.com/redshift/latest/mgmt/generating-iam-credentials-role-permissions.html).
		return append(stmts, Statement{Sid: "ClusterCredentials", Actions: []string{"redshift:GetClusterCredentials"}, Resources: pulumi.StringArray{
			pulumi.Sprintf("arn:aws:redshift:%s:%s:dbuser:%s/%s", region, account, wh.ClusterIdentifier, dbUser),
			pulumi.Sprintf("arn:aws:redshift:%s:%s:dbname:%s/%s", region, account, wh.ClusterIdentifier, wh.DatabaseName),
		}})
	}
	stmts = append(stmts, Statement{Sid: "WorkgroupCredentials", Actions: []string{"redshift-serverless:GetCredentials"}, Resources: warehouse})
	if len(dbRoles) > 0 {
		// Redshift Serverless reads the RedshiftDbRoles tag through the tagging
		// API as the caller: without these the temporary user gets no database
		// role and every statement fails on permissions ("Defining database roles
		// to grant to federated users in Amazon Redshift Serverless",
		// https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html).
		// Neither action has a resource type, so "*" is their only resource.
		stmts = append(stmts, Statement{Sid: "ReadRoleTags", Actions: []string{"tag:GetResources", "tag:GetTagKeys"},
			Resources: pulumi.ToStringArray([]string{"*"})})
	}
	return stmts
}

// invokeFunction declares the role and the schedule invoking args.Function
// (asynchronously: EventBridge Scheduler's Lambda target) every RateMinutes.
func (s *SqlSchedule) invokeFunction(ctx *pulumi.Context, name string, args *SqlScheduleArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) (*SqlSchedule, error) {
	var err error
	s.Role, s.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.Name, Description: "haina: EventBridge Scheduler runs SQL on " + args.Name, PolicyName: "run-statements",
		Trust: accountTrust(args.Account, []string{"scheduler.amazonaws.com"}, map[string]map[string][]string{
			"ArnEquals": {"aws:SourceArn": {"arn:aws:scheduler:" + args.Region + ":{account}:schedule-group/" + args.Name}},
		}),
		Statements: []Statement{{Sid: "InvokeHealthFunction", Actions: []string{"lambda:InvokeFunction"}, Resources: pulumi.StringArray{args.Function}}},
		Tags:       tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	// The function takes nothing from its event: the SQL is its own.
	return s.schedules(ctx, name, args, parent, func(ScheduledStatement) (pulumi.StringInput, pulumi.StringInput) {
		return args.Function, pulumi.String("{}")
	})
}
