// Package cdcapplytest holds the change events and cases that both the Go
// model of the apply (package cdcapply's tests) and the apply procedure run
// on PostgreSQL (tests/applysql_test.go) are checked against, so the two are
// always held to the same expectations.
package cdcapplytest

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/haina-data/haina/cdcapply"
)

// changes are Debezium 2.x change events of the demo table salesdb.CUSTOMER
// in their real envelope (JSON converter, schemas disabled), with their keys,
// as Kafka messages of a 2-partition topic. From offset 8 on, keys are spread
// over both partitions (as after adding partitions to the topic) and arrive
// out of binlog order.
//
//go:embed debezium_changes.jsonl
var changes []byte

// Fixture returns the 30 messages of debezium_changes.jsonl.
func Fixture() ([]cdcapply.Message, error) {
	var out []cdcapply.Message
	sc := bufio.NewScanner(bytes.NewReader(changes))
	for sc.Scan() {
		var line struct {
			Partition int64   `json:"partition"`
			Offset    int64   `json:"offset"`
			Key       *string `json:"key"`
			Value     *string `json:"value"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("debezium_changes.jsonl line %d: %w", len(out)+1, err)
		}
		m := cdcapply.Message{Partition: line.Partition, Offset: line.Offset}
		if line.Key != nil {
			m.Key = []byte(*line.Key)
		}
		if line.Value != nil {
			m.Value = []byte(*line.Value)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// Customers is an empty salesdb.CUSTOMER target table.
func Customers() *cdcapply.Table {
	return &cdcapply.Table{Columns: []string{"CUST_ID", "NAME", "MKTSEGMENT", "UPDATED_AT"}, Key: []string{"CUST_ID"}, Rows: map[string]cdcapply.Row{}}
}

// UpdateOf is a Debezium update of key k at a binlog position (src nil: no source block).
func UpdateOf(k int, name string, src map[string]any) []byte {
	e := map[string]any{"op": "u", "before": nil,
		"after": map[string]any{"CUST_ID": k, "NAME": name, "MKTSEGMENT": "X", "UPDATED_AT": "2026-11-22T09:00:00Z"}}
	if src != nil {
		e["source"] = src
	}
	b, _ := json.Marshal(e) // a map of strings and numbers always marshals
	return b
}

// Binlog is a Debezium source block at a binlog position.
func Binlog(file string, pos, row int) map[string]any {
	return map[string]any{"file": "mysql-bin-changelog." + file, "pos": pos, "row": row, "snapshot": "false"}
}

// OrderingCase: two updates of one key, "first" at partition 1 offset 9,
// "second" at partition 0 offset 3, and the one that must win.
type OrderingCase struct {
	What          string
	First, Second map[string]any
	Want          string
}

// OrderingCases: the newest change of a key is decided by its binlog
// position, whatever partition and offset delivered it; the Kafka position
// only breaks ties.
func OrderingCases() []OrderingCase {
	snapshot := func(v any) map[string]any { s := Binlog("000002", 1000, 0); s["snapshot"] = v; return s }
	return []OrderingCase{
		{"a later position in the same file", Binlog("000002", 1200, 0), Binlog("000002", 1100, 0), "first"},
		{"a later file, at a smaller position", Binlog("000003", 4, 0), Binlog("000002", 9000, 0), "first"},
		{"the sequence number past six digits", Binlog("1000000", 4, 0), Binlog("999999", 9000, 0), "first"},
		{"a later row of the same event (at a lower offset)", Binlog("000002", 1100, 0), Binlog("000002", 1100, 1), "second"},
		{"streamed beats a snapshot read at its position (at a lower offset)", snapshot("last"), Binlog("000002", 1000, 0), "second"},
		{"a Debezium 1.x snapshot (a boolean)", snapshot(true), Binlog("000002", 1000, 0), "second"},
		{"an incremental snapshot read", snapshot("incremental"), Binlog("000002", 1000, 0), "second"},
		{`snapshot "false" is streamed: equal positions, the higher offset`, snapshot("false"), Binlog("000002", 1000, 0), "first"},
		{"a position beats none", nil, Binlog("000002", 1, 0), "second"},
		{"a position beats none, even with an empty file name", nil, map[string]any{"file": "", "pos": 0, "row": 0}, "second"},
		{"neither has a position: the higher offset", nil, nil, "first"},
		{"an older position at the higher offset loses", Binlog("000002", 1100, 0), Binlog("000002", 1200, 0), "second"},
	}
}
