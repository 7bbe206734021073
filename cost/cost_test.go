package cost_test

import (
	"testing"

	"github.com/haina-data/haina/cost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lineOf(t *testing.T, e cost.Estimate, item string) cost.Line {
	t.Helper()
	for _, l := range e.Lines {
		if l.Item == item {
			return l
		}
	}
	require.Failf(t, "no line", "%q", item)
	return cost.Line{}
}

const compute = "compute (Redshift Serverless)"

// Each scheduled call is billed the 60-second minimum at the base capacity;
// a call every minute keeps the warehouse awake all month, and no more.
func TestWarehouseBillsTheMinuteMinimumPerCall(t *testing.T) {
	for _, c := range []struct {
		every, rpu int
		rpuHours   float64
	}{
		{10, 4, 730 * 60 / 10 * 4 / 60.0}, // 4,380 calls of a minute at 4 RPU = 292
		{2, 8, 730 * 60 / 2 * 8 / 60.0},   // 21,900 calls at 8 RPU = 2,920
		{1, 8, 730 * 8},                   // awake around the clock
	} {
		e := cost.New(cost.Stack{BaseRPU: c.rpu, RefreshEveryMin: c.every, StreamOnDemand: true}, cost.Load{})
		l := lineOf(t, e, compute)
		assert.InDelta(t, c.rpuHours, l.Quantity, 0.01, "every %d min at %d RPU", c.every, c.rpu)
		assert.InDelta(t, c.rpuHours*0.375, l.MonthlyUSD, 0.01)
	}
}

// Auto refresh keeps the warehouse busy while data flows — and costs only
// the scheduled calls when nothing arrives.
func TestAutoRefreshIsBusyOnlyWhileDataFlows(t *testing.T) {
	s := cost.Stack{BaseRPU: 8, RefreshAuto: true, RefreshEveryMin: 5, StreamOnDemand: true}
	quiet := cost.New(s, cost.Load{})
	assert.InDelta(t, 730*60/5*8/60.0, lineOf(t, quiet, compute).Quantity, 0.01, "no data: the scheduled calls only")
	busy := cost.New(s, cost.Load{EventsPerSecond: 1, EventBytes: 100})
	assert.InDelta(t, 730*8.0, lineOf(t, busy, compute).Quantity, 0.01, "data flows: awake all month")
	assert.InDelta(t, 730*60/5*8/60.0, lineOf(t, busy, compute).IdleUSD/0.375, 0.01, "idle keeps its own figure")
	assert.Greater(t, busy.LoadMonthly, busy.IdleMonthly)
}

// The copy job loads each Firehose file: one more wake-up per flush when data flows.
func TestCopyJobAddsAWakeUpPerFlush(t *testing.T) {
	s := cost.Stack{BaseRPU: 8, RefreshEveryMin: 10, StreamOnDemand: true, CopyJobFlushSecs: 300}
	e := cost.New(s, cost.Load{EventsPerSecond: 1, EventBytes: 100})
	calls := 730*60/10.0 + 730*3600/300.0
	assert.InDelta(t, calls*8/60, lineOf(t, e, compute).Quantity, 0.01)
}

// Kinesis on-demand bills each record as at least 1 KB, Firehose as at least 5 KB.
func TestRecordRounding(t *testing.T) {
	e := cost.New(cost.Stack{BaseRPU: 4, RefreshEveryMin: 10, StreamOnDemand: true, StreamReaders: 2, FirehoseFromStream: 1},
		cost.Load{EventsPerSecond: 10, EventBytes: 100})
	records := 10 * 730 * 3600.0
	assert.InDelta(t, records*1024/1e9, lineOf(t, e, "data in (on-demand)").Quantity, 0.01)
	assert.InDelta(t, 2*records*1024/1e9, lineOf(t, e, "data out (on-demand)").Quantity, 0.01, "two readers")
	assert.InDelta(t, records*5000/1e9, lineOf(t, e, "Firehose from the stream").Quantity, 0.01)
	big := cost.New(cost.Stack{BaseRPU: 4, RefreshEveryMin: 10, StreamOnDemand: true}, cost.Load{EventsPerSecond: 10, EventBytes: 3000})
	assert.InDelta(t, records*3000/1e9, lineOf(t, big, "data in (on-demand)").Quantity, 0.01, "above 1 KB, the real size")
}

// A provisioned stream bills shard-hours and PUT payload units instead.
func TestProvisionedStream(t *testing.T) {
	e := cost.New(cost.Stack{BaseRPU: 4, RefreshEveryMin: 10, Shards: 2}, cost.Load{EventsPerSecond: 10, EventBytes: 100})
	assert.InDelta(t, 2*730.0, lineOf(t, e, "shards (provisioned)").Quantity, 0.01)
	assert.InDelta(t, 10*730*3600/1e6, lineOf(t, e, "PUT payload units").Quantity, 0.01)
}

// Idle and loaded lines pair up item by item, and the totals are their sums.
func TestTotalsAreTheLinesSums(t *testing.T) {
	e := cost.New(cost.Stack{BaseRPU: 8, RefreshEveryMin: 2, StreamOnDemand: true, StreamReaders: 2, FirehoseFromStream: 1,
		ConvertedStreams: 1, Brokers: 3, BrokerType: "kafka.t3.small", BrokerVolumeGB: 20, ConnectMCUs: 1, AuroraMinACU: 0.5,
		InterfaceEndpoints: 2, EndpointAZs: 3, KMSKeys: 6, Secrets: 3, LogGroups: 7}, cost.Load{EventsPerSecond: 5, EventBytes: 500, ChangesPerSecond: 1})
	var idle, load float64
	for _, l := range e.Lines {
		idle += l.IdleUSD
		load += l.MonthlyUSD
		assert.InDelta(t, l.Quantity*l.UnitUSD, l.MonthlyUSD, 0.011, l.Item)
	}
	assert.InDelta(t, idle, e.IdleMonthly, 0.01)
	assert.InDelta(t, load, e.LoadMonthly, 0.01)
	assert.Equal(t, "USD", e.Currency)
	assert.NotEmpty(t, e.Excluded)
}

// A broker type without a price is said, not priced as another type.
func TestUnknownBrokerTypeIsSaid(t *testing.T) {
	e := cost.New(cost.Stack{BaseRPU: 4, RefreshEveryMin: 10, StreamOnDemand: true, Brokers: 3, BrokerType: "kafka.m7g.xlarge"}, cost.Load{})
	l := lineOf(t, e, "MSK brokers (kafka.m7g.xlarge)")
	assert.Zero(t, l.MonthlyUSD)
	assert.Contains(t, l.Note, "no price for kafka.m7g.xlarge in cost/prices.go")
}

// A provisioned cluster bills its nodes around the clock, whatever the refresh policy.
func TestProvisionedClusterBillsNodeHours(t *testing.T) {
	for _, auto := range []bool{false, true} {
		e := cost.New(cost.Stack{ClusterNodeType: "ra3.xlplus", ClusterNodes: 2, RefreshAuto: auto, RefreshEveryMin: 2, StreamOnDemand: true},
			cost.Load{EventsPerSecond: 10, EventBytes: 100})
		l := lineOf(t, e, "compute (provisioned ra3.xlplus)")
		assert.Equal(t, 2*730.0, l.Quantity)
		assert.InDelta(t, 2*730*1.086, l.MonthlyUSD, 0.01)
		assert.Equal(t, l.IdleUSD, l.MonthlyUSD, "idle or loaded: the same nodes")
		for _, x := range e.Lines {
			assert.NotEqual(t, "compute (Redshift Serverless)", x.Item)
		}
	}
}
