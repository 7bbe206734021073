package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const spec = `{"schema":"ingest","landing":"events_landing","external":"kds","retentionHours":24,
  "cdcSchema":"cdc","cdcExternal":"cdc_msk","offsets":"apply_offsets","runs":"apply_runs","rejects":"apply_rejects",
  "cdc":[{"table":"customer","landing":"salesdb_customer_changes"}]}`

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	good := map[string]string{"WORKGROUP_NAME": "haina-staging", "DATABASE": "haina", "CALL_SQL": "CALL x()",
		"ENVIRONMENT": "staging", "HEALTH_SPEC": spec, "WAIT_SECONDS": "480", "LOOKBACK_SECONDS": "600"}
	c, err := configFromEnv(env(good))
	require.NoError(t, err)
	var metrics []string
	for _, k := range c.Checks {
		metrics = append(metrics, k.Metric+"/"+k.Object)
	}
	assert.Equal(t, []string{"IngestLagSeconds/ingest.events_landing", "FailedParses/ingest.events_landing",
		"StreamScanErrors/ingest.events_landing", "RefreshFailures/materialized-views", "StreamScanErrors/cdc.salesdb_customer_changes",
		"CdcPendingAgeSeconds/customer", "CdcLagSeconds/customer", "CdcApplyRejects/customer", "CdcChangesApplied/customer"}, metrics,
		"the checks rendered from the spec")
	assert.Equal(t, 8*time.Minute, c.Wait)
	assert.Equal(t, 10*time.Minute, c.Lookback)
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, bad := range []map[string]string{
		with("WORKGROUP_NAME", ""),
		with("CLUSTER_IDENTIFIER", "c"),
		with("CALL_SQL", ""),
		with("HEALTH_SPEC", "{"),
		with("HEALTH_SPEC", `{"schema":"ingest"}`),
		with("WAIT_SECONDS", "0"),
		with("LOOKBACK_SECONDS", "soon"),
	} {
		_, err := configFromEnv(env(bad))
		assert.Error(t, err, "%v", bad)
	}
}
