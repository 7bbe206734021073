package tests

import (
	"archive/zip"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/haina-data/haina/components"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProducerLambdaAndScheduleInBothStacks(t *testing.T) {
	for stack, want := range map[string]struct {
		state     string
		retention float64
	}{"staging": {"ENABLED", 14}, "production": {"DISABLED", 90}} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			fn := one(t, g, "aws:lambda/function:Function", "haina-producer")
			f := in(fn)
			assert.Equal(t, "haina-"+stack+"-producer", f["name"])
			assert.Equal(t, "provided.al2023", f["runtime"])
			assert.Equal(t, []any{"arm64"}, f["architectures"])
			assert.Equal(t, "bootstrap", f["handler"])
			assert.Equal(t, -1.0, f["reservedConcurrentExecutions"], "unreserved by default: a reservation is refused in accounts with a low concurrency quota")
			streamArn := "arn:aws:kinesis:us-east-1:123456789012:stream/haina-" + stack + "-events"
			assert.Equal(t, map[string]any{"variables": map[string]any{"STREAM": streamArn, "EVENTS_PER_INVOCATION": "1000"}}, f["environment"])
			assert.Equal(t, "/aws/lambda/haina-"+stack+"-producer", f["loggingConfig"].(map[string]any)["logGroup"])
			assert.NotEmpty(t, f["sourceCodeHash"])

			lg := in(one(t, g, "aws:cloudwatch/logGroup:LogGroup", "haina-producer"))
			assert.Equal(t, want.retention, lg["retentionInDays"])

			pol := parsePolicy(t, in(one(t, g, tPolicy, "haina-producer"))["policy"])
			actions, resources := statement(t, pol, "PutRecords")
			assert.Equal(t, []string{"kinesis:PutRecord", "kinesis:PutRecords"}, actions)
			assert.Equal(t, []string{streamArn}, resources)
			actions, resources = statement(t, pol, "Logs")
			assert.Equal(t, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, actions)
			assert.Equal(t, []string{"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/haina-" + stack + "-producer:*"}, resources)
			if stack == "production" {
				actions, resources = statement(t, pol, "EncryptRecords")
				assert.Equal(t, []string{"kms:GenerateDataKey"}, actions)
				assert.Equal(t, []string{out(one(t, g, tKey, "haina-events-key"))["arn"].(string)}, resources)
				assert.Len(t, pol.Statement, 4)
			} else {
				assert.Len(t, pol.Statement, 3)
			}
			trust := parsePolicy(t, in(one(t, g, tRole, "haina-producer"))["assumeRolePolicy"])
			assert.Equal(t, []string{"lambda.amazonaws.com"}, trust.Statement[0].Principal["Service"])

			sched := in(one(t, g, "aws:scheduler/schedule:Schedule", "haina-producer"))
			assert.Equal(t, want.state, sched["state"])
			assert.Equal(t, "rate(1 minute)", sched["scheduleExpression"])
			target := sched["target"].(map[string]any)
			assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:haina-"+stack+"-producer", target["arn"])
			assert.Equal(t, "arn:aws:iam::123456789012:role/haina-"+stack+"-producer-schedule", target["roleArn"])

			strust := parsePolicy(t, in(one(t, g, tRole, "haina-producer-schedule"))["assumeRolePolicy"])
			assert.Equal(t, []string{"scheduler.amazonaws.com"}, strust.Statement[0].Principal["Service"])
			// This account's default schedule group only (confused-deputy prevention).
			assert.Equal(t, map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {"123456789012"}},
				"ArnEquals": {"aws:SourceArn": {"arn:aws:scheduler:us-east-1:123456789012:schedule-group/default"}}}, strust.Statement[0].Condition)
			spol := parsePolicy(t, in(one(t, g, tPolicy, "haina-producer-schedule"))["policy"])
			actions, resources = statement(t, spol, "Invoke")
			assert.Equal(t, []string{"lambda:InvokeFunction"}, actions)
			assert.Equal(t, []string{"arn:aws:lambda:us-east-1:123456789012:function:haina-" + stack + "-producer"}, resources)
		})
	}
}

// EventBridge Scheduler invokes the producer asynchronously, and Lambda retries
// a failed asynchronous run twice by default, each retry sending a whole new
// batch. The producer's invoke configuration turns retries off, drops a run
// older than a minute, and records both in a small encrypted queue, which the
// function's role may send to — that queue only.
func TestProducerFailedRunsAreNotRetriedButRecorded(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			queueArn := "arn:aws:sqs:us-east-1:123456789012:haina-" + stack + "-producer-failures"
			cfg := one(t, g, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "haina-producer")
			c := in(cfg)
			assert.Equal(t, "haina-"+stack+"-producer", c["functionName"])
			assert.Equal(t, 0.0, c["maximumRetryAttempts"], "no retries: each would send a new batch")
			assert.Equal(t, 60.0, c["maximumEventAgeInSeconds"])
			assert.Equal(t, map[string]any{"onFailure": map[string]any{"destination": queueArn}}, c["destinationConfig"])
			assert.Contains(t, cfg.Parent, "haina:producer:Producer")

			queue := one(t, g, "aws:sqs/queue:Queue", "haina-producer-failures")
			q := in(queue)
			assert.Equal(t, "haina-"+stack+"-producer-failures", q["name"])
			assert.Equal(t, "alias/aws/sqs", q["kmsMasterKeyId"], "SSE-KMS")
			assert.Equal(t, float64(3*24*3600), q["messageRetentionSeconds"])
			assert.Equal(t, stack, q["tags"].(map[string]any)["haina:environment"], "tagged like the function")
			assert.False(t, queue.Protect, "it holds no data worth keeping")

			pol := parsePolicy(t, in(one(t, g, tPolicy, "haina-producer"))["policy"])
			actions, resources := statement(t, pol, "ReportFailures")
			assert.Equal(t, []string{"sqs:SendMessage"}, actions)
			assert.Equal(t, []string{queueArn}, resources, "exactly the failures queue")

			deps := strings.Join(cfg.Dependencies, " ")
			assert.Contains(t, deps, "aws:iam/rolePolicy:RolePolicy::haina-producer", "Lambda checks the grant when the destination is set")
			assert.Contains(t, deps, "aws:sqs/queue:Queue::haina-producer-failures")
		})
	}
}

func TestProducerReservedConcurrencyOnRequest(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:producer": `{"reservedConcurrency":2}`})
	assert.Equal(t, 2.0, in(one(t, g, "aws:lambda/function:Function", "haina-producer"))["reservedConcurrentExecutions"])
}

func TestProducerCanBeTurnedOff(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:producer": `{"enabled":false}`})
	for _, f := range g.OfType("aws:lambda/function:Function") {
		assert.NotContains(t, f.Parent, "haina:producer:", "only CDC's topics function remains")
	}
	for _, s := range g.OfType("aws:scheduler/schedule:Schedule") {
		assert.NotContains(t, s.Parent, "haina:producer:", "only the refresh and CDC's apply schedules remain")
	}
	assert.NotContains(t, g.Outputs, "producerFunction")
}

// The Lambda archive is the same bytes on every build: a second up shows no change.
func TestLambdaArchiveIsReproducible(t *testing.T) {
	a, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	t.Setenv("TMPDIR", t.TempDir()) // another place, another build
	b, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	assert.NotEqual(t, a.Path, b.Path)
	assert.Equal(t, a.SHA256, b.SHA256)
	ab, err := os.ReadFile(a.Path)
	require.NoError(t, err)
	bb, err := os.ReadFile(b.Path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(ab, bb), "identical bytes")

	zr, err := zip.NewReader(bytes.NewReader(ab), int64(len(ab)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name)
	assert.Equal(t, os.FileMode(0o755), f.Mode().Perm())
	assert.Equal(t, 1980, f.Modified.Year())
	r, err := f.Open()
	require.NoError(t, err)
	head := make([]byte, 20)
	_, err = r.Read(head)
	require.NoError(t, err)
	assert.Equal(t, []byte("\x7fELF"), head[:4], "a Linux executable")
	assert.Equal(t, byte(0xb7), head[18], "for arm64 (EM_AARCH64)")
}
