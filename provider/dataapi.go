package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata/types"
	"github.com/aws/smithy-go"
)

// DataAPI is the part of the Redshift Data API client haina uses.
type DataAPI interface {
	BatchExecuteStatement(context.Context, *redshiftdata.BatchExecuteStatementInput, ...func(*redshiftdata.Options)) (*redshiftdata.BatchExecuteStatementOutput, error)
	ExecuteStatement(context.Context, *redshiftdata.ExecuteStatementInput, ...func(*redshiftdata.Options)) (*redshiftdata.ExecuteStatementOutput, error)
	DescribeStatement(context.Context, *redshiftdata.DescribeStatementInput, ...func(*redshiftdata.Options)) (*redshiftdata.DescribeStatementOutput, error)
	CancelStatement(context.Context, *redshiftdata.CancelStatementInput, ...func(*redshiftdata.Options)) (*redshiftdata.CancelStatementOutput, error)
}

// Target is where statements run: a Redshift Serverless workgroup's database
// (as the user in SecretArn, or the caller's IAM identity), or an Aurora
// cluster's database through the RDS Data API (ResourceArn, SecretArn required).
type Target struct {
	// WorkgroupName (Serverless) or ClusterIdentifier (provisioned) for Redshift.
	WorkgroupName     string
	ClusterIdentifier string
	ResourceArn       string
	Database          string
	SecretArn         string
}

// where names the warehouse for a message.
func (t Target) where() string {
	if t.ClusterIdentifier != "" {
		return "Redshift cluster " + t.ClusterIdentifier
	}
	return "workgroup " + t.WorkgroupName
}

// Engine runs statements on one kind of database.
type Engine interface {
	// Batch runs statements in order, as one transaction where the database allows it.
	Batch(ctx context.Context, t Target, sqls []string, timeout time.Duration) error
	// Query runs one statement and returns the number of rows it returned.
	Query(ctx context.Context, t Target, sql string, timeout time.Duration) (int64, error)
}

// Runner runs statements through the Data API and waits for them.
type Runner struct {
	API DataAPI
	// PollInitial and PollMax bound the DescribeStatement backoff (doubling).
	PollInitial, PollMax time.Duration
	// Attempts bounds how often a transiently failed submission is tried
	// (default 5); RetryInitial and RetryMax bound the doubling wait between
	// tries (defaults 2 s and 20 s). See transient for what is retried.
	Attempts               int
	RetryInitial, RetryMax time.Duration
}

// maxBatch is the Data API's limit of statements per BatchExecuteStatement.
const maxBatch = 40

// Batch runs sqls as one transaction (BatchExecuteStatement) and waits for
// it. A transient failure rolled the whole batch back, so it is tried again.
func (r *Runner) Batch(ctx context.Context, t Target, sqls []string, timeout time.Duration) error {
	if len(sqls) == 0 {
		return nil
	}
	if len(sqls) > maxBatch {
		return fmt.Errorf("%d statements: the Data API runs at most %d in one transaction", len(sqls), maxBatch)
	}
	return r.retry(ctx, func() error {
		out, err := r.API.BatchExecuteStatement(ctx, &redshiftdata.BatchExecuteStatementInput{
			Sqls:              sqls,
			WorkgroupName:     optional(t.WorkgroupName),
			ClusterIdentifier: optional(t.ClusterIdentifier),
			Database:          aws.String(t.Database),
			SecretArn:         optional(t.SecretArn),
		})
		if err != nil {
			return fmt.Errorf("submitting %d statement(s) to %s: %w", len(sqls), t.where(), err)
		}
		_, err = r.wait(ctx, aws.ToString(out.Id), sqls, timeout)
		return err
	})
}

// Query runs one statement on its own (ExecuteStatement: not in a transaction
// block) and returns how many rows it returned.
func (r *Runner) Query(ctx context.Context, t Target, sql string, timeout time.Duration) (int64, error) {
	var rows int64
	err := r.retry(ctx, func() error {
		out, err := r.API.ExecuteStatement(ctx, &redshiftdata.ExecuteStatementInput{
			Sql:               aws.String(sql),
			WorkgroupName:     optional(t.WorkgroupName),
			ClusterIdentifier: optional(t.ClusterIdentifier),
			Database:          aws.String(t.Database),
			SecretArn:         optional(t.SecretArn),
		})
		if err != nil {
			return fmt.Errorf("submitting a statement to %s: %w", t.where(), err)
		}
		d, err := r.wait(ctx, aws.ToString(out.Id), []string{sql}, timeout)
		if err != nil {
			return err
		}
		rows = d.ResultRows
		return nil
	})
	return rows, err
}

// retry runs try until it succeeds, fails for a reason that is not
// transient, or has been tried Attempts times; the waits between tries double.
// The error says how many attempts were made and what each transient failure was.
func (r *Runner) retry(ctx context.Context, try func() error) error {
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	delay, maxDelay := r.RetryInitial, r.RetryMax
	if delay <= 0 {
		delay = 2 * time.Second
	}
	if maxDelay <= 0 {
		maxDelay = 20 * time.Second
	}
	var seen []string
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil {
			return nil
		}
		if !transient(err) {
			if len(seen) > 0 {
				return fmt.Errorf("%w\n  (attempt %d; earlier attempts failed transiently: %s)", err, attempt, strings.Join(seen, "; "))
			}
			return err
		}
		seen = append(seen, firstLine(err.Error()))
		if attempt >= attempts || ctx.Err() != nil {
			return fmt.Errorf("gave up after %d attempts, each failing transiently (%s); the last: %w", attempt, strings.Join(seen, "; "), err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
		delay = min(delay*2, maxDelay)
	}
}

// transientCodes are Data API error codes that mean "try again later": the
// service throttled the call or the workgroup is busy, so nothing ran.
// https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ExecuteStatement.html#API_ExecuteStatement_Errors
var transientCodes = map[string]bool{
	"ThrottlingException":               true,
	"ActiveStatementsExceededException": true,
	"ActiveSessionsExceededException":   true,
	"InternalServerException":           true,
	"ServiceUnavailableException":       true,
}

// transientMessages are statement failures that a later try can get past:
// another transaction touched the catalog at the same time (Redshift aborts
// one of them: "ERROR: 1023 ... Serializable isolation violation",
// https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html), or
// the warehouse was resuming or scaling when the statement arrived. A real
// SQL error (a syntax error, a missing object, a refused option) is never retried.
var transientMessages = []string{
	"serializable isolation violation",
	"could not complete because of conflict with concurrent transaction",
	"concurrent transaction",
	"workgroup is not available",
	"is currently resuming",
	"connection reset",
}

// transient reports whether err is worth another try.
func transient(err error) bool {
	var unknown *OutcomeUnknownError
	if errors.As(err, &unknown) {
		return false // it may have committed: never submitted again
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return transientCodes[ae.ErrorCode()]
	}
	var se *StatementError
	if errors.As(err, &se) {
		msg := strings.ToLower(se.Message)
		for _, m := range transientMessages {
			if strings.Contains(msg, m) {
				return true
			}
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// describeAttempts bounds how many DescribeStatement calls in a row may fail
// (each already retried by the AWS SDK) before the outcome is called unknown.
const describeAttempts = 5

// OutcomeUnknownError is a statement (or transaction) that was submitted but
// whose end could not be observed: describing it kept failing, or it was
// still running when cancelling it failed. It may have committed, so it is
// never submitted again (a resubmitted CREATE would fail with "already
// exists"); Lifecycle.Create looks the object up instead.
type OutcomeUnknownError struct {
	// What names the statement ("statement <id>") or transaction.
	What string
	// Status is the last status seen, "" when none was.
	Status string
	Reason string
	Err    error
}

func (e *OutcomeUnknownError) Error() string {
	seen := "no status was seen"
	if e.Status != "" {
		seen = "its last status was " + e.Status
	}
	return fmt.Sprintf("%s %s; whether it committed is unknown (%s)", e.What, e.Reason, seen)
}

func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// wait polls DescribeStatement with doubling backoff until the statement ends.
// A failed DescribeStatement is tried again (the statement runs whatever
// happens to the call); after describeAttempts failures in a row it is
// cancelled as a statement past its timeout is. Past the timeout (or on cancellation) it cancels the statement
// and reports how the statement really ended: a statement that finished
// before the cancel arrived succeeded.
func (r *Runner) wait(ctx context.Context, id string, sqls []string, timeout time.Duration) (*redshiftdata.DescribeStatementOutput, error) {
	deadline := time.Now().Add(timeout)
	delay, maxDelay := r.polls()
	var status string
	failures := 0
	for {
		d, err := r.API.DescribeStatement(ctx, &redshiftdata.DescribeStatementInput{Id: aws.String(id)})
		if err != nil {
			failures++
			if failures >= describeAttempts && ctx.Err() == nil {
				return r.cancel(id, sqls, fmt.Sprintf("could not be described (%d failures in a row, the last: %v)", failures, err), status)
			}
		} else {
			failures = 0
			status = string(d.Status)
			switch d.Status {
			case types.StatusStringFinished:
				return d, nil
			case types.StatusStringFailed, types.StatusStringAborted:
				return nil, statementError(d, sqls)
			}
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			why := fmt.Sprintf("did not finish within %s", timeout)
			if ctx.Err() != nil {
				why = "was interrupted (" + ctx.Err().Error() + ")"
			}
			return r.cancel(id, sqls, why, status)
		}
		wait := min(delay, time.Until(deadline))
		select {
		case <-time.After(max(wait, 0)):
		case <-ctx.Done():
		}
		delay = min(delay*2, maxDelay)
	}
}

func (r *Runner) polls() (initial, maxDelay time.Duration) {
	initial, maxDelay = r.PollInitial, r.PollMax
	if initial <= 0 {
		initial = 250 * time.Millisecond
	}
	if maxDelay <= 0 {
		maxDelay = 5 * time.Second
	}
	return initial, maxDelay
}

// cancel cancels a statement that ran too long, whose caller gave up, or that
// could not be described, then describes it again: a cancel can fail, or
// arrive after the statement finished (Redshift then refuses it), so only the
// statement's own final status says what happened. FINISHED is a success, FAILED the statement's
// error, ABORTED a cancelled statement; still running, the outcome is unknown.
func (r *Runner) cancel(id string, sqls []string, why, status string) (*redshiftdata.DescribeStatementOutput, error) {
	// A fresh context: the caller's may be the one that ended.
	cctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	_, cerr := r.API.CancelStatement(cctx, &redshiftdata.CancelStatementInput{Id: aws.String(id)})
	delay, maxDelay := r.polls()
	var lastErr error
	for try := 1; ; try++ {
		d, err := r.API.DescribeStatement(cctx, &redshiftdata.DescribeStatementInput{Id: aws.String(id)})
		if err == nil {
			status = string(d.Status)
			switch d.Status {
			case types.StatusStringFinished:
				return d, nil // it finished before the cancel took effect
			case types.StatusStringFailed:
				return nil, statementError(d, sqls)
			case types.StatusStringAborted:
				hint := ""
				if strings.HasPrefix(why, "did not finish") {
					hint = " (raise timeoutSeconds if the object needs longer)"
				}
				return nil, fmt.Errorf("statement %s %s; it was cancelled%s", id, why, hint)
			}
		}
		lastErr = err
		if try >= describeAttempts || cctx.Err() != nil {
			break
		}
		select {
		case <-time.After(delay):
		case <-cctx.Done():
		}
		delay = min(delay*2, maxDelay)
	}
	reason := why + ", and cancelling it "
	switch {
	case cerr != nil:
		reason += fmt.Sprintf("failed (%v)", cerr)
	default:
		reason += "was accepted but it has not ended"
	}
	if lastErr != nil {
		reason += fmt.Sprintf("; describing it failed (%v)", lastErr)
	}
	return nil, &OutcomeUnknownError{What: "statement " + id, Status: status, Reason: reason, Err: cerr}
}

// StatementError is a statement Redshift ran and failed (or aborted), with its message.
type StatementError struct {
	Message string
	text    string
}

func (e *StatementError) Error() string { return e.text }

// statementError says which statement of a batch failed and what Redshift said.
func statementError(d *redshiftdata.DescribeStatementOutput, sqls []string) error {
	verb := strings.ToLower(string(d.Status))
	for i, sub := range d.SubStatements {
		if sub.Status == types.StatementStatusStringFailed || (sub.Error != nil && *sub.Error != "") {
			q := aws.ToString(sub.QueryString)
			if q == "" && i < len(sqls) {
				q = sqls[i]
			}
			msg := aws.ToString(sub.Error)
			if msg == "" {
				msg = aws.ToString(d.Error)
			}
			return &StatementError{msg, fmt.Sprintf("statement %d of %d %s: %s\n  SQL: %s", i+1, len(d.SubStatements), verb, msg, abbreviate(q))}
		}
	}
	msg := aws.ToString(d.Error)
	if msg == "" {
		msg = "no error message"
	}
	if len(sqls) == 1 {
		return &StatementError{msg, fmt.Sprintf("statement %s: %s\n  SQL: %s", verb, msg, abbreviate(sqls[0]))}
	}
	return &StatementError{msg, "batch " + verb + ": " + msg}
}

func abbreviate(sql string) string {
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > 240 {
		return s[:240] + "…"
	}
	return s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
