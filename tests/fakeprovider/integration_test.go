package fakeprovider

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
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

// keyPolicyJSON is a key policy: the account administers (DescribeKey among
// its actions) and uses it through RDS; withRedshift adds Redshift's grant.
func keyPolicyJSON(withRedshift bool) string {
	root := map[string]any{"AWS": "arn:aws:iam::123456789012:root"}
	via := map[string]any{"StringEquals": map[string]any{"kms:CallerAccount": "123456789012", "kms:ViaService": "rds.us-east-1.amazonaws.com"}}
	stmts := []any{
		map[string]any{"Sid": "AccountAdministers", "Effect": "Allow", "Principal": root, "Action": []string{"kms:DescribeKey", "kms:PutKeyPolicy"}, "Resource": "*"},
		map[string]any{"Sid": "ServicesAttachGrants", "Effect": "Allow", "Principal": root, "Action": "kms:CreateGrant", "Resource": "*", "Condition": via},
	}
	if withRedshift {
		stmts = append(stmts, map[string]any{"Sid": "RedshiftCreatesGrants", "Effect": "Allow", "Principal": map[string]any{"Service": "redshift.amazonaws.com"},
			"Action": "kms:CreateGrant", "Resource": "*",
			"Condition": map[string]any{"ForAllValues:StringEquals": map[string]any{"kms:GrantOperations": []string{"CreateGrant", "Decrypt", "GenerateDataKey"}}}})
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

// An integration's customer key must let Redshift create its grant: a key
// policy that only serves the account (what haina's other keys carry) is
// refused, as AWS refuses it (KMSKeyNotAccessibleFault).
func TestIntegrationKeyLetsRedshiftCreateItsGrant(t *testing.T) {
	all := map[string]string{}
	for k, v := range ZeroETLSourceParameters {
		all[k] = v
	}
	const keyArn = "arn:aws:kms:us-east-1:123456789012:key/0b0b0b0b-1111-4222-8333-444444444444"
	withKey := func(props map[string]any) error {
		in := map[string]any{"sourceArn": sourceArn, "targetArn": targetArn, "integrationName": "haina-staging-cdc"}
		for k, v := range props {
			in[k] = v
		}
		return checkIntegration("urn:pulumi:s::haina::aws:rds/integration:Integration::zero-etl", toStruct(t, in))
	}
	for _, c := range []struct {
		policy string
		props  map[string]any
		err    string
	}{
		{keyPolicyJSON(false), map[string]any{"kmsKeyId": keyArn}, "KMSKeyNotAccessibleFault: the key policy of " + keyArn + " does not allow redshift.amazonaws.com to kms:CreateGrant"},
		{keyPolicyJSON(true), map[string]any{"kmsKeyId": keyArn}, ""},
		{keyPolicyJSON(true), map[string]any{"kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/other"}, "KMSKeyNotAccessibleFault: KMS key arn:aws:kms:us-east-1:123456789012:key/other does not exist"},
		{keyPolicyJSON(true), map[string]any{"additionalEncryptionContext": map[string]any{"team": "data"}}, "AdditionalEncryptionContext needs a KMSKeyId"},
		{keyPolicyJSON(true), nil, ""}, // the AWS owned key
	} {
		zeroETLCloud(t, all, documented(sourceArn))
		require.NoError(t, record("urn:pulumi:s::haina::aws:kms/key:Key::key", toStruct(t, map[string]any{"arn": keyArn, "policy": c.policy})))
		err := withKey(c.props)
		if c.err == "" {
			assert.NoError(t, err, "%v", c.props)
		} else {
			assert.ErrorContains(t, err, c.err)
		}
	}
}

// The fake replaces an integration whose inputs other than tags change, as
// pulumi-aws does; the e2e test relies on it to see haina's provider refuse
// the destination database's replacement.
func TestIntegrationChangesReplaceItButTags(t *testing.T) {
	s := &Server{Name: "aws"}
	urn := "urn:pulumi:s::haina::haina:pipeline:Pipeline$haina:cdc:ZeroETL$aws:rds/integration:Integration::haina-zero-etl"
	olds := map[string]any{"integrationName": "haina-staging", "dataFilter": "include: salesdb.CUSTOMER", "tags": map[string]any{"a": "1"}}
	diff := func(news map[string]any) []string {
		res, err := s.Diff(t.Context(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: toStruct(t, olds), News: toStruct(t, news)})
		require.NoError(t, err)
		assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, res.GetChanges())
		return res.GetReplaces()
	}
	assert.Equal(t, []string{"dataFilter"}, diff(map[string]any{"integrationName": "haina-staging",
		"dataFilter": "include: salesdb.CUSTOMER, include: salesdb.ORDERS", "tags": map[string]any{"a": "1"}}))
	assert.Empty(t, diff(map[string]any{"integrationName": "haina-staging", "dataFilter": "include: salesdb.CUSTOMER",
		"tags": map[string]any{"a": "2"}}), "tags change in place")
}
