package tests

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/haina-data/haina/cdcapply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture reads tests/testdata/debezium_changes.jsonl: Debezium 2.x change
// events of seed 003's salesdb.CUSTOMER in their real envelope (JSON
// converter, schemas disabled), as Kafka messages of a 2-partition topic.
func fixture(t *testing.T) []cdcapply.Message {
	f, err := os.Open("testdata/debezium_changes.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var out []cdcapply.Message
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Partition int64   `json:"partition"`
			Offset    int64   `json:"offset"`
			Value     *string `json:"value"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		m := cdcapply.Message{Partition: line.Partition, Offset: line.Offset}
		if line.Value != nil {
			m.Value = []byte(*line.Value)
		}
		out = append(out, m)
	}
	require.NoError(t, sc.Err())
	require.Len(t, out, 16)
	return out
}

func customers() *cdcapply.Table {
	return &cdcapply.Table{Columns: []string{"CUST_ID", "NAME", "MKTSEGMENT", "UPDATED_AT"}, Key: []string{"CUST_ID"}, Rows: map[string]cdcapply.Row{}}
}

// names is the table as key → NAME/MKTSEGMENT, the columns the fixture changes.
func names(t *cdcapply.Table) map[string]string {
	out := map[string]string{}
	for k, r := range t.Rows {
		out[k] = r["NAME"].(string) + "/" + r["MKTSEGMENT"].(string)
	}
	return out
}

// The landing view grows in three refreshes; the procedure runs after each.
func TestApplyFollowsTheLandingViewRefreshByRefresh(t *testing.T) {
	all := fixture(t)
	tbl, w := customers(), cdcapply.Watermarks{}
	steps := []struct {
		name    string
		visible int // messages in the landing view after this refresh
		counts  cdcapply.Counts
		rows    map[string]string
		marks   cdcapply.Watermarks
	}{
		{"snapshot, a create and updates interleaved over both partitions", 6,
			// key 3: c, u, u → only the last counts (2 superseded); key 2: r, u → 1 superseded.
			cdcapply.Counts{Read: 6, Upserts: 3, Superseded: 3},
			map[string]string{"[1]": "Ann/AUTOMOBILE", "[2]": "Bobby/BUILDING", "[3]": "Cid/MACHINERY"},
			cdcapply.Watermarks{0: 3, 1: 1}},
		{"a delete with its tombstone, a duplicate delivery, two malformed messages", 12,
			cdcapply.Counts{Read: 6, Upserts: 1, Deletes: 1, Superseded: 1, Tombstones: 1, Malformed: 2},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[3]": "Cid/MACHINERY"},
			cdcapply.Watermarks{0: 5, 1: 5}},
		{"the deleted key created again and updated; another delete", 16,
			cdcapply.Counts{Read: 4, Upserts: 1, Deletes: 1, Superseded: 1, Tombstones: 1},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING"},
			cdcapply.Watermarks{0: 7, 1: 7}},
		{"a rerun with nothing new applies nothing", 16,
			cdcapply.Counts{},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING"},
			cdcapply.Watermarks{0: 7, 1: 7}},
	}
	for _, s := range steps {
		got := cdcapply.Apply(tbl, w, all[:s.visible])
		assert.Equal(t, s.counts, got, s.name)
		assert.Equal(t, s.rows, names(tbl), s.name)
		assert.Equal(t, s.marks, w, s.name)
	}
	// The rows carry every configured column from the after image, nothing else.
	assert.Equal(t, cdcapply.Row{"CUST_ID": json.Number("2"), "NAME": "Bo Chen", "MKTSEGMENT": "BUILDING", "UPDATED_AT": "2026-11-22T08:10:00Z"}, tbl.Rows["[2]"])
}

// Replay: clearing the watermarks and the table and running once over
// everything gives the same table as the runs that followed the refreshes.
func TestApplyReplayFromTheStartGivesTheSameTable(t *testing.T) {
	all := fixture(t)
	stepwise, w := customers(), cdcapply.Watermarks{}
	for _, n := range []int{6, 12, 16} {
		cdcapply.Apply(stepwise, w, all[:n])
	}
	replayed, w2 := customers(), cdcapply.Watermarks{}
	got := cdcapply.Apply(replayed, w2, all)
	assert.Equal(t, stepwise.Rows, replayed.Rows)
	assert.Equal(t, w, w2)
	// 12 changes over 3 keys: key 1 and key 2 end updated, key 3 deleted.
	assert.Equal(t, cdcapply.Counts{Read: 16, Upserts: 2, Deletes: 1, Superseded: 9, Tombstones: 2, Malformed: 2}, got)

	// Replaying over the rows already there (only the watermarks cleared) changes nothing either.
	again := cdcapply.Apply(replayed, cdcapply.Watermarks{}, all)
	assert.Equal(t, got, again)
	assert.Equal(t, stepwise.Rows, replayed.Rows)
}

// Each partition has its own watermark: a refresh that brings one partition
// ahead of the other loses nothing in either.
func TestApplyWatermarkIsPerPartition(t *testing.T) {
	all := fixture(t)
	var p0, p1 []cdcapply.Message
	for _, m := range all {
		if m.Partition == 0 {
			p0 = append(p0, m)
		} else {
			p1 = append(p1, m)
		}
	}
	tbl, w := customers(), cdcapply.Watermarks{}
	c := cdcapply.Apply(tbl, w, p0) // partition 0 all the way, partition 1 not yet
	assert.Equal(t, cdcapply.Watermarks{0: 7}, w)
	assert.Equal(t, 8, c.Read)
	assert.Equal(t, map[string]string{"[1]": "Ann Lee/AUTOMOBILE"}, names(tbl))
	c = cdcapply.Apply(tbl, w, append(p0, p1...))
	assert.Equal(t, 8, c.Read, "partition 0 is not read twice")
	assert.Equal(t, cdcapply.Watermarks{0: 7, 1: 7}, w)
	assert.Equal(t, map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING"}, names(tbl))
}

// What is malformed: anything but a c/u/r/d event with its key in the right image.
func TestApplySkipsAndCountsMalformedMessages(t *testing.T) {
	for what, value := range map[string]string{
		"not JSON":                   `{"op":"c"`,
		"empty value":                ``,
		"a JSON array":               `[1,2]`,
		"unknown op":                 `{"op":"x","after":{"CUST_ID":5}}`,
		"truncate event":             `{"op":"t","before":null,"after":null}`,
		"create without after":       `{"op":"c","before":null,"after":null}`,
		"delete without before":      `{"op":"d","before":null,"after":null}`,
		"key column missing":         `{"op":"u","before":{"CUST_ID":5},"after":{"NAME":"x"}}`,
		"key column null":            `{"op":"c","after":{"CUST_ID":null,"NAME":"x"}}`,
		"two JSON values":            `{"op":"c","after":{"CUST_ID":5}} {}`,
		"op not a string":            `{"op":1,"after":{"CUST_ID":5}}`,
		"delete keyed by after only": `{"op":"d","before":{"NAME":"x"},"after":{"CUST_ID":5}}`,
	} {
		tbl, w := customers(), cdcapply.Watermarks{}
		tbl.Rows[`[5]`] = cdcapply.Row{"CUST_ID": json.Number("5"), "NAME": "kept"}
		c := cdcapply.Apply(tbl, w, []cdcapply.Message{{Partition: 2, Offset: 40, Value: []byte(value)}})
		assert.Equal(t, cdcapply.Counts{Read: 1, Malformed: 1}, c, what)
		assert.Equal(t, "kept", tbl.Rows[`[5]`]["NAME"], what)
		assert.Equal(t, cdcapply.Watermarks{2: 40}, w, "%s: skipped for good, never retried", what)
	}
}

// A composite key: rows are identified by all its columns in order.
func TestApplyCompositeKey(t *testing.T) {
	tbl := &cdcapply.Table{Columns: []string{"order_id", "line", "qty"}, Key: []string{"order_id", "line"}, Rows: map[string]cdcapply.Row{}}
	msgs := []cdcapply.Message{
		{Partition: 0, Offset: 0, Value: []byte(`{"op":"c","before":null,"after":{"order_id":7,"line":1,"qty":2}}`)},
		{Partition: 0, Offset: 1, Value: []byte(`{"op":"c","before":null,"after":{"order_id":7,"line":2,"qty":1}}`)},
		{Partition: 0, Offset: 2, Value: []byte(`{"op":"d","before":{"order_id":7,"line":1,"qty":2},"after":null}`)},
	}
	c := cdcapply.Apply(tbl, cdcapply.Watermarks{}, msgs)
	assert.Equal(t, cdcapply.Counts{Read: 3, Upserts: 1, Deletes: 1, Superseded: 1}, c, "line 1: created, then deleted")
	assert.Equal(t, []string{"[7,2]"}, tbl.Keys())
}
