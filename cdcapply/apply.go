// Package cdcapply is the executable model of haina's apply procedure
// (sql/cdc_apply_procedure.sql.tmpl): how Debezium change events that reached
// a landing view become rows of a target table. The rules are numbered as in
// the procedure; each comment names the clause that implements it there. R12
// (a value its column type cannot hold fails the run) is not modelled: rows
// keep Debezium's JSON values; tests/applysql_test.go runs it on PostgreSQL.
package cdcapply

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Message is one row of a landing view: a Kafka message of a change topic.
type Message struct {
	Partition int64
	Offset    int64
	// Value is the message value; nil is a tombstone.
	Value []byte
}

// Row is a target row: column → JSON value (json.Number, string, bool, nil, …).
type Row map[string]any

// Table is a target table: its columns, primary key and rows by key.
type Table struct {
	Columns []string
	Key     []string
	Rows    map[string]Row
}

// Watermarks are the last applied offset per partition (the control table).
type Watermarks map[int64]int64

// Counts are what a run logs (the runs table).
type Counts struct {
	Read, Upserts, Deletes, Superseded, Tombstones, Malformed int
}

type change struct {
	partition, offset int64
	op                string
	key               string
	after             map[string]any
}

// Apply runs the procedure once over the whole landing view, changing t and w
// in place, and returns the run's counts.
func Apply(t *Table, w Watermarks, landing []Message) Counts {
	var c Counts
	// R1 (CREATE TEMP TABLE haina_apply_new … WHERE l.kafka_offset > COALESCE(w.last_offset, -1)):
	// only messages past their partition's watermark; a partition without one starts at the beginning.
	var fresh []Message
	for _, m := range landing {
		if last, ok := w[m.Partition]; !ok || m.Offset > last {
			fresh = append(fresh, m)
		}
	}
	c.Read = len(fresh)

	var changes []change
	for _, m := range fresh {
		// R2 (COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL …)): a tombstone is skipped and counted.
		if m.Value == nil {
			c.Tombstones++
			continue
		}
		// R3, R4 (haina_apply_changes: JSON_TYPEOF(payload) = 'object', op IN ('c','u','r','d'),
		// after an object unless d, every key column NOT NULL; the key from "before" for d, else "after").
		ch, ok := parse(m, t.Key)
		if !ok {
			c.Malformed++
			continue
		}
		changes = append(changes, ch)
	}

	// R5 (ROW_NUMBER() OVER (PARTITION BY key ORDER BY kafka_offset DESC, kafka_partition DESC) … recency = 1):
	// per key only the latest change counts.
	latest := map[string]change{}
	for _, ch := range changes {
		if cur, ok := latest[ch.key]; !ok || ch.offset > cur.offset || (ch.offset == cur.offset && ch.partition > cur.partition) {
			latest[ch.key] = ch
		}
	}
	// R6 (changes - upserts - deletes): the rest were superseded.
	c.Superseded = len(changes) - len(latest)

	for key, ch := range latest {
		// R7 (DELETE FROM target USING haina_apply_latest): every touched key goes …
		delete(t.Rows, key)
		if ch.op == "d" {
			c.Deletes++
			continue
		}
		// R8 (INSERT INTO target SELECT convert(after_image.col) … WHERE s.op <> 'd'): … and
		// comes back from its after image when its latest change is c, u or r.
		row := Row{}
		for _, col := range t.Columns {
			row[col] = ch.after[col]
		}
		t.Rows[key] = row
		c.Upserts++
	}

	// R9 (DELETE/INSERT apply_offsets … MAX(kafka_offset) GROUP BY kafka_partition): the watermark
	// moves past everything read, skipped messages included.
	for _, m := range fresh {
		if last, ok := w[m.Partition]; !ok || m.Offset > last {
			w[m.Partition] = m.Offset
		}
	}
	return c
}

// parse reads a Debezium change event (JSON converter, schemas disabled).
func parse(m Message, keyCols []string) (change, bool) {
	dec := json.NewDecoder(bytes.NewReader(m.Value))
	dec.UseNumber()
	var env map[string]any
	if err := dec.Decode(&env); err != nil || env == nil || dec.More() {
		return change{}, false
	}
	op, _ := env["op"].(string)
	before, _ := env["before"].(map[string]any)
	after, _ := env["after"].(map[string]any)
	image := after
	switch op {
	case "d":
		image = before
	case "c", "u", "r":
		if after == nil {
			return change{}, false
		}
	default:
		return change{}, false
	}
	var key []any
	for _, k := range keyCols {
		v, ok := image[k]
		if !ok || v == nil {
			return change{}, false
		}
		key = append(key, v)
	}
	kb, _ := json.Marshal(key)
	return change{partition: m.Partition, offset: m.Offset, op: op, key: string(kb), after: after}, true
}

// Keys lists a table's keys in order (for comparisons in tests and reports).
func (t *Table) Keys() []string {
	keys := make([]string, 0, len(t.Rows))
	for k := range t.Rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
