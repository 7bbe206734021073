package tests

import (
	"context"
	"testing"

	"github.com/haina-data/haina/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

// haina's provider takes the identity the aws provider is configured with, so
// its SQL and uploads run as the same principal as the rest of the deploy.
func TestHainaProviderTakesTheAWSIdentity(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{
		"aws:profile":    "deploy",
		"aws:assumeRole": `{"roleArn":"arn:aws:iam::123456789012:role/deployer","sessionName":"ci","externalId":"x-1"}`,
	})
	p := in(one(t, g, "pulumi:providers:haina", "haina-sql"))
	assert.Equal(t, "deploy", p["profile"])
	assert.Equal(t, "arn:aws:iam::123456789012:role/deployer", p["assumeRoleArn"])
	assert.Equal(t, "ci", p["sessionName"])
	assert.Equal(t, "x-1", p["externalId"])
	// The provider accepts the inputs (its config is decoded strictly).
	s := provider.NewServer()
	resp, err := s.CheckConfig(context.Background(), &pulumirpc.CheckRequest{News: props(t, map[string]any{
		"region": "us-east-1", "profile": "deploy", "assumeRoleArn": "arn:aws:iam::123456789012:role/deployer", "sessionName": "ci", "externalId": "x-1"})})
	require.NoError(t, err)
	assert.Empty(t, resp.GetFailures())
	_, err = evaluateErr(t, "staging", map[string]string{"aws:assumeRole": `{"sessionName":"ci"}`})
	assert.ErrorContains(t, err, "aws:assumeRole")
}

// props is a request's properties (unknowns kept, for preview requests).
func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	st, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	return st
}

// with is m with some keys set (m unchanged).
func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// mysqlObject is a MySQL configuration object (binlog retention) as haina's provider receives it.
func mysqlObject() map[string]any {
	return map[string]any{
		"resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql",
		"secretArn":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
		"database":    "haina", "kind": "configuration", "objectName": "binlog retention hours",
		"create": []any{"CALL mysql.rds_set_configuration('binlog retention hours', 168)", "CREATE DATABASE IF NOT EXISTS salesdb"},
		"drop":   []any{"CALL mysql.rds_set_configuration('binlog retention hours', NULL)"},
		"exists": "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'salesdb'",
	}
}

const mysqlURN = "urn:pulumi:staging::haina::haina:pipeline:Pipeline$haina:mysql:SqlObject::binlog-retention"
