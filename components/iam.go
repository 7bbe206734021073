package components

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Statement is one statement of an IAM policy (Allow unless Deny). Resources
// are outputs (ARNs of resources declared elsewhere), so the document is built
// when they resolve.
type Statement struct {
	Sid       string
	Deny      bool
	Actions   []string
	Resources pulumi.StringArrayInput
	// Principals, for resource policies: {"Service": […]}, {"AWS": […]} or {"AWS": ["*"]}.
	Principals map[string][]string
	// Conditions: operator → key → values, e.g. {"StringEquals": {"aws:SourceAccount": {"123…"}}}.
	Conditions map[string]map[string][]string
}

type policyDoc struct {
	Version   string       `json:"Version"`
	Statement []policyStmt `json:"Statement"`
}

type policyStmt struct {
	Sid       string                         `json:"Sid,omitempty"`
	Effect    string                         `json:"Effect"`
	Principal map[string][]string            `json:"Principal,omitempty"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource,omitempty"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// PolicyDocument renders statements as a policy JSON. Actions and resources are
// sorted and de-duplicated so that two evaluations give identical text.
func PolicyDocument(stmts ...Statement) pulumi.StringOutput {
	arrays := make([]any, len(stmts))
	for i, s := range stmts {
		if s.Resources == nil {
			arrays[i] = pulumi.StringArray{}
		} else {
			arrays[i] = s.Resources
		}
	}
	return pulumi.All(arrays...).ApplyT(func(resolved []any) (string, error) {
		doc := policyDoc{Version: "2012-10-17"}
		for i, s := range stmts {
			res := sortedUnique(resolved[i].([]string))
			if len(res) == 0 {
				return "", fmt.Errorf("policy statement %q has no resources", s.Sid)
			}
			effect := "Allow"
			if s.Deny {
				effect = "Deny"
			}
			doc.Statement = append(doc.Statement, policyStmt{
				Sid: s.Sid, Effect: effect, Principal: s.Principals, Action: sortedUnique(s.Actions), Resource: res, Condition: s.Conditions,
			})
		}
		b, err := json.Marshal(doc)
		return string(b), err
	}).(pulumi.StringOutput)
}

// TrustPolicy lets the given AWS services assume a role, optionally under conditions
// (aws:SourceAccount / aws:SourceArn guard against the confused deputy).
func TrustPolicy(services []string, conditions map[string]map[string][]string) string {
	doc := policyDoc{Version: "2012-10-17", Statement: []policyStmt{{
		Effect:    "Allow",
		Principal: map[string][]string{"Service": sortedUnique(services)},
		Action:    []string{"sts:AssumeRole"},
		Condition: conditions,
	}}}
	b, _ := json.Marshal(doc) // a struct of strings always marshals
	return string(b)
}

// serviceRole is a role an AWS service assumes, with one inline policy.
type serviceRole struct {
	Name, Description, PolicyName string
	Trust                         pulumi.StringInput
	Statements                    []Statement
	Tags                          pulumi.StringMap
}

// newServiceRole declares the role and its policy, both named name.
func newServiceRole(ctx *pulumi.Context, name string, r serviceRole, opts ...pulumi.ResourceOption) (*iam.Role, *iam.RolePolicy, error) {
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Name: pulumi.String(r.Name), Description: pulumi.String(r.Description), AssumeRolePolicy: r.Trust, Tags: r.Tags,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	policy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role: role.ID(), Name: pulumi.String(r.PolicyName), Policy: PolicyDocument(r.Statements...),
	}, opts...)
	return role, policy, err
}

// externalIDTrust lets services assume a role only when they name this account
// as the external id: how Firehose documents its trust policy ("Grant Firehose
// access to an Amazon S3 destination": "Condition": {"StringEquals":
// {"sts:ExternalId": "account-id"}}, https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html).
func externalIDTrust(account pulumi.StringInput, services []string) pulumi.StringOutput {
	return account.ToStringOutput().ApplyT(func(acct string) string {
		return TrustPolicy(services, map[string]map[string][]string{"StringEquals": {"sts:ExternalId": {acct}}})
	}).(pulumi.StringOutput)
}

// accountTrust lets services assume a role only on behalf of this account.
func accountTrust(account pulumi.StringInput, services []string, extra map[string]map[string][]string) pulumi.StringOutput {
	return account.ToStringOutput().ApplyT(func(acct string) string {
		cond := map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {acct}}}
		for op, kv := range extra {
			if cond[op] == nil {
				cond[op] = map[string][]string{}
			}
			for k, v := range kv {
				cond[op][k] = []string{strings.ReplaceAll(v[0], "{account}", acct)}
			}
		}
		return TrustPolicy(services, cond)
	}).(pulumi.StringOutput)
}

// ---- KMS key policies ----

// keyAdminActions are what the account may do to administer a haina key
// (IAM policies decide which of its principals): every action named, instead
// of kms:*, so no policy in haina carries a wildcard action, and none of them
// encrypts or decrypts data (that is keyUseActions, through a service only).
// The account keeps administration so it can never lock itself out of a key
// ("Allows access to the AWS account and enables IAM policies",
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
// DescribeKey, GetKeyPolicy, GetKeyRotationStatus and ListResourceTags are
// what the Pulumi provider reads back; PutKeyPolicy lets the deployer create
// the key with this policy (KMS refuses a policy that would lock its creator
// out: "BypassPolicyLockoutSafetyCheck", CreateKey API reference).
var keyAdminActions = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation",
	"kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
	"kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
	"kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
}

// keyUseActions are the cryptographic operations AWS services make with a
// key on a principal's behalf (the statement AWS managed keys carry:
// Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey under
// kms:ViaService and kms:CallerAccount), named one by one.
var keyUseActions = []string{
	"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
	"kms:ReEncryptFrom", "kms:ReEncryptTo",
}

// keyUse says who uses a key besides its administrators.
type keyUse struct {
	// Services are the service prefixes that use the key on the account's
	// principals' behalf: the use actions are allowed to the account (IAM then
	// decides which role) only through <service>.<region>.amazonaws.com
	// (kms:ViaService) and only for callers of this account (kms:CallerAccount):
	// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service,
	// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account.
	Services []string
	// Grants: the services attach grants to the resources they encrypt
	// (RDS, Redshift, MSK): kms:CreateGrant through them, for AWS resources
	// only (kms:GrantIsForAWSResource,
	// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
	Grants bool
	// Extra statements, e.g. a service principal that uses the key itself
	// (CloudWatch Logs for an encrypted log group); ExtraFor when they name the account.
	Extra    []policyStmt
	ExtraFor func(account string) []policyStmt
}

// keyPolicy separates administration (the account, every admin action
// named) from use (through the listed services only). In a key policy,
// Resource "*" is the key itself. A key policy that names the account's root
// delegates to IAM: a role still needs its own kms: grant, and the key policy
// adds the service condition on top ("Unless the key policy explicitly allows
// it, you cannot use IAM policies to allow access to a KMS key",
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
func keyPolicy(account, region string, use keyUse) string {
	root := map[string][]string{"AWS": {"arn:aws:iam::" + account + ":root"}}
	stmts := []policyStmt{{Sid: "AccountAdministers", Effect: "Allow", Principal: root, Action: sortedUnique(keyAdminActions), Resource: []string{"*"}}}
	var via []string
	for _, s := range use.Services {
		via = append(via, s+"."+region+".amazonaws.com")
	}
	if via = sortedUnique(via); len(via) > 0 {
		through := map[string][]string{"kms:CallerAccount": {account}, "kms:ViaService": via}
		stmts = append(stmts, policyStmt{Sid: "AccountUsesThroughServices", Effect: "Allow", Principal: root,
			Action: keyUseActions, Resource: []string{"*"}, Condition: map[string]map[string][]string{"StringEquals": through}})
		if use.Grants {
			stmts = append(stmts, policyStmt{Sid: "ServicesAttachGrants", Effect: "Allow", Principal: root,
				Action: []string{"kms:CreateGrant"}, Resource: []string{"*"}, Condition: map[string]map[string][]string{
					"StringEquals": through, "Bool": {"kms:GrantIsForAWSResource": {"true"}}}})
		}
	}
	stmts = append(stmts, use.Extra...)
	if use.ExtraFor != nil {
		stmts = append(stmts, use.ExtraFor(account)...)
	}
	b, _ := json.Marshal(policyDoc{Version: "2012-10-17", Statement: stmts}) // strings only: always marshals
	return string(b)
}

// stackRegion is the region the stack deploys to (aws:region, as
// LoadPipelineArgs reads it): the region of every service a key policy names.
func stackRegion(ctx *pulumi.Context) (string, error) {
	if r := config.Get(ctx, "aws:region"); r != "" {
		return r, nil
	}
	return "", fmt.Errorf("aws:region is not set: key and endpoint policies name the region's services")
}

// callerAccount is the deploying account's ID.
func callerAccount(ctx *pulumi.Context, parent pulumi.Resource) pulumi.StringOutput {
	return aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(parent)).AccountId()
}

// logsKeyActions are what CloudWatch Logs does with a log group's key: the
// documented statement's Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey* and
// DescribeKey, spelled out without wildcards (the data-key-pair variants,
// for asymmetric data keys, left out).
var logsKeyActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
	"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}

// logGroupsKeyPolicy is keyPolicy plus the regional CloudWatch Logs service,
// which encrypts a log group's events with the key: only for log groups
// whose names start with one of groupPrefixes, in this account and region
// (encryption context aws:logs:arn, "Encrypt log data in CloudWatch Logs
// using AWS KMS", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
// Writers (Lambda, Firehose, MSK) need no key permission: CloudWatch Logs
// encrypts what they put. The same page adds that CloudWatch Logs may also
// call KMS on a caller's behalf (kms:ViaService logs): the account may use
// the key through CloudWatch Logs, so a role or person IAM grants the key to
// can, and no one can use it outside CloudWatch Logs.
func logGroupsKeyPolicy(account, region string, groupPrefixes []string) string {
	var arns []string
	for _, g := range groupPrefixes {
		arns = append(arns, fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s*", region, account, g))
	}
	return keyPolicy(account, region, keyUse{Services: []string{"logs"}, Extra: []policyStmt{
		{Sid: "LogsUseForHainaLogGroups", Effect: "Allow", Principal: map[string][]string{"Service": {"logs." + region + ".amazonaws.com"}},
			Action:    logsKeyActions,
			Resource:  []string{"*"},
			Condition: map[string]map[string][]string{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sortedUnique(arns)}}},
	}})
}

// customerKey configures newCustomerKey.
type customerKey struct {
	Description string
	Use         keyUse
	// Protect: production keeps the key (and the longest deletion window).
	Protect bool
	Tags    pulumi.StringMap
	// Parent is the component the key belongs to.
	Parent pulumi.Resource
}

// newCustomerKey creates a symmetric KMS key with yearly rotation and an
// explicit key policy (keyPolicy). A protected key gets the longest deletion
// window, so a mistaken delete can be cancelled.
func newCustomerKey(ctx *pulumi.Context, name string, k customerKey, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	region, err := stackRegion(ctx)
	if err != nil {
		return nil, err
	}
	window := 7
	if k.Protect {
		window = 30
	}
	use := k.Use
	return kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(k.Description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(window),
		Policy: callerAccount(ctx, k.Parent).ApplyT(func(account string) string {
			return keyPolicy(account, region, use)
		}).(pulumi.StringOutput),
		Tags: k.Tags,
	}, append([]pulumi.ResourceOption{pulumi.Parent(k.Parent), pulumi.Protect(k.Protect)}, opts...)...)
}
