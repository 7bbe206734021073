package fakeprovider

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	sourceArn = "arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql"
	targetArn = "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/11111111-2222-4333-8444-555555555555"
)

// zeroETLCloud records a source cluster with params, its writer, a namespace
// and workgroup, and a resource policy with the given document.
func zeroETLCloud(t *testing.T, params map[string]string, policy string) {
	t.Helper()
	t.Setenv(CloudDirEnv, t.TempDir())
	var list []any
	for k, v := range params {
		list = append(list, map[string]any{"name": k, "value": v, "applyMethod": "pending-reboot"})
	}
	put := func(typ, name string, state map[string]any) {
		require.NoError(t, record("urn:pulumi:s::haina::"+typ+"::"+name, toStruct(t, state)))
	}
	put("aws:rds/clusterParameterGroup:ClusterParameterGroup", "pg", map[string]any{"name": "haina-staging-cdc-mysql-binlog", "parameters": list})
	put("aws:rds/cluster:Cluster", "db", map[string]any{"arn": sourceArn, "clusterIdentifier": "haina-staging-cdc-mysql", "engine": "aurora-mysql",
		"engineVersion": "8.0.mysql_aurora.3.08.0", "dbClusterParameterGroupName": "haina-staging-cdc-mysql-binlog"})
	put("aws:rds/clusterInstance:ClusterInstance", "writer", map[string]any{"clusterIdentifier": "haina-staging-cdc-mysql"})
	put("aws:redshiftserverless/namespace:Namespace", "ns", map[string]any{"arn": targetArn, "namespaceName": "haina-staging"})
	put("aws:redshiftserverless/workgroup:Workgroup", "wg", map[string]any{"namespaceName": "haina-staging",
		"configParameters": []any{map[string]any{"parameterKey": "enable_case_sensitive_identifier", "parameterValue": "true"}}})
	put("aws:redshift/resourcePolicy:ResourcePolicy", "policy", map[string]any{"resourceArn": targetArn, "policy": policy})
}

func toStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), opts)
	require.NoError(t, err)
	return s
}

// documented is the namespace policy AWS documents (haina's integrationPolicy).
func documented(source string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "redshift.amazonaws.com"},
			"Action": "redshift:AuthorizeInboundIntegration", "Resource": targetArn,
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": source}}},
		map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"},
			"Action": "redshift:CreateInboundIntegration", "Resource": targetArn},
	}})
	return string(b)
}

func integration(t *testing.T) error {
	return checkIntegration("urn:pulumi:s::haina::aws:rds/integration:Integration::zero-etl",
		toStruct(t, map[string]any{"sourceArn": sourceArn, "targetArn": targetArn, "integrationName": "haina-staging-cdc"}))
}

func TestIntegrationNeedsZeroETLParameters(t *testing.T) {
	// What the Debezium path sets (binlog_format ROW, binlog_row_image FULL):
	// AWS refuses it as a zero-ETL source.
	zeroETLCloud(t, map[string]string{"binlog_format": "ROW", "binlog_row_image": "FULL"}, documented(sourceArn))
	err := integration(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "InvalidDBClusterStateFault")
	assert.Contains(t, err.Error(), "a zero-ETL source needs")

	all := map[string]string{}
	for k, v := range ZeroETLSourceParameters {
		all[k] = v
	}
	zeroETLCloud(t, all, documented(sourceArn))
	assert.NoError(t, integration(t), "the documented parameters and policy are accepted")

	all["binlog_transaction_compression"] = "ON"
	zeroETLCloud(t, all, documented(sourceArn))
	assert.ErrorContains(t, integration(t), "binlog_transaction_compression=ON, which zero-ETL does not support")
}

func TestIntegrationNeedsTheNamespaceToAuthorizeTheSource(t *testing.T) {
	all := map[string]string{}
	for k, v := range ZeroETLSourceParameters {
		all[k] = v
	}
	// A policy for another cluster does not authorize this one.
	zeroETLCloud(t, all, documented("arn:aws:rds:us-east-1:123456789012:cluster:other"))
	assert.ErrorContains(t, integration(t), "does not allow redshift.amazonaws.com to redshift:AuthorizeInboundIntegration")
}

// A group changed on an existing cluster (a stack switched from debezium) is
// pending-reboot: AWS refuses the integration until the writer restarts.
func TestIntegrationWaitsForAGroupChangedAfterTheCluster(t *testing.T) {
	all := map[string]string{}
	var list []any
	for k, v := range ZeroETLSourceParameters {
		all[k] = v
		list = append(list, map[string]any{"name": k, "value": v})
	}
	zeroETLCloud(t, all, documented(sourceArn))
	require.NoError(t, integration(t))
	require.NoError(t, record("urn:pulumi:s::haina::aws:rds/clusterParameterGroup:ClusterParameterGroup::pg",
		toStruct(t, map[string]any{"name": "haina-staging-cdc-mysql-binlog", "parameters": list, "description": "changed"})))
	assert.ErrorContains(t, integration(t), "is pending-reboot: reboot the writer")
}

// Through the API each pattern names its own filter type: a bare second
// pattern after "include:" is refused (what haina sent before).
func TestIntegrationDataFilterNamesEachPatternsType(t *testing.T) {
	assert.NoError(t, checkDataFilter(""))
	assert.NoError(t, checkDataFilter("include: salesdb.CUSTOMER, include: shop.*, exclude: shop.secrets"))
	assert.ErrorContains(t, checkDataFilter("include: salesdb.CUSTOMER, shop.*"),
		`data filter element "shop.*" is not "include: database.table"`)
	assert.ErrorContains(t, checkDataFilter("include: salesdb"), "each pattern needs its own filter type")
	many := "include: a.t0"
	for i := 1; i < 100; i++ {
		many += fmt.Sprintf(", include: a.t%d", i)
	}
	assert.ErrorContains(t, checkDataFilter(many), "holds 100 patterns; at most 99")
}
