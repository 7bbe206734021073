package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/haina-data/haina/kafkatopics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func plainAdmin(bootstrap []string) (*kadm.Client, error) {
	return kadm.NewOptClient(kgo.SeedBrokers(bootstrap...), kgo.DialTimeout(5*time.Second), kgo.RetryTimeout(10*time.Second))
}

// TestInvokeRawPayload drives the handler the way the Lambda runtime does:
// raw JSON in through aws-lambda-go's own decoding, raw JSON out.
func TestInvokeRawPayload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	bootstrap, err := json.Marshal(c.ListenAddrs())
	require.NoError(t, err)

	var logs bytes.Buffer
	h := lambda.NewHandlerWithOptions(handler(plainAdmin, &logs), handlerOptions...)
	in := `{"bootstrap":` + string(bootstrap) + `,"topics":[
		{"name":"haina.public.orders","partitions":3,"replicationFactor":3,"configs":{"retention.ms":"-1"}}
	],"tf":{"action":"create","prev_input":null}}`
	out, err := h.Invoke(ctx, []byte(in))
	require.NoError(t, err)
	assert.JSONEq(t, `{"action":"create","created":["haina.public.orders"],"altered":[],"grown":[],"unchanged":[]}`, string(out))

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1, "one JSON log line per run")
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	assert.Equal(t, "INFO", line["level"])
	assert.Equal(t, "kafka topics", line["msg"])
	assert.Equal(t, []any{"haina.public.orders"}, line["created"])

	// delete: success, nothing done, and the note says why.
	logs.Reset()
	out, err = h.Invoke(ctx, []byte(`{"bootstrap":["gone:9098"],"topics":[],"tf":{"action":"delete","prev_input":{}}}`))
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out, &res))
	assert.Equal(t, "delete", res["action"])
	assert.Contains(t, res["note"], "no-op")

	// A refusal is a function error, which fails the deploy, and is logged.
	logs.Reset()
	shrink := strings.Replace(in, `"partitions":3`, `"partitions":1`, 1)
	_, err = h.Invoke(ctx, []byte(shrink))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a partition count can grow, never shrink")
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "ERROR", line["level"])
	assert.Contains(t, line["error"], "never shrink")
}

func TestInvokeRejectsUnknownKeys(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var logs bytes.Buffer
	h := lambda.NewHandlerWithOptions(handler(func([]string) (*kadm.Client, error) {
		t.Error("a bad payload must not connect")
		return nil, errors.New("unexpected")
	}, &logs), handlerOptions...)
	_, err := h.Invoke(ctx, []byte(`{"bootstrap":["b-1:9098"],"topics":[{"name":"t","partitions":1,"replicationFactor":3,"config":{"retention.ms":"-1"}}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown field "config"`)
}

func TestBounded(t *testing.T) {
	// No deadline: capped at maxRun.
	ctx, cancel := bounded(context.Background())
	defer cancel()
	dl, ok := ctx.Deadline()
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(maxRun), dl, time.Second)

	// A Lambda deadline sooner than maxRun: ends deadlineMargin before it.
	lambdaEnd := time.Now().Add(30 * time.Second)
	parent, cancelParent := context.WithDeadline(context.Background(), lambdaEnd)
	defer cancelParent()
	ctx, cancel = bounded(parent)
	defer cancel()
	dl, _ = ctx.Deadline()
	assert.Equal(t, lambdaEnd.Add(-deadlineMargin), dl)
}

func TestNewMSKAdminNeedsRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	_, err := newMSKAdmin([]string{"b-1:9098"})
	assert.EqualError(t, err, "AWS_REGION is not set")
}

// TestMSKTokenSignsLocally shows the token is made from the function's
// credentials without any network call (none is reachable here), for the
// region given.
func TestMSKTokenSignsLocally(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_SESSION_TOKEN", "session")
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	auth, err := mskToken("eu-west-1")(ctx)
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(auth.Token)
	require.NoError(t, err)
	u, err := url.Parse(string(raw))
	require.NoError(t, err)
	assert.Equal(t, "kafka.eu-west-1.amazonaws.com", u.Host)
	assert.Equal(t, "kafka-cluster:Connect", u.Query().Get("Action"))
	assert.Contains(t, u.Query().Get("X-Amz-Credential"), "AKIDEXAMPLE/")
	assert.NotEmpty(t, u.Query().Get("X-Amz-Signature"))
}

// MSK may refuse the first calls while the role's new policy propagates: the run
// tries again until it is allowed, and a real error is returned at once.
func TestRetryUnauthorized(t *testing.T) {
	calls := 0
	res, err := retryUnauthorized(context.Background(), time.Millisecond, func() (kafkatopics.Result, error) {
		calls++
		if calls < 3 {
			return kafkatopics.Result{}, fmt.Errorf("creating topics: %w", kerr.TopicAuthorizationFailed)
		}
		return kafkatopics.Result{Action: "create"}, nil
	})
	if err != nil || calls != 3 || res.Action != "create" {
		t.Fatalf("calls %d, result %+v, err %v", calls, res, err)
	}

	calls = 0
	_, err = retryUnauthorized(context.Background(), time.Millisecond, func() (kafkatopics.Result, error) {
		calls++
		return kafkatopics.Result{}, kafkatopics.ErrRefused
	})
	if calls != 1 || !errors.Is(err, kafkatopics.ErrRefused) {
		t.Fatalf("a refusal is not retried: calls %d, err %v", calls, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = retryUnauthorized(ctx, time.Millisecond, func() (kafkatopics.Result, error) {
		return kafkatopics.Result{}, kerr.SaslAuthenticationFailed
	})
	if err == nil || !strings.Contains(err.Error(), "still refused after") {
		t.Fatalf("bounded by the run's time: %v", err)
	}
}
