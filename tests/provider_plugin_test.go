package tests

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/haina-data/haina/pluginarchive"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	"github.com/haina-data/haina/tests/fakerdsdata"
	"github.com/haina-data/haina/tests/fakes3"
	"github.com/haina-data/haina/tests/fakesecrets"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

const pluginURN = "urn:pulumi:staging::haina::haina:pipeline:Pipeline$haina:msk:PluginArchive::haina-cdc-plugin"

var testCreds = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

type cdcFakes struct {
	s3      *fakes3.Server
	secrets *fakesecrets.Server
	rds     *fakerdsdata.Server
}

// startCDCProvider is haina's provider with every AWS API it uses for CDC faked on 127.0.0.1.
func startCDCProvider(t *testing.T) (*provider.Server, cdcFakes) {
	t.Helper()
	f := cdcFakes{s3: fakes3.Start(), secrets: fakesecrets.Start(), rds: fakerdsdata.Start()}
	t.Cleanup(f.s3.Close)
	t.Cleanup(f.secrets.Close)
	t.Cleanup(f.rds.Close)
	s := provider.NewServer()
	// Downloads are https only: this client trusts the tests' TLS release servers.
	s.Fetcher = pluginarchive.Fetcher{Client: trustingClient(t)}
	s.NewObjectStore = func(_ context.Context, c provider.Config) (provider.ObjectStore, error) {
		return s3.New(s3.Options{Region: c.Region, BaseEndpoint: aws.String(f.s3.URL), UsePathStyle: true, Credentials: testCreds}), nil
	}
	s.NewSecrets = func(_ context.Context, c provider.Config) (provider.SecretsAPI, error) {
		return secretsmanager.New(secretsmanager.Options{Region: c.Region, BaseEndpoint: aws.String(f.secrets.URL), Credentials: testCreds}), nil
	}
	s.NewRDSDataAPI = func(_ context.Context, c provider.Config) (provider.RDSDataAPI, error) {
		return rdsdata.New(rdsdata.Options{Region: c.Region, BaseEndpoint: aws.String(f.rds.URL), Credentials: testCreds}), nil
	}
	_, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: providertest.Props(t, map[string]any{"region": "us-east-1"})})
	require.NoError(t, err)
	return s, f
}

func pluginInputs(sources []pluginarchive.Source) map[string]any {
	var list []any
	b, _ := json.Marshal(sources)
	_ = json.Unmarshal(b, &list)
	return map[string]any{"bucket": "haina-staging-artifacts", "key": pluginarchive.Key("msk-connect/plugins/", sources), "sources": list}
}

func fromStruct(t *testing.T, s *structpb.Struct) map[string]any {
	t.Helper()
	pm, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepSecrets: true})
	require.NoError(t, err)
	return pm.Mappable()
}

func TestPluginArchiveResourceLifecycle(t *testing.T) {
	s, f := startCDCProvider(t)
	r := startReleases(t)
	sources := pluginRelease(t, r, nil)
	in := pluginInputs(sources)
	ctx := context.Background()

	chk, err := s.Check(ctx, &pulumirpc.CheckRequest{Urn: pluginURN, News: providertest.Props(t, in)})
	require.NoError(t, err)
	assert.Empty(t, chk.GetFailures())

	// Preview touches nothing.
	_, err = s.Create(ctx, &pulumirpc.CreateRequest{Urn: pluginURN, Properties: providertest.Props(t, in), Preview: true})
	require.NoError(t, err)
	assert.Empty(t, r.hits)
	assert.Zero(t, f.s3.Puts)

	res, err := s.Create(ctx, &pulumirpc.CreateRequest{Urn: pluginURN, Properties: providertest.Props(t, in)})
	require.NoError(t, err)
	key := in["key"].(string)
	assert.Equal(t, "s3://haina-staging-artifacts/"+key, res.GetId())
	obj, ok := f.s3.Object("haina-staging-artifacts", key)
	require.True(t, ok, "uploaded")
	require.NoError(t, pluginarchive.Check(obj))
	state := fromStruct(t, res.GetProperties())
	assert.Equal(t, sha256Hex(obj), state["archiveSha256"])
	assert.Equal(t, float64(len(obj)), state["size"])
	assert.Equal(t, map[string]any{
		"debezium-connector-mysql": sha256Hex(r.files["/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz"]),
		"aws-msk-iam-auth":         sha256Hex([]byte("iam auth classes")),
		"msk-config-providers":     sha256Hex([]byte("config provider classes")),
	}, state["sha256"])

	// A second build of the same inputs is byte-identical.
	f.s3.Remove("haina-staging-artifacts", key)
	res2, err := s.Create(ctx, &pulumirpc.CreateRequest{Urn: pluginURN, Properties: providertest.Props(t, in)})
	require.NoError(t, err)
	assert.Equal(t, state["archiveSha256"], fromStruct(t, res2.GetProperties())["archiveSha256"])

	// Read: present, then gone when deleted behind Pulumi's back.
	rd, err := s.Read(ctx, &pulumirpc.ReadRequest{Urn: pluginURN, Id: res.GetId(), Properties: res.GetProperties()})
	require.NoError(t, err)
	assert.Equal(t, res.GetId(), rd.GetId())
	f.s3.Remove("haina-staging-artifacts", key)
	rd, err = s.Read(ctx, &pulumirpc.ReadRequest{Urn: pluginURN, Id: res.GetId(), Properties: res.GetProperties()})
	require.NoError(t, err)
	assert.Empty(t, rd.GetId(), "a deleted object reads as gone")

	// A mirror changes URLs only: an update that touches nothing; a pin replaces.
	mirrored := map[string]any{}
	for k, v := range in {
		mirrored[k] = v
	}
	var ms []any
	for _, src := range in["sources"].([]any) {
		m := map[string]any{}
		for k, v := range src.(map[string]any) {
			m[k] = v
		}
		m["url"] = strings.Replace(m["url"].(string), r.URL, "https://mirror.example.com", 1)
		ms = append(ms, m)
	}
	mirrored["sources"] = ms
	d, err := s.Diff(ctx, &pulumirpc.DiffRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, mirrored)})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, d.GetChanges())
	assert.Equal(t, []string{"sources"}, d.GetDiffs())
	assert.Empty(t, d.GetReplaces())
	up, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, mirrored)})
	require.NoError(t, err)
	assert.Equal(t, state["archiveSha256"], fromStruct(t, up.GetProperties())["archiveSha256"], "outputs carried over")

	// A pin is an update that verifies the files again and uploads nothing; a wrong pin fails it.
	puts := f.s3.Puts
	sources[2].Sha256 = sha256Hex([]byte("config provider classes"))
	pinned := pluginInputs(sources)
	assert.Equal(t, in["key"], pinned["key"])
	d, err = s.Diff(ctx, &pulumirpc.DiffRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, pinned)})
	require.NoError(t, err)
	assert.Equal(t, []string{"sources"}, d.GetDiffs())
	assert.Empty(t, d.GetReplaces(), "a pin does not replace the plugin (nor, through it, the connector)")
	gets := sumHits(r)
	_, err = s.Update(ctx, &pulumirpc.UpdateRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, pinned)})
	require.NoError(t, err)
	assert.Greater(t, sumHits(r), gets, "the files were fetched again to check the pin")
	assert.Equal(t, puts, f.s3.Puts, "nothing uploaded")
	sources[2].Sha256 = strings.Repeat("ab", 32)
	_, err = s.Update(ctx, &pulumirpc.UpdateRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, pluginInputs(sources))})
	require.ErrorContains(t, err, "but it is pinned to "+strings.Repeat("ab", 32))

	// A new version is a new object under a new key: create first, then delete the old.
	newer := append([]pluginarchive.Source(nil), sources...)
	newer[1].Version = "9.9.10"
	d, err = s.Diff(ctx, &pulumirpc.DiffRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, pluginInputs(newer))})
	require.NoError(t, err)
	assert.Equal(t, []string{"key", "sources"}, d.GetReplaces())
	assert.False(t, d.GetDeleteBeforeReplace())

	same, err := s.Diff(ctx, &pulumirpc.DiffRequest{Urn: pluginURN, Olds: res.GetProperties(), News: providertest.Props(t, in)})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, same.GetChanges())

	// Delete removes the object.
	_, err = s.Create(ctx, &pulumirpc.CreateRequest{Urn: pluginURN, Properties: providertest.Props(t, in)})
	require.NoError(t, err)
	_, err = s.Delete(ctx, &pulumirpc.DeleteRequest{Urn: pluginURN, Id: res.GetId(), Properties: res.GetProperties()})
	require.NoError(t, err)
	_, ok = f.s3.Object("haina-staging-artifacts", key)
	assert.False(t, ok)
}

func TestPluginArchiveMismatchUploadsNothing(t *testing.T) {
	s, f := startCDCProvider(t)
	r := startReleases(t)
	in := pluginInputs(pluginRelease(t, r, nil))
	r.put("/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz", tarGz(t, map[string]string{"debezium-connector-mysql/evil.jar": "x"}))
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: pluginURN, Properties: providertest.Props(t, in)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "checksum mismatch: debezium-connector-mysql 9.9.9.Final")
	assert.Zero(t, f.s3.Puts)
	assert.Empty(t, f.s3.Keys())
}

func TestPluginArchiveCheckFailures(t *testing.T) {
	s, _ := startCDCProvider(t)
	chk, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: pluginURN, News: providertest.Props(t, map[string]any{
		"bucket": "b", "key": "plugin.tar", "sources": []any{map[string]any{"name": "x", "url": "https://x/y.jar", "sha256": "zz"}},
	})})
	require.NoError(t, err)
	var reasons []string
	for _, f := range chk.GetFailures() {
		reasons = append(reasons, f.GetReason())
	}
	assert.Equal(t, []string{"key must end in .zip", `sources[0] (x): sha256 "zz" is not 64 hex digits`}, reasons)
}

const userURN = "urn:pulumi:staging::haina::haina:pipeline:Pipeline$haina:mysql:SqlObject::haina-mysql-debezium-user"

func debeziumUser() map[string]any {
	return map[string]any{
		"resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql",
		"secretArn":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
		"database":    "mysql", "kind": "user", "objectName": "'debezium'@'%'",
		"create": []any{
			"CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY " + provider.PasswordPlaceholder,
			"ALTER USER 'debezium'@'%' IDENTIFIED BY " + provider.PasswordPlaceholder,
			"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%'",
		},
		// A changed create is an in-place update of the grants: never a drop, never a password.
		"update": []any{
			"REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'debezium'@'%'",
			"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%'",
		},
		"drop":              []any{"DROP USER IF EXISTS 'debezium'@'%'"},
		"exists":            "SELECT 1 FROM mysql.user WHERE user = 'debezium' AND host = '%'",
		"passwordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:haina-staging-debezium-AbCdEf",
		"passwordUsername":  "debezium",
	}
}

func TestDatabaseUserPasswordGoesOnlyToTheSecretAndTheDatabase(t *testing.T) {
	s, f := startCDCProvider(t)
	in := debeziumUser()
	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, in)})
	require.NoError(t, err)

	raw, ok := f.secrets.Value(in["passwordSecretArn"].(string))
	require.True(t, ok, "the secret has a value")
	var cred map[string]string
	require.NoError(t, json.Unmarshal([]byte(raw), &cred))
	assert.Equal(t, "debezium", cred["username"])
	pw := cred["password"]
	assert.Regexp(t, `^[A-Z2-7]{26}$`, pw)

	st := f.rds.Statements()
	require.Len(t, st, 3)
	assert.Equal(t, "CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY '"+pw+"'", st[0].SQL)
	assert.Equal(t, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"+pw+"'", st[1].SQL)
	assert.Equal(t, "GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%'", st[2].SQL)
	assert.Equal(t, st[0].Transaction, st[2].Transaction)

	state, err := json.Marshal(fromStruct(t, res.GetProperties()))
	require.NoError(t, err)
	assert.NotContains(t, string(state), pw, "the state never holds the password")
	assert.NotContains(t, res.GetId(), pw)

	// A fresh create (a replacement) generates another password.
	_, err = s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, in)})
	require.NoError(t, err)
	raw2, _ := f.secrets.Value(in["passwordSecretArn"].(string))
	assert.NotEqual(t, raw, raw2)
}

func TestDatabaseUserFailureNeverShowsThePassword(t *testing.T) {
	s, f := startCDCProvider(t)
	// MySQL echoes the statement near the error, as it does for syntax errors.
	f.rds.Fail = func(sql string) string {
		if strings.HasPrefix(sql, "ALTER USER") {
			return "You have an error in your SQL syntax near '" + sql + "' at line 1"
		}
		return ""
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.Error(t, err)
	raw, _ := f.secrets.Value(debeziumUser()["passwordSecretArn"].(string))
	var cred map[string]string
	require.NoError(t, json.Unmarshal([]byte(raw), &cred))
	require.NotEmpty(t, cred["password"])
	assert.NotContains(t, err.Error(), cred["password"])
	assert.Contains(t, err.Error(), "statement 2 of 3 failed: ")
	assert.Contains(t, err.Error(), "ALTER USER 'debezium'@'%' IDENTIFIED BY '********'")
	assert.Equal(t, []string{"tx-1"}, f.rds.RolledBack)

	// A database that echoes only part of the statement (MySQL cuts "near '…'") leaks no piece of it either.
	s3p, f3 := startCDCProvider(t)
	f3.rds.Fail = func(sql string) string {
		if strings.HasPrefix(sql, "ALTER USER") {
			i := strings.Index(sql, "BY '") + 4
			return "syntax error near '" + sql[i+3:i+13] + "'"
		}
		return ""
	}
	_, err = s3p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.Error(t, err)
	raw3, _ := f3.secrets.Value(debeziumUser()["passwordSecretArn"].(string))
	var cred3 map[string]string
	require.NoError(t, json.Unmarshal([]byte(raw3), &cred3))
	assert.NotContains(t, err.Error(), cred3["password"][3:13])
	assert.Contains(t, err.Error(), "syntax error near '********'")

	// Secrets Manager refusing the write stops before any SQL runs.
	s2, f2 := startCDCProvider(t)
	f2.secrets.Fail = "User is not authorized to perform: secretsmanager:PutSecretValue"
	_, err = s2.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "storing the generated password in arn:aws:secretsmanager:us-east-1:123456789012:secret:haina-staging-debezium-AbCdEf")
	assert.Contains(t, err.Error(), "secretsmanager:PutSecretValue")
	assert.Empty(t, f2.rds.Statements())
}

func TestDatabaseUserChecks(t *testing.T) {
	s, _ := startCDCProvider(t)
	in := debeziumUser()
	in["drop"] = []any{"ALTER USER 'debezium'@'%' IDENTIFIED BY " + provider.PasswordPlaceholder}
	delete(in, "passwordUsername")
	chk, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: userURN, News: providertest.Props(t, in)})
	require.NoError(t, err)
	var reasons []string
	for _, f := range chk.GetFailures() {
		reasons = append(reasons, f.GetReason())
	}
	assert.ElementsMatch(t, []string{"only create statements may use :generated_password", "passwordUsername is required"}, reasons)

	plain := providertest.MySQLObject()
	plain["create"] = []any{"CREATE USER 'x'@'%' IDENTIFIED BY " + provider.PasswordPlaceholder}
	chk, err = s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: providertest.MySQLURN, News: providertest.Props(t, plain)})
	require.NoError(t, err)
	require.Len(t, chk.GetFailures(), 1)
	assert.Equal(t, "create uses :generated_password but passwordSecretArn is not set", chk.GetFailures()[0].GetReason())

	// A new secret does not replace the user (a drop would cut off the running
	// connector): the password moves into it in place, in rotation order
	// (TestDatabaseUserNewSecretRotatesInPlace); a new user name replaces it.
	olds := providertest.Props(t, debeziumUser())
	news := debeziumUser()
	news["passwordSecretArn"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ"
	d, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: userURN, Olds: olds, News: providertest.Props(t, news)})
	require.NoError(t, err)
	assert.Equal(t, []string{"passwordSecretArn"}, d.GetDiffs())
	assert.Empty(t, d.GetReplaces())
	d, err = s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: userURN, Olds: olds, News: providertest.Props(t, providertest.With(debeziumUser(), "passwordUsername", "cdc"))})
	require.NoError(t, err)
	assert.Equal(t, []string{"passwordUsername"}, d.GetReplaces())
}

func sumHits(r *releaseServer) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.hits {
		n += c
	}
	return n
}

// Production downloads pinned files only: the provider refuses the rest at
// preview (Check), naming the files and how to pin them; a pinned set passes.
func TestPluginArchiveRequiresPinsWhereAsked(t *testing.T) {
	s, _ := startCDCProvider(t)
	in := pluginInputs(pluginarchive.DebeziumMySQL)
	in["requirePins"] = true
	chk, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: pluginURN, News: providertest.Props(t, in)})
	require.NoError(t, err)
	require.Len(t, chk.GetFailures(), 1)
	assert.Contains(t, chk.GetFailures()[0].GetReason(),
		"debezium-connector-mysql, aws-msk-iam-auth, msk-config-providers not pinned, and this stack downloads pinned files only (production)")
	assert.Contains(t, chk.GetFailures()[0].GetReason(), "pulumi config set --path 'haina:cdc.plugin.sha256.<name>' <sha256>")

	pinned := append([]pluginarchive.Source(nil), pluginarchive.DebeziumMySQL...)
	for i := range pinned {
		pinned[i].Sha256 = strings.Repeat("ab", 32)
	}
	in = pluginInputs(pinned)
	in["requirePins"] = true
	chk, err = s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: pluginURN, News: providertest.Props(t, in)})
	require.NoError(t, err)
	assert.Empty(t, chk.GetFailures())
}

func TestProductionAsksForPinnedPluginFiles(t *testing.T) {
	for stack, want := range map[string]bool{"staging": false, "production": true} {
		g := evaluate(t, stack, nil)
		assert.Equal(t, want, in(one(t, g, provider.PluginArchiveType, "haina-connector-plugin"))["requirePins"], stack)
	}
}
