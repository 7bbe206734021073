// Package producer sends a stream of records to Kinesis with PutRecords:
// batches within the API limits, retries of only the failed entries with
// exponential backoff and full jitter, bounded by attempts and a per-batch
// deadline, and counts of what happened. Memory is bounded: at most
// 2×Concurrency+1 batches exist at any time, whatever the number of records.
package producer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// Kinesis API limits (PutRecords).
const (
	MaxRecordsPerCall = 500
	MaxBytesPerCall   = 5 << 20 // data and partition keys
	MaxBytesPerRecord = 1 << 20 // data and partition key
	MaxPartitionKey   = 256     // Unicode characters
)

// API is the part of the Kinesis client the producer uses.
type API interface {
	PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// Record is one record to send.
type Record struct {
	PartitionKey string
	Data         []byte
}

func (r Record) size() int { return len(r.PartitionKey) + len(r.Data) }

// Source yields records. ok=false ends the stream (with err: the source
// failed); ok=true with err: a record that could not be made (counted as
// invalid and skipped).
type Source interface {
	Next() (rec Record, ok bool, err error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func() (Record, bool, error)

// Next calls f.
func (f SourceFunc) Next() (Record, bool, error) { return f() }

// Config tunes the producer; zero values take the defaults.
type Config struct {
	// Stream is the stream name or ARN.
	Stream string
	// MaxAttempts per record (default 10).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the backoff: attempt n waits a random
	// time in [0, min(MaxDelay, BaseDelay·2ⁿ)) (defaults 50 ms, 5 s).
	BaseDelay, MaxDelay time.Duration
	// RetryBudget is how long one batch may keep retrying (default 1 min).
	RetryBudget time.Duration
	// Concurrency is the number of PutRecords calls in flight (default 4).
	Concurrency int
	// Sleep waits between attempts; tests replace it.
	Sleep func(context.Context, time.Duration) error
}

// Stats counts records by outcome.
type Stats struct {
	Sent             int64 `json:"sent"`             // accepted by Kinesis
	Retried          int64 `json:"retried"`          // entry retries (one record retried twice counts 2)
	Failed           int64 `json:"failed"`           // given up after MaxAttempts or RetryBudget
	RejectedOversize int64 `json:"rejectedOversize"` // over 1 MiB with the partition key; never sent
	RejectedInvalid  int64 `json:"rejectedInvalid"`  // unserialisable or with a bad partition key; never sent
	Calls            int64 `json:"calls"`            // PutRecords calls made
}

// Producer sends records; one Producer may Run once at a time.
type Producer struct {
	api API
	cfg Config

	sent, retried, failed, oversize, invalid, calls atomic.Int64
	lastErr                                         atomic.Value // string
}

// New returns a producer.
func New(api API, cfg Config) *Producer {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 50 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 5 * time.Second
	}
	if cfg.RetryBudget <= 0 {
		cfg.RetryBudget = time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	return &Producer{api: api, cfg: cfg}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LastError is the last error a call or a record got ("" while none has).
func (p *Producer) LastError() string {
	last, _ := p.lastErr.Load().(string)
	return last
}

// Snapshot returns the counts so far (safe while Run is going).
func (p *Producer) Snapshot() Stats {
	return Stats{
		Sent: p.sent.Load(), Retried: p.retried.Load(), Failed: p.failed.Load(),
		RejectedOversize: p.oversize.Load(), RejectedInvalid: p.invalid.Load(), Calls: p.calls.Load(),
	}
}

type batch struct {
	entries []types.PutRecordsRequestEntry
	bytes   int
}

// Run sends every record of src and returns the counts. The error is non-nil
// when the source failed, the stream refused the calls (missing stream, no
// permission), ctx ended, or records failed after all retries.
func (p *Producer) Run(ctx context.Context, src Source) (Stats, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	work := make(chan batch, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for range p.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if ctx.Err() != nil {
					p.failed.Add(int64(len(b.entries)))
					continue
				}
				if err := p.put(ctx, b.entries); err != nil {
					cancel(err)
				}
			}
		}()
	}

	srcErr := p.feed(ctx, src, work)
	close(work)
	wg.Wait()

	st := p.Snapshot()
	switch {
	case srcErr != nil:
		return st, fmt.Errorf("reading records: %w", srcErr)
	case context.Cause(ctx) != nil && !errors.Is(context.Cause(ctx), context.Canceled):
		return st, context.Cause(ctx)
	case ctx.Err() != nil:
		return st, ctx.Err()
	case st.Failed > 0:
		last, _ := p.lastErr.Load().(string)
		return st, fmt.Errorf("%d of %d records failed after %d attempts or %s of retries (last error: %s)",
			st.Failed, st.Failed+st.Sent, p.cfg.MaxAttempts, p.cfg.RetryBudget, last)
	}
	return st, nil
}

// feed batches the source's records; it stops early when ctx ends.
func (p *Producer) feed(ctx context.Context, src Source, work chan<- batch) error {
	var b batch
	flush := func() bool {
		if len(b.entries) == 0 {
			return true
		}
		select {
		case work <- b:
			b = batch{}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		rec, ok, err := src.Next()
		if !ok {
			if err != nil {
				return err
			}
			break
		}
		if err != nil {
			p.invalid.Add(1)
			continue
		}
		if reason := invalid(rec); reason != "" {
			p.invalid.Add(1)
			p.lastErr.Store(reason)
			continue
		}
		if rec.size() > MaxBytesPerRecord {
			p.oversize.Add(1)
			continue
		}
		if len(b.entries) == MaxRecordsPerCall || b.bytes+rec.size() > MaxBytesPerCall {
			if !flush() {
				break
			}
		}
		b.entries = append(b.entries, types.PutRecordsRequestEntry{Data: rec.Data, PartitionKey: aws.String(rec.PartitionKey)})
		b.bytes += rec.size()
	}
	flush()
	return nil
}

func invalid(r Record) string {
	n := utf8.RuneCountInString(r.PartitionKey)
	switch {
	case n == 0:
		return "empty partition key"
	case n > MaxPartitionKey:
		return fmt.Sprintf("partition key of %d characters (at most %d)", n, MaxPartitionKey)
	case !utf8.ValidString(r.PartitionKey):
		return "partition key is not UTF-8"
	}
	return ""
}

// put sends one batch, retrying only the entries Kinesis failed. It returns an
// error only for failures no retry can fix; given-up entries are counted.
func (p *Producer) put(ctx context.Context, pending []types.PutRecordsRequestEntry) error {
	deadline := time.Now().Add(p.cfg.RetryBudget)
	in := &kinesis.PutRecordsInput{}
	if strings.HasPrefix(p.cfg.Stream, "arn:") {
		in.StreamARN = aws.String(p.cfg.Stream)
	} else {
		in.StreamName = aws.String(p.cfg.Stream)
	}
	for attempt := 1; ; attempt++ {
		in.Records = pending
		out, err := p.api.PutRecords(ctx, in)
		p.calls.Add(1)
		var failed []types.PutRecordsRequestEntry
		switch {
		case err != nil && fatal(err):
			p.failed.Add(int64(len(pending)))
			return fmt.Errorf("PutRecords to %s: %w", p.cfg.Stream, err)
		case err != nil:
			failed = pending
			p.lastErr.Store(err.Error())
		default:
			for i, r := range out.Records {
				if r.ErrorCode != nil && i < len(pending) {
					failed = append(failed, pending[i])
					p.lastErr.Store(aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage))
				}
			}
			p.sent.Add(int64(len(pending) - len(failed)))
		}
		if len(failed) == 0 {
			return nil
		}
		if attempt >= p.cfg.MaxAttempts || !time.Now().Before(deadline) || ctx.Err() != nil {
			p.failed.Add(int64(len(failed)))
			if p.sent.Load() == 0 && ctx.Err() == nil {
				// Not one record was accepted: the endpoint is unreachable or refuses
				// everything; sending the rest would only retry the same way.
				last, _ := p.lastErr.Load().(string)
				return fmt.Errorf("PutRecords to %s: no record accepted after %d attempts; the last error: %s", p.cfg.Stream, attempt, last)
			}
			return nil
		}
		p.retried.Add(int64(len(failed)))
		backoff := min(p.cfg.MaxDelay, p.cfg.BaseDelay<<min(attempt, 30))
		if err := p.cfg.Sleep(ctx, rand.N(backoff)+1); err != nil {
			p.failed.Add(int64(len(failed)))
			return nil
		}
		// Copy: the failed entries alias the previous slice, which the SDK may still reference.
		pending = append([]types.PutRecordsRequestEntry(nil), failed...)
	}
}

// fatal reports errors that no retry fixes: a missing stream, a refused
// permission or key, a malformed request.
func fatal(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ResourceNotFoundException", "AccessDeniedException", "ValidationException", "InvalidArgumentException",
			"KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException",
			"KMSOptInRequired", "UnrecognizedClientException", "InvalidSignatureException":
			return true
		}
	}
	return false
}
