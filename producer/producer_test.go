package producer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/haina-data/haina/events"
	"github.com/haina-data/haina/producer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeKinesis records every PutRecords call; fail decides per entry and attempt.
type fakeKinesis struct {
	mu    sync.Mutex
	calls [][]types.PutRecordsRequestEntry
	seen  map[string]int // data → attempts
	fail  func(data string, attempt int) string
	err   error
}

func (f *fakeKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, append([]types.PutRecordsRequestEntry(nil), in.Records...))
	if f.err != nil {
		return nil, f.err
	}
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	out := &kinesis.PutRecordsOutput{}
	var failed int32
	for _, e := range in.Records {
		d := string(e.Data)
		f.seen[d]++
		r := types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")}
		if f.fail != nil {
			if code := f.fail(d, f.seen[d]); code != "" {
				r = types.PutRecordsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("Rate exceeded for shard")}
				failed++
			}
		}
		out.Records = append(out.Records, r)
	}
	out.FailedRecordCount = aws.Int32(failed)
	return out, nil
}

func noSleep(context.Context, time.Duration) error { return nil }

// records yields n records whose data is "<prefix><i>" padded to size bytes.
func records(n, size int, prefix string) producer.Source {
	i := 0
	return producer.SourceFunc(func() (producer.Record, bool, error) {
		if i >= n {
			return producer.Record{}, false, nil
		}
		i++
		d := fmt.Sprintf("%s%d", prefix, i)
		if len(d) < size {
			d += strings.Repeat(".", size-len(d))
		}
		return producer.Record{PartitionKey: "k", Data: []byte(d)}, true, nil
	})
}

func TestProducerBatchesAt500Records(t *testing.T) {
	f := &fakeKinesis{}
	st, err := producer.New(f, producer.Config{Stream: "s", Concurrency: 1, Sleep: noSleep}).Run(context.Background(), records(1200, 10, "r"))
	require.NoError(t, err)
	assert.Equal(t, int64(1200), st.Sent)
	require.Len(t, f.calls, 3)
	assert.Equal(t, []int{500, 500, 200}, []int{len(f.calls[0]), len(f.calls[1]), len(f.calls[2])})
}

func TestProducerBatchesAt5MiB(t *testing.T) {
	f := &fakeKinesis{}
	const size = 100 << 10 // 100 KiB + 1-byte key: 51 fit in 5 MiB, 52 do not
	st, err := producer.New(f, producer.Config{Stream: "s", Concurrency: 1, Sleep: noSleep}).Run(context.Background(), records(120, size, "r"))
	require.NoError(t, err)
	assert.Equal(t, int64(120), st.Sent)
	for _, c := range f.calls {
		total := 0
		for _, e := range c {
			total += len(e.Data) + len(aws.ToString(e.PartitionKey))
		}
		assert.LessOrEqual(t, total, producer.MaxBytesPerCall)
	}
	assert.Equal(t, 51, len(f.calls[0]))
	assert.Equal(t, []int{51, 51, 18}, []int{len(f.calls[0]), len(f.calls[1]), len(f.calls[2])})
}

func TestProducerRejectsOversizeAndInvalidRecords(t *testing.T) {
	f := &fakeKinesis{}
	exact := producer.Record{PartitionKey: "k", Data: bytes.Repeat([]byte("x"), producer.MaxBytesPerRecord-1)}
	over := producer.Record{PartitionKey: "kk", Data: bytes.Repeat([]byte("y"), producer.MaxBytesPerRecord-1)}
	src := []struct {
		rec producer.Record
		err error
	}{
		{exact, nil},
		{over, nil},
		{producer.Record{PartitionKey: "", Data: []byte("no key")}, nil},
		{producer.Record{PartitionKey: strings.Repeat("é", 257), Data: []byte("long key")}, nil},
		{producer.Record{}, errors.New("json: unsupported value: NaN")},
		{producer.Record{PartitionKey: "k", Data: []byte("fine")}, nil},
	}
	i := 0
	st, err := producer.New(f, producer.Config{Stream: "s", Sleep: noSleep}).Run(context.Background(), producer.SourceFunc(func() (producer.Record, bool, error) {
		if i == len(src) {
			return producer.Record{}, false, nil
		}
		i++
		return src[i-1].rec, true, src[i-1].err
	}))
	require.NoError(t, err, "bad records are counted, not fatal")
	assert.Equal(t, producer.Stats{Sent: 2, RejectedOversize: 1, RejectedInvalid: 3, Calls: 1}, st)
}

func TestProducerRetriesOnlyFailedEntries(t *testing.T) {
	f := &fakeKinesis{fail: func(d string, attempt int) string {
		// Every third record is throttled twice before it is accepted.
		var n int
		fmt.Sscanf(d, "r%d", &n)
		if n%3 == 0 && attempt <= 2 {
			return "ProvisionedThroughputExceededException"
		}
		return ""
	}}
	st, err := producer.New(f, producer.Config{Stream: "s", Concurrency: 1, Sleep: noSleep}).Run(context.Background(), records(900, 8, "r"))
	require.NoError(t, err)
	assert.Equal(t, int64(900), st.Sent, "none lost")
	assert.Equal(t, int64(0), st.Failed)
	assert.Equal(t, int64(600), st.Retried, "300 records retried twice each")
	// Batches of 500 and 400; retries carry only the throttled entries.
	require.Len(t, f.calls, 6)
	assert.Equal(t, []int{500, 166, 166, 400, 134, 134}, []int{len(f.calls[0]), len(f.calls[1]), len(f.calls[2]), len(f.calls[3]), len(f.calls[4]), len(f.calls[5])})
	for _, e := range f.calls[1] {
		var n int
		fmt.Sscanf(string(e.Data), "r%d", &n)
		assert.Zero(t, n%3, "retry of %s", e.Data)
	}
	assert.Equal(t, int64(6), st.Calls)
}

func TestProducerGivesUpWithCounts(t *testing.T) {
	f := &fakeKinesis{fail: func(d string, _ int) string {
		if d == "r7" {
			return "InternalFailure"
		}
		return ""
	}}
	st, err := producer.New(f, producer.Config{Stream: "s", MaxAttempts: 4, Sleep: noSleep}).Run(context.Background(), records(10, 0, "r"))
	require.Error(t, err)
	assert.Equal(t, "1 of 10 records failed after 4 attempts or 1m0s of retries (last error: InternalFailure: Rate exceeded for shard)", err.Error())
	assert.Equal(t, producer.Stats{Sent: 9, Retried: 3, Failed: 1, Calls: 4}, st)
}

func TestProducerStopsOnAMissingStream(t *testing.T) {
	f := &fakeKinesis{err: &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Stream nope under account 123456789012 not found."}}
	st, err := producer.New(f, producer.Config{Stream: "nope", Concurrency: 2, Sleep: noSleep}).Run(context.Background(), records(100000, 10, "r"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PutRecords to nope")
	assert.Contains(t, err.Error(), "ResourceNotFoundException")
	assert.Less(t, len(f.calls), 10, "no retry fixes a missing stream")
	assert.Zero(t, st.Sent)
}

func TestSyntheticEventsFollowTheSeedSchema(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	g := events.NewGenerator(7, func() time.Time { return at })
	names := map[string]bool{}
	for range 2000 {
		e := g.Next()
		assert.Equal(t, "2026-01-02T03:04:05Z", e.EventTime)
		assert.Contains(t, events.Names, e.EventName)
		assert.True(t, e.User >= 0 && e.User <= 100, "user %d", e.User)
		names[e.EventName] = true
	}
	assert.Len(t, names, 5)
	r, err := events.Record(events.Event{EventTime: "2026-01-02T03:04:05Z", EventName: "JOIN", User: 42})
	require.NoError(t, err)
	assert.Equal(t, "42", r.PartitionKey)
	assert.JSONEq(t, `{"event_time":"2026-01-02T03:04:05Z","event_name":"JOIN","user":42}`, string(r.Data))
}

// Every synthetic event carries an event_id, a random UUID unique to it, so a
// consumer can drop the duplicates a retried PutRecords leaves; the seed
// schema's other fields stay as they were.
func TestSyntheticEventsCarryAUniqueEventID(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	decode := func(g *events.Generator) map[string]any {
		r, err := events.Record(g.Next())
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Data, &m))
		return m
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := map[string]bool{}
	g := events.NewGenerator(7, func() time.Time { return at })
	for range 20000 {
		m := decode(g)
		id, _ := m["event_id"].(string)
		require.Regexp(t, uuid, id, "a version 4 UUID")
		require.False(t, ids[id], "event_id %s repeated", id)
		ids[id] = true
		assert.Equal(t, "2026-01-02T03:04:05Z", m["event_time"])
		assert.Contains(t, events.Names, m["event_name"])
		assert.Len(t, m, 4, "event_id, event_time, event_name, user")
	}
	// Another run (another seed) shares none of them; the same seed gives the same events, ids included.
	other := events.NewGenerator(8, nil)
	for range 20000 {
		assert.False(t, ids[decode(other)["event_id"].(string)])
	}
	a, b := events.NewGenerator(7, func() time.Time { return at }), events.NewGenerator(7, func() time.Time { return at })
	assert.Equal(t, a.Next(), b.Next())
}

// An endpoint that accepts nothing (unreachable, or refusing every call with a
// retryable error) stops the run after the first batch's attempts, with the
// last error, instead of retrying every batch the same way.
func TestProducerStopsEarlyWhenNothingIsAccepted(t *testing.T) {
	f := &fakeKinesis{err: &smithy.GenericAPIError{Code: "InternalFailure", Message: "connection refused"}}
	st, err := producer.New(f, producer.Config{Stream: "s", MaxAttempts: 3, Concurrency: 1, Sleep: noSleep}).Run(context.Background(), records(5000, 0, "r"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PutRecords to s: no record accepted after 3 attempts; the last error:")
	assert.Contains(t, err.Error(), "connection refused")
	assert.Zero(t, st.Sent)
	assert.Less(t, st.Calls, int64(10), "it stopped early: one batch's attempts, not all ten batches'")
}
