// Package events is the seed event schema and a generator of synthetic events.
package events

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/haina-data/haina/producer"
)

// Names are the event names of the seed schema.
var Names = []string{"JOIN", "LEAVE", "OPEN_CHAT", "SUBSCRIBE", "SEND_MESSAGE"}

// Event is one app event: {"event_time": RFC 3339, "event_name": …, "user": 0..100}.
type Event struct {
	EventTime string `json:"event_time"`
	EventName string `json:"event_name"`
	User      int    `json:"user"`
}

// Generator produces synthetic events; with a fixed seed and clock, the same ones.
type Generator struct {
	rnd *rand.Rand
	now func() time.Time
}

// NewGenerator returns a generator; now may be nil (time.Now).
func NewGenerator(seed uint64, now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	return &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now}
}

// Next returns a new event.
func (g *Generator) Next() Event {
	return Event{
		EventTime: g.now().UTC().Format(time.RFC3339),
		EventName: Names[g.rnd.IntN(len(Names))],
		User:      g.rnd.IntN(101),
	}
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
