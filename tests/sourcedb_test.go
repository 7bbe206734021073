package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSourceDatabaseIsReadyForCDC(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			cluster := one(t, g, "aws:rds/cluster:Cluster", "haina-sourcedb")
			c := in(cluster)
			prod := stack == "production"
			assert.Equal(t, "aurora-mysql", c["engine"])
			assert.Regexp(t, `^8\.0\.mysql_aurora\.3\.`, c["engineVersion"])
			assert.Equal(t, true, c["storageEncrypted"])
			key := out(one(t, g, tKey, "haina-sourcedb-key"))["arn"]
			assert.Equal(t, key, c["kmsKeyId"])
			assert.Equal(t, true, c["manageMasterUserPassword"])
			assert.NotContains(t, c, "masterPassword", "no password may reach the state")
			assert.Equal(t, key, c["masterUserSecretKmsKeyId"])
			assert.Equal(t, true, c["enableHttpEndpoint"], "the RDS Data API runs the setup SQL")
			assert.Equal(t, prod, c["deletionProtection"])
			assert.Equal(t, !prod, c["skipFinalSnapshot"])
			if prod {
				assert.Equal(t, "haina-production-cdc-mysql-final", c["finalSnapshotIdentifier"])
			}
			assert.Equal(t, prod, cluster.Protect)
			assert.Equal(t, map[string]float64{"staging": 1, "production": 7}[stack], c["backupRetentionPeriod"])

			pg := in(one(t, g, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "haina-sourcedb"))
			assert.Equal(t, "aurora-mysql8.0", pg["family"])
			params := map[string]string{}
			for _, p := range pg["parameters"].([]any) {
				m := p.(map[string]any)
				params[m["name"].(string)] = m["value"].(string)
			}
			// Row binlog for Debezium, and Advanced Auditing so the exported audit log is not empty.
			assert.Equal(t, map[string]string{"binlog_format": "ROW", "binlog_row_image": "FULL",
				"server_audit_logging": "1", "server_audit_events": "CONNECT,QUERY_DCL,QUERY_DDL"}, params)
			assert.Equal(t, pg["name"], c["dbClusterParameterGroupName"])

			writer := in(one(t, g, "aws:rds/clusterInstance:ClusterInstance", "haina-sourcedb-writer"))
			assert.Equal(t, false, writer["publiclyAccessible"])
			assert.Equal(t, "db.serverless", writer["instanceClass"])
			assert.Len(t, in(one(t, g, "aws:rds/subnetGroup:SubnetGroup", "haina-sourcedb"))["subnetIds"], 3)
			assert.Regexp(t, `\.cluster-abc123\.us-east-1\.rds\.amazonaws\.com$`, g.Outputs["sourceDbEndpoint"])
		})
	}
}

func TestProductionTeardownStillKeepsAFinalSnapshot(t *testing.T) {
	g := evaluate(t, "production", map[string]string{"haina:protect": "false"})
	c := in(one(t, g, "aws:rds/cluster:Cluster", "haina-sourcedb"))
	assert.Equal(t, false, c["deletionProtection"], "lifting protection allows the delete")
	assert.Equal(t, false, c["skipFinalSnapshot"], "but production still keeps a final snapshot")
	assert.Equal(t, "haina-production-cdc-mysql-final", c["finalSnapshotIdentifier"])
}

func TestSourceDatabaseValidation(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"enabled":true,"database":{"mode":"existing","endpoint":"db.example.internal","securityGroupId":"sg-0123456789abcdef0"}}`:                                     `haina:cdc.database.secretArn: "" is not allowed; an existing database needs the full ARN (ending in - and 6 characters) of the Secrets Manager secret`,
		`{"enabled":true,"database":{"mode":"existing","secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:x","securityGroupId":"sg-0123456789abcdef0"}}`: `haina:cdc.database.endpoint: "" is not allowed`,
		`{"enabled":true,"database":{"minAcu":8,"maxAcu":4}}`:                     `haina:cdc.database.maxAcu: 4 is not allowed; allowed: 8 (minAcu) to 256`,
		`{"enabled":true,"database":{"minAcu":0.3}}`:                              `haina:cdc.database.minAcu: 0.3 is not allowed; allowed: 0.5 to 256 in steps of 0.5`,
		`{"enabled":true,"database":{"engineVersion":"5.7.mysql_aurora.2.11.2"}}`: `haina:cdc.database.engineVersion: "5.7.mysql_aurora.2.11.2" is not allowed; allowed: an Aurora MySQL 3 version`,
		`{"enabled":true,"database":{"mode":"clone"}}`:                            `haina:cdc.database.mode: "clone" is not allowed; allowed: create, existing`,
		`{"enabled":true,"database":{"mode":"existing","endpoint":"db.example.internal","securityGroupId":"sg-0123456789abcdef0","secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:debezium"}}`: `haina:cdc.database.secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:debezium" is not allowed; an existing database needs the full ARN`,
	} {
		_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": cfg})
		require.Error(t, err, cfg)
		assert.Contains(t, err.Error(), want)
	}
	g := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"database":{"mode":"existing","endpoint":"db.example.internal",` +
		`"secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:cdc/debezium-AbC123","securityGroupId":"sg-0123456789abcdef0"}}`})
	assert.Empty(t, g.OfType("aws:rds/cluster:Cluster"), "an existing database is not created")
	assert.Empty(t, g.OfType("haina:mysql:SqlObject"), "nor is any SQL run on it: docs/cdc.md lists the statements")
	assert.Empty(t, g.OfType("aws:secretsmanager/secret:Secret"))
	conn := in(one(t, g, "aws:mskconnect/connector:Connector", "haina-connector"))["connectorConfiguration"].(map[string]any)
	assert.Equal(t, "db.example.internal", conn["database.hostname"])
	assert.Equal(t, "${secretsmanager:cdc/debezium:password}", conn["database.password"], "the config provider resolves the secret by name")
	rule := in(one(t, g, tIngress, "haina-connector-mysql-from-connector"))
	assert.Equal(t, "sg-0123456789abcdef0", rule["securityGroupId"], "the existing database's group admits the connector")
	assert.Equal(t, 3306.0, rule["fromPort"])
	_, secret := statement(t, parsePolicy(t, in(one(t, g, "aws:iam/rolePolicy:RolePolicy", "haina-connector"))["policy"]), "DatabaseSecret")
	assert.Equal(t, []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:cdc/debezium-AbC123"}, secret)
}

func TestSourceDatabaseSetupSQLRunsThroughTheRDSDataAPI(t *testing.T) {
	for stack, demo := range map[string]bool{"staging": true, "production": false} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			cluster := out(one(t, g, "aws:rds/cluster:Cluster", "haina-sourcedb"))
			objs := g.OfType("haina:mysql:SqlObject")
			require.Len(t, objs, map[bool]int{true: 3, false: 2}[demo], "binlog retention, the Debezium user, and the demo schema in staging")
			for _, o := range objs {
				i := in(o)
				assert.Equal(t, cluster["arn"], i["resourceArn"])
				assert.Equal(t, cluster["masterUserSecrets"].([]any)[0].(map[string]any)["secretArn"], i["secretArn"])
				assert.NotContains(t, i, "workgroupName")
				assert.True(t, dependsOn(o, "aws:rds/clusterInstance:ClusterInstance", "haina-sourcedb-writer"), "%s waits for the writer", o.Name)
				assert.Contains(t, o.Parent, "haina:pipeline:Pipeline")
			}
			binlog := in(one(t, g, "haina:mysql:SqlObject", "haina-sourcedb-binlog-retention"))
			assert.Equal(t, []any{"CALL mysql.rds_set_configuration('binlog retention hours', 168)"}, binlog["create"])
			if demo {
				d := in(one(t, g, "haina:mysql:SqlObject", "haina-sourcedb-demo-schema"))
				assert.Equal(t, "CREATE DATABASE IF NOT EXISTS `salesdb`", d["create"].([]any)[0])
				assert.Equal(t, true, d["holdsData"])
			}
		})
	}
	_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"database":{"binlogRetentionHours":3000}}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `haina:cdc.database.binlogRetentionHours: 3000 is not allowed; allowed: 24 to 2160 hours`)
}
