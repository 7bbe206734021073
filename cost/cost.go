// Package cost estimates what a haina stack costs a month: idle (nobody
// queries; the stack's own scheduled producer runs) and at a load. It prices
// what the stack holds (counted from the evaluated program by package plan)
// with the list prices in prices.go, and says every assumption it makes.
package cost

import (
	"fmt"
	"math"
	"sort"
)

// HoursPerMonth is AWS's convention for monthly prices (730 = 8,760 / 12).
const HoursPerMonth = 730.0

// Load is traffic on top of what the stack generates itself.
type Load struct {
	// EventsPerSecond into the Kinesis stream, of EventBytes each.
	EventsPerSecond float64 `json:"eventsPerSecond"`
	EventBytes      int     `json:"eventBytes"`
	// ChangesPerSecond are row changes in the CDC source database.
	ChangesPerSecond float64 `json:"changesPerSecond"`
}

// Stack is what a stack holds that costs money, as counted from the program.
type Stack struct {
	Name string
	// Warehouse: a provisioned cluster's node type and count (0 nodes: Serverless),
	// or Serverless base RPUs; the refresh policy; the copy job's wake-ups.
	ClusterNodeType    string
	ClusterNodes       int
	BaseRPU            int
	RefreshAuto        bool
	RefreshEveryMin    int
	UsageLimitRPUHours int
	UsageLimitPeriod   string
	UsageLimitAction   string
	CopyJobFlushSecs   int // 0: no copy job
	// Kinesis: on-demand, or provisioned with Shards.
	StreamOnDemand bool
	Shards         int
	// Readers of the whole stream (Redshift, each Firehose stream reading it).
	StreamReaders int
	// Firehose streams reading the Kinesis stream; of which ConvertedStreams convert to Parquet.
	FirehoseFromStream int
	ConvertedStreams   int
	FlowLogs           bool
	// Producer: events per scheduled run and runs per month (0: schedule off).
	ProducerEventsPerRun int
	ProducerRunsPerMonth float64
	ProducerMemoryMB     int
	ProducerEventBytes   int
	// MSK provisioned brokers (0: no CDC), their type and volume each.
	Brokers        int
	BrokerType     string
	BrokerVolumeGB int
	// MSK Connect: MCUs per worker × workers.
	ConnectMCUs int
	// Aurora Serverless v2 floor (0: no database haina creates).
	AuroraMinACU float64
	// ZeroETLIntegrations: CDC through zero-ETL (no brokers, no connector).
	ZeroETLIntegrations int
	// Interface endpoints and the AZs (subnets) each spans.
	InterfaceEndpoints int
	EndpointAZs        int
	KMSKeys            int
	Secrets            int
	LogGroups          int
	Alarms             int
	Dashboards         int
	// The health function: its runs (one per refresh period), its memory, and
	// the custom metrics it publishes (namespace Haina), each run one request.
	HealthRunsPerMonth float64
	HealthMemoryMB     int
	HealthMetrics      int
}

// HealthSecondsPerRun is what a health run is billed for: it waits for the
// call (a refresh of a few seconds, more after a pause) and reads about ten
// one-number queries. An estimate, not a measurement.
const HealthSecondsPerRun = 30

// Line is one billed item.
type Line struct {
	Component string  `json:"component"`
	Item      string  `json:"item"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitUSD   float64 `json:"unitUsd"`
	// MonthlyUSD at the load; IdleUSD with nothing but the stack's own traffic.
	MonthlyUSD float64 `json:"monthlyUsd"`
	IdleUSD    float64 `json:"idleUsd"`
	// Note says what the quantity assumes.
	Note string `json:"note,omitempty"`
}

// Estimate is a stack's monthly cost, idle and at a load, line by line.
type Estimate struct {
	Currency    string  `json:"currency"`
	Region      string  `json:"region"`
	IdleMonthly float64 `json:"idleMonthly"`
	LoadMonthly float64 `json:"loadMonthly"`
	Load        Load    `json:"load"`
	Lines       []Line  `json:"lines"`
	// Excluded are costs the estimate leaves out, and why.
	Excluded []string `json:"excluded"`
	// PricesRead is when and where the prices were read (prices.go).
	PricesRead string `json:"pricesRead"`
}

// traffic is what flows in a month, the stack's own and the load's.
type traffic struct {
	events    float64 // events a month
	eventGB   float64 // their bytes
	changes   float64 // CDC changes a month
	dataFlows bool    // anything arrives at all
}

const secondsPerMonth = HoursPerMonth * 3600

func (s Stack) traffic(l Load) traffic {
	own := float64(s.ProducerEventsPerRun) * s.ProducerRunsPerMonth
	t := traffic{events: own + l.EventsPerSecond*secondsPerMonth, changes: l.ChangesPerSecond * secondsPerMonth}
	t.eventGB = (own*float64(s.ProducerEventBytes) + l.EventsPerSecond*secondsPerMonth*float64(l.EventBytes)) / 1e9
	t.dataFlows = t.events > 0 || t.changes > 0
	return t
}

// New estimates s idle and at load l (us-east-1 list prices).
func New(s Stack, l Load) Estimate {
	idle, loaded := s.lines(s.traffic(Load{})), s.lines(s.traffic(l))
	e := Estimate{Currency: "USD", Region: "us-east-1", Load: l, PricesRead: PricesRead, Excluded: []string{
		fmt.Sprintf("Athena: $%.2f per TB scanned by your queries (the workgroup stops a query at its scan limit)", P.AthenaPerTB.USD),
		"queries people run on the warehouse (each wakes it: at least 60 s at the base capacity)",
		"data transfer out of AWS, and any NAT or internet traffic of an existing VPC",
		"the free tiers (Lambda, EventBridge Scheduler, KMS requests): the estimate charges from the first unit",
		"prices outside us-east-1: other regions differ",
	}}
	for i := range loaded {
		loaded[i].IdleUSD = idle[i].MonthlyUSD
		e.IdleMonthly += idle[i].MonthlyUSD
		e.LoadMonthly += loaded[i].MonthlyUSD
	}
	e.Lines = loaded
	e.IdleMonthly, e.LoadMonthly = round2(e.IdleMonthly), round2(e.LoadMonthly)
	return e
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// lines prices every billed item for one month of traffic t; the same items
// in the same order whatever the traffic, so idle and loaded lines pair up.
func (s Stack) lines(t traffic) []Line {
	var out []Line
	add := func(component, item string, qty float64, unit string, p Price, note string) {
		out = append(out, Line{Component: component, Item: item, Quantity: round2(qty), Unit: unit, UnitUSD: p.USD,
			MonthlyUSD: round2(qty * p.USD), Note: note})
	}

	// Warehouse: RPU-hours. A call wakes the warehouse and is billed at least
	// 60 seconds at the base capacity; with auto refresh the landing views keep
	// it busy for as long as data arrives.
	calls := secondsPerMonth / 60 / float64(s.RefreshEveryMin)
	busy := math.Min(calls*60, secondsPerMonth) // seconds billed
	note := fmt.Sprintf("one scheduled call every %d min, each billed the 60-second minimum at %d RPU (a call running longer is billed its run time)", s.RefreshEveryMin, s.BaseRPU)
	if s.RefreshAuto && t.dataFlows {
		busy, note = secondsPerMonth, fmt.Sprintf("auto refresh: busy while data arrives, here around the clock at %d RPU", s.BaseRPU)
	}
	if s.CopyJobFlushSecs > 0 && !(s.RefreshAuto && t.dataFlows) && t.dataFlows {
		// The copy job loads each file Firehose writes: one more wake-up per flush.
		busy = math.Min(busy+secondsPerMonth/float64(s.CopyJobFlushSecs)*60, secondsPerMonth)
		note += fmt.Sprintf("; plus the copy job's load of each Firehose file (every %d s)", s.CopyJobFlushSecs)
	}
	if s.ClusterNodes > 0 {
		// A cluster bills its nodes around the clock, whatever wakes it.
		node, known := P.nodeHour(s.ClusterNodeType)
		note := fmt.Sprintf("%d %s node(s) around the clock: the refresh policy costs nothing more", s.ClusterNodes, s.ClusterNodeType)
		if !known {
			note = "no price for " + s.ClusterNodeType + " in cost/prices.go: add it (this line counts $0)"
		}
		add("warehouse", "compute (provisioned "+s.ClusterNodeType+")", HoursPerMonth*float64(s.ClusterNodes), "node-hour", node, note)
	} else {
		add("warehouse", "compute (Redshift Serverless)", busy/3600*float64(s.BaseRPU), "RPU-hour", P.RedshiftRPUHour, note)
	}
	// Managed storage: the landing view keeps every event; the month's average.
	add("warehouse", "managed storage", t.eventGB/2, "GB-month", P.RedshiftStorageGBMonth, "the events landed this month, on average half of them")

	// Kinesis.
	if s.StreamOnDemand {
		add("stream", "on-demand stream", HoursPerMonth, "stream-hour", P.KinesisOnDemandStreamHour, "")
		add("stream", "data in (on-demand)", kinesisBilledGB(t), "GB", P.KinesisOnDemandInGB, "each record billed as at least 1 KB")
		add("stream", "data out (on-demand)", kinesisBilledGB(t)*float64(s.StreamReaders), "GB", P.KinesisOnDemandOutGB,
			fmt.Sprintf("%d readers of every record (Redshift and Firehose)", s.StreamReaders))
	} else {
		add("stream", "shards (provisioned)", HoursPerMonth*float64(s.Shards), "shard-hour", P.KinesisShardHour, "")
		add("stream", "PUT payload units", math.Ceil(float64(t.events))/1e6, "million units", P.KinesisPutMillion, "one 25 KB unit per record")
	}

	// Firehose into the lake: records rounded up to 5 KB.
	fhGB := t.events * 5000 / 1e9 * float64(s.FirehoseFromStream)
	add("lake", "Firehose from the stream", fhGB, "GB", P.FirehoseGB, "each record billed as at least 5 KB")
	add("lake", "Parquet conversion", t.eventGB*float64(s.ConvertedStreams), "GB", P.FirehoseConversionGB, "")
	lakeGB := t.eventGB * float64(s.FirehoseFromStream) * 2 // the dataset and the raw backup of source records
	add("lake", "S3 storage", lakeGB/2, "GB-month", P.S3GBMonth, "dataset plus raw backup, the month's average")
	if s.FlowLogs {
		const flowGB = 1.0 // VPC flow logs of a quiet VPC at 60-second aggregation: about a GB a month
		add("flow logs", "CloudWatch Logs vended ingestion", flowGB, "GB", P.VendedLogsGB, "about 1 GB a month of flow records for a quiet VPC")
		add("flow logs", "Firehose to the lake", flowGB, "GB", P.FirehoseGB, "")
	}

	// CDC.
	if s.Brokers > 0 {
		broker, known := P.brokerHour(s.BrokerType)
		note := ""
		if !known {
			note = "no price for " + s.BrokerType + " in cost/prices.go: add it (this line counts $0)"
		}
		add("cdc", "MSK brokers ("+s.BrokerType+")", HoursPerMonth*float64(s.Brokers), "broker-hour", broker, note)
		add("cdc", "MSK storage", float64(s.Brokers*s.BrokerVolumeGB), "GB-month", P.MSKStorageGBMonth, "provisioned per broker")
		add("cdc", "MSK Connect (Debezium)", HoursPerMonth*float64(s.ConnectMCUs), "MCU-hour", P.MSKConnectMCUHour, "")
	}
	if s.ZeroETLIntegrations > 0 {
		add("cdc", "zero-ETL integration", float64(s.ZeroETLIntegrations), "integration-month", P.ZeroETLIntegration,
			"no charge for the integration; the replicated tables are Redshift storage, their upkeep Redshift compute")
	}
	if s.AuroraMinACU > 0 {
		note := "at its floor: Debezium's open binlog connection keeps it from pausing"
		if s.ZeroETLIntegrations > 0 {
			note = "at its floor (haina:cdc.database.minAcu)"
		}
		add("cdc", "Aurora Serverless v2 (MySQL)", HoursPerMonth*s.AuroraMinACU, "ACU-hour", P.AuroraACUHour, note)
		add("cdc", "Aurora storage", 10, "GB-month", P.AuroraStorageGBMonth, "10 GB assumed")
		add("cdc", "Aurora I/O", t.changes*4/1e6+1, "million requests", P.AuroraIOMillion, "about 4 I/Os per change, plus 1 million a month of background")
	}

	// Network, keys, secrets, logs, functions.
	add("network", "interface endpoints", HoursPerMonth*float64(s.InterfaceEndpoints*s.EndpointAZs), "endpoint-AZ-hour", P.EndpointAZHour,
		fmt.Sprintf("%d endpoints in %d AZs", s.InterfaceEndpoints, s.EndpointAZs))
	add("security", "KMS customer keys", float64(s.KMSKeys), "key-month", P.KMSKeyMonth, "")
	add("security", "Secrets Manager secrets", float64(s.Secrets), "secret-month", P.SecretMonth, "")
	add("operations", "CloudWatch alarms", float64(s.Alarms), "alarm-month", P.AlarmMonth, "")
	add("operations", "CloudWatch dashboard", float64(s.Dashboards), "dashboard-month", P.DashboardMonth, "")
	add("operations", "CloudWatch Logs ingestion", 0.1*float64(s.LogGroups), "GB", P.LogsIngestGB, "about 0.1 GB a month per log group")
	invocations := s.ProducerRunsPerMonth
	gbSeconds := invocations * 2 * float64(s.ProducerMemoryMB) / 1024
	add("producer", "Lambda compute (arm64)", gbSeconds, "GB-second", P.LambdaArmGBSecond, "about 2 s a run")
	add("producer", "Lambda requests", invocations/1e6, "million requests", P.LambdaRequestsMillion, "")
	if s.HealthRunsPerMonth > 0 {
		add("operations", "health function compute (arm64)", s.HealthRunsPerMonth*HealthSecondsPerRun*float64(s.HealthMemoryMB)/1024, "GB-second",
			P.LambdaArmGBSecond, fmt.Sprintf("about %d s a run, mostly waiting for the scheduled call", HealthSecondsPerRun))
		add("operations", "health function requests", s.HealthRunsPerMonth/1e6, "million requests", P.LambdaRequestsMillion, "")
		add("operations", "custom metrics (namespace Haina)", float64(s.HealthMetrics), "metric-month", P.CustomMetricMonth, "")
		add("operations", "PutMetricData requests", s.HealthRunsPerMonth/1000, "thousand requests", P.MetricRequestsThousand, "one a run")
	}
	sort.SliceStable(out, func(i, j int) bool { return componentOrder[out[i].Component] < componentOrder[out[j].Component] })
	return out
}

var componentOrder = map[string]int{"warehouse": 0, "stream": 1, "producer": 2, "lake": 3, "flow logs": 4, "cdc": 5, "network": 6, "security": 7, "operations": 8}

// kinesisBilledGB: on-demand bills each record as at least 1 KB.
func kinesisBilledGB(t traffic) float64 {
	if t.events == 0 {
		return 0
	}
	avg := t.eventGB * 1e9 / t.events
	return t.events * math.Max(avg, 1024) / 1e9
}
