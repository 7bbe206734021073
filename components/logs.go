package components

import (
	"fmt"
	"strings"

	"github.com/haina-data/haina/provider"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LogsArgs configures Logs.
type LogsArgs struct {
	// Base starts the names of the log groups the key may encrypt: <prefix>-<environment>.
	Base string
	// ServiceGroups are prefixes of log groups AWS services create and haina
	// encrypts afterwards (the warehouse's audit logs: SetRetention).
	ServiceGroups []string
	Protect       bool
	Tags          pulumi.StringMap
}

// Logs is the KMS key of the stack's CloudWatch log groups: the Lambdas',
// Firehose's error logs, the MSK brokers' and MSK Connect's (the flow logs
// keep their own key). CloudWatch Logs may use it only for groups named
// /aws/lambda/<base>-…, /aws/kinesisfirehose/<base>-… and /haina/<base>-…
// (logGroupsKeyPolicy). Log groups are created before their writers, so this
// comes first.
type Logs struct {
	pulumi.ResourceState

	Key *kms.Key
}

// NewLogs declares the log groups' key.
func NewLogs(ctx *pulumi.Context, name string, args *LogsArgs, opts ...pulumi.ResourceOption) (*Logs, error) {
	if args == nil || args.Base == "" {
		return nil, fmt.Errorf("logs %s: Base (<prefix>-<environment>) is required", name)
	}
	region, err := stackRegion(ctx)
	if err != nil {
		return nil, err
	}
	l := &Logs{}
	if err := ctx.RegisterComponentResource("haina:logs:Logs", name, l, opts...); err != nil {
		return nil, err
	}
	window := 7
	if args.Protect {
		window = 30
	}
	prefixes := append([]string{"/aws/lambda/" + args.Base + "-", "/aws/kinesisfirehose/" + args.Base + "-", "/haina/" + args.Base + "-"}, args.ServiceGroups...)
	l.Key, err = kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.String("haina: the stack's CloudWatch log groups"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(window),
		Policy: callerAccount(ctx, l).ApplyT(func(account string) string {
			return logGroupsKeyPolicy(account, region, prefixes)
		}).(pulumi.StringOutput),
		Tags: args.Tags,
	}, pulumi.Parent(l), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(l, pulumi.Map{"keyArn": l.Key.Arn}); err != nil {
		return nil, err
	}
	return l, nil
}

// SetRetention gives log groups an AWS service creates itself (Redshift's
// audit logs, never expiring) a retention and this key, through haina's
// provider (haina:logs:LogGroupSettings): it creates a group not there yet
// and adopts one the service made, where a plain log group resource would
// fail. Deleting the settings deletes the groups, unless retain (production:
// the audit logs outlive the stack, expiring under the retention).
func (l *Logs) SetRetention(ctx *pulumi.Context, name string, groups []string, days int, retain bool, haina pulumi.ProviderResource, opts ...pulumi.ResourceOption) ([]pulumi.CustomResource, error) {
	var out []pulumi.CustomResource
	for _, g := range groups {
		var st logGroupSettingsState
		short := g[strings.LastIndex(g, "/")+1:]
		if err := ctx.RegisterResource(provider.LogGroupSettingsType, name+"-"+short, pulumi.Map{
			"logGroupName": pulumi.String(g), "retentionInDays": pulumi.Int(days), "kmsKeyArn": l.Key.Arn, "retainOnDelete": pulumi.Bool(retain),
		}, &st, append([]pulumi.ResourceOption{pulumi.Parent(l), pulumi.Provider(haina)}, opts...)...); err != nil {
			return nil, err
		}
		out = append(out, &st)
	}
	return out, nil
}

// logGroupSettingsState is the provider resource's state.
type logGroupSettingsState struct {
	pulumi.CustomResourceState
	Adopted pulumi.BoolOutput `pulumi:"adopted"`
}
