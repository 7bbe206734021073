package fakeredshift_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/aws/smithy-go"
	"github.com/haina-data/haina/tests/fakeredshift"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rs is a fake with a catalog, reached through the real SDK client.
type rs struct {
	t      *testing.T
	fake   *fakeredshift.Server
	client *redshiftdata.Client
}

func start(t *testing.T, opts ...func(*redshiftdata.Options)) *rs {
	fake := fakeredshift.Start()
	t.Cleanup(fake.Close)
	fake.Catalog = fakeredshift.NewCatalog()
	client := redshiftdata.New(redshiftdata.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(fake.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}, opts...)
	return &rs{t, fake, client}
}

// result is how a submission ended.
type result struct {
	Status string
	Error  string
	Rows   int64
	Subs   []string // sub-statement statuses of a batch
	SubErr string   // the failing sub-statement's error
}

func (r *rs) wait(id *string) result {
	r.t.Helper()
	for range 10 {
		d, err := r.client.DescribeStatement(context.Background(), &redshiftdata.DescribeStatementInput{Id: id})
		require.NoError(r.t, err)
		if d.Status == "STARTED" {
			continue
		}
		res := result{Status: string(d.Status), Error: aws.ToString(d.Error), Rows: d.ResultRows}
		for _, s := range d.SubStatements {
			res.Subs = append(res.Subs, string(s.Status))
			if s.Error != nil {
				res.SubErr = *s.Error
			}
		}
		return res
	}
	r.t.Fatal("statement never ended")
	return result{}
}

// exec runs one statement (ExecuteStatement).
func (r *rs) exec(sql string) result {
	r.t.Helper()
	out, err := r.client.ExecuteStatement(context.Background(), &redshiftdata.ExecuteStatementInput{
		Sql: aws.String(sql), WorkgroupName: aws.String("wg"), Database: aws.String("dev"),
	})
	require.NoError(r.t, err)
	return r.wait(out.Id)
}

// batch runs statements as one transaction (BatchExecuteStatement).
func (r *rs) batch(sqls ...string) result {
	r.t.Helper()
	out, err := r.client.BatchExecuteStatement(context.Background(), &redshiftdata.BatchExecuteStatementInput{
		Sqls: sqls, WorkgroupName: aws.String("wg"), Database: aws.String("dev"),
	})
	require.NoError(r.t, err)
	return r.wait(out.Id)
}

func (r *rs) ok(res result) {
	r.t.Helper()
	require.Equal(r.t, "FINISHED", res.Status, res.Error)
}

// failed asserts a single statement failed with msg.
func (r *rs) failed(res result, msg string) {
	r.t.Helper()
	assert.Equal(r.t, "FAILED", res.Status)
	assert.Equal(r.t, msg, res.Error)
}

// batchFailed asserts a batch failed at statement i with msg.
func (r *rs) batchFailed(res result, i int, msg string) {
	r.t.Helper()
	assert.Equal(r.t, "FAILED", res.Status)
	assert.Equal(r.t, msg, res.Error)
	assert.Equal(r.t, msg, res.SubErr)
	require.Greater(r.t, len(res.Subs), i)
	assert.Equal(r.t, "FAILED", res.Subs[i])
}

const (
	schema     = `CREATE SCHEMA IF NOT EXISTS "ingest"`
	kinesis    = "CREATE EXTERNAL SCHEMA IF NOT EXISTS \"kds\"\nFROM KINESIS\nIAM_ROLE default"
	landing    = "CREATE MATERIALIZED VIEW \"ingest\".\"events_landing\"\nDISTKEY(partition_key)\nSORTKEY(approximate_arrival_timestamp)\nAUTO REFRESH YES\nAS\nSELECT\n    approximate_arrival_timestamp,\n    CASE WHEN CAN_JSON_PARSE(kinesis_data) THEN JSON_PARSE(kinesis_data) END AS payload\nFROM \"kds\".\"haina-staging-events\""
	rollupYes  = "CREATE MATERIALIZED VIEW \"ingest\".\"events_per_minute\"\nAUTO REFRESH YES\nAS\nSELECT DATE_TRUNC('minute', approximate_arrival_timestamp) AS minute, COUNT(*) AS events\nFROM \"ingest\".\"events_landing\"\nWHERE payload IS NOT NULL\nGROUP BY DATE_TRUNC('minute', approximate_arrival_timestamp)"
	rollupNo   = "CREATE MATERIALIZED VIEW \"ingest\".\"events_per_minute\"\nAUTO REFRESH NO\nAS\nSELECT DATE_TRUNC('minute', approximate_arrival_timestamp) AS minute, COUNT(*) AS events\nFROM \"ingest\".\"events_landing\"\nWHERE payload IS NOT NULL\nGROUP BY DATE_TRUNC('minute', approximate_arrival_timestamp)"
	eventsView = "CREATE VIEW \"ingest\".\"events\" AS\nSELECT CAST(payload.\"event_name\" AS VARCHAR(64)) AS event_name\nFROM \"ingest\".\"events_landing\"\nWHERE payload IS NOT NULL"
	mvExists   = `SELECT 1 FROM svv_mv_info WHERE TRIM(schema_name) = 'ingest' AND TRIM(name) = 'events_per_minute'`
)

func TestCatalogRule1AutoRefreshOnAnotherMV(t *testing.T) {
	r := start(t)
	r.ok(r.batch(schema, kinesis, landing))
	const msg = "ERROR: Auto-refresh is not supported for materialized views defined on other materialized views."
	r.batchFailed(r.batch(rollupYes), 0, msg)
	assert.Equal(t, int64(0), r.exec(mvExists).Rows, "the failed create left nothing")

	r.ok(r.batch(rollupNo))
	assert.Equal(t, int64(1), r.exec(mvExists).Rows)
	r.failed(r.exec(`ALTER MATERIALIZED VIEW "ingest"."events_per_minute" AUTO REFRESH YES`), msg)
	r.ok(r.exec(`ALTER MATERIALIZED VIEW "ingest"."events_per_minute" AUTO REFRESH NO`))
	r.ok(r.exec(`ALTER MATERIALIZED VIEW "ingest"."events_landing" AUTO REFRESH NO`))
	r.ok(r.exec(`REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE`))
}

func TestCatalogRule2SchemaMustExist(t *testing.T) {
	r := start(t)
	r.batchFailed(r.batch(`CREATE TABLE IF NOT EXISTS "nope"."t" (a INT)`), 0, `ERROR: schema "nope" does not exist`)
	r.failed(r.exec(`DROP SCHEMA "nope"`), `ERROR: schema "nope" does not exist`)
	r.ok(r.exec(`DROP SCHEMA IF EXISTS "nope"`))
	r.batchFailed(r.batch(`CREATE OR REPLACE PROCEDURE nope.p() AS $$ BEGIN END; $$ LANGUAGE plpgsql`), 0, `ERROR: schema "nope" does not exist`)
	r.ok(r.batch(`CREATE SCHEMA "s"`, `CREATE TABLE "s"."t" (a INT)`))
}

func TestCatalogRule3RelationMustExist(t *testing.T) {
	r := start(t)
	r.ok(r.exec(schema))
	r.batchFailed(r.batch(eventsView), 0, `ERROR: relation "ingest.events_landing" does not exist`)
	r.batchFailed(r.batch(rollupNo), 0, `ERROR: relation "ingest.events_landing" does not exist`)
	r.failed(r.exec(`DELETE FROM "ingest"."offsets" WHERE target_table = 'x'`), `ERROR: relation "ingest.offsets" does not exist`)
	r.failed(r.exec(`GRANT SELECT ON "ingest"."t" TO ROLE "r"`), `ERROR: relation "ingest.t" does not exist`)
	r.failed(r.exec(`COPY "ingest"."t" (a) FROM 's3://b/p/' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT JSON 'auto'`), `ERROR: relation "ingest.t" does not exist`)
	r.failed(r.exec(`CALL "ingest"."apply"()`), `ERROR: procedure ingest.apply() does not exist`)
	r.failed(r.exec(`GRANT EXECUTE ON PROCEDURE "ingest"."apply"() TO ROLE "r"`), `ERROR: procedure ingest.apply() does not exist`)

	// A late-binding view checks nothing.
	r.ok(r.exec(`CREATE VIEW "ingest"."late" AS SELECT * FROM "ingest"."nothing" WITH NO SCHEMA BINDING`))
	// Expressions (EXTRACT … FROM), CTEs and subqueries name no relation of their own.
	r.ok(r.batch(`CREATE TABLE "ingest"."src" (ts TIMESTAMP)`,
		`CREATE VIEW "ingest"."v" AS WITH recent AS (SELECT ts FROM "ingest"."src") SELECT EXTRACT(epoch FROM r.ts) AS e FROM recent r JOIN (SELECT ts FROM "ingest"."src") s ON s.ts = r.ts, "ingest"."src" x`))
	r.failed(r.exec(`DROP TABLE "ingest"."src"`), "ERROR: cannot drop table ingest.src because other objects depend on it")
	// Success: the table exists.
	r.ok(r.batch(`CREATE TABLE "ingest"."offsets" (target_table VARCHAR(127))`, `DELETE FROM "ingest"."offsets" WHERE target_table = 'x'`))
}

func TestCatalogRule4StreamAndTopicMustExist(t *testing.T) {
	r := start(t)
	r.fake.Catalog.StreamExists = func(name string) bool { return name == "haina-staging-events" }
	r.fake.Catalog.TopicExists = func(topic string) bool { return topic == "cdc.salesdb.CUSTOMER" }
	r.ok(r.batch(schema, kinesis))
	r.batchFailed(r.batch(`CREATE MATERIALIZED VIEW "ingest"."l2" AUTO REFRESH YES AS SELECT kinesis_data FROM "kds"."other-stream"`), 0,
		`ERROR: Kinesis stream "other-stream" does not exist or is not accessible`)
	r.ok(r.batch(landing))

	r.ok(r.exec("CREATE EXTERNAL SCHEMA IF NOT EXISTS \"msk\"\nFROM MSK\nIAM_ROLE default\nAUTHENTICATION iam\nCLUSTER_ARN 'arn:aws:kafka:us-east-1:1:cluster/c/x'"))
	r.batchFailed(r.batch(`CREATE MATERIALIZED VIEW "ingest"."c1" AUTO REFRESH YES AS SELECT kafka_value FROM "msk"."cdc.salesdb.ORDERS"`), 0,
		`ERROR: Kafka topic "cdc.salesdb.ORDERS" does not exist or is not accessible`)
	r.ok(r.batch(`CREATE MATERIALIZED VIEW "ingest"."c1" SORTKEY(kafka_partition, kafka_offset) AUTO REFRESH YES AS SELECT kafka_value FROM "msk"."cdc.salesdb.CUSTOMER"`))
	assert.Equal(t, int64(1), r.exec(`SELECT 1 FROM svv_external_schemas WHERE schemaname = 'msk'`).Rows)
}

func TestCatalogRule5NotInATransactionBlock(t *testing.T) {
	r := start(t)
	r.ok(r.batch(`CREATE SCHEMA "s"`, `CREATE TABLE "s"."t" (a INT)`))
	copyJob := "COPY \"s\".\"t\" (a)\nFROM 's3://bucket/events/'\nIAM_ROLE 'arn:aws:iam::123456789012:role/copy'\nFORMAT JSON 'auto ignorecase'\nGZIP\nTIMEFORMAT 'auto'\nJOB CREATE \"haina_events\"\nAUTO ON"
	r.batchFailed(r.batch(copyJob), 0, "ERROR: COPY JOB CREATE cannot run inside a transaction block")
	r.failed(r.exec(`COPY "s"."t" (a) FROM 's3://bucket/events/' IAM_ROLE default FORMAT JSON 'auto' JOB CREATE "j2" AUTO ON`),
		"ERROR: IAM_ROLE default is not supported for COPY JOB; specify an IAM role ARN")
	r.ok(r.exec(copyJob))
	assert.Equal(t, int64(1), r.exec(`SELECT 1 FROM sys_copy_job WHERE job_name = 'haina_events'`).Rows)
	r.failed(r.exec(copyJob), `ERROR: COPY JOB "haina_events" already exists`)
	r.batchFailed(r.batch(`COPY JOB DROP "haina_events"`), 0, "ERROR: COPY JOB DROP cannot run inside a transaction block")
	r.ok(r.exec(`COPY JOB DROP "haina_events"`))
	assert.Equal(t, int64(0), r.exec(`SELECT 1 FROM sys_copy_job WHERE job_name = 'haina_events'`).Rows)

	// A plain COPY may run in a transaction.
	r.ok(r.batch(`COPY "s"."t" (a) FROM 's3://bucket/x' IAM_ROLE default FORMAT JSON 'auto'`))

	zeroETL := `CREATE DATABASE "aurora" FROM INTEGRATION '99e3b9ad-3b5a-4b2b-9c1b-8e0c5f0c1d2e' DATABASE "salesdb"`
	r.batchFailed(r.batch(zeroETL), 0, "ERROR: CREATE DATABASE cannot run inside a transaction block")
	r.ok(r.exec(zeroETL))
	r.failed(r.exec(zeroETL), `ERROR: database "aurora" already exists`)
	r.batchFailed(r.batch(`DROP DATABASE "aurora"`), 0, "ERROR: DROP DATABASE cannot run inside a transaction block")
	r.ok(r.exec(`DROP DATABASE "aurora"`))
}

// A zero-ETL destination: created from an integration that exists, found in
// svv_redshift_databases, not dropped while its integration exists.
func TestCatalogZeroETLDatabase(t *testing.T) {
	r := start(t)
	live := map[string]bool{"99e3b9ad-3b5a-4b2b-9c1b-8e0c5f0c1d2e": true}
	r.fake.Catalog.IntegrationExists = func(id string) bool { return live[id] }
	r.failed(r.exec(`CREATE DATABASE "cdc" FROM INTEGRATION 'not-an-id'`), `ERROR: invalid integration id "not-an-id"`)
	r.failed(r.exec(`CREATE DATABASE "cdc" FROM INTEGRATION '00000000-0000-4000-8000-000000000000'`),
		`ERROR: integration "00000000-0000-4000-8000-000000000000" does not exist`)
	exists := `SELECT 1 FROM svv_redshift_databases WHERE database_name = 'cdc'`
	assert.Equal(t, int64(0), r.exec(exists).Rows)
	r.ok(r.exec(`CREATE DATABASE "cdc" FROM INTEGRATION '99e3b9ad-3b5a-4b2b-9c1b-8e0c5f0c1d2e'`))
	assert.Equal(t, int64(1), r.exec(exists).Rows)
	r.failed(r.exec(`DROP DATABASE "cdc"`), `ERROR: cannot drop database "cdc": it is the destination of integration 99e3b9ad-3b5a-4b2b-9c1b-8e0c5f0c1d2e; delete the integration first`)
	live["99e3b9ad-3b5a-4b2b-9c1b-8e0c5f0c1d2e"] = false // deleted: the database stays, and may go now
	assert.Equal(t, int64(1), r.exec(exists).Rows)
	r.ok(r.exec(`DROP DATABASE "cdc"`))
	assert.Equal(t, int64(0), r.exec(exists).Rows)
}

func TestCatalogRule6DropWithDependents(t *testing.T) {
	r := start(t)
	r.ok(r.batch(schema, kinesis, landing, rollupNo, eventsView))
	r.failed(r.exec(`DROP MATERIALIZED VIEW IF EXISTS "ingest"."events_landing"`),
		"ERROR: cannot drop materialized view ingest.events_landing because other objects depend on it")
	r.failed(r.exec(`DROP SCHEMA IF EXISTS "ingest"`), "ERROR: cannot drop schema ingest because other objects depend on it")
	r.failed(r.exec(`DROP SCHEMA IF EXISTS "kds"`), "ERROR: cannot drop schema kds because other objects depend on it")
	r.failed(r.exec(`DROP VIEW "ingest"."events_landing"`), `ERROR: "events_landing" is not a view`)
	r.failed(r.exec(`DROP TABLE "ingest"."nothing"`), `ERROR: table "nothing" does not exist`)

	r.ok(r.exec(`DROP MATERIALIZED VIEW "ingest"."events_landing" CASCADE`))
	assert.Equal(t, []string{"external schema kds (FROM KINESIS)", "schema ingest"}, r.fake.Catalog.Objects(),
		"CASCADE dropped the rollup and the view with the landing MV")
	r.ok(r.batch(`DROP SCHEMA IF EXISTS "kds"`, `DROP SCHEMA IF EXISTS "ingest"`))
	assert.Empty(t, r.fake.Catalog.Objects())
}

func TestCatalogRule7AlreadyExists(t *testing.T) {
	r := start(t)
	r.ok(r.exec(`CREATE SCHEMA "s"`))
	r.failed(r.exec(`CREATE SCHEMA "s"`), `ERROR: schema "s" already exists`)
	r.ok(r.exec(`CREATE SCHEMA IF NOT EXISTS "s"`))
	r.ok(r.exec(`CREATE TABLE "s"."t" (a INT)`))
	r.failed(r.exec(`CREATE TABLE "s"."t" (a INT)`), `ERROR: relation "t" already exists`)
	r.ok(r.exec(`CREATE TABLE IF NOT EXISTS "s"."t" (a INT) DISTSTYLE ALL SORTKEY (a)`))
	r.failed(r.exec(`CREATE VIEW "s"."t" AS SELECT a FROM "s"."t"`), `ERROR: relation "t" already exists`)
	r.ok(r.exec(`CREATE ROLE "r"`))
	r.failed(r.exec(`CREATE ROLE "r"`), `ERROR: role "r" already exists`)

	proc := "PROCEDURE \"s\".\"p\"()\nAS $$\nBEGIN\n    DELETE FROM x; -- a ; inside the body\nEND;\n$$ LANGUAGE plpgsql\nSECURITY DEFINER"
	r.ok(r.exec("CREATE " + proc))
	r.failed(r.exec("CREATE "+proc), `ERROR: procedure "p" already exists with same argument types`)
	r.ok(r.batch("CREATE OR REPLACE "+proc, `GRANT EXECUTE ON PROCEDURE "s"."p"() TO ROLE "r"`, `GRANT USAGE ON SCHEMA "s" TO ROLE "r"`))
	r.ok(r.exec(`CALL "s"."p"()`))
	assert.Equal(t, int64(1), r.exec(`SELECT 1 FROM pg_proc_info p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 's' AND p.proname = 'p'`).Rows)
	r.failed(r.exec(`GRANT USAGE ON SCHEMA "s" TO ROLE "nobody"`), `ERROR: role "nobody" does not exist`)
}

func TestCatalogBatchIsAllOrNothing(t *testing.T) {
	r := start(t)
	res := r.batch(`CREATE SCHEMA "a"`, `CREATE TABLE "a"."t" (x INT)`, `CREATE TABLE "b"."t" (x INT)`, `CREATE ROLE "r"`)
	r.batchFailed(res, 2, `ERROR: schema "b" does not exist`)
	assert.Equal(t, []string{"FINISHED", "FINISHED", "FAILED", "ABORTED"}, res.Subs)
	assert.Empty(t, r.fake.Catalog.Objects(), "nothing of the failed batch applied")
	assert.Equal(t, int64(0), r.exec(`SELECT 1 FROM pg_namespace WHERE nspname = 'a'`).Rows)
}

func TestCatalogExistenceQueries(t *testing.T) {
	r := start(t)
	r.ok(r.batch(schema, kinesis, landing, rollupNo, eventsView,
		`CREATE TABLE IF NOT EXISTS "ingest"."it's" (a INT)`, `CREATE ROLE "haina_refresh"`,
		`CREATE OR REPLACE PROCEDURE "ingest"."refresh"() AS $$ BEGIN END; $$ LANGUAGE plpgsql`))
	for q, want := range map[string]int64{
		`SELECT 1 FROM svv_mv_info WHERE TRIM(schema_name) = 'ingest' AND TRIM(name) = 'events_landing'`:                                  1,
		`SELECT 1 FROM svv_mv_info WHERE TRIM(schema_name) = 'ingest' AND TRIM(name) = 'events'`:                                          0,
		`SELECT 1 FROM svv_tables WHERE table_schema = 'ingest' AND table_name = 'events' AND table_type = 'VIEW'`:                        1,
		`SELECT 1 FROM svv_tables WHERE table_schema = 'ingest' AND table_name = 'events' AND table_type = 'BASE TABLE'`:                  0,
		`SELECT 1 FROM svv_tables WHERE table_schema = 'ingest' AND table_name = 'it''s' AND table_type = 'BASE TABLE'`:                   1,
		`SELECT 1 FROM svv_external_schemas WHERE schemaname = 'kds'`:                                                                     1,
		`SELECT 1 FROM svv_external_schemas WHERE schemaname = 'ingest'`:                                                                  0,
		`SELECT 1 FROM pg_namespace WHERE nspname = 'ingest'`:                                                                             1,
		`SELECT 1 FROM pg_namespace WHERE nspname = 'Ingest'`:                                                                             0,
		`SELECT 1 FROM sys_copy_job WHERE job_name = 'j'`:                                                                                 0,
		`SELECT 1 FROM svv_roles WHERE role_name = 'haina_refresh'`:                                                                       1,
		`SELECT 1 FROM pg_proc_info p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ingest' AND p.proname = 'refresh'`: 1,
		`SELECT 1 FROM pg_proc_info p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ingest' AND p.proname = 'events'`:  0,
	} {
		res := r.exec(q)
		r.ok(res)
		assert.Equal(t, want, res.Rows, q)
	}
	// Rows, when set, still answers.
	r.fake.Rows = func(string) int64 { return 7 }
	assert.Equal(t, int64(7), r.exec(`SELECT 1 FROM svv_roles WHERE role_name = 'x'`).Rows)
}

func TestCatalogRefusesWhatItDoesNotUnderstand(t *testing.T) {
	r := start(t)
	r.failed(r.exec("VACUUM   \"s\".\"t\"\nTO 100 PERCENT"), `fake Redshift does not understand: VACUUM "s"."t" TO 100 PERCENT`)
	r.failed(r.exec(`SELECT * FROM stv_recents`), `fake Redshift does not understand: SELECT * FROM stv_recents`)
	r.batchFailed(r.batch(`CREATE SCHEMA "s"`, `CREATE TABLE "s"."t" AS SELECT 1`), 1, `fake Redshift does not understand: CREATE TABLE "s"."t" AS SELECT 1`)
	r.failed(r.exec(`COPY JOB RUN "j"`), `fake Redshift does not understand: COPY JOB RUN "j"`)
}

func TestCatalogFailTakesPrecedence(t *testing.T) {
	r := start(t)
	r.fake.Fail = func(sql string) string { return "ERROR: injected" }
	r.failed(r.exec(`CREATE SCHEMA "s"`), "ERROR: injected")
	assert.Empty(t, r.fake.Catalog.Objects())
}

func TestTransientStatementFailure(t *testing.T) {
	r := start(t)
	r.fake.Transient = fakeredshift.FailFirst(`CREATE SCHEMA`, 2, fakeredshift.SerializableIsolationViolation)
	for range 2 {
		r.batchFailed(r.batch(`CREATE SCHEMA "s"`, `CREATE TABLE "s"."t" (a INT)`), 0, fakeredshift.SerializableIsolationViolation)
		assert.Empty(t, r.fake.Catalog.Objects())
	}
	r.ok(r.batch(`CREATE SCHEMA "s"`, `CREATE TABLE "s"."t" (a INT)`))
	assert.Equal(t, []string{"schema s", "table s.t"}, r.fake.Catalog.Objects())
}

func TestRefusedAPICall(t *testing.T) {
	r := start(t, func(o *redshiftdata.Options) { o.Retryer = aws.NopRetryer{} })
	r.fake.Refuse = func(sqls []string, attempt int) *fakeredshift.APIError {
		if attempt == 1 {
			return fakeredshift.ActiveStatementsExceeded()
		}
		return nil
	}
	_, err := r.client.BatchExecuteStatement(context.Background(), &redshiftdata.BatchExecuteStatementInput{
		Sqls: []string{`CREATE SCHEMA "s"`}, WorkgroupName: aws.String("wg"), Database: aws.String("dev"),
	})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "ActiveStatementsExceededException", ae.ErrorCode())
	assert.Equal(t, "The number of active statements exceeds the limit.", ae.ErrorMessage())
	r.ok(r.batch(`CREATE SCHEMA "s"`))

	// The SDK's own retryer gets past a throttled call: two calls reach the fake.
	r2 := start(t)
	r2.fake.Refuse = func(sqls []string, attempt int) *fakeredshift.APIError {
		if attempt == 1 {
			return fakeredshift.Throttling()
		}
		return nil
	}
	r2.ok(r2.exec(`CREATE SCHEMA "s"`))
	assert.Len(t, r2.fake.Calls(), 2)
}

func TestCatalogAltersOnlyKafkaSchemas(t *testing.T) {
	c := fakeredshift.NewCatalog()
	for _, q := range []string{
		`CREATE EXTERNAL SCHEMA "kds" FROM KINESIS IAM_ROLE default`,
		`CREATE EXTERNAL SCHEMA "cdc_msk" FROM KAFKA IAM_ROLE default AUTHENTICATION iam URI 'b-1:9098'`,
		`ALTER EXTERNAL SCHEMA "cdc_msk" URI 'b-1:9098,b-2:9098'`,
	} {
		_, err := c.Exec(q)
		require.NoError(t, err, q)
	}
	_, err := c.Exec(`ALTER EXTERNAL SCHEMA "kds" URI 'x'`)
	assert.ErrorContains(t, err, `not supported for schema "kds" (FROM KINESIS)`)
	_, err = c.Exec(`ALTER EXTERNAL SCHEMA "nope" URI 'x'`)
	assert.ErrorContains(t, err, `schema "nope" does not exist`)
}

// Database users: created without a password (temporary credentials only),
// given an existing role, found in pg_user, dropped.
func TestCatalogUsers(t *testing.T) {
	r := start(t)
	r.failed(r.exec(`GRANT ROLE "r" TO "u"`), `ERROR: role "r" does not exist`)
	r.ok(r.exec(`CREATE ROLE "r"`))
	r.failed(r.exec(`GRANT ROLE "r" TO "u"`), `ERROR: user "u" does not exist`)
	r.ok(r.batch(`CREATE USER "u" PASSWORD DISABLE`, `GRANT ROLE "r" TO "u"`))
	r.failed(r.exec(`CREATE USER "u" PASSWORD DISABLE`), `ERROR: user "u" already exists`)
	assert.Equal(t, int64(1), r.exec(`SELECT 1 FROM pg_user WHERE usename = 'u'`).Rows)
	r.ok(r.exec(`DROP USER IF EXISTS "u"`))
	assert.Equal(t, int64(0), r.exec(`SELECT 1 FROM pg_user WHERE usename = 'u'`).Rows)
	r.failed(r.exec(`DROP USER "u"`), `ERROR: user "u" does not exist`)
	r.ok(r.exec(`DROP USER IF EXISTS "u"`))
}

// The Data API addresses a workgroup or a cluster: both, or neither, is refused.
func TestDataAPIWantsAWorkgroupOrACluster(t *testing.T) {
	r := start(t)
	for _, in := range []*redshiftdata.ExecuteStatementInput{
		{Sql: aws.String("SELECT 1"), Database: aws.String("dev")},
		{Sql: aws.String("SELECT 1"), Database: aws.String("dev"), WorkgroupName: aws.String("wg"), ClusterIdentifier: aws.String("cl")},
	} {
		_, err := r.client.ExecuteStatement(context.Background(), in)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "one of WorkgroupName or ClusterIdentifier")
	}
	out, err := r.client.ExecuteStatement(context.Background(), &redshiftdata.ExecuteStatementInput{
		Sql: aws.String(`CREATE SCHEMA "s"`), Database: aws.String("dev"), ClusterIdentifier: aws.String("cl")})
	require.NoError(t, err)
	r.ok(r.wait(out.Id))
}

// Grants: SELECT to a role and system roles to a role are kept, seen in
// svv_relation_privileges, revoked, and gone with the relation or role they
// name, so a relation created again has none until granted again.
func TestCatalogGrants(t *testing.T) {
	r := start(t)
	r.failed(r.exec(`GRANT SELECT ON "ingest"."landing" TO ROLE "health"`), `ERROR: relation "ingest.landing" does not exist`)
	r.ok(r.batch(`CREATE SCHEMA "ingest"`, `CREATE TABLE "ingest"."landing" (a INT)`))
	r.failed(r.exec(`GRANT SELECT ON "ingest"."landing" TO ROLE "health"`), `ERROR: role "health" does not exist`)
	r.ok(r.exec(`CREATE ROLE "health"`))
	r.failed(r.exec(`GRANT ROLE "sys:nobody" TO ROLE "health"`), `ERROR: role "sys:nobody" does not exist`)
	// Written bare, as AWS's pages write it, :monitor reads as a named parameter of the Data API.
	_, err := r.client.ExecuteStatement(context.Background(), &redshiftdata.ExecuteStatementInput{
		WorkgroupName: aws.String("w"), Database: aws.String("d"), Sql: aws.String(`GRANT ROLE sys:monitor TO ROLE "health"`)})
	assert.ErrorContains(t, err, "the SQL names :monitor and no parameter gives it")
	r.ok(r.batch(`GRANT SELECT ON "ingest"."landing" TO ROLE "health"`, `GRANT ROLE "sys:monitor" TO ROLE "health"`))
	r.ok(r.exec(`GRANT USAGE ON SCHEMA "ingest" TO ROLE "health"`))
	assert.Contains(t, r.fake.Catalog.Grants(), "USAGE ON SCHEMA ingest TO health")
	r.ok(r.exec(`REVOKE USAGE ON SCHEMA "ingest" FROM ROLE "health"`))
	exists := `SELECT 1 FROM svv_relation_privileges WHERE namespace_name = 'ingest' AND relation_name = 'landing' AND identity_name = 'health' AND privilege_type = 'SELECT'`
	assert.Equal(t, int64(1), r.exec(exists).Rows)
	assert.Equal(t, []string{"ROLE sys:monitor TO health", "SELECT ON ingest.landing TO health"}, r.fake.Catalog.Grants())
	r.ok(r.batch(`REVOKE ROLE "sys:monitor" FROM ROLE "health"`, `REVOKE SELECT ON "ingest"."landing" FROM ROLE "health"`))
	assert.Equal(t, int64(0), r.exec(exists).Rows)
	assert.Empty(t, r.fake.Catalog.Grants())

	r.ok(r.exec(`GRANT SELECT ON "ingest"."landing" TO ROLE "health"`))
	r.ok(r.batch(`DROP TABLE "ingest"."landing"`, `CREATE TABLE "ingest"."landing" (a INT)`))
	assert.Equal(t, int64(0), r.exec(exists).Rows, "a relation created again starts without grants")
	r.ok(r.batch(`GRANT SELECT ON "ingest"."landing" TO ROLE "health"`, `GRANT ROLE sys:monitor TO ROLE "health"`))
	r.ok(r.exec(`DROP ROLE "health" FORCE`))
	assert.Empty(t, r.fake.Catalog.Grants(), "a dropped role's grants go with it")
}
