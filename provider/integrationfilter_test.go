package provider

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

const filterURN = "urn:pulumi:staging::haina::haina:pipeline:Pipeline$haina:cdc:ZeroETL$haina:rds:IntegrationDataFilter::haina-zero-etl-filter"

func filterProps(t *testing.T, arn, filter string) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(map[string]any{"integrationArn": arn, "dataFilter": filter}), marshal)
	require.NoError(t, err)
	return s
}

// A new table list is an update in place; another integration is another
// filter; an unchanged one is no change.
func TestIntegrationDataFilterDiff(t *testing.T) {
	s := NewServer()
	arn := "arn:aws:rds:us-east-1:123456789012:integration:8cabc236-42a1-bbd2-ff0a-675941728774"
	diff := func(olds, news *structpb.Struct) *pulumirpc.DiffResponse {
		res, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: filterURN, Olds: olds, News: news})
		require.NoError(t, err)
		return res
	}
	one, two := "include: salesdb.CUSTOMER", "include: salesdb.CUSTOMER, include: salesdb.ORDERS"
	res := diff(filterProps(t, arn, one), filterProps(t, arn, two))
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, res.GetChanges())
	assert.Equal(t, []string{"dataFilter"}, res.GetDiffs())
	assert.Empty(t, res.GetReplaces())
	res = diff(filterProps(t, arn, one), filterProps(t, arn[:len(arn)-1]+"5", one))
	assert.Equal(t, []string{"integrationArn"}, res.GetReplaces())
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, diff(filterProps(t, arn, one), filterProps(t, arn, one)).GetChanges())
}

// A filter without tables is refused by name: an empty filter would replicate
// every table of the source.
func TestIntegrationDataFilterCheck(t *testing.T) {
	res, err := NewServer().Check(context.Background(), &pulumirpc.CheckRequest{Urn: filterURN, News: filterProps(t, "arn:aws:rds:us-east-1:1:integration:x", "")})
	require.NoError(t, err)
	require.Len(t, res.GetFailures(), 1)
	assert.Equal(t, "dataFilter", res.GetFailures()[0].GetProperty())
	assert.Contains(t, res.GetFailures()[0].GetReason(), "dataFilter is required")
}
