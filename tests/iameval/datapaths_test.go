package iameval

import (
	"strings"
	"testing"
)

// A minimal stack: a stream Redshift reads with the namespace's default role.
func miniStack(policy string) []Resource {
	stream := "arn:aws:kinesis:us-east-1:123456789012:stream/events"
	roleArn := "arn:aws:iam::123456789012:role/streaming"
	return []Resource{
		{Type: tStream, Name: "events", State: map[string]any{"arn": stream, "name": "events", "kmsKeyId": "alias/aws/kinesis"}},
		{Type: tRole, Name: "streaming", State: map[string]any{"name": "streaming", "arn": roleArn,
			"assumeRolePolicy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["redshift.amazonaws.com","redshift-serverless.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`}},
		{Type: tRolePolicy, Name: "streaming", State: map[string]any{"role": "streaming", "policy": policy}},
		{Type: tNamespace, Name: "ns", State: map[string]any{"arn": "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/n", "defaultIamRoleArn": roleArn}},
	}
}

func problemsOf(t *testing.T, res []Resource) []string {
	t.Helper()
	probs, paths, err := CheckAll(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Fatalf("paths: %+v", paths)
	}
	var all []string
	for _, ps := range probs {
		all = append(all, ps...)
	}
	return all
}

func TestCheckAllOnAMinimalStack(t *testing.T) {
	exact := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":["kinesis:DescribeStream","kinesis:DescribeStreamSummary","kinesis:GetRecords","kinesis:GetShardIterator","kinesis:ListShards"],"Resource":"arn:aws:kinesis:us-east-1:123456789012:stream/events"},
		{"Sid":"List","Effect":"Allow","Action":"kinesis:ListStreams","Resource":"*"}]}`
	if probs := problemsOf(t, miniStack(exact)); len(probs) != 0 {
		t.Errorf("exact grants: %v", probs)
	}

	missing := strings.Replace(exact, `"kinesis:GetRecords",`, "", 1)
	probs := problemsOf(t, miniStack(missing))
	if len(probs) != 1 || !strings.Contains(probs[0], "kinesis:GetRecords on arn:aws:kinesis:us-east-1:123456789012:stream/events is denied") {
		t.Errorf("missing GetRecords: %v", probs)
	}

	// A wildcard grant: every call is allowed, but the mutation check sees that
	// removing the action's name leaves it allowed, and the scan flags kinesis:*.
	wild := `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}`
	probs = problemsOf(t, miniStack(wild))
	joined := strings.Join(probs, "\n")
	for _, want := range []string{
		"kinesis:GetRecords on arn:aws:kinesis:us-east-1:123456789012:stream/events stays allowed after removing kinesis:GetRecords",
		`Allow with Action "kinesis:*"`,
		`grants kinesis:* on every resource ("*")`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("wildcard grant: no %q in\n%s", want, joined)
		}
	}

	// Redshift's default role must admit Redshift; one that trusts another service does not.
	res := miniStack(exact)
	res[1].State["assumeRolePolicy"] = `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	if probs := problemsOf(t, res); !strings.Contains(strings.Join(probs, "\n"), "does not admit redshift.amazonaws.com") {
		t.Errorf("wrong trust: %v", probs)
	}
	// A trust open to any principal is reported.
	res[1].State["assumeRolePolicy"] = `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`
	if probs := problemsOf(t, res); !strings.Contains(strings.Join(probs, "\n"), "admits any service principal") {
		t.Errorf("open trust: %v", probs)
	}
	// An AWS managed policy the stack cannot show makes the evaluation incomplete, loudly.
	res = append(miniStack(exact), Resource{Type: tRolePolicyAttach, Name: "ssm", State: map[string]any{"role": "streaming", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}})
	if probs := problemsOf(t, res); !strings.Contains(strings.Join(probs, "\n"), "evaluation incomplete") {
		t.Errorf("unknown managed policy: %v", probs)
	}
}

func TestForeignGuardValues(t *testing.T) {
	for in, want := range map[string]string{
		"123456789012": "999999999999",
		"arn:aws:kafkaconnect:us-east-1:123456789012:connector/c/u": "arn:aws:kafkaconnect:us-east-1:999999999999:connector/c/u",
		"arn:aws:s3:::bucket": "arn:aws:s3:::bucket-999999999999",
		"external":            "external-999999999999",
	} {
		if got := foreign(in); got != want {
			t.Errorf("foreign(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFirehoseObjectKeys(t *testing.T) {
	if got := objectKey("events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"); !strings.HasPrefix(got, "events/2025/01/02/03/") {
		t.Errorf("prefix: %s", got)
	}
	if got := objectKey("errors/events/!{firehose:error-output-type}/!{timestamp:yyyy}/"); !strings.HasPrefix(got, "errors/events/processing-failed/2025/") {
		t.Errorf("error prefix: %s", got)
	}
	if got := objectKey(""); !strings.HasPrefix(got, "2025/01/02/03/") {
		t.Errorf("default prefix: %s", got)
	}
}
