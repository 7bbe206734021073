package components

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, v := range out {
		if i == 0 || v != out[j-1] {
			out[j] = v
			j++
		}
	}
	return out[:j]
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
