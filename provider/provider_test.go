package provider_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	"github.com/haina-data/haina/tests/fakeredshift"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sqlURN = "urn:pulumi:staging::haina::haina:pipeline:Pipeline$haina:redshift:SqlObject::landing"

// startProvider configures a real provider server against a fake Data API
// reached through the real aws-sdk-go-v2 client.
func startProvider(t *testing.T) (*provider.Server, *fakeredshift.Server) {
	t.Helper()
	fake := fakeredshift.Start()
	t.Cleanup(fake.Close)
	s := provider.NewServer()
	s.PollRunner = provider.Runner{PollInitial: 2 * time.Millisecond, PollMax: 10 * time.Millisecond,
		RetryInitial: time.Millisecond, RetryMax: 4 * time.Millisecond}
	s.NewDataAPI = func(_ context.Context, c provider.Config) (provider.DataAPI, error) {
		return redshiftdata.New(redshiftdata.Options{
			Region:       c.Region,
			BaseEndpoint: aws.String(fake.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		}), nil
	}
	cfg := providertest.Props(t, map[string]any{"region": "us-east-1"})
	_, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: cfg})
	require.NoError(t, err)
	return s, fake
}

func landingMV() map[string]any {
	return map[string]any{
		"workgroupName": "haina-staging", "database": "haina",
		"secretArn":  "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift!haina-staging-admin-abc",
		"kind":       "materialized-view",
		"objectName": `"kds"."events_landing"`,
		"definition": "SELECT 1",
		"create":     []any{"SET enable_case_sensitive_identifier TO true", "CREATE MATERIALIZED VIEW x AUTO REFRESH YES AS SELECT 1"},
		"update":     []any{"ALTER MATERIALIZED VIEW x AUTO REFRESH YES"},
		"drop":       []any{"DROP MATERIALIZED VIEW IF EXISTS x"},
		"exists":     "SELECT 1 FROM svv_mv_info WHERE name = 'x'",
		"holdsData":  true,
	}
}

func TestProviderCreateRunsOneBatchInOrder(t *testing.T) {
	s, fake := startProvider(t)
	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV())})
	require.NoError(t, err)
	assert.Equal(t, `haina-staging/haina/"kds"."events_landing"`, res.GetId())
	calls := fake.Calls()
	require.Len(t, calls, 2, "the existence check (an object already there is adopted), then one transaction")
	assert.False(t, calls[0].Batch)
	assert.Equal(t, []string{"SELECT 1 FROM svv_mv_info WHERE name = 'x'"}, calls[0].Sqls)
	calls = calls[1:]
	assert.True(t, calls[0].Batch)
	assert.Equal(t, []string{"SET enable_case_sensitive_identifier TO true", "CREATE MATERIALIZED VIEW x AUTO REFRESH YES AS SELECT 1"}, calls[0].Sqls)
	assert.Equal(t, "haina-staging", calls[0].WorkgroupName)
	assert.Equal(t, "haina", calls[0].Database)
	assert.Contains(t, calls[0].SecretArn, "secret:redshift!haina-staging-admin")
}

func TestProviderPreviewRunsNothing(t *testing.T) {
	s, fake := startProvider(t)
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV()), Preview: true})
	require.NoError(t, err)
	assert.Empty(t, fake.Calls())
}

func TestProviderCreateFailureCarriesRedshiftMessageAndStatement(t *testing.T) {
	s, fake := startProvider(t)
	fake.Fail = func(sql string) string {
		if sql != "SET enable_case_sensitive_identifier TO true" {
			return `ERROR: schema "kds" does not exist`
		}
		return ""
	}
	fake.PendingPolls = 2
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV())})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `creating materialized-view "kds"."events_landing" (workgroup haina-staging, database haina)`)
	assert.Contains(t, err.Error(), `statement 2 of 2 failed: ERROR: schema "kds" does not exist`)
	assert.Contains(t, err.Error(), "SQL: CREATE MATERIALIZED VIEW x AUTO REFRESH YES AS SELECT 1")
}

func TestProviderTimeoutCancelsTheStatement(t *testing.T) {
	s, fake := startProvider(t)
	fake.Hang = true
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, providertest.With(landingMV(), "timeoutSeconds", 1))})
	require.Error(t, err)
	// Statement 1, the existence check, hung and was cancelled too: it found nothing.
	assert.Regexp(t, `statement 0+-0+-0+-0+-0+2 did not finish within 1s; it was cancelled \(raise timeoutSeconds`, err.Error())
	assert.Equal(t, []string{"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"}, fake.Cancelled)
}

func TestProviderReadReportsPresenceAndDrift(t *testing.T) {
	s, fake := startProvider(t)
	p := providertest.Props(t, landingMV())
	fake.Rows = func(string) int64 { return 1 }
	res, err := s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: sqlURN, Id: "the-id", Properties: p, Inputs: p})
	require.NoError(t, err)
	assert.Equal(t, "the-id", res.GetId())
	assert.Equal(t, []string{"SELECT 1 FROM svv_mv_info WHERE name = 'x'"}, fake.AllSQL())
	assert.False(t, fake.Calls()[0].Batch)

	fake.Rows = func(string) int64 { return 0 } // dropped by hand
	res, err = s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: sqlURN, Id: "the-id", Properties: p, Inputs: p})
	require.NoError(t, err)
	assert.Empty(t, res.GetId(), "gone: the engine forgets it and the next up recreates it")
}

func diffReq(t *testing.T, olds, news map[string]any) *pulumirpc.DiffRequest {
	return &pulumirpc.DiffRequest{Urn: sqlURN, Id: "id", Olds: providertest.Props(t, olds), News: providertest.Props(t, news), OldInputs: providertest.Props(t, olds)}
}

func TestProviderDiff(t *testing.T) {
	s, _ := startProvider(t)
	ctx := context.Background()
	view := providertest.With(landingMV(), "kind", "view", "holdsData", false, "definition", "", "update", []any{"DROP VIEW IF EXISTS v", "CREATE VIEW v AS SELECT 2"})

	res, err := s.Diff(ctx, diffReq(t, landingMV(), landingMV()))
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, res.GetChanges())

	// An auto-refresh toggle changes the create text but not the definition: update in place.
	toggled := providertest.With(landingMV(), "create", []any{"SET enable_case_sensitive_identifier TO true", "CREATE MATERIALIZED VIEW x AUTO REFRESH NO AS SELECT 1"},
		"update", []any{"ALTER MATERIALIZED VIEW x AUTO REFRESH NO"})
	res, err = s.Diff(ctx, diffReq(t, landingMV(), toggled))
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, res.GetChanges())
	assert.Empty(t, res.GetReplaces())

	// A new definition of a data-holding view is refused...
	redefined := providertest.With(landingMV(), "definition", "SELECT 2")
	_, err = s.Diff(ctx, diffReq(t, landingMV(), redefined))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `materialized-view "kds"."events_landing" (workgroup haina-staging, database haina) holds ingested data and this change (definition) replaces it`)
	assert.Contains(t, err.Error(), "a rebuilt streaming view re-reads only what the stream still retains")
	assert.Contains(t, err.Error(), "pulumi config set --path haina:ingestion.allowDataLoss true")

	// ...unless allowed; then it is a delete-before-replace.
	res, err = s.Diff(ctx, diffReq(t, landingMV(), providertest.With(redefined, "allowDataLoss", true)))
	require.NoError(t, err)
	assert.Equal(t, []string{"definition"}, res.GetReplaces())
	assert.True(t, res.GetDeleteBeforeReplace())

	// A view without data is replaced freely when it has no update statements...
	noUpd := providertest.With(view, "update", []any{})
	res, err = s.Diff(ctx, diffReq(t, noUpd, providertest.With(noUpd, "create", []any{"CREATE VIEW v AS SELECT 3"})))
	require.NoError(t, err)
	assert.Equal(t, []string{"create"}, res.GetReplaces())

	// ...and updated in place when it has them.
	res, err = s.Diff(ctx, diffReq(t, view, providertest.With(view, "create", []any{"CREATE VIEW v AS SELECT 3"})))
	require.NoError(t, err)
	assert.Empty(t, res.GetReplaces())
	assert.Equal(t, []string{"create"}, res.GetDiffs())

	// Moving to another workgroup is a replacement.
	res, err = s.Diff(ctx, diffReq(t, view, providertest.With(view, "workgroupName", "other")))
	require.NoError(t, err)
	assert.Equal(t, []string{"workgroupName"}, res.GetReplaces())
}

func TestProviderUpdate(t *testing.T) {
	s, fake := startProvider(t)
	ctx := context.Background()
	toggled := providertest.With(landingMV(), "create", []any{"CREATE MATERIALIZED VIEW x AUTO REFRESH NO AS SELECT 1"}, "update", []any{"ALTER MATERIALIZED VIEW x AUTO REFRESH NO"})
	_, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: sqlURN, Id: "id", Olds: providertest.Props(t, landingMV()), News: providertest.Props(t, toggled)})
	require.NoError(t, err)
	require.Len(t, fake.Calls(), 1)
	assert.Equal(t, []string{"ALTER MATERIALIZED VIEW x AUTO REFRESH NO"}, fake.Calls()[0].Sqls)

	// Flipping a flag is bookkeeping: no SQL.
	_, err = s.Update(ctx, &pulumirpc.UpdateRequest{Urn: sqlURN, Id: "id", Olds: providertest.Props(t, toggled), News: providertest.Props(t, providertest.With(toggled, "allowDataLoss", true))})
	require.NoError(t, err)
	assert.Len(t, fake.Calls(), 1)
}

func TestProviderDelete(t *testing.T) {
	s, fake := startProvider(t)
	ctx := context.Background()
	_, err := s.Delete(ctx, &pulumirpc.DeleteRequest{Urn: sqlURN, Id: "id", Properties: providertest.Props(t, landingMV())})
	require.NoError(t, err, "staging: unguarded")
	assert.Equal(t, []string{"DROP MATERIALIZED VIEW IF EXISTS x"}, fake.AllSQL())

	guarded := providertest.With(landingMV(), "guardDelete", true)
	_, err = s.Delete(ctx, &pulumirpc.DeleteRequest{Urn: sqlURN, Id: "id", Properties: providertest.Props(t, guarded)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `refusing to drop an object that holds ingested data: materialized-view "kds"."events_landing"`)
	assert.Contains(t, err.Error(), "pulumi config set --path haina:ingestion.allowDataLoss true")
	assert.Len(t, fake.Calls(), 1, "nothing was dropped")

	_, err = s.Delete(ctx, &pulumirpc.DeleteRequest{Urn: sqlURN, Id: "id", Properties: providertest.Props(t, providertest.With(guarded, "allowDataLoss", true))})
	require.NoError(t, err)
	assert.Len(t, fake.Calls(), 2)
}

func TestProviderCheckRejectsIncompleteObjects(t *testing.T) {
	s, _ := startProvider(t)
	bad := providertest.With(landingMV(), "exists", "", "drop", []any{})
	res, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: sqlURN, News: providertest.Props(t, bad)})
	require.NoError(t, err)
	var reasons []string
	for _, f := range res.GetFailures() {
		reasons = append(reasons, f.GetReason())
	}
	assert.Equal(t, []string{"drop needs at least one statement", "exists is required"}, reasons)

	res, err = s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: sqlURN, News: providertest.Props(t, providertest.With(landingMV(), "sql", "x"))})
	require.NoError(t, err)
	require.Len(t, res.GetFailures(), 1)
	assert.Contains(t, res.GetFailures()[0].GetReason(), `unknown field "sql"`)

	// Unknown inputs during preview are not failures.
	unknown := landingMV()
	pm := resource.NewPropertyMapFromMap(unknown)
	pm["workgroupName"] = resource.MakeComputed(resource.NewStringProperty(""))
	st, err := plugin.MarshalProperties(pm, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	res, err = s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: sqlURN, News: st})
	require.NoError(t, err)
	assert.Empty(t, res.GetFailures())
}
