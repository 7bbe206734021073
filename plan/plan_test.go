package plan_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haina-data/haina/cost"
	"github.com/haina-data/haina/plan"
	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite README's cost table from plan")

func build(t *testing.T, stack string, load cost.Load) *plan.Report {
	t.Helper()
	r, err := plan.Build(stack, load)
	require.NoError(t, err)
	return r
}

// The targets the cost issue set, by plan's own estimate: idle (the stack's
// own producer included), staging at most $450 a month and production at
// most $2,500 — and the refresh policy that gives the promised freshness.
func TestBothStacksMeetTheirCostTargets(t *testing.T) {
	for stack, want := range map[string]struct {
		max        float64
		everyMin   int
		idleRPUHrs float64
	}{
		// 4 RPU × one 60-second call every 10 minutes: 4,380 calls × 1/60 h × 4.
		"staging": {450, 10, 292},
		// 8 RPU × one call every 2 minutes: 21,900 calls × 1/60 h × 8.
		"production": {2500, 2, 2920},
	} {
		r := build(t, stack, cost.Load{EventBytes: 1000})
		assert.LessOrEqual(t, r.Cost.IdleMonthly, want.max, stack)
		assert.Greater(t, r.Cost.IdleMonthly, want.max/3, "%s: an estimate far below the target misses an item", stack)
		compute := line(t, r, "compute (Redshift Serverless)")
		assert.Equal(t, want.idleRPUHrs, compute.Quantity, stack)
		assert.Contains(t, compute.Note, "every "+map[string]string{"staging": "10", "production": "2"}[stack]+" min", stack)
	}
}

func line(t *testing.T, r *plan.Report, item string) cost.Line {
	t.Helper()
	for _, l := range r.Cost.Lines {
		if l.Item == item {
			return l
		}
	}
	t.Fatalf("no line %q", item)
	return cost.Line{}
}

// Every billed item haina creates has a line, counted from the evaluated stack.
func TestPlanCountsWhatTheStackHolds(t *testing.T) {
	r := build(t, "production", cost.Load{EventBytes: 1000})
	assert.Equal(t, 8.0, line(t, r, "KMS customer keys").Quantity, "the 8 keys the production graph declares (the alarm topic's included)")
	assert.Equal(t, 26.0, line(t, r, "CloudWatch alarms").Quantity, "the alarms of docs/runbooks.md: 15 on AWS metrics, 5 on the warehouse's health, 3 per change table (2)")
	assert.InDelta(t, 730.0*30*30*128/1024, line(t, r, "health function compute (arm64)").Quantity, 1, "a 30-second run of 128 MB every 2 minutes")
	assert.Equal(t, 16.0, line(t, r, "custom metrics (namespace Haina)").Quantity, "call and checks, then 4 checks of the landing view and 6 per change table (2)")
	assert.Equal(t, 1.0, line(t, r, "CloudWatch dashboard").Quantity)
	assert.Equal(t, 3.0, line(t, r, "Secrets Manager secrets").Quantity, "Debezium's, the warehouse admin's and Aurora's managed secrets")
	assert.Equal(t, 730.0*2*3, line(t, r, "interface endpoints").Quantity, "Kinesis and Secrets Manager endpoints in 3 AZs")
	assert.Equal(t, 730.0*3, line(t, r, "MSK brokers (kafka.m7g.large)").Quantity)
	assert.Equal(t, 1500.0, line(t, r, "MSK storage").Quantity, "500 GB on each of 3 brokers")
	assert.Equal(t, 730.0*2, line(t, r, "MSK Connect (Debezium)").Quantity, "2 MCUs")
	assert.Equal(t, 730.0*2, line(t, r, "Aurora Serverless v2 (MySQL)").Quantity, "a floor of 2 ACUs")
	// Production's producer schedule is off: nothing flows when idle.
	assert.Zero(t, line(t, r, "data in (on-demand)").IdleUSD)
	s := build(t, "staging", cost.Load{EventBytes: 1000})
	// Staging's producer: 1,000 events a minute, each billed as 1 KB by Kinesis on-demand.
	assert.InDelta(t, 730*60*1000*1024/1e9, line(t, s, "data in (on-demand)").Quantity, 0.01)
	assert.Equal(t, 7.0, line(t, s, "KMS customer keys").Quantity)
}

// A load adds what it costs on top of idle, item by item.
func TestPlanPricesALoad(t *testing.T) {
	r := build(t, "production", cost.Load{EventsPerSecond: 100, EventBytes: 1000, ChangesPerSecond: 10})
	assert.Greater(t, r.Cost.LoadMonthly, r.Cost.IdleMonthly)
	in := line(t, r, "data in (on-demand)")
	assert.InDelta(t, 100*730*3600*1024/1e9, in.Quantity, 0.01, "100 events a second, each billed as 1 KB")
	assert.InDelta(t, in.Quantity*0.08, in.MonthlyUSD, 0.01)
	fh := line(t, r, "Firehose from the stream")
	assert.InDelta(t, 100*730*3600*5000/1e9, fh.Quantity, 0.01, "Firehose bills each record as 5 KB")
}

// --json prints one object with the keys the issue names.
func TestPlanJSON(t *testing.T) {
	r := build(t, "staging", cost.Load{EventsPerSecond: 1, EventBytes: 200})
	var buf bytes.Buffer
	require.NoError(t, r.WriteJSON(&buf))
	var got struct {
		Stack     string
		Resources []map[string]any
		SQL       []struct {
			Resource   string
			Statements []string
		}
		Cost map[string]any
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, "staging", got.Stack)
	require.NotEmpty(t, got.Resources)
	for _, k := range []string{"type", "name", "parent", "protected"} {
		assert.Contains(t, got.Resources[0], k)
	}
	require.NotEmpty(t, got.SQL)
	at := map[string]int{}
	for i, o := range got.SQL {
		at[strings.TrimPrefix(o.Resource, "haina:redshift:SqlObject::")] = i
		if o.Resource == "haina:redshift:SqlObject::haina-kinesis-schema" {
			assert.Equal(t, []string{"CREATE EXTERNAL SCHEMA IF NOT EXISTS \"kds\"\nFROM KINESIS\nIAM_ROLE default"}, o.Statements)
		}
	}
	// In the order they run: each after what it is built on.
	for _, pair := range [][2]string{{"haina-kinesis-schema", "haina-landing"}, {"haina-landing", "haina-rollup"},
		{"haina-rollup", "haina-refresh-procedure"}, {"haina-changes-msk-schema", "haina-changes-landing-salesdb.CUSTOMER"},
		{"haina-changes-landing-salesdb.CUSTOMER", "haina-changes-apply-customer"}} {
		first, ok1 := at[pair[0]]
		second, ok2 := at[pair[1]]
		require.True(t, ok1 && ok2, "%v", pair)
		assert.Less(t, first, second, "%s runs before %s", pair[0], pair[1])
	}
	for _, k := range []string{"currency", "idleMonthly", "loadMonthly", "load", "lines"} {
		assert.Contains(t, got.Cost, k)
	}
	l := got.Cost["lines"].([]any)[0].(map[string]any)
	for _, k := range []string{"component", "item", "quantity", "unit", "unitUsd", "monthlyUsd"} {
		assert.Contains(t, l, k)
	}
}

// The text lists the resource tree (protected ones marked), the SQL and the cost.
func TestPlanText(t *testing.T) {
	r := build(t, "production", cost.Load{EventBytes: 1000})
	var buf bytes.Buffer
	require.NoError(t, r.WriteText(&buf))
	out := buf.String()
	assert.Contains(t, out, "\n  haina  haina:pipeline:Pipeline\n")
	assert.Contains(t, out, "\n    haina  haina:network:Network\n")
	assert.Contains(t, out, "\n      haina-vpc  aws:ec2/vpc:Vpc\n")
	assert.Regexp(t, `\n      haina-events  aws:kinesis/stream:Stream \[protected\]\n`, out)
	assert.Contains(t, out, `CALL "cdc"."apply_orders"();`)
	assert.Regexp(t, `\n\s+total\s+2\d{3}\.\d{2}\s+`, out)
	assert.Contains(t, out, "Prices: 2026-12-01")
}

// README's cost table is what plan prints for both stack files.
func TestReadmeCostTable(t *testing.T) {
	want := plan.CostTable(build(t, "staging", plan.ReferenceLoad), build(t, "production", plan.ReferenceLoad))
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	path := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	const begin, end = "<!-- cost-table: generated by `go test ./plan -run TestReadmeCostTable -update` -->\n", "<!-- cost-table end -->"
	i, j := strings.Index(string(readme), begin), strings.Index(string(readme), end)
	require.True(t, i >= 0 && j > i, "README.md has no cost table markers")
	if *update {
		readme = []byte(string(readme[:i+len(begin)]) + want + string(readme[j:]))
		require.NoError(t, os.WriteFile(path, readme, 0o644))
	}
	assert.Equal(t, want, string(readme[i+len(begin):j]), "README's cost table differs from `haina plan`: run `go test ./plan -run TestReadmeCostTable -update`")
}

// A provisioned cluster is priced by node-hours, counted from the cluster the program declares.
func TestPlanPricesAProvisionedCluster(t *testing.T) {
	r, err := plan.BuildWith("production", map[string]string{"haina:warehouse": `{"kind":"provisioned","nodeType":"ra3.xlplus","nodeCount":2}`, "haina:ingestion": `{"refresh":"auto"}`},
		cost.Load{EventsPerSecond: 100, EventBytes: 1000})
	require.NoError(t, err)
	l := line(t, r, "compute (provisioned ra3.xlplus)")
	assert.Equal(t, 2*730.0, l.Quantity)
	assert.Equal(t, l.IdleUSD, l.MonthlyUSD, "auto refresh on a cluster costs nothing more under load")
	assert.Equal(t, 3.0, line(t, r, "Secrets Manager secrets").Quantity, "Debezium's, the cluster admin's and Aurora's")
}

// The two CDC modes side by side: zero-ETL drops the brokers, their storage
// and the connector, and prices the integration at nothing.
func TestPlanPricesBothCDCModes(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		load := cost.Load{EventBytes: 1000}
		debezium, err := plan.Build(stack, load)
		require.NoError(t, err)
		zero, err := plan.BuildWith(stack, map[string]string{"haina:cdc": `{"enabled":true,"mode":"zero-etl","zeroEtl":{"tables":["shop.orders"]}}`}, load)
		require.NoError(t, err)
		var kafka float64
		for _, l := range debezium.Cost.Lines {
			if strings.HasPrefix(l.Item, "MSK") {
				kafka += l.IdleUSD
			}
		}
		for _, l := range zero.Cost.Lines {
			assert.False(t, strings.HasPrefix(l.Item, "MSK"), "%s: zero-ETL has no %s", stack, l.Item)
		}
		assert.Equal(t, 0.0, line(t, zero, "zero-ETL integration").MonthlyUSD)
		assert.Greater(t, kafka, 0.0)
		assert.Less(t, zero.Cost.IdleMonthly, debezium.Cost.IdleMonthly-kafka+1, "%s: at least the brokers and the connector are saved", stack)
		t.Logf("%s idle per month: debezium $%.2f, zero-etl $%.2f (ratio %.2f)", stack, debezium.Cost.IdleMonthly, zero.Cost.IdleMonthly,
			zero.Cost.IdleMonthly/debezium.Cost.IdleMonthly)
	}
}
