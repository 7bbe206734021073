// Package events is the app event schema and a generator of synthetic events.
package events

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/haina-data/haina/producer"
)

// Names are the event names of the app event schema.
var Names = []string{"JOIN", "LEAVE", "OPEN_CHAT", "SUBSCRIBE", "SEND_MESSAGE"}

// Event is one app event: {"event_id": a UUID, "event_time": RFC 3339,
// "event_name": …, "user": 0..100}. The event_id is unique per event, so a
// consumer can drop the duplicates a retried PutRecords may leave in the
// stream; readers that know only the app event schema ignore it.
type Event struct {
	EventID   string `json:"event_id,omitempty"`
	EventTime string `json:"event_time"`
	EventName string `json:"event_name"`
	User      int    `json:"user"`
}

// Generator produces synthetic events; with a fixed seed and clock, the same ones.
type Generator struct {
	rnd *rand.Rand
	ids *rand.ChaCha8 // event ids: a stream of their own, so names and users per seed stay as they were
	now func() time.Time
}

// NewGenerator returns a generator; now may be nil (time.Now). Event ids are
// unique within a generator and, across generators, as unique as their seeds
// (see RandomSeed).
func NewGenerator(seed uint64, now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	copy(key[8:], "haina event ids")
	return &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), ids: rand.NewChaCha8(key), now: now}
}

// RandomSeed is a seed from the operating system's randomness: generators
// seeded with it (one per producer run) give ids no other run gives.
func RandomSeed() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms (crypto/rand)
	return binary.LittleEndian.Uint64(b[:])
}

// Next returns a new event.
func (g *Generator) Next() Event {
	return Event{
		EventID:   g.uuid(),
		EventTime: g.now().UTC().Format(time.RFC3339),
		EventName: Names[g.rnd.IntN(len(Names))],
		User:      g.rnd.IntN(101),
	}
}

// uuid is a random (version 4, RFC 9562) UUID from the generator's id stream.
func (g *Generator) uuid() string {
	var b [16]byte
	_, _ = g.ids.Read(b[:]) // ChaCha8.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Record encodes an event for Kinesis, partitioned by user so one user's
// events stay in order on one shard.
func Record(e Event) (producer.Record, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return producer.Record{}, err
	}
	return producer.Record{PartitionKey: strconv.Itoa(e.User), Data: b}, nil
}

// Source yields n synthetic events (n < 0: without end) as producer records.
func Source(g *Generator, n int) producer.Source {
	sent := 0
	return producer.SourceFunc(func() (producer.Record, bool, error) {
		if n >= 0 && sent >= n {
			return producer.Record{}, false, nil
		}
		sent++
		r, err := Record(g.Next())
		return r, true, err
	})
}
