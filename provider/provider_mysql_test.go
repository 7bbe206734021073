package provider_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	"github.com/haina-data/haina/tests/fakerdsdata"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startMySQLProvider(t *testing.T) (*provider.Server, *fakerdsdata.Server) {
	t.Helper()
	fake := fakerdsdata.Start()
	t.Cleanup(fake.Close)
	s := provider.NewServer()
	s.NewRDSDataAPI = func(_ context.Context, c provider.Config) (provider.RDSDataAPI, error) {
		return rdsdata.New(rdsdata.Options{
			Region: c.Region, BaseEndpoint: aws.String(fake.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		}), nil
	}
	_, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: providertest.Props(t, map[string]any{"region": "us-east-1"})})
	require.NoError(t, err)
	return s, fake
}

func TestMySQLObjectsRunInOrderInOneTransaction(t *testing.T) {
	s, fake := startMySQLProvider(t)
	res, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: providertest.MySQLURN, Properties: providertest.Props(t, providertest.MySQLObject())})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql/haina/binlog retention hours", res.GetId())
	st := fake.Statements()
	require.Len(t, st, 2)
	assert.Equal(t, "CALL mysql.rds_set_configuration('binlog retention hours', 168)", st[0].SQL)
	assert.Equal(t, "CREATE DATABASE IF NOT EXISTS salesdb", st[1].SQL)
	assert.Equal(t, "tx-1", st[0].Transaction)
	assert.Equal(t, "tx-1", st[1].Transaction)
	assert.Equal(t, []string{"tx-1"}, fake.Committed)
	assert.Contains(t, st[0].SecretArn, "secret:rds!cluster-x")
}

func TestMySQLFailureRollsBackWithTheDatabaseMessage(t *testing.T) {
	s, fake := startMySQLProvider(t)
	fake.Fail = func(sql string) string {
		if strings.HasPrefix(sql, "CREATE DATABASE") {
			return "Access denied for user 'haina_admin'@'%' to database 'salesdb'"
		}
		return ""
	}
	_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: providertest.MySQLURN, Properties: providertest.Props(t, providertest.MySQLObject())})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "creating configuration binlog retention hours (cluster arn:aws:rds:us-east-1:123456789012:cluster:haina-staging-cdc-mysql, database haina)")
	assert.Contains(t, err.Error(), "statement 2 of 2 failed")
	assert.Contains(t, err.Error(), "Access denied for user 'haina_admin'@'%' to database 'salesdb'")
	assert.Equal(t, []string{"tx-1"}, fake.RolledBack)
	assert.Empty(t, fake.Committed)
}

func TestMySQLReadAndDelete(t *testing.T) {
	s, fake := startMySQLProvider(t)
	p := providertest.Props(t, providertest.MySQLObject())
	fake.Rows = func(string) int { return 1 }
	res, err := s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: providertest.MySQLURN, Id: "id", Properties: p, Inputs: p})
	require.NoError(t, err)
	assert.Equal(t, "id", res.GetId())
	fake.Rows = func(string) int { return 0 }
	res, err = s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: providertest.MySQLURN, Id: "id", Properties: p, Inputs: p})
	require.NoError(t, err)
	assert.Empty(t, res.GetId(), "gone")
	_, err = s.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: providertest.MySQLURN, Id: "id", Properties: p})
	require.NoError(t, err)
	st := fake.Statements()
	assert.Equal(t, "CALL mysql.rds_set_configuration('binlog retention hours', NULL)", st[len(st)-1].SQL)

	// The RDS Data API always runs as a secret's user: a MySQL object without one is refused.
	chk, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: providertest.MySQLURN, News: providertest.Props(t, providertest.With(providertest.MySQLObject(), "secretArn", ""))})
	require.NoError(t, err)
	require.Len(t, chk.GetFailures(), 1)
	assert.Equal(t, "secretArn is required", chk.GetFailures()[0].GetReason())
}
