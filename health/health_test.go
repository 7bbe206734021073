package health_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/haina-data/haina/health"
	"github.com/haina-data/haina/tests/fakeredshift"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCloudWatch keeps what was published.
type fakeCloudWatch struct {
	mu  sync.Mutex
	got []*cloudwatch.PutMetricDataInput
	// onPut runs after each request is kept.
	onPut func()
}

func (f *fakeCloudWatch) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, in)
	if f.onPut != nil {
		f.onPut()
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// published is metric/object → value, and every datum's namespace and dimensions checked.
func (f *fakeCloudWatch) published(t *testing.T) map[string]float64 {
	out := map[string]float64{}
	for _, in := range f.got {
		assert.Equal(t, "Haina", aws.ToString(in.Namespace))
		for _, d := range in.MetricData {
			require.Len(t, d.Dimensions, 2)
			assert.Equal(t, "Environment", aws.ToString(d.Dimensions[0].Name))
			assert.Equal(t, "staging", aws.ToString(d.Dimensions[0].Value))
			out[aws.ToString(d.MetricName)+"/"+aws.ToString(d.Dimensions[1].Value)] = aws.ToFloat64(d.Value)
		}
	}
	return out
}

func start(t *testing.T) (*fakeredshift.Server, *redshiftdata.Client) {
	fake := fakeredshift.Start()
	t.Cleanup(fake.Close)
	return fake, redshiftdata.New(redshiftdata.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}

var cfg = health.Config{
	WorkgroupName: "haina-staging", Database: "haina", Call: `CALL "ingest"."refresh_views"()`, Environment: "staging",
	Poll: time.Millisecond, Wait: time.Second,
	Checks: []health.Check{
		{Metric: "IngestLagSeconds", Object: "ingest.events_landing", Unit: "Seconds", SQL: "SELECT lag"},
		{Metric: "FailedParses", Object: "ingest.events_landing", Unit: "Count", SQL: "SELECT failed"},
		{Metric: "IngestLagSeconds", Object: "cdc.salesdb_customer_changes", Unit: "Seconds", SQL: "SELECT empty"},
	},
}

// The call ran, then every check in the same run; values published, a NULL left out.
func TestRunCallsThenReadsHealth(t *testing.T) {
	fake, api := start(t)
	fake.Result = func(sql string) any {
		return map[string]any{"SELECT lag": int64(42), "SELECT failed": "3", "SELECT empty": nil}[sql]
	}
	cw := &fakeCloudWatch{}
	r, err := health.Run(context.Background(), cfg, api, cw)
	require.NoError(t, err)
	assert.False(t, r.CallFailed)
	assert.Equal(t, map[string]float64{
		"ScheduledCallFailed/scheduled-call": 0, "IngestLagSeconds/ingest.events_landing": 42, "FailedParses/ingest.events_landing": 3,
		"HealthCheckFailed/health-checks": 0,
	}, cw.published(t), "a NULL (an empty landing view) is not a value")
	var sqls []string
	for _, c := range fake.Calls() {
		sqls = append(sqls, c.Sqls[0])
		assert.Equal(t, "haina-staging", c.WorkgroupName)
		assert.Empty(t, c.SecretArn, "the function signs in as its own role")
	}
	assert.Equal(t, []string{cfg.Call, "SELECT lag", "SELECT failed", "SELECT empty"}, sqls, "the call first, then the checks")
}

// A failed call is a metric (and the function's error), and no check runs:
// the warehouse may be unreachable, and its health is what the call shows.
func TestRunReportsAFailedCall(t *testing.T) {
	fake, api := start(t)
	fake.Fail = func(sql string) string {
		if strings.HasPrefix(sql, "CALL") {
			return `ERROR: permission denied for relation events_landing`
		}
		return ""
	}
	cw := &fakeCloudWatch{}
	r, err := health.Run(context.Background(), cfg, api, cw)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "permission denied")
	assert.True(t, r.CallFailed)
	assert.Equal(t, map[string]float64{"ScheduledCallFailed/scheduled-call": 1}, cw.published(t))
	assert.Len(t, fake.Calls(), 1, "no check after a failed call")
}

// A check that fails is reported as such; the others still publish; no crash.
func TestRunSurvivesAFailingCheck(t *testing.T) {
	fake, api := start(t)
	fake.Fail = func(sql string) string {
		if sql == "SELECT failed" {
			return `ERROR: relation "ingest.events_landing" does not exist`
		}
		return ""
	}
	fake.Result = func(sql string) any { return 7.5 }
	cw := &fakeCloudWatch{}
	r, err := health.Run(context.Background(), cfg, api, cw)
	require.NoError(t, err, "a health query's failure is a metric, not the call's")
	assert.Len(t, r.Failed, 1)
	got := cw.published(t)
	assert.Equal(t, 1.0, got["HealthCheckFailed/health-checks"], "one datum counts the failed checks (which: in the log)")
	assert.Contains(t, r.Failed[0], "FailedParses/ingest.events_landing")
	assert.Equal(t, 7.5, got["IngestLagSeconds/ingest.events_landing"])
}

// On a provisioned cluster the statements name the cluster and the database user.
func TestRunOnACluster(t *testing.T) {
	fake, api := start(t)
	c := cfg
	c.WorkgroupName, c.ClusterIdentifier, c.DbUser, c.Checks = "", "haina-production", "haina_refresh_runner", nil
	_, err := health.Run(context.Background(), c, api, &fakeCloudWatch{})
	require.NoError(t, err)
	require.Len(t, fake.Calls(), 1)
	assert.Equal(t, "haina-production", fake.Calls()[0].ClusterIdentifier)
}

// A call that does not finish in time is a failure, not a hang.
func TestRunBoundsTheWait(t *testing.T) {
	fake, api := start(t)
	fake.Hang = true
	c := cfg
	c.Wait = 20 * time.Millisecond
	r, err := health.Run(context.Background(), c, api, &fakeCloudWatch{})
	require.Error(t, err)
	assert.True(t, r.CallFailed)
	assert.Contains(t, r.CallError, "still STARTED")
}

// A check counting "since the call" gets the call's start (less the
// lookback and a margin for clocks) as the Data API parameter :since; others
// get no parameter (the Data API refuses one the SQL does not use).
func TestRunPassesSinceToCountingChecks(t *testing.T) {
	fake, api := start(t)
	fake.Result = func(sql string) any { return int64(0) }
	c := cfg
	c.Lookback = 10 * time.Minute
	c.Checks = []health.Check{
		{Metric: "FailedParses", Object: "ingest.events_landing", Unit: "Count", SQL: "SELECT COUNT(*) FROM ingest.events_landing WHERE refresh_time >= CAST(:since AS TIMESTAMP)"},
		{Metric: "IngestLagSeconds", Object: "ingest.events_landing", Unit: "Seconds", SQL: "SELECT lag"},
	}
	before := time.Now().UTC()
	_, err := health.Run(context.Background(), c, api, &fakeCloudWatch{})
	require.NoError(t, err)
	calls := fake.Calls()
	require.Len(t, calls, 3)
	assert.Nil(t, calls[0].Parameters)
	assert.Nil(t, calls[2].Parameters)
	since, err := time.Parse("2006-01-02 15:04:05.000000", calls[1].Parameters["since"])
	require.NoError(t, err, "a timestamp Redshift reads: %q", calls[1].Parameters["since"])
	assert.WithinDuration(t, before.Add(-10*time.Minute-5*time.Second), since, 2*time.Second)
}

// The call's outcome is published on its own, before any check: a function
// killed at its timeout during the checks has still reported the call.
func TestRunPublishesTheCallFirst(t *testing.T) {
	fake, api := start(t)
	fake.Result = func(string) any { return int64(1) }
	cw := &fakeCloudWatch{}
	_, err := health.Run(context.Background(), cfg, api, cw)
	require.NoError(t, err)
	require.Len(t, cw.got, 2)
	require.Len(t, cw.got[0].MetricData, 1)
	assert.Equal(t, "ScheduledCallFailed", aws.ToString(cw.got[0].MetricData[0].MetricName))
}

// Checks that would run into the function's deadline are skipped and counted
// as failed, so what was read is still published before Lambda stops it.
func TestRunStopsChecksBeforeTheDeadline(t *testing.T) {
	fake, api := start(t)
	fake.Result = func(string) any { return int64(1) }
	// The function's deadline is an hour away; the clock jumps to a few
	// seconds before it once the call's outcome is published.
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var mu sync.Mutex
	clock := time.Now()
	c := cfg
	c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	cw := &fakeCloudWatch{onPut: func() { mu.Lock(); clock = deadline.Add(-10 * time.Second); mu.Unlock() }}
	r, err := health.Run(ctx, c, api, cw)
	require.NoError(t, err)
	got := cw.published(t)
	assert.Equal(t, 0.0, got["ScheduledCallFailed/scheduled-call"])
	assert.Equal(t, float64(len(c.Checks)), got["HealthCheckFailed/health-checks"], "every check skipped: %v", r.Failed)
	require.NotEmpty(t, r.Failed)
	assert.Contains(t, r.Failed[0], "no time left before the function's timeout")
	assert.Len(t, fake.Calls(), 1, "only the call ran")
}
