package tests

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/haina-data/haina/events"
	"github.com/haina-data/haina/producer"
	"github.com/haina-data/haina/tests/kinesalite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recording wraps a source and remembers what it yielded.
type recording struct {
	src  producer.Source
	mu   sync.Mutex
	sent map[string]int
}

func (r *recording) Next() (producer.Record, bool, error) {
	rec, ok, err := r.src.Next()
	if ok && err == nil {
		r.mu.Lock()
		r.sent[string(rec.Data)]++
		r.mu.Unlock()
	}
	return rec, ok, err
}

// uniqueEvents yields n seed events, each with a sequence number so every
// record is distinct and can be accounted for one by one.
func uniqueEvents(n int) producer.Source {
	gen := events.NewGenerator(1, nil)
	i := 0
	return producer.SourceFunc(func() (producer.Record, bool, error) {
		if i >= n {
			return producer.Record{}, false, nil
		}
		i++
		e := gen.Next()
		data, err := json.Marshal(struct {
			events.Event
			Seq int `json:"seq"`
		}{e, i})
		return producer.Record{PartitionKey: strconv.Itoa(e.User), Data: data}, true, err
	})
}

func sendAndReadBack(t *testing.T, endpoint, readEndpoint string, n int) producer.Stats {
	client := kinesalite.Client(endpoint)
	reader := kinesalite.Client(readEndpoint)
	name := kinesalite.Name(t)
	kinesalite.CreateStream(t, reader, name, 4)

	src := &recording{src: uniqueEvents(n), sent: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := producer.New(client, producer.Config{Stream: name, BaseDelay: 5 * time.Millisecond, MaxDelay: 100 * time.Millisecond}).Run(ctx, src)
	require.NoError(t, err)
	assert.Equal(t, int64(n), st.Sent)

	got := map[string]int{}
	for _, d := range kinesalite.ReadAll(t, reader, name) {
		got[string(d)]++
	}
	assert.Equal(t, src.sent, got, "every record sent was read back, once")
	return st
}

func TestProducerLosesNothingOnKinesalite(t *testing.T) {
	ep := kinesalite.Start(t)
	st := sendAndReadBack(t, ep, ep, 20000)
	assert.Zero(t, st.Retried)
	assert.Equal(t, int64(40), st.Calls, "20,000 records in calls of 500")
}

func TestProducerLosesNothingWhenShardsThrottle(t *testing.T) {
	ep := kinesalite.Start(t)
	proxy := kinesalite.StartFaultProxy(t, ep, 0.25, 42)
	st := sendAndReadBack(t, proxy.URL, ep, 20000)
	assert.Greater(t, proxy.Injected.Load(), int64(4000), "about a quarter of the entries were throttled")
	assert.Equal(t, proxy.Injected.Load(), st.Retried, "each throttled entry was retried, and only those")
}
