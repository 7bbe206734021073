// Package e2e proves the program through the real Pulumi engine, offline: the
// Pulumi CLI built from the Go module proxy, the real Pulumi.yaml and stack
// files, haina's own provider running for real against fake Redshift Data,
// RDS Data, Secrets Manager and S3 APIs and a fake release server, and fake
// aws/random providers in a temporary PULUMI_HOME.
package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/deploy"
	"github.com/haina-data/haina/tests/fakelogs"
	"github.com/haina-data/haina/tests/fakeprovider"
	"github.com/haina-data/haina/tests/fakerdsdata"
	"github.com/haina-data/haina/tests/fakeredshift"
	"github.com/haina-data/haina/tests/fakereleases"
	"github.com/haina-data/haina/tests/fakes3"
	"github.com/haina-data/haina/tests/fakesecrets"
	"github.com/haina-data/haina/tests/harness"
	"github.com/haina-data/haina/tests/iameval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

const cliVersion = "v3.259.0"

// engine is what every stack test shares: the CLI, PULUMI_HOME with the fakes,
// a project directory holding copies of the real project files and haina's provider.
type engine struct {
	cli     string // the CLI's root (bin/pulumi under it)
	home    string
	project string
	backend string
	fake    *fakeredshift.Server
	// cloud is where the fake aws provider records what exists (fakeprovider.CloudDirEnv).
	cloud string
	// kafka stands in for the MSK brokers: a Kafka protocol server on 127.0.0.1
	// where the topics function (run by the fake provider) creates the topics.
	kafka *kfake.Cluster
	// releasesCert is the fake release server's certificate (PEM file).
	releasesCert string
	mysql        *fakerdsdata.Server
	secrets      *fakesecrets.Server
	s3           *fakes3.Server
	files        *fakereleases.Server
	logs         *fakelogs.Server
	rds          *fakeprovider.RDS
}

func setup(t *testing.T) *engine {
	t.Helper()
	root, err := harness.RepoRoot()
	require.NoError(t, err)

	// The CLI: built once per checkout (cached in .cache/), never downloaded.
	build := exec.Command(filepath.Join(root, "tools", "pulumi-cli", "build.sh"))
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	require.NoError(t, build.Run(), "building the Pulumi CLI %s from the Go module proxy failed (tools/pulumi-cli/build.sh); "+
		"the engine tests need it and do not skip", cliVersion)
	cliRoot := filepath.Join(root, ".cache", "pulumi-"+cliVersion)

	e := &engine{cli: cliRoot, home: t.TempDir(), project: t.TempDir(), backend: "file://" + t.TempDir()}

	// Fake aws and random: plugin-cache entries at the versions the SDKs ask for.
	fakeBin := filepath.Join(t.TempDir(), "fakeprovider")
	goBuild(t, root, fakeBin, "./tests/fakeprovider/cmd/fakeprovider")
	for name, version := range fakeprovider.Versions {
		dir := filepath.Join(e.home, "plugins", "resource-"+name+"-v"+version)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.Link(fakeBin, filepath.Join(dir, "pulumi-resource-"+name)))
	}

	// The project: the real files, copied so the stack files' passphrase salt
	// and test config never touch the checkout; haina's provider where Pulumi.yaml points.
	for _, f := range []string{"Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(e.project, f), b, 0o644))
	}
	goBuild(t, root, filepath.Join(e.project, "bin", "pulumi-resource-haina"), "./cmd/pulumi-resource-haina")

	// The fake Redshift runs every statement against a catalog that refuses what
	// Redshift refuses, and reads the fake cloud to know which streams exist.
	e.cloud = t.TempDir()
	e.fake = fakeredshift.Start()
	t.Cleanup(e.fake.Close)
	e.fake.Catalog = fakeredshift.NewCatalog()
	kafka, err := kfake.NewCluster(kfake.NumBrokers(3)) // listens on 127.0.0.1
	require.NoError(t, err)
	t.Cleanup(kafka.Close)
	e.kafka = kafka
	e.fake.Catalog.TopicExists = func(topic string) bool {
		return slices.Contains(e.topics(t), topic)
	}
	e.fake.Catalog.StreamExists = func(name string) bool {
		streams, err := fakeprovider.Resources(e.cloud, "aws:kinesis/stream:Stream")
		require.NoError(t, err)
		for _, s := range streams {
			if s.State["name"] == name {
				return true
			}
		}
		return false
	}
	// A zero-ETL destination names an integration the fake cloud must hold.
	e.fake.Catalog.IntegrationExists = func(id string) bool {
		integrations, err := fakeprovider.Resources(e.cloud, "aws:rds/integration:Integration")
		require.NoError(t, err)
		for _, i := range integrations {
			if arn, _ := i.State["arn"].(string); strings.HasSuffix(arn, ":"+id) {
				return true
			}
		}
		return false
	}
	// The engine runs independent objects at once; Redshift may abort one of two
	// concurrent catalog changes (error 1023). The first try of the schema fails so.
	e.fake.Transient = fakeredshift.FailFirst(`CREATE SCHEMA IF NOT EXISTS "ingest"`, 1, fakeredshift.SerializableIsolationViolation)
	e.mysql, e.secrets, e.s3, e.files = fakerdsdata.Start(), fakesecrets.Start(), fakes3.Start(), fakereleases.Start()
	e.mysql.Rows = func(string) int { return 1 }
	e.releasesCert, err = e.files.CertFile(t.TempDir())
	require.NoError(t, err)
	// CloudWatch Logs for the groups Redshift makes itself (haina:logs:LogGroupSettings):
	// a key the logs service may not use is refused as the fake cloud's keys say.
	e.logs = fakelogs.Start()
	e.logs.KeyUsable = func(key, group string) error { return fakeprovider.KeyAllowsLogGroup(e.cloud, key, group) }
	// RDS for zero-ETL integrations' data filters (haina:rds:IntegrationDataFilter).
	e.rds = fakeprovider.StartRDS(e.cloud)
	for _, c := range []func(){e.mysql.Close, e.secrets.Close, e.s3.Close, e.files.Close, e.logs.Close, e.rds.Close} {
		t.Cleanup(c)
	}
	return e
}

func goBuild(t *testing.T, root, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, b)
}

func (e *engine) open(t *testing.T, ctx context.Context, stack string, progress *strings.Builder) *deploy.Stack {
	t.Helper()
	s, err := deploy.Open(ctx, deploy.Options{
		Stack: stack, WorkDir: e.project, BackendURL: e.backend, SecretsProvider: "passphrase",
		PulumiHome: e.home, PulumiRoot: e.cli, Progress: progress,
		Env: e.env(),
	})
	require.NoError(t, err)
	return s
}

// env is what the CLI, haina's provider and the fakes need: the fake cloud's
// endpoints and directories, offline plugins, the passphrase.
func (e *engine) env() map[string]string {
	return map[string]string{
		"PULUMI_CONFIG_PASSPHRASE":                    "haina-e2e",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"AWS_ENDPOINT_URL_REDSHIFT_DATA":              e.fake.URL,
		fakeprovider.CloudDirEnv:                      e.cloud,
		fakeprovider.KafkaEnv:                         strings.Join(e.kafka.ListenAddrs(), ","),
		// haina downloads over https only: the provider trusts the fake release server's certificate.
		"SSL_CERT_FILE":                    e.releasesCert,
		"AWS_ENDPOINT_URL_RDS_DATA":        e.mysql.URL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": e.secrets.URL,
		"AWS_ENDPOINT_URL_S3":              e.s3.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": e.logs.URL,
		"AWS_ENDPOINT_URL_RDS":             e.rds.URL,
		"AWS_ACCESS_KEY_ID":                "AKIDE2E",
		"AWS_SECRET_ACCESS_KEY":            "e2e",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_CONFIG_FILE":                  os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE":      os.DevNull}
}

// mockCounts is what the mock harness sees for a stack, by type.
func mockCounts(t *testing.T, stack string) map[string]int {
	cfg, err := harness.StackConfig(stack)
	require.NoError(t, err)
	g, err := harness.Run(stack, cfg, harness.Program)
	require.NoError(t, err)
	return g.ByType()
}

// engineCounts drops what only the engine has: the stack and default providers.
func engineCounts(t *testing.T, ctx context.Context, s *deploy.Stack) map[string]int {
	counts, err := s.Resources(ctx)
	require.NoError(t, err)
	delete(counts, "pulumi:pulumi:Stack")
	delete(counts, "pulumi:providers:aws")
	delete(counts, "pulumi:providers:random")
	return counts
}

func TestEngineUpNoOpAndDestroy(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			var progress strings.Builder
			defer func() {
				if t.Failed() {
					t.Log(progress.String())
				}
			}()
			s := e.open(t, ctx, stack, &progress)
			before, mysqlBefore := len(e.fake.Calls()), len(e.mysql.Statements())
			// Redshift already exported one log (a stack upgraded from before
			// haina kept these groups): its group exists, never expiring.
			audit := "/aws/redshift/haina-" + stack + "/"
			e.logs.Seed(audit + "useractivitylog")
			// The plugin's files come from the fake release server (an air-gapped mirror's way).
			require.NoError(t, s.SetConfig(ctx, "haina:cdc.plugin.baseUrl", e.files.URL))
			for name, sum := range e.files.Sha256 { // a mirror is trusted only with pins
				require.NoError(t, s.SetConfig(ctx, "haina:cdc.plugin.sha256."+name, sum))
			}

			outputs, err := s.Up(ctx)
			require.NoError(t, err)
			assert.Equal(t, stack, outputs["environment"])
			assert.Equal(t, "haina-"+stack+"-events", outputs["streamName"])
			assert.Regexp(t, `^arn:aws:kinesis:us-east-1:\d{12}:stream/haina-`+stack+`-events$`, outputs["streamArn"])
			assert.Regexp(t, `^haina-`+stack+`\..*redshift-serverless\.amazonaws\.com$`, outputs["workgroupEndpoint"])
			assert.Regexp(t, `^arn:aws:iam::\d{12}:role/haina-`+stack+`-redshift-streaming$`, outputs["streamingRoleArn"])
			assert.Equal(t, `"ingest"."events_landing"`, outputs["landingView"])

			// haina's provider ran the SQL for real: seven ingestion objects (five, the
			// refresh role and procedure) and CDC's (schema over Kafka, schema, watermarks,
			// runs, rejects, role, and per table a landing view, a target table and a procedure),
			// each one transaction, in dependency order; the first try of the schema was
			// aborted (error 1023) and tried again.
			var creates [][]string
			for _, c := range e.fake.Calls()[before:] {
				if c.Batch {
					creates = append(creates, c.Sqls)
				}
			}
			tables := map[string]int{"staging": 1, "production": 2}[stack]
			retried := map[string]int{"staging": 1, "production": 0}[stack] // FailFirst fails the first submission only
			require.Len(t, creates, 7+6+3*tables+1+retried)                 // +1: the health function's grants
			at := func(prefix, contains string) int {
				for i, q := range creates {
					if strings.HasPrefix(q[0], prefix) && strings.Contains(q[0], contains) {
						return i
					}
				}
				return -1
			}
			schemaAt, landingAt := at("CREATE EXTERNAL SCHEMA", "FROM KINESIS"), at("CREATE MATERIALIZED VIEW", `"events_landing"`)
			assert.True(t, schemaAt >= 0 && landingAt > schemaAt, "the external schema comes before the landing MV: %q", creates)
			rollupAt, refreshAt := at("CREATE MATERIALIZED VIEW", `"events_per_minute"`), at(`CREATE OR REPLACE PROCEDURE "ingest"."refresh_views"()`, "")
			assert.True(t, landingAt < rollupAt && rollupAt < refreshAt, "landing MV, rollup, then the procedure that refreshes it")
			// The Kafka schema names the brokers deployed in this run (rendered once they were known).
			mskAt := at("CREATE EXTERNAL SCHEMA", "FROM KAFKA\nIAM_ROLE default\nAUTHENTICATION iam\nURI '"+outputs["kafkaBootstrapBrokers"].(string)+"'")
			require.True(t, mskAt >= 0, "the Kafka schema ran with the cluster's brokers: %q", creates)
			for _, table := range map[string][]string{"staging": {"customer"}, "production": {"customers", "orders"}}[stack] {
				cdcLanding := at("CREATE MATERIALIZED VIEW", "_"+table+"_changes")
				target := at("CREATE TABLE IF NOT EXISTS", `"cdc"."`+table+`"`)
				proc := at(`CREATE OR REPLACE PROCEDURE "cdc"."apply_`+table+`"()`, "")
				assert.True(t, mskAt < cdcLanding && cdcLanding < proc && target < proc && target >= 0, "%s: schema, landing view, table, then procedure", table)
				if proc >= 0 {
					assert.Equal(t, `GRANT EXECUTE ON PROCEDURE "cdc"."apply_`+table+`"() TO ROLE "haina_cdc_apply"`, creates[proc][1])
				}
			}
			// One scheduled call refreshes and applies: it names every apply procedure.
			refresh := at(`CREATE OR REPLACE PROCEDURE "ingest"."refresh_views"()`, "")
			require.True(t, refresh >= 0, "the refresh procedure ran: %q", creates)
			for _, table := range map[string][]string{"staging": {"customer"}, "production": {"customers", "orders"}}[stack] {
				assert.Contains(t, creates[refresh][0], `CALL "cdc"."apply_`+table+`"();`)
			}
			assert.NotContains(t, outputs, "cdcApplyScheduleGroup")
			// Every audit-log group Redshift writes to keeps its logs for the stack's
			// retention, under the logs key; the one Redshift had made was adopted
			// (creating it would have failed with ResourceAlreadyExistsException).
			var groups []fakelogs.Group
			for _, g := range e.logs.Groups() {
				if strings.HasPrefix(g.Name, audit) {
					groups = append(groups, g)
				}
			}
			require.Len(t, groups, 3, "connectionlog, useractivitylog, userlog")
			for _, g := range groups {
				assert.Equal(t, map[string]int{"staging": 30, "production": 365}[stack], g.Retention, g.Name)
				assert.Regexp(t, `^arn:aws:kms:us-east-1:\d{12}:key/`, g.KmsKeyID, g.Name)
			}
			// The health function's grants ran after what they grant on, and hold in
			// the warehouse (the fake catalog keeps grants; a dropped relation takes its own).
			grantsAt := at(`GRANT USAGE ON SCHEMA "cdc" TO ROLE "haina_refresh"`, "")
			require.True(t, grantsAt > landingAt, "the grants come after the landing view: %q", creates)
			assert.Contains(t, creates[grantsAt][1], `GRANT SELECT ON "ingest"."events_landing"`)
			for _, table := range map[string][]string{"staging": {"customer"}, "production": {"customers", "orders"}}[stack] {
				assert.Greater(t, grantsAt, at("CREATE MATERIALIZED VIEW", "_"+table+"_changes"))
			}
			grants := e.fake.Catalog.Grants()
			assert.Contains(t, grants, "ROLE sys:monitor TO haina_refresh")
			assert.Contains(t, grants, "SELECT ON ingest.events_landing TO haina_refresh")
			assert.Contains(t, grants, "SELECT ON cdc.apply_offsets TO haina_refresh")
			assert.Contains(t, grants, "USAGE ON SCHEMA cdc TO haina_refresh", "SELECT on cdc's tables needs USAGE on cdc")
			assert.Contains(t, grants, "USAGE ON SCHEMA ingest TO haina_refresh")

			// The topics function created every topic (the change topics even of
			// tables with no rows yet) before the connector ran; the landing views
			// could only be created over them (the fake Redshift checks).
			prefix := map[string]string{"staging": "salesdb", "production": "shop"}[stack]
			for _, topic := range outputs["cdcTopics"].([]any) {
				assert.Contains(t, e.topics(t), topic)
			}
			assert.Contains(t, e.topics(t), "schemahistory."+prefix)
			assert.Contains(t, e.topics(t), "__debezium-heartbeat."+prefix)
			assert.Less(t, e.created(t, "aws:lambda/invocation:Invocation", "haina-topics"),
				e.created(t, "aws:mskconnect/connector:Connector", "haina-connector"), "the topics exist before the connector")

			// CDC: the MySQL setup ran through the RDS Data API, Debezium's user got a
			// generated password that only the secret and the database saw, and the
			// plugin was downloaded, verified and uploaded.
			var mysql []string
			for _, st := range e.mysql.Statements()[mysqlBefore:] {
				if st.Transaction != "" {
					mysql = append(mysql, st.SQL)
				}
			}
			require.NotEmpty(t, mysql)
			assert.Contains(t, mysql, "CALL mysql.rds_set_configuration('binlog retention hours', 168)") // independent objects run in any order
			var password string
			for _, q := range mysql {
				if strings.HasPrefix(q, "ALTER USER 'debezium'@'%' IDENTIFIED BY '") {
					password = strings.TrimSuffix(strings.TrimPrefix(q, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"), "' REQUIRE SSL")
				}
			}
			require.Len(t, password, 26, "the user was created with a generated password: %q", mysql)
			secretArn, _ := outputs["cdcDebeziumSecretArn"].(string)
			stored, ok := e.secrets.Value(secretArn)
			require.True(t, ok, "the Debezium secret %s has a value", secretArn)
			assert.Contains(t, stored, `"password":"`+password+`"`)
			state, err := s.Export(ctx)
			require.NoError(t, err)
			assert.NotContains(t, string(state), password, "the password is not in the state")
			assert.NotContains(t, progress.String(), password, "nor in the engine's output")
			if stack == "staging" {
				assert.Contains(t, strings.Join(mysql, "\n"), "CREATE TABLE IF NOT EXISTS `salesdb`.`CUSTOMER`")
			}
			sums := outputs["cdcPluginSha256"].(map[string]any)
			for name, sum := range e.files.Sha256 {
				assert.Equal(t, sum, sums[name], "%s's observed sha256", name)
			}
			assert.Len(t, e.s3.Keys(), 1, "one plugin archive uploaded")

			// Every data path's calls are allowed by the deployed state's IAM.
			problems, paths, err := iameval.CheckAll(exportedResources(t, state))
			require.NoError(t, err)
			assert.NotEmpty(t, paths)
			assert.Empty(t, problems, "data paths the deployed IAM refuses")

			changes, err := s.Preview(ctx)
			require.NoError(t, err)
			for op, n := range changes {
				if op != "same" {
					t.Errorf("second preview is not a no-op: %d %s", n, op)
				}
			}

			assert.Equal(t, mockCounts(t, stack), engineCounts(t, ctx, s), "the engine and the mocks see the same resources")

			if stack == "staging" {
				switchRefreshToAuto(t, ctx, e, s)
				replaceLandingView(t, ctx, e, s)
				switchToZeroETL(t, ctx, e, s)
				require.NoError(t, s.Destroy(ctx))
				left, err := s.Resources(ctx)
				require.NoError(t, err)
				assert.Empty(t, left, "staging destroy leaves nothing")
				assert.Empty(t, e.fake.Catalog.Objects(), "nor anything in the warehouse")
				for _, g := range e.logs.Groups() {
					assert.False(t, strings.HasPrefix(g.Name, audit), "nor the audit-log groups, whose key goes too: %s", g.Name)
				}
				return
			}

			cloudBefore, sqlBefore, mysqlBefore := e.cloudURNs(t), len(e.fake.Calls()), len(e.mysql.Statements())
			catalogBefore, logsBefore := e.fake.Catalog.Objects(), e.logs.Groups()
			err = s.Destroy(ctx)
			require.Error(t, err, "production destroy must be refused")
			assert.Contains(t, err.Error(), "cannot be deleted")
			// The destroy guard depends on everything and is protected: the engine
			// is refused there, before it deletes anything at all.
			assert.Contains(t, err.Error(), "haina-destroy-guard")
			assert.Equal(t, cloudBefore, e.cloudURNs(t), "a refused destroy deletes nothing in the cloud")
			assert.Equal(t, catalogBefore, e.fake.Catalog.Objects(), "nor in the warehouse")
			assert.Equal(t, logsBefore, e.logs.Groups(), "nor the audit logs")
			for _, c := range e.fake.Calls()[sqlBefore:] {
				assert.False(t, c.Batch, "no SQL object was dropped: %q", c.Sqls)
			}
			assert.Len(t, e.mysql.Statements(), mysqlBefore, "nor anything in MySQL (the binlog retention stays)")
			// Every resource survives, the stateful ones among them.
			assert.Equal(t, mockCounts(t, stack), engineCounts(t, ctx, s), "the state still holds every resource")
			kept := engineCounts(t, ctx, s)
			for typ, n := range map[string]int{
				"aws:kinesis/stream:Stream": 1, "aws:kms/key:Key": 8, "aws:redshiftserverless/namespace:Namespace": 1, "aws:s3/bucketV2:BucketV2": 2,
				"aws:redshiftserverless/workgroup:Workgroup": 1, "aws:msk/cluster:Cluster": 1, "aws:rds/cluster:Cluster": 1,
				"aws:rds/clusterInstance:ClusterInstance": 1,
			} {
				assert.Equal(t, n, kept[typ], "%s survives a refused destroy", typ)
			}
			landing := false
			for _, c := range e.fake.Calls() {
				landing = landing || (c.Sqls[0] == `DROP MATERIALIZED VIEW IF EXISTS "ingest"."events_landing"` && c.WorkgroupName == "haina-production")
			}
			assert.False(t, landing, "the landing MV was never dropped")
			for _, c := range e.fake.Calls() {
				if c.WorkgroupName != "haina-production" || c.Sqls[0] == `DROP TABLE IF EXISTS "cdc"."apply_runs"` { // the run log holds no data
					continue
				}
				assert.False(t, strings.HasPrefix(c.Sqls[0], `DROP TABLE IF EXISTS "cdc"`) || strings.HasPrefix(c.Sqls[0], `DROP MATERIALIZED VIEW IF EXISTS "cdc"`),
					"no CDC target table, watermark or landing view is dropped by a refused destroy: %s", c.Sqls[0])
			}

			// The documented way: lift protection and allow the data loss, up, destroy.
			require.NoError(t, s.SetConfig(ctx, "haina:protect", "false"))
			require.NoError(t, s.SetConfig(ctx, "haina:ingestion.allowDataLoss", "true"))
			_, err = s.Up(ctx)
			require.NoError(t, err)
			require.NoError(t, s.Destroy(ctx))
			left, err := s.Resources(ctx)
			require.NoError(t, err)
			assert.Empty(t, left)
		})
	}
	// The other warehouse kind: a provisioned RA3 cluster with auto refresh,
	// up → no-op → destroy. Every SQL object runs on the cluster (the Data API
	// with ClusterIdentifier), and the schedule's database user is created.
	t.Run("provisioned", func(t *testing.T) {
		var progress strings.Builder
		defer func() {
			if t.Failed() {
				t.Log(progress.String())
			}
		}()
		s := e.open(t, ctx, "provisioned", &progress)
		for k, v := range map[string]string{"aws:region": "us-east-1", "haina:environment": "staging",
			"haina:warehouse.kind": "provisioned", "haina:ingestion.refresh.mode": "auto"} {
			require.NoError(t, s.SetConfig(ctx, k, v))
		}
		before := len(e.fake.Calls())
		outputs, err := s.Up(ctx)
		require.NoError(t, err)
		assert.Equal(t, "haina-staging", outputs["clusterIdentifier"])
		assert.NotContains(t, outputs, "workgroupName")
		var user bool
		for _, c := range e.fake.Calls()[before:] {
			assert.Equal(t, "haina-staging", c.ClusterIdentifier, "every statement goes to the cluster: %v", c.Sqls)
			assert.Empty(t, c.WorkgroupName)
			user = user || c.Sqls[0] == `CREATE USER "haina_refresh_runner" PASSWORD DISABLE`
		}
		assert.True(t, user, "the schedule's database user was created")
		state, err := s.Export(ctx)
		require.NoError(t, err)
		problems, _, err := iameval.CheckAll(exportedResources(t, state))
		require.NoError(t, err)
		assert.Empty(t, problems, "data paths the deployed IAM refuses")
		changes, err := s.Preview(ctx)
		require.NoError(t, err)
		for op, n := range changes {
			if op != "same" {
				t.Errorf("second preview is not a no-op: %d %s", n, op)
			}
		}
		require.NoError(t, s.Destroy(ctx))
		left, err := s.Resources(ctx)
		require.NoError(t, err)
		assert.Empty(t, left)
		assert.Empty(t, e.fake.Catalog.Objects(), "nothing left in the warehouse")
	})
	// CDC in zero-etl mode: an Aurora zero-ETL integration instead of Debezium
	// and MSK, up → no-op → destroy. The fake cloud refuses an integration
	// whose source lacks zero-ETL's parameters or whose namespace does not
	// authorize it, and the fake Redshift a database from an unknown integration.
	t.Run("zero-etl", func(t *testing.T) {
		var progress strings.Builder
		defer func() {
			if t.Failed() {
				t.Log(progress.String())
			}
		}()
		s := e.open(t, ctx, "zeroetl", &progress)
		for k, v := range map[string]string{"aws:region": "us-east-1", "haina:environment": "staging",
			"haina:cdc.enabled": "true", "haina:cdc.mode": "zero-etl"} {
			require.NoError(t, s.SetConfig(ctx, k, v))
		}
		// Two tables, in order: the data filter names each pattern's type.
		require.NoError(t, s.SetConfig(ctx, "haina:cdc.zeroEtl.tables[0]", "salesdb.CUSTOMER"))
		require.NoError(t, s.SetConfig(ctx, "haina:cdc.zeroEtl.tables[1]", "salesdb.ORDERS"))
		before := len(e.fake.Calls())
		outputs, err := s.Up(ctx)
		require.NoError(t, err)
		integrations, err := fakeprovider.Resources(e.cloud, "aws:rds/integration:Integration")
		require.NoError(t, err)
		require.Len(t, integrations, 1)
		assert.Equal(t, "include: salesdb.CUSTOMER, include: salesdb.ORDERS", integrations[0].State["dataFilter"])
		assert.Regexp(t, `^arn:aws:rds:us-east-1:\d{12}:integration:[0-9a-f-]{36}$`, outputs["cdcIntegrationArn"])
		assert.Equal(t, "haina_cdc", outputs["cdcDatabase"])
		id := components.IntegrationID(outputs["cdcIntegrationArn"].(string))
		var created bool
		for _, c := range e.fake.Calls()[before:] {
			if c.Sqls[0] == `CREATE DATABASE "haina_cdc" FROM INTEGRATION '`+id+`'` {
				created = true
				assert.False(t, c.Batch, "CREATE DATABASE … FROM INTEGRATION runs on its own, outside a transaction")
			}
		}
		assert.True(t, created, "the destination database was created from the integration")
		assert.Contains(t, e.fake.Catalog.Objects(), "database haina_cdc")
		counts := engineCounts(t, ctx, s)
		for _, typ := range []string{"aws:msk/cluster:Cluster", "aws:mskconnect/connector:Connector", "haina:cdc:ChangeTables", "aws:lambda/invocation:Invocation"} {
			assert.Zero(t, counts[typ], "zero-ETL has no %s", typ)
		}
		assert.Equal(t, 1, counts["aws:rds/integration:Integration"])
		assert.Equal(t, 1, counts["aws:redshift/resourcePolicy:ResourcePolicy"])
		changes, err := s.Preview(ctx)
		require.NoError(t, err)
		for op, n := range changes {
			if op != "same" {
				t.Errorf("second preview is not a no-op: %d %s", n, op)
			}
		}
		// A third table modifies the integration's data filter in place
		// (rds:ModifyIntegration): the same integration, the same database,
		// nothing replaced. Taking it out again goes back the same way.
		three := "include: salesdb.CUSTOMER, include: salesdb.ORDERS, include: salesdb.ITEMS"
		require.NoError(t, s.SetConfig(ctx, "haina:cdc.zeroEtl.tables[2]", "salesdb.ITEMS"))
		changes, err = s.Preview(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"same": changes["same"], "update": 1}, changes, "only the data filter changes")
		calls := len(e.fake.Calls())
		_, err = s.Up(ctx)
		require.NoError(t, err)
		still, err := fakeprovider.Resources(e.cloud, "aws:rds/integration:Integration")
		require.NoError(t, err)
		require.Len(t, still, 1)
		assert.Equal(t, integrations[0].State["arn"], still[0].State["arn"], "the same integration")
		assert.Equal(t, three, still[0].State["dataFilter"])
		assert.Equal(t, []string{three}, e.rds.Modified())
		assert.Len(t, e.fake.Calls(), calls, "no SQL: the database is untouched")
		assert.Contains(t, e.fake.Catalog.Objects(), "database haina_cdc")
		require.NoError(t, s.RemoveConfig(ctx, "haina:cdc.zeroEtl.tables[2]"))
		_, err = s.Up(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{three, "include: salesdb.CUSTOMER, include: salesdb.ORDERS"}, e.rds.Modified())
		// What replaces the integration (its key, name, source) takes the
		// database with it, which the engine would drop while the integration
		// exists; docs/runbooks.md#zero-etl-replace-integration does it in
		// steps: record allowDataLoss (an up that changes nothing else), destroy
		// the integration with what depends on it (the database object goes
		// with it, left in the warehouse), drop the database by hand, up.
		require.NoError(t, s.SetConfig(ctx, "haina:ingestion.allowDataLoss", "true"))
		_, err = s.Up(ctx)
		require.NoError(t, err)
		state, err := s.Export(ctx)
		require.NoError(t, err)
		integrationURN := regexp.MustCompile(`urn:pulumi:zeroetl::[^"]*aws:rds/integration:Integration::haina-zero-etl`).FindString(string(state))
		require.NotEmpty(t, integrationURN)
		require.NoError(t, s.DestroyTargets(ctx, integrationURN))
		gone, err := fakeprovider.Resources(e.cloud, "aws:rds/integration:Integration")
		require.NoError(t, err)
		assert.Empty(t, gone)
		assert.Contains(t, e.fake.Catalog.Objects(), "database haina_cdc", "left in the warehouse")
		counts = engineCounts(t, ctx, s)
		for _, typ := range []string{"haina:rds:IntegrationDataFilter", "aws:ssm/parameter:Parameter", "aws:cloudwatch/dashboard:Dashboard"} {
			assert.Zero(t, counts[typ], "%s depends on the integration: destroyed with it (docs/runbooks.md)", typ)
		}
		_, err = e.fake.Catalog.Exec(`DROP DATABASE "haina_cdc"`)
		require.NoError(t, err)
		outputs, err = s.Up(ctx)
		require.NoError(t, err)
		again, err := fakeprovider.Resources(e.cloud, "aws:rds/integration:Integration")
		require.NoError(t, err)
		require.Len(t, again, 1)
		assert.Equal(t, "include: salesdb.CUSTOMER, include: salesdb.ORDERS", again[0].State["dataFilter"])
		assert.Contains(t, e.fake.Catalog.Objects(), "database haina_cdc")
		assert.Equal(t, "haina_cdc", outputs["cdcDatabase"])
		counts = engineCounts(t, ctx, s)
		for _, typ := range []string{"haina:rds:IntegrationDataFilter", "aws:ssm/parameter:Parameter", "aws:cloudwatch/dashboard:Dashboard"} {
			assert.Equal(t, 1, counts[typ], "%s made again", typ)
		}
		require.NoError(t, s.RemoveConfig(ctx, "haina:ingestion.allowDataLoss"))
		require.NoError(t, s.Destroy(ctx))
		left, err := s.Resources(ctx)
		require.NoError(t, err)
		assert.Empty(t, left)
		// Redshift refuses to drop a destination while its integration exists,
		// and the engine deletes the database object first: it is left with its
		// rows (the namespace's deletion takes it in AWS; here, by hand).
		for _, c := range e.fake.Calls()[before:] {
			assert.NotEqual(t, `DROP DATABASE "haina_cdc"`, c.Sqls[0], "the destination is never dropped while its integration exists")
		}
		_, err = e.fake.Catalog.Exec(`DROP DATABASE "haina_cdc"`)
		require.NoError(t, err, "the integration is gone: the database may be dropped now")
	})
	// The one-command deploy: the built haina command, for staging, as a user runs it.
	t.Run("haina command", func(t *testing.T) {
		root, err := harness.RepoRoot()
		require.NoError(t, err)
		bin := filepath.Join(t.TempDir(), "haina")
		goBuild(t, root, bin, "./cmd/haina")
		env := os.Environ()
		for k, v := range e.env() {
			env = append(env, k+"="+v)
		}
		haina := func(args ...string) string {
			cmd := exec.CommandContext(ctx, bin, append(args, "--stack", "staging", "--dir", e.project, "--backend", e.backend,
				"--pulumi-root", e.cli, "--pulumi-home", e.home)...)
			cmd.Dir, cmd.Env = root, env
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "haina %v: %s", args, out)
			return string(out)
		}
		out := haina("up")
		assert.Contains(t, out, "haina: building haina's provider into bin/")
		assert.Contains(t, out, "Outputs:\n")
		assert.Contains(t, out, "  streamName: haina-staging-events\n")
		assert.Contains(t, haina("preview"), "preview: same ")
		assert.Contains(t, haina("outputs"), "  workgroupName: haina-staging\n")
		haina("destroy")
		left, err := e.open(t, ctx, "staging", &strings.Builder{}).Resources(ctx)
		require.NoError(t, err)
		assert.Empty(t, left, "the command's destroy leaves nothing")
	})
}

// topics lists the fake Kafka's topics.
func (e *engine) topics(t *testing.T) []string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.ListenAddrs()...))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	details, err := kadm.NewClient(cl).ListTopics(ctx)
	require.NoError(t, err)
	return details.Names()
}

// cloudURNs lists what the fake cloud holds.
func (e *engine) cloudURNs(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(e.cloud, "*.json"))
	require.NoError(t, err)
	var urns []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var r fakeprovider.Existing
		require.NoError(t, json.Unmarshal(b, &r))
		urns = append(urns, r.URN)
	}
	slices.Sort(urns)
	return urns
}

// created is when the fake cloud created the resource of a type and name.
func (e *engine) created(t *testing.T, typ, name string) int64 {
	rs, err := fakeprovider.Resources(e.cloud, typ)
	require.NoError(t, err)
	for _, r := range rs {
		if strings.HasSuffix(r.URN, "::"+name) {
			return r.Created
		}
	}
	t.Fatalf("the fake cloud holds no %s %s", typ, name)
	return 0
}

// exportedResources turns an exported deployment into what the IAM evaluator reads.
func exportedResources(t *testing.T, deployment []byte) []iameval.Resource {
	t.Helper()
	var dep struct {
		Resources []struct {
			URN     string         `json:"urn"`
			Type    string         `json:"type"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal(deployment, &dep))
	var out []iameval.Resource
	for _, r := range dep.Resources {
		out = append(out, iameval.Resource{Type: r.Type, Name: r.URN[strings.LastIndex(r.URN, "::")+2:], State: r.Outputs})
	}
	return out
}

// replaceLandingView renames the landing MV with allowDataLoss: a replacement.
// Redshift refuses to drop it while the typed view and the rollup are built on
// it (the fake catalog too), so the engine must replace them first.
func replaceLandingView(t *testing.T, ctx context.Context, e *engine, s *deploy.Stack) {
	t.Helper()
	require.NoError(t, s.SetConfig(ctx, "haina:ingestion.allowDataLoss", "true"))
	require.NoError(t, s.SetConfig(ctx, "haina:ingestion.landingView", "events_landing_v2"))
	before := len(e.fake.Calls())
	_, err := s.Up(ctx)
	require.NoError(t, err, "replacing the landing view")
	var order []string
	for _, c := range e.fake.Calls()[before:] {
		if c.Batch && strings.HasPrefix(c.Sqls[0], "DROP ") {
			order = append(order, c.Sqls[0])
		}
	}
	landing := slices.Index(order, `DROP MATERIALIZED VIEW IF EXISTS "ingest"."events_landing"`)
	require.GreaterOrEqual(t, landing, 0, "the old landing view was dropped: %q", order)
	for _, dependent := range []string{`DROP VIEW IF EXISTS "ingest"."events"`, `DROP MATERIALIZED VIEW IF EXISTS "ingest"."events_per_minute"`} {
		i := slices.Index(order, dependent)
		assert.True(t, i >= 0 && i < landing, "%s comes before the landing view's drop: %q", dependent, order)
	}
	assert.Contains(t, e.fake.Catalog.Objects(), "materialized view ingest.events_landing_v2")
	changes, err := s.Preview(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"same": changes["same"]}, changes, "a no-op after the replacement")
}

// switchToZeroETL switches the deployed Debezium stack to zero-etl, as
// docs/upgrading.md says it goes: the created database gets a parameter group
// of its own (a new name, so a new group the cluster moves to, not a
// replacement under the same name), and AWS — the fake cloud here — refuses
// the integration until the writer restarts; the up says so. (The fake has no
// reboot: the stack is destroyed from there.)
func switchToZeroETL(t *testing.T, ctx context.Context, e *engine, s *deploy.Stack) {
	t.Helper()
	// The Debezium-only keys go (zero-etl refuses them by name), the mode changes.
	for _, key := range []string{"haina:cdc.redshift", "haina:cdc.plugin"} {
		require.NoError(t, s.RemoveConfig(ctx, key))
	}
	require.NoError(t, s.SetConfig(ctx, "haina:cdc.mode", "zero-etl"))
	_, err := s.Up(ctx)
	require.Error(t, err, "the integration waits for a reboot")
	assert.Contains(t, err.Error(), "is pending-reboot: reboot the writer")
	groups, err := fakeprovider.Resources(e.cloud, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
	require.NoError(t, err)
	var names []string
	for _, g := range groups {
		names = append(names, g.State["name"].(string))
	}
	assert.Contains(t, names, "haina-staging-cdc-mysql-zero-etl", "the zero-ETL group was created beside the Debezium one")
	clusters, err := fakeprovider.Resources(e.cloud, "aws:rds/cluster:Cluster")
	require.NoError(t, err)
	require.Len(t, clusters, 1)
	assert.Equal(t, "haina-staging-cdc-mysql-zero-etl", clusters[0].State["dbClusterParameterGroupName"], "the cluster moved to it in place")
}

// switchRefreshToAuto turns the refresh policy from scheduled to auto on a
// deployed stack: the landing views change in place (ALTER … AUTO REFRESH
// YES, never a drop: they hold the data), and the next preview is a no-op.
func switchRefreshToAuto(t *testing.T, ctx context.Context, e *engine, s *deploy.Stack) {
	t.Helper()
	before := len(e.fake.Calls())
	require.NoError(t, s.SetConfig(ctx, "haina:ingestion.refresh.mode", "auto"))
	_, err := s.Up(ctx)
	require.NoError(t, err)
	var alters []string
	for _, c := range e.fake.Calls()[before:] {
		for _, q := range c.Sqls {
			require.False(t, strings.HasPrefix(q, "DROP MATERIALIZED VIEW"), "switching the refresh mode dropped a view: %s", q)
			if strings.HasPrefix(q, "ALTER MATERIALIZED VIEW") {
				alters = append(alters, q)
			}
		}
	}
	sort.Strings(alters)
	assert.Equal(t, []string{
		`ALTER MATERIALIZED VIEW "cdc"."salesdb_customer_changes" AUTO REFRESH YES`,
		`ALTER MATERIALIZED VIEW "ingest"."events_landing" AUTO REFRESH YES`,
	}, alters)
	changes, err := s.Preview(ctx)
	require.NoError(t, err)
	for op, n := range changes {
		if op != "same" {
			t.Errorf("preview after switching to auto is not a no-op: %d %s", n, op)
		}
	}
}
