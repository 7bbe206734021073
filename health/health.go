// Package health makes the warehouse's one scheduled call and reads the
// warehouse's health in the same wake-up, then publishes both to CloudWatch
// (namespace Haina). The Data API is asynchronous: a scheduler that calls it
// directly reports success even when the call fails in the warehouse; this
// waits for the call, so a failure becomes a metric an alarm can watch. The
// health queries run right after the call, while the warehouse is awake, so
// they add no wake-up (Redshift Serverless bills at least 60 seconds each
// time it wakes). docs/design.md has the design and its sources.
package health

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	rdtypes "github.com/aws/aws-sdk-go-v2/service/redshiftdata/types"
)

// Namespace is where the metrics go.
const Namespace = "Haina"

// Metric names.
const (
	// CallFailed is 1 when the scheduled call failed (or did not finish), else 0.
	CallFailed = "ScheduledCallFailed"
	// CheckFailed counts the health queries that could not be read in a run
	// (Object ChecksObject; which ones is in the function's log).
	CheckFailed = "HealthCheckFailed"
	// CallObject and ChecksObject are the Object dimensions of the two above.
	CallObject   = "scheduled-call"
	ChecksObject = "health-checks"
	// SinceParameter is the Data API parameter a check uses for "since the call
	// started" (less Lookback): :since.
	SinceParameter = "since"
)

// DataAPI is the part of the Redshift Data API the function uses.
type DataAPI interface {
	ExecuteStatement(context.Context, *redshiftdata.ExecuteStatementInput, ...func(*redshiftdata.Options)) (*redshiftdata.ExecuteStatementOutput, error)
	DescribeStatement(context.Context, *redshiftdata.DescribeStatementInput, ...func(*redshiftdata.Options)) (*redshiftdata.DescribeStatementOutput, error)
	GetStatementResult(context.Context, *redshiftdata.GetStatementResultInput, ...func(*redshiftdata.Options)) (*redshiftdata.GetStatementResultOutput, error)
}

// Metrics is the part of CloudWatch the function uses.
type Metrics interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Check is one health query: a SELECT returning one number (or NULL: no value).
type Check struct {
	Metric string `json:"metric"`
	// Object names what it measures (a view, a table): the Object dimension.
	Object string `json:"object"`
	SQL    string `json:"sql"`
	// Unit is a CloudWatch unit: Seconds, Count.
	Unit string `json:"unit"`
}

// Config says where and what.
type Config struct {
	// WorkgroupName (Serverless) or ClusterIdentifier and DbUser (provisioned).
	WorkgroupName, ClusterIdentifier, DbUser string
	Database                                 string
	// Call is the scheduled statement (CALL ingest.refresh_views()).
	Call        string
	Environment string
	Checks      []Check
	// Wait bounds how long the call and each check may run; Poll is the first
	// wait between DescribeStatement calls (doubling up to 5 s).
	Wait, Poll time.Duration
	// Lookback widens the checks' window back past the call's start (refresh
	// mode auto: the views also refresh between calls).
	Lookback time.Duration
	// Now is the clock the deadline is measured with (tests move it); nil: time.Now.
	Now func() time.Time
}

// sinceMargin allows for the clocks of the function and the warehouse.
const sinceMargin = 5 * time.Second

// Result is what one run saw.
type Result struct {
	CallFailed bool
	CallError  string
	// Values by metric and object; Failed are the checks that could not be read.
	Values map[string]float64
	Failed []string
}

// reserve is the time kept back before the function's deadline (its
// context's) to publish what was read: checks that would run into it are
// skipped and counted as failed.
const reserve = 20 * time.Second

// Run makes the call, waits for it, publishes its outcome at once, then runs
// the checks (when the call finished) as long as the function's deadline
// allows, and publishes them. It returns an error when the call failed, so
// the function's own Errors metric counts it too.
func Run(ctx context.Context, cfg Config, api DataAPI, cw Metrics) (Result, error) {
	if cfg.Wait == 0 {
		cfg.Wait = 5 * time.Minute
	}
	if cfg.Poll == 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := Result{Values: map[string]float64{}}
	start := cfg.Now()
	var data []cwtypes.MetricDatum
	datum := func(metric, object string, v float64, unit string) {
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String(metric), Value: aws.Float64(v), Unit: cwtypes.StandardUnit(unit), Timestamp: aws.Time(time.Now()),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("Environment"), Value: aws.String(cfg.Environment)},
				{Name: aws.String("Object"), Value: aws.String(object)}},
		})
	}
	publish := func() error {
		// At most 1,000 metrics per request (PutMetricData).
		for i := 0; i < len(data); i += 1000 {
			if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(Namespace), MetricData: data[i:min(i+1000, len(data))]}); err != nil {
				return fmt.Errorf("publishing %d metrics: %w", len(data), err)
			}
		}
		data = nil
		return nil
	}
	// wait is how long a statement may take: cfg.Wait, cut to what the
	// function's deadline leaves after the reserve.
	wait := func() time.Duration {
		if d, ok := ctx.Deadline(); ok {
			return min(cfg.Wait, d.Sub(cfg.Now())-reserve)
		}
		return cfg.Wait
	}
	// Counts cover what happened since the call started: with scheduled
	// refreshes the call is what ingests.
	since := start.Add(-cfg.Lookback - sinceMargin).UTC().Format("2006-01-02 15:04:05.000000")
	_, callErr := run(ctx, cfg, api, cfg.Call, "", wait())
	if callErr != nil {
		r.CallFailed, r.CallError = true, callErr.Error()
		datum(CallFailed, CallObject, 1, "Count")
	} else {
		datum(CallFailed, CallObject, 0, "Count")
	}
	// The call's outcome first, on its own: a timeout during the checks must
	// not lose it (the alarm on it counts a missing value as a failure).
	if err := publish(); err != nil {
		return r, err
	}
	if callErr != nil {
		return r, fmt.Errorf("the scheduled call %q failed: %w", cfg.Call, callErr)
	}
	for _, c := range cfg.Checks {
		key := c.Metric + "/" + c.Object
		w := wait()
		if w <= 0 {
			r.Failed = append(r.Failed, key+": skipped, no time left before the function's timeout")
			continue
		}
		v, ok, err := value(ctx, cfg, api, c.SQL, since, w)
		switch {
		case err != nil:
			r.Failed = append(r.Failed, key+": "+err.Error())
		case ok:
			r.Values[key] = v
			datum(c.Metric, c.Object, v, c.Unit)
		}
	}
	datum(CheckFailed, ChecksObject, float64(len(r.Failed)), "Count")
	return r, publish()
}

// run submits one statement and waits for it to finish. A statement naming
// :since gets it as a parameter (the Data API refuses a parameter the SQL
// does not use).
func run(ctx context.Context, cfg Config, api DataAPI, sql, since string, wait time.Duration) (string, error) {
	in := &redshiftdata.ExecuteStatementInput{Sql: aws.String(sql), Database: aws.String(cfg.Database)}
	if strings.Contains(sql, ":"+SinceParameter) {
		in.Parameters = []rdtypes.SqlParameter{{Name: aws.String(SinceParameter), Value: aws.String(since)}}
	}
	if cfg.ClusterIdentifier != "" {
		in.ClusterIdentifier, in.DbUser = aws.String(cfg.ClusterIdentifier), aws.String(cfg.DbUser)
	} else {
		in.WorkgroupName = aws.String(cfg.WorkgroupName)
	}
	out, err := api.ExecuteStatement(ctx, in)
	if err != nil {
		return "", fmt.Errorf("submitting: %w", err)
	}
	id := aws.ToString(out.Id)
	deadline := time.Now().Add(wait)
	for delay := cfg.Poll; ; delay = min(2*delay, 5*time.Second) {
		d, err := api.DescribeStatement(ctx, &redshiftdata.DescribeStatementInput{Id: aws.String(id)})
		if err != nil {
			return id, fmt.Errorf("describing %s: %w", id, err)
		}
		switch d.Status {
		case rdtypes.StatusStringFinished:
			return id, nil
		case rdtypes.StatusStringFailed, rdtypes.StatusStringAborted:
			return id, fmt.Errorf("%s: %s", d.Status, aws.ToString(d.Error))
		}
		if time.Now().After(deadline) {
			return id, fmt.Errorf("still %s after %s", d.Status, wait)
		}
		select {
		case <-ctx.Done():
			return id, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// value runs a check and reads its one number; ok is false for NULL or no row.
func value(ctx context.Context, cfg Config, api DataAPI, sql, since string, wait time.Duration) (float64, bool, error) {
	id, err := run(ctx, cfg, api, sql, since, wait)
	if err != nil {
		return 0, false, err
	}
	res, err := api.GetStatementResult(ctx, &redshiftdata.GetStatementResultInput{Id: aws.String(id)})
	if err != nil {
		return 0, false, fmt.Errorf("reading %s: %w", id, err)
	}
	if len(res.Records) == 0 || len(res.Records[0]) == 0 {
		return 0, false, nil
	}
	// A Field is a union; no AWS page says which member a BIGINT comes back
	// as, so every numeric form is read.
	switch f := res.Records[0][0].(type) {
	case *rdtypes.FieldMemberLongValue:
		return float64(f.Value), true, nil
	case *rdtypes.FieldMemberDoubleValue:
		return f.Value, true, nil
	case *rdtypes.FieldMemberStringValue:
		v, err := strconv.ParseFloat(f.Value, 64)
		if err != nil {
			return 0, false, fmt.Errorf("not a number: %q", f.Value)
		}
		return v, true, nil
	case *rdtypes.FieldMemberIsNull:
		return 0, false, nil
	default:
		return 0, false, errors.New("not a number: a value of another type")
	}
}
