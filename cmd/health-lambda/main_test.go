package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := configFromEnv(env(map[string]string{"WORKGROUP_NAME": "haina-staging", "DATABASE": "haina", "CALL_SQL": "CALL x()",
		"ENVIRONMENT": "staging", "CHECKS": `[{"metric":"IngestLagSeconds","object":"ingest.events_landing","sql":"SELECT 1","unit":"Seconds"}]`}))
	require.NoError(t, err)
	require.Len(t, c.Checks, 1)
	assert.Equal(t, "IngestLagSeconds", c.Checks[0].Metric)
	for _, bad := range []map[string]string{
		{"DATABASE": "haina", "CALL_SQL": "CALL x()", "ENVIRONMENT": "staging"},
		{"WORKGROUP_NAME": "w", "CLUSTER_IDENTIFIER": "c", "DATABASE": "haina", "CALL_SQL": "CALL x()", "ENVIRONMENT": "staging"},
		{"CLUSTER_IDENTIFIER": "c", "DATABASE": "haina", "CALL_SQL": "CALL x()", "ENVIRONMENT": "staging"},
		{"WORKGROUP_NAME": "w", "DATABASE": "haina", "CALL_SQL": "CALL x()", "ENVIRONMENT": "staging", "CHECKS": "{"},
	} {
		_, err := configFromEnv(env(bad))
		assert.Error(t, err, "%v", bad)
	}
}
