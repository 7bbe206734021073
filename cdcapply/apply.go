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
	// Key is the message key (Debezium: the row's primary key as JSON); nil when
	// the message has none (a truncate event).
	Key []byte
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

// Counts are what a run logs (the runs table). Rejected is also logged as
// malformed, the column's name before the rejects table existed.
type Counts struct {
	Read, Upserts, Deletes, Superseded, Tombstones, Rejected int
}

// Why a message was rejected (the rejects table's reason column).
const (
	ReasonNotJSON    = "not JSON"
	ReasonNotAChange = "not a change event"
	ReasonNoImage    = "no row image"
	ReasonMissingKey = "missing key"
)

// Reject is a message the run could not apply (a row of the rejects table).
type Reject struct {
	Partition, Offset int64
	Reason            string
}

// Result is what one run did: its counts and the messages it rejected.
type Result struct {
	Counts
	Rejects []Reject
}

// position is where a change happened in MySQL, as Debezium's MySQL connector
// reports it in the event's source block: the binlog file, the position of the
// event in it and the row within the event; and whether the event was read by
// a snapshot rather than streamed from the binlog
// (https://debezium.io/documentation/reference/2.7/connectors/mysql.html#mysql-create-events:
// "binlog name where the event was recorded, binlog position, row within the
// event, if the event was part of a snapshot").
type position struct {
	// positioned: the event carries a binlog file (string) and position (number).
	positioned bool
	file       string
	pos, row   int64
	// streamed: read from the binlog, not by a snapshot.
	streamed bool
}

type change struct {
	partition, offset int64
	fresh             bool // read by this run (past the watermark), not before
	op                string
	key               string
	after             map[string]any
	at                position
}

// newer reports whether a is a later change of its key than b (R5): by
// binlog position, the Kafka position only breaking ties.
//
//  1. An event with a binlog position is newer than one without: every event of
//     Debezium's MySQL connector has one ("file" and "pos" are mandatory fields
//     of its source block), so events without one are not its and can only be
//     ordered among themselves, by Kafka position (what R5 was before).
//  2. A later binlog file is newer. Files are <basename>.<sequence number>,
//     the number zero-padded to six digits and growing past them (.999999 →
//     .1000000), so a longer name is a later file, and names of one length
//     compare as text.
//  3. In one file, a higher position is newer.
//  4. At one position, a streamed change is newer than a snapshot read: a
//     snapshot reads the binlog position first and its reads all carry it, and
//     streaming resumes from that very position, so the first change streamed
//     after a snapshot can share it. A key's snapshot read delivered after its
//     streamed change (another partition, read later) must not undo it.
//  5. Then the row within the event (one event can change several rows).
//  6. Equal positions are the same MySQL change delivered twice (a connector
//     restart redelivers at least once): the higher offset, then partition,
//     decides, which changes nothing since both carry the same row.
func newer(a, b change) bool {
	x, y := a.at, b.at
	switch {
	case x.positioned != y.positioned:
		return x.positioned
	case x.positioned && len(x.file) != len(y.file):
		return len(x.file) > len(y.file)
	case x.positioned && x.file != y.file:
		return x.file > y.file
	case x.positioned && x.pos != y.pos:
		return x.pos > y.pos
	case x.streamed != y.streamed:
		return x.streamed
	case x.row != y.row:
		return x.row > y.row
	case a.offset != b.offset:
		return a.offset > b.offset
	}
	return a.partition > b.partition
}

// Apply runs the procedure once over the whole landing view, changing t and w
// in place, and returns what the run did.
func Apply(t *Table, w Watermarks, landing []Message) Result {
	var r Result
	// R1 (CREATE TEMP TABLE haina_apply_new … WHERE l.kafka_offset > COALESCE(w.last_offset, -1)):
	// only messages past their partition's watermark; a partition without one starts at the beginning.
	var fresh []Message
	freshKeys := map[string]bool{}
	for _, m := range landing {
		if last, ok := w[m.Partition]; !ok || m.Offset > last {
			fresh = append(fresh, m)
			if m.Key != nil {
				freshKeys[string(m.Key)] = true
			}
		}
	}
	r.Read = len(fresh)

	var changes []change
	freshChanges := 0
	for _, m := range fresh {
		// R2 (COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL …)): a tombstone is skipped and counted.
		if m.Value == nil {
			r.Tombstones++
			continue
		}
		// R3, R4 (haina_apply_parsed.reject_reason: JSON_TYPEOF(payload) = 'object', op IN ('c','u','r','d'),
		// the row image an object, every key column NOT NULL; the key from "before" for d, else "after").
		// R13 (INSERT INTO apply_rejects): anything else is rejected, with its reason.
		ch, reason := parse(m, t.Key)
		if reason != "" {
			r.Rejected++
			r.Rejects = append(r.Rejects, Reject{Partition: m.Partition, Offset: m.Offset, Reason: reason})
			continue
		}
		ch.fresh = true
		changes = append(changes, ch)
		freshChanges++
	}
	// R5 (haina_apply_seen: the landing view's messages at or below the watermark with the
	// Kafka key of a message read now): what earlier runs applied for the keys read now, so that
	// a change that is older than one already applied (delivered later, through another
	// partition) does not overwrite it. Debezium keys each message by the row's primary key, so
	// the Kafka key finds a key's earlier changes without parsing the whole view; they are
	// matched by the key parsed from them.
	for _, m := range landing {
		if last, ok := w[m.Partition]; !ok || m.Offset > last || m.Key == nil || m.Value == nil || !freshKeys[string(m.Key)] {
			continue
		}
		if ch, reason := parse(m, t.Key); reason == "" {
			changes = append(changes, ch)
		}
	}

	// R5 (ROW_NUMBER() OVER (PARTITION BY key ORDER BY <newer>) … recency = 1): per key only the
	// newest change counts, by binlog position (see newer).
	latest := map[string]change{}
	touched := map[string]bool{}
	for _, ch := range changes {
		if cur, ok := latest[ch.key]; !ok || newer(ch, cur) {
			latest[ch.key] = ch
		}
		if ch.fresh {
			touched[ch.key] = true
		}
	}

	for key := range touched {
		ch := latest[key]
		// R5 (… AND fresh): a key whose newest change an earlier run applied is left as it is:
		// the changes read now are older.
		if !ch.fresh {
			continue
		}
		// R7 (DELETE FROM target USING haina_apply_latest): every key whose newest change is new goes …
		delete(t.Rows, key)
		if ch.op == "d" {
			r.Deletes++
			continue
		}
		// R8 (INSERT INTO target SELECT convert(after_image.col) … WHERE s.op <> 'd'): … and
		// comes back from its after image when its latest change is c, u or r.
		row := Row{}
		for _, col := range t.Columns {
			row[col] = ch.after[col]
		}
		t.Rows[key] = row
		r.Upserts++
	}
	// R6 (changes - upserts - deletes): the rest of the changes read were superseded.
	r.Superseded = freshChanges - r.Upserts - r.Deletes

	// R9 (DELETE/INSERT apply_offsets … MAX(kafka_offset) GROUP BY kafka_partition): the watermark
	// moves past everything read, rejected messages included (they are in the rejects table).
	for _, m := range fresh {
		if last, ok := w[m.Partition]; !ok || m.Offset > last {
			w[m.Partition] = m.Offset
		}
	}
	return r
}

// snapshotValues are the values of Debezium's source.snapshot that mark a
// snapshot read: io.debezium.connector.SnapshotRecord, whose JSON form is the
// enum's name in lower case ("false" and a missing field mean streamed);
// Debezium 1.x wrote a boolean.
var snapshotValues = map[string]bool{"true": true, "first": true, "first_in_data_collection": true,
	"last_in_data_collection": true, "last": true, "incremental": true}

// parse reads a Debezium change event (JSON converter, schemas disabled), or
// says why it is not one.
func parse(m Message, keyCols []string) (change, string) {
	dec := json.NewDecoder(bytes.NewReader(m.Value))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return change{}, ReasonNotJSON
	}
	env, ok := v.(map[string]any)
	if !ok {
		return change{}, ReasonNotAChange
	}
	op, _ := env["op"].(string)
	before, _ := env["before"].(map[string]any)
	after, _ := env["after"].(map[string]any)
	image := after
	switch op {
	case "d":
		image = before
	case "c", "u", "r":
	default:
		return change{}, ReasonNotAChange
	}
	if image == nil {
		return change{}, ReasonNoImage
	}
	var key []any
	for _, k := range keyCols {
		v, ok := image[k]
		if !ok || v == nil {
			return change{}, ReasonMissingKey
		}
		key = append(key, v)
	}
	kb, _ := json.Marshal(key)
	return change{partition: m.Partition, offset: m.Offset, op: op, key: string(kb), after: after, at: sourcePosition(env, op)}, ""
}

// sourcePosition reads the event's binlog position from its source block.
func sourcePosition(env map[string]any, op string) position {
	src, _ := env["source"].(map[string]any)
	var p position
	file, fileOK := src["file"].(string)
	pos, posOK := integer(src["pos"])
	if fileOK && posOK {
		p.positioned, p.file, p.pos = true, file, pos
	}
	p.row, _ = integer(src["row"])
	snapshot := op == "r"
	switch s := src["snapshot"].(type) {
	case bool:
		snapshot = snapshot || s
	case string:
		snapshot = snapshot || snapshotValues[s]
	}
	p.streamed = !snapshot
	return p
}

// integer is a JSON number as an int64 (the procedure casts it to BIGINT).
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
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
