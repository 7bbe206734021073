package tests

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	"github.com/haina-data/haina/sql"
	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/haina-data/haina/tests/fakesecrets"
	"github.com/haina-data/haina/tests/harness"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const debeziumSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:haina-staging-debezium-AbCdEf"

// oldPassword is the password a user had before: the secret's AWSCURRENT version "v-old".
const oldPassword = "OLDPASSWORDOLDPASSWORDOLDP"

func withOldPassword(t *testing.T, f cdcFakes) {
	t.Helper()
	require.NoError(t, f.secrets.Put(debeziumSecret, "v-old", `{"username":"debezium","password":"`+oldPassword+`"}`))
}

func credOf(t *testing.T, raw string) map[string]string {
	t.Helper()
	var cred map[string]string
	require.NoError(t, json.Unmarshal([]byte(raw), &cred))
	return cred
}

// renderedDebeziumUser is the user as the program declares it, from the real
// template, with the grant list replaced when grants is not "".
func renderedDebeziumUser(t *testing.T, grants string) map[string]any {
	t.Helper()
	o, err := sql.Render(sql.MySQLDebeziumUser, map[string]string{"User": components.DebeziumUser, "Host": "%"})
	require.NoError(t, err)
	list := func(sqls []string) []any {
		var out []any
		for _, q := range sqls {
			if grants != "" {
				q = strings.Replace(q, "GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON", "GRANT "+grants+" ON", 1)
			}
			out = append(out, q)
		}
		return out
	}
	return map[string]any{
		"resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql",
		"secretArn":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
		"database":    "mysql", "kind": o.Kind, "objectName": o.Name,
		"create": list(o.Create), "update": list(o.Update), "drop": list(o.Drop), "exists": o.Exists,
		"passwordSecretArn": debeziumSecret, "passwordUsername": components.DebeziumUser,
	}
}

// A changed template (the user's grants) is an in-place update that runs the
// grant statements only: no DROP USER, no new password, the secret untouched,
// the password's version (and so the connector) unchanged.
func TestDebeziumUserGrantsChangeIsAnInPlaceUpdate(t *testing.T) {
	s, f := startCDCProvider(t)
	ctx := context.Background()
	olds := renderedDebeziumUser(t, "")
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, olds)})
	require.NoError(t, err)
	state := fromStruct(t, created.GetProperties())
	version, _ := state[provider.PasswordVersionKey].(string)
	require.NotEmpty(t, version)
	current, _ := f.secrets.Value(debeziumSecret)
	puts, before := f.secrets.Puts, len(f.rds.Statements())

	news := renderedDebeziumUser(t, "SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT")
	chk, err := s.Check(ctx, &pulumirpc.CheckRequest{Urn: userURN, News: providertest.Props(t, news)})
	require.NoError(t, err)
	assert.Empty(t, chk.GetFailures())
	d, err := s.Diff(ctx, &pulumirpc.DiffRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news)})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, d.GetChanges())
	assert.Equal(t, []string{"create", "update"}, d.GetDiffs())
	assert.Empty(t, d.GetReplaces(), "a grants change never replaces the user (DROP USER, a new password)")

	pre, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news), Preview: true})
	require.NoError(t, err)
	assert.Equal(t, version, fromStruct(t, pre.GetProperties())[provider.PasswordVersionKey], "the preview promises the same password")

	up, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news)})
	require.NoError(t, err)
	assert.Equal(t, version, fromStruct(t, up.GetProperties())[provider.PasswordVersionKey], "the connector sees no new password")
	var ran []string
	for _, st := range f.rds.Statements()[before:] {
		ran = append(ran, st.SQL)
		assert.NotEmpty(t, st.Transaction, "one transaction")
	}
	assert.Equal(t, []string{
		"ALTER USER 'debezium'@'%' REQUIRE SSL",
		"REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'debezium'@'%'",
		"GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%'",
	}, ran)
	for _, q := range ran {
		assert.NotContains(t, q, "IDENTIFIED")
		assert.NotContains(t, q, "DROP")
	}
	assert.Equal(t, puts, f.secrets.Puts, "no new password")
	now, _ := f.secrets.Value(debeziumSecret)
	assert.Equal(t, current, now)
}

// A user with a generated password must give update statements, and those may
// neither set a password nor drop the user; a changed create without them is
// refused rather than turned into a replacement.
func TestDatabaseUserWithoutUpdateIsNeverReplacedForACreateChange(t *testing.T) {
	s, _ := startCDCProvider(t)
	ctx := context.Background()
	noUpdate := debeziumUser()
	delete(noUpdate, "update")
	chk, err := s.Check(ctx, &pulumirpc.CheckRequest{Urn: userURN, News: providertest.Props(t, noUpdate)})
	require.NoError(t, err)
	require.Len(t, chk.GetFailures(), 1)
	assert.Contains(t, chk.GetFailures()[0].GetReason(), "update is required when passwordSecretArn is set")

	bad := providertest.With(debeziumUser(), "update", []any{"DROP USER IF EXISTS 'debezium'@'%'", "ALTER USER 'debezium'@'%' IDENTIFIED BY 'x'"})
	chk, err = s.Check(ctx, &pulumirpc.CheckRequest{Urn: userURN, News: providertest.Props(t, bad)})
	require.NoError(t, err)
	require.Len(t, chk.GetFailures(), 2)
	for _, f := range chk.GetFailures() {
		assert.Contains(t, f.GetReason(), "update must not set a password or drop the user")
	}

	changed := providertest.With(noUpdate, "create", []any{"CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY " + provider.PasswordPlaceholder, "GRANT SELECT ON *.* TO 'debezium'@'%'"})
	_, err = s.Diff(ctx, &pulumirpc.DiffRequest{Urn: userURN, Olds: providertest.Props(t, noUpdate), News: providertest.Props(t, changed)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "replacing it would drop the user and give it a new password")
}

// The password is set in Secrets Manager's rotation order: AWSPENDING, then
// ALTER USER, then AWSCURRENT. While the database statements run, AWSCURRENT
// (what the connector reads) is still the old password.
func TestDatabaseUserPasswordIsSetInRotationOrder(t *testing.T) {
	s, f := startCDCProvider(t)
	withOldPassword(t, f)
	var mu sync.Mutex
	var events []string
	var atAlter struct {
		current, pending fakesecrets.Version
		hasPending       bool
	}
	f.secrets.FailAction = func(action string, in map[string]any) string {
		mu.Lock()
		defer mu.Unlock()
		if action == "PutSecretValue" {
			stages, _ := json.Marshal(in["VersionStages"])
			action += string(stages)
		}
		if action == "UpdateSecretVersionStage" {
			action += "(" + in["VersionStage"].(string) + ")"
		}
		events = append(events, action)
		return ""
	}
	f.rds.Fail = func(q string) string {
		if strings.HasPrefix(q, "ALTER USER") {
			// f.secrets' own lock is free here (the rds fake holds only its own).
			atAlter.current, _ = f.secrets.Stage(debeziumSecret, fakesecrets.Current)
			atAlter.pending, atAlter.hasPending = f.secrets.Stage(debeziumSecret, fakesecrets.Pending)
		}
		mu.Lock()
		events = append(events, "SQL "+strings.Fields(q)[0])
		mu.Unlock()
		return ""
	}
	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.NoError(t, err)

	assert.Equal(t, []string{"DescribeSecret", `PutSecretValue["AWSPENDING"]`, "SQL CREATE", "SQL ALTER", "SQL GRANT",
		"DescribeSecret", "UpdateSecretVersionStage(AWSCURRENT)", "UpdateSecretVersionStage(AWSPENDING)"}, events)
	assert.Equal(t, "v-old", atAlter.current.ID, "while ALTER USER runs, AWSCURRENT is still the old password")
	require.True(t, atAlter.hasPending, "the new password is AWSPENDING")
	pw := credOf(t, atAlter.pending.Value)["password"]
	assert.Regexp(t, `^[A-Z2-7]{26}$`, pw)

	cur, ok := f.secrets.Stage(debeziumSecret, fakesecrets.Current)
	require.True(t, ok)
	assert.Equal(t, atAlter.pending.ID, cur.ID, "AWSCURRENT moved to the new version")
	assert.Equal(t, pw, credOf(t, cur.Value)["password"])
	prev, _ := f.secrets.Stage(debeziumSecret, fakesecrets.Previous)
	assert.Equal(t, "v-old", prev.ID)
	_, pending := f.secrets.Stage(debeziumSecret, fakesecrets.Pending)
	assert.False(t, pending, "nothing left pending")
	assert.Equal(t, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"+pw+"'", f.rds.Statements()[1].SQL)

	state := fromStruct(t, res.GetProperties())
	assert.Equal(t, cur.ID, state[provider.PasswordVersionKey], "the state records the version id")
	b, _ := json.Marshal(state)
	assert.NotContains(t, string(b), pw)
}

// A failure after AWSPENDING but before ALTER USER leaves AWSCURRENT, which the
// connector reads, as the database has it; the next up sets the staged
// password (not another) and finishes.
func TestDatabaseUserFailureBeforeAlterLeavesCurrentAsTheDatabaseHasIt(t *testing.T) {
	s, f := startCDCProvider(t)
	withOldPassword(t, f)
	f.rds.Fail = func(q string) string {
		if strings.HasPrefix(q, "CREATE USER") {
			return "Lost connection to MySQL server during query"
		}
		return ""
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.Error(t, err)
	cur, _ := f.secrets.Stage(debeziumSecret, fakesecrets.Current)
	assert.Equal(t, "v-old", cur.ID, "AWSCURRENT did not move")
	assert.Equal(t, oldPassword, credOf(t, cur.Value)["password"])
	pending, ok := f.secrets.Stage(debeziumSecret, fakesecrets.Pending)
	require.True(t, ok, "the new password is staged")
	staged := credOf(t, pending.Value)["password"]
	assert.Contains(t, err.Error(), "stays staged as version "+pending.ID+" (AWSPENDING)")
	assert.Contains(t, err.Error(), "AWSCURRENT, which the connector reads, did not move")
	assert.NotContains(t, err.Error(), staged)

	f.rds.Fail = nil
	puts := f.secrets.Puts
	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.NoError(t, err)
	assert.Equal(t, puts, f.secrets.Puts, "the staged password is used, not another")
	st := f.rds.Statements()
	assert.Equal(t, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"+staged+"'", st[len(st)-2].SQL)
	cur, _ = f.secrets.Stage(debeziumSecret, fakesecrets.Current)
	assert.Equal(t, pending.ID, cur.ID)
	assert.Equal(t, pending.ID, fromStruct(t, res.GetProperties())[provider.PasswordVersionKey])
}

// A failure after ALTER USER (AWSCURRENT cannot move) says so without the
// password; the next up finds the AWSPENDING version, sets it again and finishes.
func TestDatabaseUserFailureAfterAlterIsFinishedByTheNextUp(t *testing.T) {
	s, f := startCDCProvider(t)
	withOldPassword(t, f)
	f.secrets.FailAction = func(action string, _ map[string]any) string {
		if action == "UpdateSecretVersionStage" {
			return "User is not authorized to perform: secretsmanager:UpdateSecretVersionStage"
		}
		return ""
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.Error(t, err)
	pending, ok := f.secrets.Stage(debeziumSecret, fakesecrets.Pending)
	require.True(t, ok)
	staged := credOf(t, pending.Value)["password"]
	assert.Contains(t, err.Error(), "the database has the password staged as version "+pending.ID+" (AWSPENDING)")
	assert.Contains(t, err.Error(), "the next `pulumi up` finishes it")
	assert.Contains(t, err.Error(), "secretsmanager:UpdateSecretVersionStage")
	assert.NotContains(t, err.Error(), staged)
	assert.NotContains(t, err.Error(), "exists, and is not adopted", "not a failed create statement")
	cur, _ := f.secrets.Stage(debeziumSecret, fakesecrets.Current)
	assert.Equal(t, "v-old", cur.ID)

	f.secrets.FailAction = nil
	puts := f.secrets.Puts
	var logs []string
	s.Log = func(_ context.Context, _, msg string) { logs = append(logs, msg) }
	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.NoError(t, err)
	assert.Equal(t, puts, f.secrets.Puts)
	cur, _ = f.secrets.Stage(debeziumSecret, fakesecrets.Current)
	assert.Equal(t, pending.ID, cur.ID, "finished: the staged version is current")
	assert.Equal(t, staged, credOf(t, cur.Value)["password"])
	_, stillPending := f.secrets.Stage(debeziumSecret, fakesecrets.Pending)
	assert.False(t, stillPending)
	assert.Equal(t, pending.ID, fromStruct(t, res.GetProperties())[provider.PasswordVersionKey])
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "finishing the password change an earlier run left unfinished (version "+pending.ID)
	assert.NotContains(t, logs[0], staged)
}

// The rotation input sets a new password in place: no DROP USER, rotation
// order, a new version (so a new connector).
func TestDatabaseUserRotationIsInPlace(t *testing.T) {
	s, f := startCDCProvider(t)
	ctx := context.Background()
	olds := providertest.With(debeziumUser(), "rotation", "2026-01")
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, olds)})
	require.NoError(t, err)
	v1 := fromStruct(t, created.GetProperties())[provider.PasswordVersionKey]
	first, _ := f.secrets.Value(debeziumSecret)

	news := providertest.With(debeziumUser(), "rotation", "2026-07")
	d, err := s.Diff(ctx, &pulumirpc.DiffRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news)})
	require.NoError(t, err)
	assert.Equal(t, []string{"rotation"}, d.GetDiffs())
	assert.Empty(t, d.GetReplaces())
	pre, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news), Preview: true})
	require.NoError(t, err)
	pv := pre.GetProperties().GetFields()[provider.PasswordVersionKey]
	require.NotNil(t, pv)
	assert.Equal(t, plugin.UnknownStringValue, pv.GetStringValue(), "unknown during the preview: the connector will be replaced")

	before := len(f.rds.Statements())
	up, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news)})
	require.NoError(t, err)
	v2 := fromStruct(t, up.GetProperties())[provider.PasswordVersionKey]
	assert.NotEqual(t, v1, v2)
	second, _ := f.secrets.Value(debeziumSecret)
	assert.NotEqual(t, credOf(t, first)["password"], credOf(t, second)["password"])
	for _, st := range f.rds.Statements()[before:] {
		assert.NotContains(t, st.SQL, "DROP")
	}
	assert.Contains(t, f.rds.Statements()[before+1].SQL, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"+credOf(t, second)["password"]+"'")

	// rotation without a generated password is refused.
	chk, err := s.Check(ctx, &pulumirpc.CheckRequest{Urn: providertest.MySQLURN, News: providertest.Props(t, providertest.With(providertest.MySQLObject(), "rotation", "1"))})
	require.NoError(t, err)
	require.Len(t, chk.GetFailures(), 1)
	assert.Contains(t, chk.GetFailures()[0].GetReason(), "rotation needs passwordSecretArn")
}

// A new secret (the secret resource replaced) gets the password in place, in
// rotation order: the user is not dropped while the old connector runs.
func TestDatabaseUserNewSecretRotatesInPlace(t *testing.T) {
	s, f := startCDCProvider(t)
	ctx := context.Background()
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.NoError(t, err)
	other := "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ"
	news := providertest.With(debeziumUser(), "passwordSecretArn", other)
	before := len(f.rds.Statements())
	up, err := s.Update(ctx, &pulumirpc.UpdateRequest{Urn: userURN, Olds: created.GetProperties(), News: providertest.Props(t, news)})
	require.NoError(t, err)
	raw, ok := f.secrets.Value(other)
	require.True(t, ok, "the new secret has the password")
	cur, _ := f.secrets.Stage(other, fakesecrets.Current)
	assert.Equal(t, cur.ID, fromStruct(t, up.GetProperties())[provider.PasswordVersionKey])
	var sqls []string
	for _, st := range f.rds.Statements()[before:] {
		sqls = append(sqls, st.SQL)
	}
	assert.Contains(t, sqls, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"+credOf(t, raw)["password"]+"'")
	assert.NotContains(t, strings.Join(sqls, "\n"), "DROP USER")
}

// A preview of a new user promises a password version it does not know yet.
func TestDatabaseUserCreatePreviewHasAnUnknownVersion(t *testing.T) {
	s, f := startCDCProvider(t)
	pre, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser()), Preview: true})
	require.NoError(t, err)
	pv := pre.GetProperties().GetFields()[provider.PasswordVersionKey]
	require.NotNil(t, pv, "the preview has passwordVersion")
	assert.Equal(t, plugin.UnknownStringValue, pv.GetStringValue(), "unknown")
	assert.Zero(t, f.secrets.Puts)
	assert.Empty(t, f.rds.Statements())
	// An object without a generated password has no such output.
	pre, err = s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: providertest.MySQLURN, Properties: providertest.Props(t, providertest.MySQLObject()), Preview: true})
	require.NoError(t, err)
	assert.NotContains(t, pre.GetProperties().GetFields(), provider.PasswordVersionKey)
}

// The connector's configuration carries the version id of the password the
// provider set (never the password): a new password is a changed
// configuration, which replaces the connector (delete first).
func TestConnectorIsReplacedWhenThePasswordChanges(t *testing.T) {
	run := func(version string) harness.Resource {
		cfg, err := harness.StackConfig("staging")
		require.NoError(t, err)
		m := &versionMocks{cloud: fakeaws.Cloud{Region: cfg["aws:region"]}, version: version}
		err = pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, err := harness.Program(ctx)
			return err
		}, pulumi.WithMocks("haina", "staging", m), func(ri *pulumi.RunInfo) { ri.Config = cfg })
		require.NoError(t, err)
		require.NotNil(t, m.connector.Inputs, "the connector was declared")
		return m.connector
	}
	a, b := run("0f1e2d3c4b5a69788796a5b4c3d2e1f0"), run("aaaabbbbccccddddeeeeffff00001111")
	ca := a.Inputs.Mappable()["connectorConfiguration"].(map[string]any)
	cb := b.Inputs.Mappable()["connectorConfiguration"].(map[string]any)
	assert.Equal(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", ca[components.SecretVersionKey])
	assert.Equal(t, "aaaabbbbccccddddeeeeffff00001111", cb[components.SecretVersionKey])
	assert.Contains(t, a.ReplaceOnChanges, "connectorConfiguration", "a new password replaces the connector")
	assert.True(t, a.DeleteBeforeReplace)
	for k := range ca {
		if k != components.SecretVersionKey {
			assert.Equal(t, ca[k], cb[k], k)
		}
	}
}

// versionMocks is the fake cloud, with haina's provider's passwordVersion
// output on a user with a generated password.
type versionMocks struct {
	cloud     fakeaws.Cloud
	version   string
	mu        sync.Mutex
	connector harness.Resource
}

func (m *versionMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state := m.cloud.Create(args.TypeToken, args.Name, args.Inputs)
	if args.TypeToken == provider.MySQLSqlObjectType {
		if _, ok := args.Inputs["passwordSecretArn"]; ok {
			state[provider.PasswordVersionKey] = resource.NewStringProperty(m.version)
		}
	}
	if args.TypeToken == tConnector {
		m.mu.Lock()
		m.connector = harness.Resource{Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs}
		if rpc := args.RegisterRPC; rpc != nil {
			m.connector.ReplaceOnChanges = rpc.GetReplaceOnChanges()
			m.connector.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		}
		m.mu.Unlock()
	}
	return id, state, nil
}

func (m *versionMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return m.cloud.Invoke(args.Token, args.Args)
}

// The fake keeps Secrets Manager's version stages; Value stays the current one.
func TestFakeSecretsKeepsVersionStages(t *testing.T) {
	f := fakesecrets.Start()
	defer f.Close()
	require.NoError(t, f.Put("s", "v1", "one", fakesecrets.Pending))
	v, _ := f.Stage("s", fakesecrets.Current)
	assert.Equal(t, "v1", v.ID, "a secret's first version is always current")
	require.NoError(t, f.Put("s", "v2", "two", fakesecrets.Pending))
	cur, _ := f.Value("s")
	assert.Equal(t, "one", cur, "AWSPENDING does not move AWSCURRENT")
	p, _ := f.Stage("s", fakesecrets.Pending)
	assert.Equal(t, "v2", p.ID, "AWSPENDING moved")
	require.NoError(t, f.Put("s", "v2", "two", fakesecrets.Pending), "the same token and value: a no-op")
	require.Error(t, f.Put("s", "v2", "other"), "a version never changes")
	require.NoError(t, f.Put("s", "v3", "three"))
	cur, _ = f.Value("s")
	assert.Equal(t, "three", cur, "no stages: AWSCURRENT")
	prev, _ := f.Stage("s", fakesecrets.Previous)
	assert.Equal(t, "v1", prev.ID)
}
