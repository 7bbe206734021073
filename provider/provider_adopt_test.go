package provider_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	"github.com/haina-data/haina/tests/fakeredshift"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const catalogMVCreate = `CREATE MATERIALIZED VIEW "ingest"."landing" AUTO REFRESH NO AS SELECT a FROM "ingest"."src"`

// catalogMV is a data-holding MV the fake catalog runs; it refuses a second
// CREATE MATERIALIZED VIEW with "already exists", as Redshift does.
func catalogMV() map[string]any {
	return map[string]any{
		"workgroupName": "haina-staging", "database": "haina", "kind": "materialized-view", "objectName": `"ingest"."landing"`,
		"definition": "SELECT a",
		"create":     []any{catalogMVCreate},
		"drop":       []any{`DROP MATERIALIZED VIEW IF EXISTS "ingest"."landing"`},
		"exists":     `SELECT 1 FROM svv_mv_info WHERE schema_name = 'ingest' AND name = 'landing'`,
		"holdsData":  true,
	}
}

// startCatalogProvider is the provider against the fake Data API running a
// catalog that holds the MV's schema and table; notes collects what the
// provider tells the user.
func startCatalogProvider(t *testing.T) (*provider.Server, *fakeredshift.Server, func() []string) {
	t.Helper()
	s, fake := startProvider(t)
	fake.Catalog = fakeredshift.NewCatalog()
	for _, q := range []string{`CREATE SCHEMA "ingest"`, `CREATE TABLE "ingest"."src" (a INT)`} {
		_, err := fake.Catalog.Exec(q)
		require.NoError(t, err)
	}
	var mu sync.Mutex
	var notes []string
	s.Log = func(_ context.Context, _, msg string) {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, msg)
	}
	return s, fake, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), notes...)
	}
}

func batchCalls(fake *fakeredshift.Server) [][]string {
	var out [][]string
	for _, c := range fake.Calls() {
		if c.Batch {
			out = append(out, c.Sqls)
		}
	}
	return out
}

// A create that committed while the provider lost track of it (killed, or an
// earlier up that reported a failure) leaves the MV outside the state: the
// next up adopts it instead of failing with "already exists" on every up
// (the only other way out being a drop that loses its data).
func TestProviderAdoptsAnObjectWhoseCreateCommittedUnseen(t *testing.T) {
	s, fake, notes := startCatalogProvider(t)
	_, err := fake.Catalog.Exec(catalogMVCreate) // the earlier up's create, committed
	require.NoError(t, err)

	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, catalogMV())})
	require.NoError(t, err, "adopted, not re-created")
	assert.Equal(t, `haina-staging/haina/"ingest"."landing"`, res.GetId())
	assert.Empty(t, batchCalls(fake), "the create statements did not run")
	assert.Equal(t, []string{catalogMV()["exists"].(string)}, fake.AllSQL(), "only the existence check")
	assert.Contains(t, fake.Catalog.Objects(), "materialized view ingest.landing", "the data stays")
	require.Len(t, notes(), 1)
	assert.Contains(t, notes()[0], `materialized-view "ingest"."landing" (workgroup haina-staging, database haina) already exists: adopted`)
}

// DescribeStatement fails once right after the batch committed. The old
// runner took that for a failed submission and submitted the batch again,
// which failed with "already exists"; the statement's id is known, so it is
// described again instead, and the create succeeds with one batch.
func TestProviderCreateSurvivesADescribeFailureAfterTheCommit(t *testing.T) {
	s, fake, _ := startCatalogProvider(t)
	fake.DescribeFail = fakeredshift.FailDescribeOnceFinished("CREATE MATERIALIZED VIEW", fakeredshift.InternalServerError())
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, catalogMV())})
	require.NoError(t, err)
	assert.Len(t, batchCalls(fake), 1, "submitted once: it may have committed, so it is never resubmitted")
	assert.Contains(t, fake.Catalog.Objects(), "materialized view ingest.landing")
}

// Describing keeps failing once the batch committed: the outcome is unknown,
// so the provider looks the object up, finds it, and reports success.
func TestProviderCreateWhoseOutcomeIsUnknownLooksTheObjectUp(t *testing.T) {
	s, fake, notes := startCatalogProvider(t)
	fake.DescribeFail = func(_ string, sqls []string, status string) *fakeredshift.APIError {
		if status == "FINISHED" && strings.HasPrefix(sqls[0], "CREATE MATERIALIZED VIEW") {
			return fakeredshift.InternalServerError()
		}
		return nil
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, catalogMV())})
	require.NoError(t, err)
	assert.Len(t, batchCalls(fake), 1)
	assert.Contains(t, fake.Catalog.Objects(), "materialized view ingest.landing")
	require.Len(t, notes(), 1)
	assert.Contains(t, notes()[0], "whether it committed is unknown")
	assert.Contains(t, notes()[0], "it exists, so its create committed")

	// The same for a batch that failed unseen: an error that says what is known, and no resubmission.
	s2, fake2, _ := startCatalogProvider(t)
	fake2.DescribeFail = func(_ string, sqls []string, _ string) *fakeredshift.APIError {
		if strings.HasPrefix(sqls[0], "CREATE MATERIALIZED VIEW") {
			return fakeredshift.InternalServerError()
		}
		return nil
	}
	fake2.Fail = func(sql string) string {
		if strings.HasPrefix(sql, "CREATE MATERIALIZED VIEW") {
			return "ERROR: 1023 DETAIL: Serializable isolation violation on table" // would be retried, were it seen
		}
		return ""
	}
	_, err = s2.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, catalogMV())})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "whether it committed is unknown")
	assert.Contains(t, err.Error(), "the next `pulumi up` looks again and adopts it if it does")
	assert.Len(t, batchCalls(fake2), 1)
}

// The timeout's cancel arrives just after the statement finished: Redshift
// refuses the cancel, and the statement's real status (FINISHED) is a success,
// not "cancelling it failed".
func TestProviderCancelThatCameTooLateReportsTheRealOutcome(t *testing.T) {
	s, fake, _ := startCatalogProvider(t)
	fake.Hang, fake.CancelTooLate = true, true
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, providertest.With(catalogMV(), "timeoutSeconds", 1))})
	require.NoError(t, err)
	assert.Empty(t, fake.Cancelled, "every cancel was refused: the statements had ended")
	assert.Len(t, batchCalls(fake), 1)
	assert.Contains(t, fake.Catalog.Objects(), "materialized view ingest.landing")

	// A statement that failed before the late cancel reports its own error.
	s2, fake2, _ := startCatalogProvider(t)
	fake2.Hang, fake2.CancelTooLate = true, true
	fake2.Fail = func(sql string) string {
		if strings.HasPrefix(sql, "CREATE MATERIALIZED VIEW") {
			return `ERROR: permission denied for schema ingest`
		}
		return ""
	}
	_, err = s2.Create(context.Background(), &pulumirpc.CreateRequest{Urn: sqlURN, Properties: providertest.Props(t, providertest.With(catalogMV(), "timeoutSeconds", 1))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "statement 1 of 1 failed: ERROR: permission denied for schema ingest")
}

// stubRDS is an RDS Data API whose calls fail as a test says.
type stubRDS struct {
	execute  func(ctx context.Context) error
	commit   error
	rollback error
}

func (s *stubRDS) ExecuteStatement(ctx context.Context, _ *rdsdata.ExecuteStatementInput, _ ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error) {
	if s.execute != nil {
		if err := s.execute(ctx); err != nil {
			return nil, err
		}
	}
	return &rdsdata.ExecuteStatementOutput{}, nil
}

func (s *stubRDS) BeginTransaction(context.Context, *rdsdata.BeginTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.BeginTransactionOutput, error) {
	return &rdsdata.BeginTransactionOutput{TransactionId: aws.String("tx-1")}, nil
}

func (s *stubRDS) CommitTransaction(context.Context, *rdsdata.CommitTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.CommitTransactionOutput, error) {
	return &rdsdata.CommitTransactionOutput{}, s.commit
}

func (s *stubRDS) RollbackTransaction(context.Context, *rdsdata.RollbackTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.RollbackTransactionOutput, error) {
	return &rdsdata.RollbackTransactionOutput{}, s.rollback
}

var mysqlTarget = provider.Target{ResourceArn: "arn:aws:rds:us-east-1:123456789012:cluster:c", SecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s", Database: "mysql"}

// A CommitTransaction that fails may have been applied: the error says the
// outcome is unknown (and is never taken for a failure to retry).
func TestMySQLCommitFailureIsAnUnknownOutcome(t *testing.T) {
	r := &provider.MySQLRunner{API: &stubRDS{commit: errors.New("connection reset by peer")}}
	err := r.Batch(context.Background(), mysqlTarget, []string{"CREATE DATABASE IF NOT EXISTS x"}, time.Minute)
	require.Error(t, err)
	var unknown *provider.OutcomeUnknownError
	require.ErrorAs(t, err, &unknown)
	assert.Contains(t, err.Error(), "transaction tx-1 on arn:aws:rds:us-east-1:123456789012:cluster:c ran its 1 statement(s), but committing it failed (connection reset by peer); whether it committed is unknown")
}

// A statement past its timeout is rolled back; when the rollback fails too,
// the error no longer claims the transaction was rolled back.
func TestMySQLTimeoutSaysWhetherTheRollbackWorked(t *testing.T) {
	slow := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	r := &provider.MySQLRunner{API: &stubRDS{execute: slow, rollback: errors.New("transaction tx-1 is not found")}}
	err := r.Batch(context.Background(), mysqlTarget, []string{"ALTER TABLE t ADD COLUMN c INT"}, 50*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "statement 1 of 1 did not finish within 50ms")
	assert.NotContains(t, err.Error(), "was rolled back")
	assert.Contains(t, err.Error(), "rolling the transaction back failed (transaction tx-1 is not found)")

	r = &provider.MySQLRunner{API: &stubRDS{execute: slow}}
	err = r.Batch(context.Background(), mysqlTarget, []string{"ALTER TABLE t ADD COLUMN c INT"}, 50*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not finish within 50ms; the transaction was rolled back")
}
