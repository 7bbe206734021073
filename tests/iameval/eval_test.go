package iameval

import (
	"strings"
	"testing"
)

const acct = "123456789012"

var role = Caller{Kind: "AWS", ID: "arn:aws:iam::123456789012:role/r", Account: acct}

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse("test", doc)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	return p
}

func decide(t *testing.T, identity []string, resource string, action, res string, ctx Context) Result {
	t.Helper()
	var ps []*Policy
	for _, d := range identity {
		ps = append(ps, mustParse(t, d))
	}
	var rp *Policy
	if resource != "" {
		rp = mustParse(t, resource)
	}
	r, err := Evaluate(Request{Caller: role, Action: action, Resource: res, Context: ctx}, ps, rp)
	if err != nil {
		t.Fatalf("evaluate %s on %s: %v", action, res, err)
	}
	return r
}

func TestParseStatementObjectOrListAndStringOrList(t *testing.T) {
	one := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	if len(one.Statements) != 1 || one.Statements[0].Action[0] != "s3:GetObject" || one.Statements[0].Resource[0] != "arn:aws:s3:::b/*" {
		t.Fatalf("single statement object: %+v", one)
	}
	many := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::c/*"]},
		{"Sid":"B","Effect":"Deny","NotAction":"s3:*","NotResource":"arn:aws:s3:::b",
		 "Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10}}}]}`)
	if len(many.Statements) != 2 {
		t.Fatalf("two statements: %+v", many)
	}
	b := many.Statements[1]
	if !b.HasNotAction || !b.HasNotResource || b.Condition["Bool"]["aws:SecureTransport"][0] != "false" || b.Condition["NumericLessThan"]["s3:max-keys"][0] != "10" {
		t.Fatalf("NotAction/NotResource/typed condition values: %+v", b)
	}
	tr := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"Service":["a.amazonaws.com","b.amazonaws.com"],"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}]}`)
	if got := tr.Statements[0].Principal.IDs["Service"]; len(got) != 2 {
		t.Fatalf("principal list: %+v", got)
	}
	star := mustParse(t, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`)
	if !star.Statements[0].Principal.All {
		t.Fatal(`"Principal": "*"`)
	}
	// Round trip through JSON keeps the meaning.
	if again := mustParse(t, many.JSON()); again.JSON() != many.JSON() {
		t.Fatalf("round trip:\n%s\n%s", many.JSON(), again.JSON())
	}
}

func TestParseRefusesWhatItDoesNotUnderstand(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelt element":         `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Conditon":{}}}`,
		"unknown top-level":        `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},"Extra":1}`,
		"bad effect":               `{"Statement":{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}}`,
		"no action":                `{"Statement":{"Effect":"Allow","Resource":"*"}}`,
		"action and notaction":     `{"Statement":{"Effect":"Allow","Action":"a:b","NotAction":"a:c","Resource":"*"}}`,
		"resource and notresource": `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"*"}}`,
		"unknown version":          `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}`,
		"no statement":             `{"Version":"2012-10-17","Statement":[]}`,
		"action without service":   `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`,
		"unknown principal kind":   `{"Statement":{"Effect":"Allow","Principal":{"Aws":"x"},"Action":"a:b"}}`,
		"object condition value":   `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":{"x":1}}}}}`,
	} {
		if _, err := Parse(name, doc); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestActionMatchingIsCaseInsensitiveWithWildcards(t *testing.T) {
	for _, c := range []struct {
		pattern, action string
		want            bool
	}{
		{"kinesis:GetRecords", "kinesis:GetRecords", true},
		{"KINESIS:getrecords", "kinesis:GetRecords", true},
		{"kinesis:Get*", "kinesis:GetShardIterator", true},
		{"kinesis:*", "kinesis:PutRecords", true},
		{"*", "tag:GetResources", true},
		{"kinesis:Describe?tream", "kinesis:DescribeStream", true},
		{"kinesis:Describe?tream", "kinesis:DescribeStreamSummary", false},
		{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", false},
		{"kinesis:Get*", "firehose:GetRecords", false},
		{"kafka:GetBootstrapBrokers", "kafka-cluster:GetBootstrapBrokers", false},
	} {
		if got := MatchAction(c.pattern, c.action); got != c.want {
			t.Errorf("MatchAction(%q, %q) = %v", c.pattern, c.action, got)
		}
	}
}

func TestResourceMatchingIsCaseSensitiveWithWildcards(t *testing.T) {
	stream := "arn:aws:kinesis:us-east-1:123456789012:stream/events"
	for _, c := range []struct {
		pattern, resource string
		want              bool
	}{
		{"*", stream, true},
		{"*", "*", true},
		{stream, stream, true},
		{"arn:aws:kinesis:*:123456789012:stream/*", stream, true},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/Events", stream, false},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/even?s", stream, true},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/ev?nts", stream, true},
		{"arn:aws:kinesis:us-east-1:210987654321:stream/events", stream, false},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/events", "*", false},
		// The resource part takes the rest of the ARN, colons included.
		{"arn:aws:logs:us-east-1:123456789012:log-group:/g:*", "arn:aws:logs:us-east-1:123456789012:log-group:/g:log-stream:s", true},
		{"arn:aws:logs:us-east-1:123456789012:log-group:/g", "arn:aws:logs:us-east-1:123456789012:log-group:/g:log-stream:s", false},
		{"arn:aws:s3:::bucket/events/*", "arn:aws:s3:::bucket/events/2025/01/01/00/f.gz", true},
		{"arn:aws:s3:::bucket/events/*", "arn:aws:s3:::bucket/errors/events/f.gz", false},
		// A wildcard stays within its ARN component: it does not cover the region.
		{"arn:aws:kinesis*:123456789012:stream/events", stream, false},
		{"arn:aws:kafka:us-east-1:123456789012:group/c/u/*", "arn:aws:kafka:us-east-1:123456789012:group/c/u/*", true},
		{"arn:aws:kafka:us-east-1:123456789012:group/c/u/g1", "arn:aws:kafka:us-east-1:123456789012:group/c/u/*", false},
	} {
		if got := MatchResource(c.pattern, c.resource); got != c.want {
			t.Errorf("MatchResource(%q, %q) = %v", c.pattern, c.resource, got)
		}
	}
}

func TestAllowImplicitDenyAndDenyOverridesAllow(t *testing.T) {
	allow := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"kinesis:Get*","Resource":"arn:aws:kinesis:us-east-1:123456789012:stream/*"}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoSecret","Effect":"Deny","Action":"kinesis:GetRecords","Resource":"arn:aws:kinesis:us-east-1:123456789012:stream/secret"}]}`
	events, secret := "arn:aws:kinesis:us-east-1:123456789012:stream/events", "arn:aws:kinesis:us-east-1:123456789012:stream/secret"

	if r := decide(t, []string{allow}, "", "kinesis:GetRecords", events, nil); r.Decision != Allow || len(r.Allows) != 1 || r.Allows[0].Sid != "Read" {
		t.Errorf("allowed by Read: %+v", r)
	}
	if r := decide(t, []string{allow}, "", "kinesis:PutRecords", events, nil); r.Decision != ImplicitDeny {
		t.Errorf("no statement allows PutRecords: %+v", r)
	}
	// Deny wins, in another policy and whatever the order.
	for _, order := range [][]string{{allow, deny}, {deny, allow}} {
		if r := decide(t, order, "", "kinesis:GetRecords", secret, nil); r.Decision != ExplicitDeny || r.Allowed() {
			t.Errorf("explicit deny must override the allow: %+v", r)
		}
	}
	// The deny does not reach other streams or other actions.
	if r := decide(t, []string{allow, deny}, "", "kinesis:GetShardIterator", secret, nil); r.Decision != Allow {
		t.Errorf("deny is scoped to GetRecords: %+v", r)
	}
}

func TestNotActionAndNotResource(t *testing.T) {
	p := `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::private/*"}]}`
	if r := decide(t, []string{p}, "", "s3:GetObject", "arn:aws:s3:::public/x", nil); !r.Allowed() {
		t.Error("NotAction/NotResource should allow s3 on public")
	}
	if r := decide(t, []string{p}, "", "iam:PassRole", "arn:aws:iam::1:role/x", nil); r.Allowed() {
		t.Error("NotAction iam:* must not allow iam")
	}
	if r := decide(t, []string{p}, "", "s3:GetObject", "arn:aws:s3:::private/x", nil); r.Allowed() {
		t.Error("NotResource must exclude private")
	}
}

func TestConditionMismatchDenies(t *testing.T) {
	p := `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
		"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`
	key := "arn:aws:kms:us-east-1:123456789012:key/k"
	if r := decide(t, []string{p}, "", "kms:Decrypt", key, Context{"kms:ViaService": {"s3.us-east-1.amazonaws.com"}}); !r.Allowed() {
		t.Errorf("matching condition: %+v", r)
	}
	if r := decide(t, []string{p}, "", "kms:Decrypt", key, Context{"kms:ViaService": {"secretsmanager.us-east-1.amazonaws.com"}}); r.Allowed() {
		t.Error("condition mismatch must deny")
	}
	if r := decide(t, []string{p}, "", "kms:Decrypt", key, nil); r.Allowed() {
		t.Error("a missing key makes StringEquals false")
	}
	// Condition key names are case-insensitive.
	if r := decide(t, []string{p}, "", "kms:Decrypt", key, Context{"KMS:VIASERVICE": {"s3.us-east-1.amazonaws.com"}}); !r.Allowed() {
		t.Error("condition key names are case-insensitive")
	}
}

func TestConditionOperators(t *testing.T) {
	for _, c := range []struct {
		name string
		cond string
		ctx  Context
		want bool
	}{
		{"StringEquals any of values", `{"StringEquals":{"k":["a","b"]}}`, Context{"k": {"b"}}, true},
		{"StringEquals case-sensitive", `{"StringEquals":{"k":"A"}}`, Context{"k": {"a"}}, false},
		{"StringNotEquals none of values", `{"StringNotEquals":{"k":["a","b"]}}`, Context{"k": {"c"}}, true},
		{"StringNotEquals one of values", `{"StringNotEquals":{"k":["a","b"]}}`, Context{"k": {"a"}}, false},
		{"StringNotEquals missing key", `{"StringNotEquals":{"k":"a"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"k":"ABC"}}`, Context{"k": {"abc"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"k":"ABC"}}`, Context{"k": {"abc"}}, false},
		{"StringLike wildcard", `{"StringLike":{"s3:prefix":"events/*"}}`, Context{"s3:prefix": {"events/2025/"}}, true},
		{"StringLike no match", `{"StringLike":{"s3:prefix":"events/*"}}`, Context{"s3:prefix": {"errors/"}}, false},
		{"StringNotLike", `{"StringNotLike":{"k":"a*"}}`, Context{"k": {"b"}}, true},
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:scheduler:us-east-1:1:schedule-group/g"}}`, Context{"aws:SourceArn": {"arn:aws:scheduler:us-east-1:1:schedule-group/g"}}, true},
		{"ArnEquals other", `{"ArnEquals":{"aws:SourceArn":"arn:aws:scheduler:us-east-1:1:schedule-group/g"}}`, Context{"aws:SourceArn": {"arn:aws:scheduler:us-east-1:1:schedule-group/h"}}, false},
		{"ArnLike wildcard", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:1:*"}}`, Context{"aws:SourceArn": {"arn:aws:logs:us-east-1:1:log-group:/x:*"}}, true},
		{"ArnLike other account", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:1:*"}}`, Context{"aws:SourceArn": {"arn:aws:logs:us-east-1:2:log-group:/x"}}, false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:logs:*:1:*"}}`, Context{"aws:SourceArn": {"arn:aws:logs:us-east-1:2:x"}}, true},
		{"Bool true", `{"Bool":{"aws:SecureTransport":"false"}}`, Context{"aws:SecureTransport": {"false"}}, true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"false"}}`, Context{"aws:SecureTransport": {"true"}}, false},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":false}}`, Context{"aws:SecureTransport": {"FALSE"}}, true},
		{"NumericLessThan", `{"NumericLessThan":{"n":"10"}}`, Context{"n": {"9"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"n":"10"}}`, Context{"n": {"10"}}, false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n":10}}`, Context{"n": {"10"}}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"n":"1.5"}}`, Context{"n": {"2"}}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n":"3"}}`, Context{"n": {"2"}}, false},
		{"NumericEquals", `{"NumericEquals":{"n":"3"}}`, Context{"n": {"3.0"}}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":"3"}}`, Context{"n": {"4"}}, true},
		{"Numeric request not a number", `{"NumericEquals":{"n":"3"}}`, Context{"n": {"x"}}, false},
		{"IfExists missing", `{"StringEqualsIfExists":{"k":"a"}}`, nil, true},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"k":"a"}}`, Context{"k": {"b"}}, false},
		{"IfExists present match", `{"ArnLikeIfExists":{"k":"arn:aws:s3:::*"}}`, Context{"k": {"arn:aws:s3:::b"}}, true},
		{"Null true missing", `{"Null":{"k":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"k":"true"}}`, Context{"k": {"x"}}, false},
		{"Null false present", `{"Null":{"k":"false"}}`, Context{"k": {"x"}}, true},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, Context{"aws:TagKeys": {"z", "b"}}, true},
		{"ForAnyValue none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, Context{"aws:TagKeys": {"z", "y"}}, false},
		{"ForAnyValue missing", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, nil, false},
		{"ForAllValues all match", `{"ForAllValues:StringLike":{"aws:TagKeys":["env*","team"]}}`, Context{"aws:TagKeys": {"environment", "team"}}, true},
		{"ForAllValues one outside", `{"ForAllValues:StringLike":{"aws:TagKeys":["env*"]}}`, Context{"aws:TagKeys": {"environment", "team"}}, false},
		{"ForAllValues missing", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, nil, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, Context{"aws:TagKeys": {"a", "b"}}, true},
		{"operators ANDed", `{"StringEquals":{"a":"1"},"ArnLike":{"b":"arn:aws:s3:::*"}}`, Context{"a": {"1"}, "b": {"arn:aws:sqs:us-east-1:1:q"}}, false},
		{"keys ANDed", `{"StringEquals":{"a":"1","b":"2"}}`, Context{"a": {"1"}, "b": {"3"}}, false},
	} {
		doc := `{"Statement":{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":` + c.cond + `}}`
		if r := decide(t, []string{doc}, "", "x:Y", "arn:aws:x:us-east-1:1:thing", c.ctx); r.Allowed() != c.want {
			t.Errorf("%s: allowed = %v, want %v", c.name, r.Allowed(), c.want)
		}
	}
}

func TestUnknownOperatorsAndVariablesFailLoudly(t *testing.T) {
	for name, cond := range map[string]string{
		"unknown operator":         `{"StringEqualz":{"k":"a"}}`,
		"unimplemented Date":       `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`,
		"unimplemented IpAddress":  `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
		"bad set qualifier":        `{"ForSomeValues:StringEquals":{"k":"a"}}`,
		"Null with qualifier":      `{"ForAnyValue:Null":{"k":"true"}}`,
		"bad Bool value":           `{"Bool":{"k":"yes"}}`,
		"bad numeric policy value": `{"NumericLessThan":{"k":"ten"}}`,
	} {
		for _, effect := range []string{"Allow", "Deny"} {
			p := mustParse(t, `{"Statement":{"Effect":"`+effect+`","Action":"x:Y","Resource":"*","Condition":`+cond+`}}`)
			_, err := Evaluate(Request{Caller: role, Action: "x:Y", Resource: "arn:aws:x:us-east-1:1:t", Context: Context{"k": {"a"}}}, []*Policy{p}, nil)
			if err == nil {
				t.Errorf("%s (%s): evaluated without error", name, effect)
			}
		}
	}
	// A multivalued context key needs a set operator.
	p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":{"StringEquals":{"k":"a"}}}}`)
	if _, err := Evaluate(Request{Caller: role, Action: "x:Y", Resource: "r", Context: Context{"k": {"a", "b"}}}, []*Policy{p}, nil); err == nil {
		t.Error("multivalued key without ForAnyValue/ForAllValues evaluated without error")
	}
	// An unknown operator in a statement that does not apply to the action is never reached; one that does is.
	if _, err := Evaluate(Request{Caller: role, Action: "other:Z", Resource: "r"}, []*Policy{mustParse(t,
		`{"Statement":{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":{"Bogus":{"k":"a"}}}}`)}, nil); err != nil {
		t.Errorf("statement for another action: %v", err)
	}
}

func TestIdentityAndResourcePolicyShapesAreChecked(t *testing.T) {
	withPrincipal := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"x:Y","Resource":"*"}}`)
	if _, err := Evaluate(Request{Caller: role, Action: "x:Y", Resource: "r"}, []*Policy{withPrincipal}, nil); err == nil {
		t.Error("identity policy with a Principal accepted")
	}
	noResource := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"x:Y"}}`)
	if _, err := Evaluate(Request{Caller: role, Action: "x:Y", Resource: "r"}, []*Policy{noResource}, nil); err == nil {
		t.Error("identity policy without Resource accepted")
	}
	noPrincipal := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"x:Y","Resource":"*"}}`)
	if _, err := Evaluate(Request{Caller: role, Action: "x:Y", Resource: "r"}, nil, noPrincipal); err == nil {
		t.Error("resource policy without Principal accepted")
	}
	trustWithResource := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":{"Service":"a.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}`)
	if _, err := EvaluateTrust(trustWithResource, "a.amazonaws.com", "arn:aws:iam::1:role/r", nil); err == nil {
		t.Error("trust policy with Resource accepted")
	}
}

func TestResourcePolicyWithIdentityPolicy(t *testing.T) {
	bucketPolicy := `{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*",
		 "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"RoleReads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/shared/*"},
		{"Sid":"AccountLists","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`
	identity := `{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}}`
	tls, plain := Context{"aws:SecureTransport": {"true"}}, Context{"aws:SecureTransport": {"false"}}
	if r := decide(t, []string{identity}, bucketPolicy, "s3:PutObject", "arn:aws:s3:::b/x", tls); !r.Allowed() {
		t.Errorf("identity allow over TLS: %+v", r)
	}
	if r := decide(t, []string{identity}, bucketPolicy, "s3:PutObject", "arn:aws:s3:::b/x", plain); r.Decision != ExplicitDeny {
		t.Errorf("bucket policy's deny must override the identity allow: %+v", r)
	}
	// Same account: the resource policy alone may allow a principal it names.
	if r := decide(t, nil, bucketPolicy, "s3:GetObject", "arn:aws:s3:::b/shared/x", tls); !r.Allowed() {
		t.Errorf("resource policy allows the named role: %+v", r)
	}
	// Naming the account delegates to identity policies: no allow on its own.
	if r := decide(t, nil, bucketPolicy, "s3:ListBucket", "arn:aws:s3:::b", tls); r.Allowed() {
		t.Errorf("an account principal must not allow by itself: %+v", r)
	}
	other := Caller{Kind: "AWS", ID: "arn:aws:iam::123456789012:role/other", Account: acct}
	r, err := Evaluate(Request{Caller: other, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/shared/x", Context: tls}, nil, mustParse(t, bucketPolicy))
	if err != nil || r.Allowed() {
		t.Errorf("another role is not the named principal: %+v %v", r, err)
	}
}

func TestTrustEvaluation(t *testing.T) {
	trust := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Service":["kafkaconnect.amazonaws.com"]},"Action":"sts:AssumeRole",
		"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},
		             "ArnLike":{"aws:SourceArn":"arn:aws:kafkaconnect:us-east-1:123456789012:connector/c/*"}}}]}`)
	roleArn := "arn:aws:iam::123456789012:role/c"
	good := Context{"aws:SourceAccount": {acct}, "aws:SourceArn": {"arn:aws:kafkaconnect:us-east-1:123456789012:connector/c/u-2"}}
	if r, err := EvaluateTrust(trust, "kafkaconnect.amazonaws.com", roleArn, good); err != nil || !r.Allowed() {
		t.Fatalf("service with its context: %+v %v", r, err)
	}
	for name, c := range map[string]struct {
		service string
		ctx     Context
	}{
		"other service":     {"firehose.amazonaws.com", good},
		"foreign account":   {"kafkaconnect.amazonaws.com", Context{"aws:SourceAccount": {"999999999999"}, "aws:SourceArn": good["aws:SourceArn"]}},
		"other connector":   {"kafkaconnect.amazonaws.com", Context{"aws:SourceAccount": {acct}, "aws:SourceArn": {"arn:aws:kafkaconnect:us-east-1:123456789012:connector/d/u-2"}}},
		"no source context": {"kafkaconnect.amazonaws.com", nil},
	} {
		if r, err := EvaluateTrust(trust, c.service, roleArn, c.ctx); err != nil || r.Allowed() {
			t.Errorf("%s: admitted (%+v, %v)", name, r, err)
		}
	}
	// sts:ExternalId, as Firehose's documented trust policy requires it.
	fh := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"123456789012"}}}}`)
	if r, _ := EvaluateTrust(fh, "firehose.amazonaws.com", roleArn, Context{"sts:ExternalId": {acct}}); !r.Allowed() {
		t.Error("Firehose with the account's external id")
	}
	if r, _ := EvaluateTrust(fh, "firehose.amazonaws.com", roleArn, Context{"sts:ExternalId": {"999999999999"}}); r.Allowed() {
		t.Error("Firehose with another external id")
	}
	// A Deny in a trust policy wins too.
	both := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"a.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:SourceAccount":"123456789012"}}}]}`)
	if r, _ := EvaluateTrust(both, "a.amazonaws.com", roleArn, Context{"aws:SourceAccount": {"999999999999"}}); r.Decision != ExplicitDeny {
		t.Errorf("trust deny: %+v", r)
	}
	if r, _ := EvaluateTrust(both, "a.amazonaws.com", roleArn, Context{"aws:SourceAccount": {acct}}); !r.Allowed() {
		t.Errorf("trust allow: %+v", r)
	}
}

func TestWithoutActionRemovesOnlyTheExactName(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Exact","Effect":"Allow","Action":["kinesis:GetRecords","kinesis:ListShards"],"Resource":"*"},
		{"Sid":"OnlyIt","Effect":"Allow","Action":"KINESIS:GETRECORDS","Resource":"*"},
		{"Sid":"Wild","Effect":"Allow","Action":"kinesis:Get*","Resource":"arn:aws:kinesis:us-east-1:1:stream/wild"}]}`)
	m := WithoutAction([]*Policy{p}, "kinesis:GetRecords")
	if len(m) != 1 || len(m[0].Statements) != 2 {
		t.Fatalf("mutated: %s", m[0].JSON())
	}
	if got := m[0].Statements[0].Action; len(got) != 1 || got[0] != "kinesis:ListShards" {
		t.Errorf("Exact keeps ListShards only: %v", got)
	}
	if m[0].Statements[1].Sid != "Wild" {
		t.Error("the wildcard statement stays")
	}
	if !strings.Contains(p.JSON(), "GETRECORDS") {
		t.Error("the original policy is unchanged")
	}
	stream := "arn:aws:kinesis:us-east-1:1:stream/"
	if r, _ := Evaluate(Request{Caller: role, Action: "kinesis:GetRecords", Resource: stream + "events"}, m, nil); r.Allowed() {
		t.Error("GetRecords on events is denied once removed")
	}
	if r, _ := Evaluate(Request{Caller: role, Action: "kinesis:GetRecords", Resource: stream + "wild"}, m, nil); !r.Allowed() {
		t.Error("the wildcard still grants it on wild: the mutation check reports that")
	}
}

// A KMS key policy is a precondition for IAM, not one more grant: an IAM
// Allow has no effect unless the key policy allows the account for that very
// request (its conditions included); a key policy naming the role itself
// allows alone; no key policy in the stack stands for the default one.
func TestEvaluateKMSKeyPolicyEnablesIAM(t *testing.T) {
	const role, key = "arn:aws:iam::111122223333:role/r", "arn:aws:kms:us-east-1:111122223333:key/k"
	iam := []*Policy{mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+key+`"}]}`)}
	viaKinesis := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:Decrypt","Resource":"*",
		"Condition":{"StringEquals":{"kms:ViaService":"kinesis.us-east-1.amazonaws.com","kms:CallerAccount":"111122223333"}}}]}`)
	adminOnly := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:PutKeyPolicy","Resource":"*"}]}`)
	roleItself := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":"kms:Decrypt","Resource":"*"}]}`)
	req := func(via string) Request {
		ctx := Context{"kms:CallerAccount": {"111122223333"}}
		if via != "" {
			ctx["kms:ViaService"] = []string{via}
		}
		return Request{Caller: Caller{Kind: "AWS", ID: role, Account: "111122223333"}, Action: "kms:Decrypt", Resource: key, Context: ctx}
	}
	for _, c := range []struct {
		name     string
		identity []*Policy
		key      *Policy
		via      string
		want     bool
	}{
		{"IAM and the key policy through the service", iam, viaKinesis, "kinesis.us-east-1.amazonaws.com", true},
		{"IAM, but not through the key policy's service", iam, viaKinesis, "s3.us-east-1.amazonaws.com", false},
		{"IAM, called directly", iam, viaKinesis, "", false},
		{"IAM, the key policy enables only administration", iam, adminOnly, "", false},
		{"the key policy through the service, no IAM grant", nil, viaKinesis, "kinesis.us-east-1.amazonaws.com", false},
		{"the key policy names the role itself", nil, roleItself, "", true},
		{"no key policy in the stack: the default one", iam, nil, "", true},
	} {
		r, err := EvaluateKMS(req(c.via), c.identity, c.key)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Allowed() != c.want {
			t.Errorf("%s: allowed %v, want %v (%s)", c.name, r.Allowed(), c.want, r.Decision)
		}
	}
}

// Policy variables in condition values take the request's value (Version
// 2012-10-17 only); a key missing from the request fails the condition; under
// the older version the policy is refused rather than read as plain text.
func TestPolicyVariablesInConditions(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"redshift-data:DescribeStatement","Resource":"*",
		"Condition":{"StringEquals":{"redshift-data:statement-owner-iam-userid":"${aws:userid}"}}}}`)
	ask := func(ctx Context) bool {
		r, err := Evaluate(Request{Caller: role, Action: "redshift-data:DescribeStatement", Resource: "*", Context: ctx}, []*Policy{p}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.Allowed()
	}
	if !ask(Context{"aws:userid": {"AROAEXAMPLE:fn"}, "redshift-data:statement-owner-iam-userid": {"AROAEXAMPLE:fn"}}) {
		t.Error("the caller's own statement is denied")
	}
	if ask(Context{"aws:userid": {"AROAEXAMPLE:fn"}, "redshift-data:statement-owner-iam-userid": {"AROAOTHER:someone"}}) {
		t.Error("another caller's statement is allowed")
	}
	if ask(Context{"redshift-data:statement-owner-iam-userid": {"${aws:userid}"}}) {
		t.Error("an unresolved variable matched its own text")
	}
	if _, err := Parse("old", `{"Statement":{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":{"StringEquals":{"k":"${aws:username}"}}}}`); err == nil {
		t.Error("a variable under the old policy version was accepted")
	}
	q := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":{"StringEquals":{"${aws:username}":"a"}}}}`)
	if _, err := Evaluate(Request{Caller: role, Action: "x:Y", Resource: "*", Context: Context{"aws:username": {"a"}}}, []*Policy{q}, nil); err == nil {
		t.Error("a variable as a condition key evaluated without error")
	}
}
