package components

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// HainaProvider is an instance of haina's own provider (cmd/pulumi-resource-haina).
type HainaProvider struct {
	pulumi.ProviderResourceState
}

// NewHainaProvider declares a provider instance for one region. It is explicit
// (not the default provider) so it never receives the project's haina: config.
// It takes the AWS identity the aws provider is configured with (aws:profile,
// aws:assumeRole), so haina's SQL and uploads run as the same principal as the
// rest of the deploy, not as whatever the machine's default credentials are.
func NewHainaProvider(ctx *pulumi.Context, name, region string, opts ...pulumi.ResourceOption) (*HainaProvider, error) {
	inputs := pulumi.Map{"region": pulumi.String(region)}
	if profile := config.Get(ctx, "aws:profile"); profile != "" {
		inputs["profile"] = pulumi.String(profile)
	}
	if raw := config.Get(ctx, "aws:assumeRole"); raw != "" {
		var role struct {
			RoleArn     string `json:"roleArn"`
			SessionName string `json:"sessionName"`
			ExternalID  string `json:"externalId"`
		}
		if err := json.Unmarshal([]byte(raw), &role); err != nil || role.RoleArn == "" {
			return nil, fmt.Errorf("aws:assumeRole: %q is not an object with a roleArn (and optional sessionName, externalId)", raw)
		}
		inputs["assumeRoleArn"] = pulumi.String(role.RoleArn)
		if role.SessionName != "" {
			inputs["sessionName"] = pulumi.String(role.SessionName)
		}
		if role.ExternalID != "" {
			inputs["externalId"] = pulumi.String(role.ExternalID)
		}
	}
	var p HainaProvider
	err := ctx.RegisterResource("pulumi:providers:"+provider.Name, name, inputs, &p, opts...)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// SqlTarget is one database haina runs SQL objects on, with the provider
// instance that runs them and the data-safety policy they follow. Components
// take a target and declare each object through Declare, so every object of
// a database gets the same provider, secret, timeout and policy.
type SqlTarget struct {
	// Provider runs the statements: an instance of haina's provider (NewHainaProvider).
	Provider pulumi.ProviderResource
	// WorkgroupName is a Redshift Serverless workgroup, ClusterIdentifier a
	// provisioned Redshift cluster, ResourceArn an Aurora MySQL cluster reached
	// through the RDS Data API. Exactly one is set.
	WorkgroupName     pulumi.StringInput
	ClusterIdentifier pulumi.StringInput
	ResourceArn       pulumi.StringInput
	Database          pulumi.StringInput
	// SecretArn: statements run as the user in that secret (the admin).
	SecretArn pulumi.StringInput
	// For objects that hold data (SqlSpec.HoldsData): AllowDataLoss permits
	// replacing one, GuardDelete (production) makes deleting one need
	// AllowDataLoss too, and Protect marks them protected.
	AllowDataLoss  bool
	GuardDelete    bool
	Protect        bool
	TimeoutSeconds int
}

// SqlSpec is what one SQL object adds to its target.
type SqlSpec struct {
	Object sql.Object
	// HoldsData marks ingested data (see SqlTarget's policy).
	HoldsData bool
	// NonTransactional runs each statement on its own, for statements Redshift
	// refuses inside a transaction block (COPY JOB, CREATE DATABASE … FROM INTEGRATION).
	NonTransactional bool
	// PasswordSecretArn: the provider generates a password into this secret
	// (with PasswordUsername) and uses it where the create statements say so.
	PasswordSecretArn pulumi.StringInput
	PasswordUsername  string
	// PasswordRotation: a new value sets a new password in place (a counter, a date).
	PasswordRotation string
	// Late: the create statements and definition depend on a value known only
	// after deploy (a cluster ARN); LateRender renders the object with it.
	// Object still gives the rest (kind, name, drop, exists).
	Late       pulumi.StringInput
	LateRender func(string) (sql.Object, error)
	// BasedOn are the SQL objects this one is built on: replacing one of them
	// replaces this one first (see provider.SqlObject.BasedOn).
	BasedOn []*SqlObject
}

// SqlObjectArgs declares one SQL object: a target and what the object adds.
type SqlObjectArgs struct {
	SqlTarget
	SqlSpec
}

// Declare declares one SQL object named name on the target.
func (t SqlTarget) Declare(ctx *pulumi.Context, name string, spec SqlSpec, opts ...pulumi.ResourceOption) (*SqlObject, error) {
	return NewSqlObject(ctx, name, &SqlObjectArgs{SqlTarget: t, SqlSpec: spec}, opts...)
}

// SqlObject is a haina:redshift:SqlObject resource.
type SqlObject struct {
	pulumi.CustomResourceState

	ObjectName pulumi.StringOutput      `pulumi:"objectName"`
	Kind       pulumi.StringOutput      `pulumi:"kind"`
	Create     pulumi.StringArrayOutput `pulumi:"create"`
	// PasswordVersion is the secret's version id of the password the provider
	// last set (objects with PasswordSecretArn; "" in a state from before it).
	// It changes with the password and is not secret.
	PasswordVersion pulumi.StringOutput `pulumi:"passwordVersion"`
}

// NewSqlObject declares a SQL object, run by args.Provider (or the provider
// given with pulumi.Provider) and protected when it holds data and args.Protect.
func NewSqlObject(ctx *pulumi.Context, name string, args *SqlObjectArgs, opts ...pulumi.ResourceOption) (*SqlObject, error) {
	if args == nil {
		return nil, errors.New("sql object " + name + ": args are required")
	}
	set := 0
	for _, in := range []pulumi.StringInput{args.WorkgroupName, args.ClusterIdentifier, args.ResourceArn} {
		if in != nil {
			set++
		}
	}
	if set != 1 || args.Database == nil || len(args.Object.Create) == 0 {
		return nil, errors.New("sql object " + name + ": one of WorkgroupName, ClusterIdentifier or ResourceArn, Database and create statements are required")
	}
	o := args.Object
	token := provider.RedshiftSqlObjectType
	inputs := pulumi.Map{
		"database":   args.Database,
		"kind":       pulumi.String(o.Kind),
		"objectName": pulumi.String(o.Name),
		"create":     pulumi.ToStringArray(o.Create),
		"drop":       pulumi.ToStringArray(o.Drop),
		"exists":     pulumi.String(o.Exists),
	}
	switch {
	case args.ResourceArn != nil:
		token, inputs["resourceArn"] = provider.MySQLSqlObjectType, args.ResourceArn
	case args.ClusterIdentifier != nil:
		inputs["clusterIdentifier"] = args.ClusterIdentifier
	default:
		inputs["workgroupName"] = args.WorkgroupName
	}
	if args.SecretArn != nil {
		inputs["secretArn"] = args.SecretArn
	}
	if args.Late != nil {
		late := args.Late.ToStringOutput().ApplyT(func(v string) (any, error) { return args.LateRender(v) })
		inputs["create"] = late.ApplyT(func(o any) []string { return o.(sql.Object).Create }).(pulumi.StringArrayOutput)
		if len(o.Update) > 0 {
			inputs["update"] = late.ApplyT(func(o any) []string { return o.(sql.Object).Update }).(pulumi.StringArrayOutput)
		}
		if o.Definition != "" {
			inputs["definition"] = late.ApplyT(func(o any) string { return o.(sql.Object).Definition }).(pulumi.StringOutput)
		}
	}
	if o.Definition != "" && args.Late == nil {
		inputs["definition"] = pulumi.String(o.Definition)
	}
	if len(o.Update) > 0 && args.Late == nil {
		inputs["update"] = pulumi.ToStringArray(o.Update)
	}
	if args.HoldsData {
		inputs["holdsData"] = pulumi.Bool(true)
		inputs["allowDataLoss"] = pulumi.Bool(args.AllowDataLoss)
		inputs["guardDelete"] = pulumi.Bool(args.GuardDelete)
	}
	if args.TimeoutSeconds > 0 {
		inputs["timeoutSeconds"] = pulumi.Int(args.TimeoutSeconds)
	}
	if len(args.BasedOn) > 0 {
		based := pulumi.StringArray{}
		for _, b := range args.BasedOn {
			based = append(based, b.ObjectName)
		}
		inputs["basedOn"] = based
	}
	if args.NonTransactional {
		inputs["nonTransactional"] = pulumi.Bool(true)
	}
	if args.PasswordSecretArn != nil {
		inputs["passwordSecretArn"], inputs["passwordUsername"] = args.PasswordSecretArn, pulumi.String(args.PasswordUsername)
		if args.PasswordRotation != "" {
			inputs["rotation"] = pulumi.String(args.PasswordRotation)
		}
	}
	if args.Provider != nil {
		opts = append([]pulumi.ResourceOption{pulumi.Provider(args.Provider)}, opts...)
	}
	if args.HoldsData && args.Protect {
		opts = append(opts, pulumi.Protect(true))
	}
	var res SqlObject
	if err := ctx.RegisterResource(token, name, inputs, &res, opts...); err != nil {
		return nil, err
	}
	return &res, nil
}
