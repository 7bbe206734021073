package iameval

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Resource is one resource of a stack: its type token, its name and its state
// (inputs plus what the cloud computed) as plain Go values, as the mock
// harness records it (Resource.State.Mappable()) or as `pulumi stack export`
// lists it (type, the URN's last part, outputs).
type Resource struct {
	Type  string
	Name  string
	State map[string]any
}

// Role is an IAM role with everything that decides what it may do.
type Role struct {
	Name, Arn string
	Trust     *Policy
	// Policies are its inline and customer-managed policies.
	Policies []*Policy
	Tags     map[string]string
	// Unknown are attached managed policies whose documents are not in the
	// stack (AWS managed policies): a role with any is not fully evaluable.
	Unknown []string
}

// Stack indexes a stack's resources for the data-path checks.
type Stack struct {
	Resources []Resource
	Account   string
	Region    string
	Roles     map[string]*Role // by ARN
	// resource policies by the resource they govern: bucket name, key ARN, namespace ARN.
	bucketPolicies map[string]*Policy
	keyPolicies    map[string]*Policy
	topicPolicies  map[string]*Policy
	redshiftPolicy map[string]*Policy
}

// Resource types read from the state.
const (
	tRole             = "aws:iam/role:Role"
	tRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	tRolePolicyAttach = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tPolicy           = "aws:iam/policy:Policy"
	tBucketPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	tBucketSSE        = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tKey              = "aws:kms/key:Key"
	tStream           = "aws:kinesis/stream:Stream"
	tFirehose         = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
	tNamespace        = "aws:redshiftserverless/namespace:Namespace"
	tWorkgroup        = "aws:redshiftserverless/workgroup:Workgroup"
	tCluster          = "aws:redshift/cluster:Cluster"
	tTopic            = "aws:sns/topic:Topic"
	tTopicPolicy      = "aws:sns/topicPolicy:TopicPolicy"
	tAlarm            = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tRedshiftPolicy   = "aws:redshift/resourcePolicy:ResourcePolicy"
	tIntegration      = "aws:redshift/integration:Integration"
	tMSK              = "aws:msk/cluster:Cluster"
	tMSKServerless    = "aws:msk/serverlessCluster:ServerlessCluster"
	tConnector        = "aws:mskconnect/connector:Connector"
	tWorkerConfig     = "aws:mskconnect/workerConfiguration:WorkerConfiguration"
	tSecret           = "aws:secretsmanager/secret:Secret"
	tSchedule         = "aws:scheduler/schedule:Schedule"
	tFunction         = "aws:lambda/function:Function"
	tInvocation       = "aws:lambda/invocation:Invocation"
	tSubscription     = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
	tFlowLog          = "aws:ec2/flowLog:FlowLog"
	tVpcEndpoint      = "aws:ec2/vpcEndpoint:VpcEndpoint"
)

// get walks nested maps (and single-element lists, as Pulumi state stores
// nested blocks) and returns the value at the path, or nil.
func get(m map[string]any, path ...string) any {
	var cur any = m
	for _, k := range path {
		if l, ok := cur.([]any); ok && len(l) == 1 {
			cur = l[0]
		}
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	if l, ok := cur.([]any); ok && len(l) == 1 {
		if _, isMap := l[0].(map[string]any); isMap {
			return l[0]
		}
	}
	return cur
}

func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}

func strs(m map[string]any, path ...string) []string {
	switch v := get(m, path...).(type) {
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

func boolean(m map[string]any, path ...string) bool {
	b, _ := get(m, path...).(bool)
	return b
}

// parseState parses the policy document a resource holds in its "policy" field.
func parseState(r Resource) (*Policy, error) {
	doc, _ := policyText(get(r.State, "policy"))
	return Parse(r.Type+"::"+r.Name, doc)
}

// policyText returns a policy document from a state value: a JSON string, or
// an already decoded object (some exports decode JSON-typed properties).
func policyText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, strings.Contains(t, "Statement")
	case map[string]any:
		b, err := json.Marshal(t)
		return string(b), err == nil
	}
	return "", false
}

// arnPart returns an ARN's component (0 arn, 1 partition, 2 service, 3 region, 4 account, 5 resource).
func arnPart(arn string, i int) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 {
		return ""
	}
	return p[i]
}

// Load indexes a stack's resources: roles with their trust policy and every
// policy attached to them, resource policies, the account and the region.
func Load(resources []Resource) (*Stack, error) {
	s := &Stack{Resources: resources, Roles: map[string]*Role{},
		bucketPolicies: map[string]*Policy{}, keyPolicies: map[string]*Policy{}, topicPolicies: map[string]*Policy{}, redshiftPolicy: map[string]*Policy{}}
	byName := map[string]*Role{}
	managed := map[string]*Policy{}
	for _, r := range resources {
		switch r.Type {
		case tRole:
			role := &Role{Name: str(r.State, "name"), Arn: str(r.State, "arn"), Tags: map[string]string{}}
			if role.Arn == "" || role.Name == "" {
				return nil, fmt.Errorf("role %s: no name or arn in its state", r.Name)
			}
			doc, ok := policyText(get(r.State, "assumeRolePolicy"))
			if !ok {
				return nil, fmt.Errorf("role %s: no trust policy", r.Name)
			}
			var err error
			if role.Trust, err = Parse(r.Type+"::"+r.Name+"::assumeRolePolicy", doc); err != nil {
				return nil, err
			}
			if tags, ok := get(r.State, "tags").(map[string]any); ok {
				for k, v := range tags {
					role.Tags[k] = fmt.Sprint(v)
				}
			}
			if inl, ok := get(r.State, "inlinePolicies").([]any); ok {
				for i, x := range inl {
					m, _ := x.(map[string]any)
					if doc, ok := policyText(m["policy"]); ok {
						p, err := Parse(fmt.Sprintf("%s::%s::inlinePolicies[%d]", r.Type, r.Name, i), doc)
						if err != nil {
							return nil, err
						}
						role.Policies = append(role.Policies, p)
					}
				}
			}
			role.Unknown = append(role.Unknown, strs(r.State, "managedPolicyArns")...)
			s.Roles[role.Arn] = role
			byName[role.Name] = role
			if s.Account == "" {
				s.Account = arnPart(role.Arn, 4)
			}
		case tPolicy:
			doc, ok := policyText(get(r.State, "policy"))
			if !ok {
				return nil, fmt.Errorf("policy %s: no document", r.Name)
			}
			p, err := Parse(r.Type+"::"+r.Name, doc)
			if err != nil {
				return nil, err
			}
			managed[str(r.State, "arn")] = p
		case tBucketPolicy:
			p, err := parseState(r)
			if err != nil {
				return nil, err
			}
			s.bucketPolicies[str(r.State, "bucket")] = p
		case tKey:
			if doc, ok := policyText(get(r.State, "policy")); ok {
				p, err := Parse(r.Type+"::"+r.Name, doc)
				if err != nil {
					return nil, err
				}
				s.keyPolicies[str(r.State, "arn")] = p
			}
		case tTopicPolicy:
			p, err := parseState(r)
			if err != nil {
				return nil, err
			}
			s.topicPolicies[str(r.State, "arn")] = p
		case tRedshiftPolicy:
			p, err := parseState(r)
			if err != nil {
				return nil, err
			}
			s.redshiftPolicy[str(r.State, "resourceArn")] = p
		case tStream, tWorkgroup, tFirehose:
			if s.Region == "" {
				s.Region = arnPart(str(r.State, "arn"), 3)
			}
		}
	}
	roleOf := func(ref string) *Role {
		if r, ok := byName[ref]; ok {
			return r
		}
		return s.Roles[ref]
	}
	for _, r := range resources {
		switch r.Type {
		case tRolePolicy:
			role := roleOf(str(r.State, "role"))
			if role == nil {
				return nil, fmt.Errorf("role policy %s: role %q is not in the stack", r.Name, str(r.State, "role"))
			}
			doc, ok := policyText(get(r.State, "policy"))
			if !ok {
				return nil, fmt.Errorf("role policy %s: no document", r.Name)
			}
			p, err := Parse(r.Type+"::"+r.Name, doc)
			if err != nil {
				return nil, err
			}
			role.Policies = append(role.Policies, p)
		case tRolePolicyAttach:
			role := roleOf(str(r.State, "role"))
			if role == nil {
				return nil, fmt.Errorf("policy attachment %s: role %q is not in the stack", r.Name, str(r.State, "role"))
			}
			role.Unknown = append(role.Unknown, str(r.State, "policyArn"))
		}
	}
	// Customer-managed policies declared in the stack are known after all, and so
	// are the AWS managed policies whose documents are written down here.
	for arn, doc := range awsManagedPolicies {
		p, err := Parse(arn, doc)
		if err != nil {
			return nil, err
		}
		managed[arn] = p
	}
	for _, role := range s.Roles {
		var unknown []string
		for _, arn := range role.Unknown {
			if p, ok := managed[arn]; ok {
				role.Policies = append(role.Policies, p)
			} else {
				unknown = append(unknown, arn)
			}
		}
		sort.Strings(unknown)
		role.Unknown = unknown
	}
	if s.Account == "" || s.Region == "" {
		return nil, fmt.Errorf("could not tell the account (%q) and region (%q) from the stack", s.Account, s.Region)
	}
	return s, nil
}

// OfType returns the resources of one type, in order.
func (s *Stack) OfType(t string) []Resource {
	var out []Resource
	for _, r := range s.Resources {
		if r.Type == t {
			out = append(out, r)
		}
	}
	return out
}

// find returns the first resource of a type whose state has key = value.
func (s *Stack) find(t, key, value string) (Resource, bool) {
	for _, r := range s.OfType(t) {
		if str(r.State, key) == value {
			return r, true
		}
	}
	return Resource{}, false
}

// resourcePolicy is the resource-based policy that governs a request on an
// ARN, if the stack declares one: a bucket policy for S3 buckets and objects,
// a key policy for a KMS key.
func (s *Stack) resourcePolicy(arn string) *Policy {
	switch arnPart(arn, 2) {
	case "s3":
		bucket, _, _ := strings.Cut(arnPart(arn, 5), "/")
		return s.bucketPolicies[bucket]
	case "kms":
		return s.keyPolicies[arn]
	case "sns":
		return s.topicPolicies[arn]
	case "redshift-serverless":
		return s.redshiftPolicy[arn]
	}
	return nil
}

// AllPolicies returns every policy document in the stack's state (any
// "policy", "assumeRolePolicy" or inline policy), parsed.
func (s *Stack) AllPolicies() ([]*Policy, error) {
	var out []*Policy
	for _, r := range s.Resources {
		for _, key := range []string{"policy", "assumeRolePolicy"} {
			if doc, ok := policyText(r.State[key]); ok {
				p, err := Parse(r.Type+"::"+r.Name+"::"+key, doc)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
		}
		if inl, ok := r.State["inlinePolicies"].([]any); ok {
			for i, x := range inl {
				m, _ := x.(map[string]any)
				if doc, ok := policyText(m["policy"]); ok {
					p, err := Parse(fmt.Sprintf("%s::%s::inlinePolicies[%d]", r.Type, r.Name, i), doc)
					if err != nil {
						return nil, err
					}
					out = append(out, p)
				}
			}
		}
	}
	return out, nil
}

// WildcardGrants lists every Allow statement in the stack whose Action is
// "*" or "service:*", or that grants by NotAction: a grant of everything a
// service can do, never needed by a data path.
func (s *Stack) WildcardGrants() ([]string, error) {
	ps, err := s.AllPolicies()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ps {
		for i, st := range p.Statements {
			if st.Effect != "Allow" || boundedEndpointStatement(p, st) {
				continue
			}
			if st.HasNotAction {
				out = append(out, fmt.Sprintf("%s statement %d (%s): Allow with NotAction %v", p.Name, i, st.Sid, st.NotAction))
			}
			for _, a := range st.Action {
				if a == "*" || strings.HasSuffix(a, ":*") {
					out = append(out, fmt.Sprintf("%s statement %d (%s): Allow with Action %q", p.Name, i, st.Sid, a))
				}
			}
		}
	}
	return out, nil
}

// boundedEndpointStatement reports whether a statement is a VPC endpoint
// policy's bound on resource ownership: an endpoint policy grants nothing
// ("VPC endpoint policies don't grant permissions on their own. They act as
// an additional boundary", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sts_vpc_endpoint_policies.html),
// so its Allow of every action under aws:ResourceAccount is the documented
// perimeter form, not a grant. Without that condition it is flagged like any
// other wildcard.
func boundedEndpointStatement(p *Policy, st Statement) bool {
	if !strings.HasPrefix(p.Name, tVpcEndpoint+"::") {
		return false
	}
	return len(st.Condition["StringEquals"]["aws:ResourceAccount"]) > 0
}

// awsManagedPolicies are AWS managed policies haina attaches, as AWS publishes
// them. AWSLambdaVPCAccessExecutionRole: "AWS managed policy reference",
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
// (what a function in a VPC needs for its network interfaces, and its logs).
var awsManagedPolicies = map[string]string{
	"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": `{"Version":"2012-10-17","Statement":[{"Sid":"AWSLambdaVPCAccessExecutionPermissions","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeSubnets","ec2:DeleteNetworkInterface","ec2:AssignPrivateIpAddresses","ec2:UnassignPrivateIpAddresses"],"Resource":"*"}]}`,
}
