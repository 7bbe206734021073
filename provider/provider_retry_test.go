package provider_test

import (
	"context"
	"strings"
	"testing"

	"github.com/haina-data/haina/provider/providertest"
	"github.com/haina-data/haina/tests/fakeredshift"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two catalog changes at once can make Redshift abort one of them (error 1023);
// the whole batch rolled back, so the provider tries it again, and says so.
func TestProviderRetriesASerializableIsolationViolation(t *testing.T) {
	s, fake := startProvider(t)
	fake.Transient = fakeredshift.FailFirst("CREATE MATERIALIZED VIEW", 2, fakeredshift.SerializableIsolationViolation)
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV())})
	require.NoError(t, err)
	batches := 0
	for _, c := range fake.Calls() {
		if c.Batch {
			batches++
		}
	}
	assert.Equal(t, 3, batches, "two aborted tries, then the one that committed")
}

func TestProviderGivesUpAfterBoundedRetriesNamingThem(t *testing.T) {
	s, fake := startProvider(t)
	fake.Transient = fakeredshift.FailFirst("CREATE MATERIALIZED VIEW", 100, fakeredshift.SerializableIsolationViolation)
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV())})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gave up after 5 attempts, each failing transiently")
	assert.Contains(t, err.Error(), "Serializable isolation violation")
	assert.Len(t, fake.Calls(), 1+5, "the existence check, then five tries")
}

// A real SQL error is the user's to fix: tried once, reported with Redshift's words.
func TestProviderNeverRetriesARealSQLError(t *testing.T) {
	s, fake := startProvider(t)
	fake.Fail = func(sql string) string {
		if strings.Contains(sql, "CREATE MATERIALIZED VIEW") {
			return `ERROR: syntax error at or near "AUTO"`
		}
		return ""
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV())})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `syntax error at or near "AUTO"`)
	assert.NotContains(t, err.Error(), "attempt")
	assert.Len(t, fake.Calls(), 1+1, "the existence check, then one try")
}

// A busy workgroup refuses the call itself; nothing ran, so it is submitted again.
func TestProviderRetriesABusyWorkgroup(t *testing.T) {
	s, fake := startProvider(t)
	fake.Refuse = func(_ []string, attempt int) *fakeredshift.APIError {
		if attempt <= 2 {
			return fakeredshift.ActiveStatementsExceeded()
		}
		return nil
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, landingMV())})
	require.NoError(t, err)
	assert.Len(t, fake.Calls(), 3+3, "the existence check and the create, each refused twice")
}

// COPY JOB CREATE cannot run inside a transaction block: a non-transactional
// object runs each statement on its own (ExecuteStatement), in order; the fake
// catalog refuses the same statement in a batch, as Redshift does.
func TestProviderRunsANonTransactionalObjectStatementByStatement(t *testing.T) {
	s, fake := startProvider(t)
	fake.Catalog = fakeredshift.NewCatalog()
	for _, q := range []string{`CREATE SCHEMA "ingest"`, `CREATE TABLE "ingest"."events_history" (event_time TIMESTAMPTZ, event_name VARCHAR(64), "user" INTEGER)`} {
		_, err := fake.Catalog.Exec(q)
		require.NoError(t, err)
	}
	job := map[string]any{
		"workgroupName": "haina-staging", "database": "haina", "kind": "copy-job", "objectName": `"haina_staging_events_history"`,
		"create": []any{`COPY "ingest"."events_history" (event_time, event_name, "user") FROM 's3://bucket/redshift-events/' ` +
			`IAM_ROLE 'arn:aws:iam::123456789012:role/r' FORMAT JSON 'auto ignorecase' GZIP TIMEFORMAT 'auto' JOB CREATE "haina_staging_events_history" AUTO ON`},
		"drop":   []any{`COPY JOB DROP "haina_staging_events_history"`},
		"exists": "SELECT 1 FROM sys_copy_job WHERE job_name = 'haina_staging_events_history'",
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, job)})
	require.Error(t, err, "in one transaction, as every object ran before")
	assert.Contains(t, err.Error(), "cannot run inside a transaction block")

	job["nonTransactional"] = true
	_, err = s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, job)})
	require.NoError(t, err)
	last := fake.Calls()[len(fake.Calls())-1]
	assert.False(t, last.Batch, "ExecuteStatement, not BatchExecuteStatement")
	_, err = s.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: sqlURN, Properties: providertest.Props(t, job)})
	require.NoError(t, err)
	assert.Equal(t, []string{"schema ingest", "table ingest.events_history"}, fake.Catalog.Objects(), "the job is gone, the table stays")
}
