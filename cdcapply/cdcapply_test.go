package cdcapply_test

import (
	"encoding/json"
	"testing"

	"github.com/haina-data/haina/cdcapply"
	"github.com/haina-data/haina/cdcapply/cdcapplytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is cdcapplytest's 30 messages.
func fixture(t *testing.T) []cdcapply.Message {
	out, err := cdcapplytest.Fixture()
	require.NoError(t, err)
	require.Len(t, out, 30)
	return out
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
	tbl, w := cdcapplytest.Customers(), cdcapply.Watermarks{}
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
		{"a delete with its tombstone, a duplicate delivery, two rejected messages", 12,
			cdcapply.Counts{Read: 6, Upserts: 1, Deletes: 1, Superseded: 1, Tombstones: 1, Rejected: 2},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[3]": "Cid/MACHINERY"},
			cdcapply.Watermarks{0: 5, 1: 5}},
		{"the deleted key created again and updated; another delete", 16,
			cdcapply.Counts{Read: 4, Upserts: 1, Deletes: 1, Superseded: 1, Tombstones: 1},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING"},
			cdcapply.Watermarks{0: 7, 1: 7}},
		// key 5: its newest change (a new binlog file) is at a lower offset than an older one; key 6 created
		// and deleted; key 7 streamed at the snapshot's position; an update without its key is rejected.
		{"keys over both partitions, out of Kafka order: the newest by binlog position wins", 26,
			cdcapply.Counts{Read: 10, Upserts: 3, Deletes: 1, Superseded: 4, Tombstones: 1, Rejected: 1},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING", "[4]": "Zoë Ørsted 🚀/FURNITURE", "[5]": "Eve New/BUILDING", "[7]": "Gus/AUTOMOBILE"},
			cdcapply.Watermarks{0: 13, 1: 11}},
		// Partition 1 catches up: key 4's older update, key 6's update from before its delete, key 7's
		// snapshot read (same position as its streamed update); a truncate event is rejected.
		{"older changes read late change nothing", 30,
			cdcapply.Counts{Read: 4, Superseded: 3, Rejected: 1},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING", "[4]": "Zoë Ørsted 🚀/FURNITURE", "[5]": "Eve New/BUILDING", "[7]": "Gus/AUTOMOBILE"},
			cdcapply.Watermarks{0: 15, 1: 13}},
		{"a rerun with nothing new applies nothing", 30,
			cdcapply.Counts{},
			map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING", "[4]": "Zoë Ørsted 🚀/FURNITURE", "[5]": "Eve New/BUILDING", "[7]": "Gus/AUTOMOBILE"},
			cdcapply.Watermarks{0: 15, 1: 13}},
	}
	for _, s := range steps {
		got := cdcapply.Apply(tbl, w, all[:s.visible])
		assert.Equal(t, s.counts, got.Counts, s.name)
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
	stepwise, w := cdcapplytest.Customers(), cdcapply.Watermarks{}
	var rejects []cdcapply.Reject
	for _, n := range []int{6, 12, 16, 26, 30} {
		rejects = append(rejects, cdcapply.Apply(stepwise, w, all[:n]).Rejects...)
	}
	replayed, w2 := cdcapplytest.Customers(), cdcapply.Watermarks{}
	got := cdcapply.Apply(replayed, w2, all)
	assert.Equal(t, stepwise.Rows, replayed.Rows)
	assert.Equal(t, w, w2)
	// 23 changes over 7 keys: keys 1, 2, 4, 5 and 7 end updated, 3 and 6 deleted.
	assert.Equal(t, cdcapply.Counts{Read: 30, Upserts: 5, Deletes: 2, Superseded: 16, Tombstones: 3, Rejected: 4}, got.Counts)
	assert.Equal(t, rejects, got.Rejects, "a replay rejects the same messages")
	assert.Equal(t, []cdcapply.Reject{{Partition: 1, Offset: 4, Reason: "not JSON"}, {Partition: 1, Offset: 5, Reason: "not a change event"},
		{Partition: 1, Offset: 11, Reason: "missing key"}, {Partition: 0, Offset: 15, Reason: "not a change event"}}, got.Rejects)

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
	tbl, w := cdcapplytest.Customers(), cdcapply.Watermarks{}
	c := cdcapply.Apply(tbl, w, p0) // partition 0 all the way, partition 1 not yet
	assert.Equal(t, cdcapply.Watermarks{0: 15}, w)
	assert.Equal(t, 16, c.Read)
	assert.Equal(t, map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[4]": "Zoë Ørsted 🚀/FURNITURE", "[5]": "Eve Old/HOUSEHOLD", "[7]": "Gus (snapshot)/AUTOMOBILE"}, names(tbl),
		"the newer changes of keys 5 and 7 are in partition 1, not read yet")
	c = cdcapply.Apply(tbl, w, append(p0, p1...))
	assert.Equal(t, 14, c.Read, "partition 0 is not read twice")
	assert.Equal(t, cdcapply.Watermarks{0: 15, 1: 13}, w)
	assert.Equal(t, map[string]string{"[1]": "Ann Lee/AUTOMOBILE", "[2]": "Bo Chen/BUILDING", "[4]": "Zoë Ørsted 🚀/FURNITURE", "[5]": "Eve New/BUILDING", "[7]": "Gus/AUTOMOBILE"}, names(tbl),
		"the same table as when the partitions arrive together")
}

// What is rejected: anything but a c/u/r/d event with its row image and key.
// Rejected messages are listed with a reason (the rejects table) and the
// watermark moves past them: the run does not stall on them.
func TestApplyRejectsWhatItCannotApply(t *testing.T) {
	for what, c := range map[string]struct{ value, reason string }{
		"not JSON":                   {`{"op":"c"`, "not JSON"},
		"empty value":                {``, "not JSON"},
		"two JSON values":            {`{"op":"c","after":{"CUST_ID":5}} {}`, "not JSON"},
		"a JSON array":               {`[1,2]`, "not a change event"},
		"a JSON string":              {`"c"`, "not a change event"},
		"unknown op":                 {`{"op":"x","after":{"CUST_ID":5}}`, "not a change event"},
		"truncate event":             {`{"op":"t","before":null,"after":null}`, "not a change event"},
		"op not a string":            {`{"op":1,"after":{"CUST_ID":5}}`, "not a change event"},
		"create without after":       {`{"op":"c","before":null,"after":null}`, "no row image"},
		"delete without before":      {`{"op":"d","before":null,"after":null}`, "no row image"},
		"after not an object":        {`{"op":"u","after":[5]}`, "no row image"},
		"key column missing":         {`{"op":"u","before":{"CUST_ID":5},"after":{"NAME":"x"}}`, "missing key"},
		"key column null":            {`{"op":"c","after":{"CUST_ID":null,"NAME":"x"}}`, "missing key"},
		"delete keyed by after only": {`{"op":"d","before":{"NAME":"x"},"after":{"CUST_ID":5}}`, "missing key"},
	} {
		tbl, w := cdcapplytest.Customers(), cdcapply.Watermarks{}
		tbl.Rows[`[5]`] = cdcapply.Row{"CUST_ID": json.Number("5"), "NAME": "kept"}
		got := cdcapply.Apply(tbl, w, []cdcapply.Message{{Partition: 2, Offset: 40, Key: []byte(`{"CUST_ID":5}`), Value: []byte(c.value)}})
		assert.Equal(t, cdcapply.Result{Counts: cdcapply.Counts{Read: 1, Rejected: 1}, Rejects: []cdcapply.Reject{{Partition: 2, Offset: 40, Reason: c.reason}}}, got, what)
		assert.Equal(t, "kept", tbl.Rows[`[5]`]["NAME"], what)
		assert.Equal(t, cdcapply.Watermarks{2: 40}, w, "%s: rejected, not retried: the run goes on", what)
	}
	// A tombstone is expected after each delete: counted, not rejected.
	got := cdcapply.Apply(cdcapplytest.Customers(), cdcapply.Watermarks{}, []cdcapply.Message{{Partition: 0, Offset: 1, Key: []byte(`{"CUST_ID":5}`)}})
	assert.Equal(t, cdcapply.Result{Counts: cdcapply.Counts{Read: 1, Tombstones: 1}}, got)
}

// R5: the newest change of a key is decided by its binlog position, whatever
// partition and offset delivered it; the Kafka position only breaks ties.
// tests/applysql_test.go runs the same cases through the procedure.
func TestApplyOrdersChangesByBinlogPosition(t *testing.T) {
	for _, c := range cdcapplytest.OrderingCases() {
		msgs := []cdcapply.Message{
			{Partition: 1, Offset: 9, Key: []byte(`{"CUST_ID":1}`), Value: cdcapplytest.UpdateOf(1, "first", c.First)},
			{Partition: 0, Offset: 3, Key: []byte(`{"CUST_ID":1}`), Value: cdcapplytest.UpdateOf(1, "second", c.Second)},
		}
		// In one run, and each message read in an earlier run of its own (the newer one read
		// first, or the older one first: it is then replaced).
		tbl := cdcapplytest.Customers()
		cdcapply.Apply(tbl, cdcapply.Watermarks{}, msgs)
		assert.Equal(t, c.Want, tbl.Rows["[1]"]["NAME"], "%s: one run", c.What)
		for _, first := range []int{0, 1} {
			tbl, w := cdcapplytest.Customers(), cdcapply.Watermarks{}
			cdcapply.Apply(tbl, w, []cdcapply.Message{msgs[first]})
			got := cdcapply.Apply(tbl, w, msgs)
			assert.Equal(t, c.Want, tbl.Rows["[1]"]["NAME"], "%s: %s read in an earlier run", c.What, msgs[first].Value)
			assert.Equal(t, 1, got.Read, c.What)
		}
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
	assert.Equal(t, cdcapply.Counts{Read: 3, Upserts: 1, Deletes: 1, Superseded: 1}, c.Counts, "line 1: created, then deleted")
	assert.Equal(t, []string{"[7,2]"}, tbl.Keys())
}
