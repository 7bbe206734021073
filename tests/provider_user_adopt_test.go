package tests

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A user with a generated password is never adopted: nothing can check that
// it has the password in the secret. Its create runs (storing a new
// password first); when it cannot run on an existing user, the error says
// why the user was not adopted and how to get out.
func TestProviderNeverAdoptsAUserWithAGeneratedPassword(t *testing.T) {
	s, f := startCDCProvider(t)
	var sqls []string
	var mu sync.Mutex
	f.rds.Rows = func(string) int { return 1 } // the user exists
	f.rds.Fail = func(sql string) string {
		mu.Lock()
		sqls = append(sqls, sql)
		mu.Unlock()
		if strings.HasPrefix(sql, "CREATE USER 'debezium'") {
			return "Operation CREATE USER failed for 'debezium'@'%'"
		}
		return ""
	}
	user := providertest.With(debeziumUser(), "create", []any{
		"CREATE USER 'debezium'@'%' IDENTIFIED BY " + provider.PasswordPlaceholder, // not re-runnable
		"GRANT SELECT ON *.* TO 'debezium'@'%'",
	})
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, user)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Operation CREATE USER failed")
	assert.Contains(t, err.Error(), "exists, and is not adopted: its create sets a generated password")
	assert.Contains(t, err.Error(), "drop it (DROP USER IF EXISTS 'debezium'@'%')")
	raw, ok := f.secrets.Value(debeziumUser()["passwordSecretArn"].(string))
	require.True(t, ok, "a new password was stored before the create ran")
	assert.NotContains(t, err.Error(), raw)
	assert.Equal(t, "CREATE USER 'debezium'@'%' IDENTIFIED BY '", sqls[0][:len("CREATE USER 'debezium'@'%' IDENTIFIED BY '")], "the create ran")

	// The real (re-runnable) create runs again on an existing user and sets the new password.
	s2, f2 := startCDCProvider(t)
	f2.rds.Rows = func(string) int { return 1 }
	_, err = s2.Create(context.Background(), &pulumirpc.CreateRequest{Urn: userURN, Properties: providertest.Props(t, debeziumUser())})
	require.NoError(t, err)
	st := f2.rds.Statements()
	require.Len(t, st, 3, "no existence check replaced the create")
	assert.True(t, strings.HasPrefix(st[1].SQL, "ALTER USER 'debezium'@'%' IDENTIFIED BY '"))
}
