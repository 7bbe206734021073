package fakeprovider

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/haina-data/haina/provider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// haina's provider modifies a recorded integration's data filter through the
// fake RDS endpoint with the real SDK client; the fake refuses what AWS does.
func TestIntegrationDataFilterModifiedInPlace(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CloudDirEnv, dir)
	arn := "arn:aws:rds:us-east-1:123456789012:integration:8cabc236-42a1-bbd2-ff0a-675941728774"
	urn := "urn:pulumi:s::haina::haina:pipeline:Pipeline$haina:cdc:ZeroETL$aws:rds/integration:Integration::haina-zero-etl"
	require.NoError(t, record(urn, toStruct(t, map[string]any{"arn": arn, "integrationName": "haina-staging",
		"sourceArn": sourceArn, "targetArn": targetArn, "dataFilter": "include: salesdb.CUSTOMER"})))
	srv := StartRDS(dir)
	defer srv.Close()
	api := rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{}})
	l := provider.IntegrationFilterLifecycle{API: api, Poll: time.Millisecond}

	// The same filter: nothing to modify.
	require.NoError(t, l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: "include: salesdb.CUSTOMER"}))
	assert.Empty(t, srv.Modified())

	two := "include: salesdb.CUSTOMER, include: salesdb.ORDERS"
	require.NoError(t, l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: two}))
	assert.Equal(t, []string{two}, srv.Modified(), "modified once, waited out modifying")
	got, found, err := l.Read(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn})
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, two, got.DataFilter)
	all, err := Resources(dir, "aws:rds/integration:Integration")
	require.NoError(t, err)
	assert.Equal(t, two, all[0].State["dataFilter"], "the fake cloud holds the new filter")

	// The integration is needs_attention after a change (a table without a
	// primary key added): an error naming what AWS reports.
	srv.AfterModify, srv.ModifyErrors = []string{"modifying", "needs_attention", "needs_attention"}, []string{"table salesdb.LOGS has no primary key"}
	err = l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: two + ", include: salesdb.LOGS"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is needs_attention after its data filter became")
	assert.Contains(t, err.Error(), "NeedsAttention: table salesdb.LOGS has no primary key")
	// The next run with the same list is not a silent success either.
	err = l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: two + ", include: salesdb.LOGS"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs attention: NeedsAttention: table salesdb.LOGS has no primary key")
	assert.Contains(t, err.Error(), "leave it out of haina:cdc.zeroEtl.tables")
	// Still needs_attention: the next change (leaving the table out) goes ahead.
	srv.AfterModify = []string{"modifying"}
	require.NoError(t, l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: two}))

	// A bare second pattern is refused, as at create.
	err = l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: "include: salesdb.CUSTOMER, salesdb.ORDERS"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "InvalidParameterValue")
	assert.Contains(t, err.Error(), `"salesdb.ORDERS"`)

	// An integration that does not exist: gone for Read, an error for Apply.
	other := arn[:len(arn)-1] + "5"
	_, found, err = l.Read(t.Context(), provider.IntegrationDataFilter{IntegrationArn: other})
	require.NoError(t, err)
	assert.False(t, found)
	err = l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: other, DataFilter: two})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not exist")

	// Stuck modifying (last: it stays so): the wait ends at the timeout.
	srv.AfterModify = slices.Repeat([]string{"modifying"}, 10000)
	l.Timeout = 20 * time.Millisecond
	err = l.Apply(t.Context(), provider.IntegrationDataFilter{IntegrationArn: arn, DataFilter: "include: salesdb.CUSTOMER"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is still modifying after 20ms")
}
