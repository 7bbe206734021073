// Package providertest holds what tests of haina's provider share, in
// package provider and in tests/: request properties and sample objects.
package providertest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

// Props is a request's properties (unknowns kept, as in preview requests).
func Props(t testing.TB, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	return s
}

// With is m with some keys set (m unchanged).
func With(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// MySQLObject is a MySQL configuration object (binlog retention) as haina's provider receives it.
func MySQLObject() map[string]any {
	return map[string]any{
		"resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql",
		"secretArn":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
		"database":    "haina", "kind": "configuration", "objectName": "binlog retention hours",
		"create": []any{"CALL mysql.rds_set_configuration('binlog retention hours', 168)", "CREATE DATABASE IF NOT EXISTS salesdb"},
		"drop":   []any{"CALL mysql.rds_set_configuration('binlog retention hours', NULL)"},
		"exists": "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'salesdb'",
	}
}

// MySQLURN is the URN of a MySQL SQL object in requests.
const MySQLURN = "urn:pulumi:staging::haina::haina:pipeline:Pipeline$haina:mysql:SqlObject::binlog-retention"
