package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/haina-data/haina/components"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zeroETL is CDC in zero-etl mode on a stack (its stack file's CDC replaced).
func zeroETL(extra string) map[string]string {
	return map[string]string{"haina:cdc": `{"enabled":true,"mode":"zero-etl"` + extra + `}`}
}

func TestZeroETLReplacesKafkaWithAnIntegration(t *testing.T) {
	g := evaluate(t, "staging", zeroETL(`,"zeroEtl":{"tables":["salesdb.CUSTOMER","shop.*"]}`))
	for _, typ := range []string{"aws:msk/cluster:Cluster", "aws:mskconnect/connector:Connector", "aws:mskconnect/customPlugin:CustomPlugin",
		"haina:cdc:ChangeTables", "haina:cdc:Connector", "aws:lambda/invocation:Invocation"} {
		assert.Empty(t, g.OfType(typ), "zero-ETL declares no %s", typ)
	}
	assert.NotContains(t, g.Outputs, "kafkaClusterArn")
	for _, ep := range g.OfType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		assert.NotContains(t, in(ep)["serviceName"], "secretsmanager", "no connector resolves a secret")
	}

	// The source carries zero-ETL's parameters, attached at creation, and no binlog retention SQL.
	pg := in(one(t, g, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "haina-sourcedb"))
	params := map[string]string{}
	for _, p := range pg["parameters"].([]any) {
		m := p.(map[string]any)
		params[m["name"].(string)] = m["value"].(string)
		if m["name"] != "server_audit_logging" && m["name"] != "server_audit_events" {
			assert.Equal(t, "pending-reboot", m["applyMethod"], "%s is static", m["name"])
		}
	}
	assert.Equal(t, map[string]string{"aurora_enhanced_binlog": "1", "binlog_backup": "0", "binlog_format": "ROW",
		"binlog_replication_globaldb": "0", "binlog_row_image": "full", "binlog_row_metadata": "full",
		"server_audit_logging": "1", "server_audit_events": "CONNECT,QUERY_DCL,QUERY_DDL"}, params)
	cluster := one(t, g, "aws:rds/cluster:Cluster", "haina-sourcedb")
	assert.Equal(t, pg["name"], in(cluster)["dbClusterParameterGroupName"])
	for _, o := range g.OfType("haina:mysql:SqlObject") {
		assert.NotContains(t, o.Name, "binlog-retention")
	}

	// The namespace authorizes exactly this source (Redshift) and this account.
	ns := out(one(t, g, "aws:redshiftserverless/namespace:Namespace", "haina"))["arn"].(string)
	pol := one(t, g, "aws:redshift/resourcePolicy:ResourcePolicy", "haina-zero-etl")
	assert.Equal(t, ns, in(pol)["resourceArn"])
	var doc struct {
		Statement []struct {
			Sid       string
			Principal map[string][]string
			Action    []string
			Resource  []string
			Condition map[string]map[string][]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(in(pol)["policy"].(string)), &doc))
	require.Len(t, doc.Statement, 2)
	source := out(cluster)["arn"].(string)
	assert.Equal(t, []string{"redshift.amazonaws.com"}, doc.Statement[0].Principal["Service"])
	assert.Equal(t, []string{"redshift:AuthorizeInboundIntegration"}, doc.Statement[0].Action)
	assert.Equal(t, map[string]map[string][]string{"StringEquals": {"aws:SourceArn": {source}}}, doc.Statement[0].Condition)
	assert.Equal(t, []string{"arn:aws:iam::123456789012:root"}, doc.Statement[1].Principal["AWS"])
	assert.Equal(t, []string{"redshift:CreateInboundIntegration"}, doc.Statement[1].Action)
	for _, s := range doc.Statement {
		assert.Equal(t, []string{ns}, s.Resource)
	}

	// The integration: this source into this namespace, the tables as its data
	// filter, deleted before it is replaced (AWS allows one per source and target).
	integ := one(t, g, "aws:rds/integration:Integration", "haina-zero-etl")
	key := one(t, g, "aws:kms/key:Key", "haina-zero-etl-key")
	assert.Equal(t, map[string]any{"integrationName": "haina-staging-cdc", "sourceArn": source, "targetArn": ns,
		"kmsKeyId": out(key)["arn"], "dataFilter": "include: salesdb.CUSTOMER, include: shop.*", "tags": in(integ)["tags"]}, in(integ))

	// Its key: Redshift may create its grant (only for the operations AWS's
	// sample names), the account uses it through RDS only. Fails on a key
	// policy like the other keys': AWS then refuses the integration.
	keyDoc := parsePolicy(t, in(key)["policy"])
	var sids []string
	for _, st := range keyDoc.Statement {
		sids = append(sids, st.Sid)
		switch st.Sid {
		case "RedshiftCreatesGrants":
			assert.Equal(t, map[string][]string{"Service": {"redshift.amazonaws.com"}}, st.Principal)
			assert.Equal(t, []string{"kms:CreateGrant"}, st.Action)
			assert.Equal(t, map[string]map[string][]string{"ForAllValues:StringEquals": {"kms:GrantOperations": {"CreateGrant", "Decrypt", "GenerateDataKey"}}}, st.Condition)
		case "AccountUsesThroughServices", "ServicesAttachGrants":
			assert.Equal(t, []string{"rds.us-east-1.amazonaws.com"}, st.Condition["StringEquals"]["kms:ViaService"], st.Sid)
		}
	}
	assert.Equal(t, []string{"AccountAdministers", "AccountUsesThroughServices", "ServicesAttachGrants", "RedshiftCreatesGrants"}, sids)
	assert.Equal(t, true, in(key)["enableKeyRotation"])
	assert.True(t, integ.DeleteBeforeReplace)
	for _, dep := range []string{"aws:rds/clusterInstance:ClusterInstance::haina-sourcedb-writer", "aws:redshift/resourcePolicy:ResourcePolicy::haina-zero-etl",
		"aws:redshiftserverless/workgroup:Workgroup::haina"} {
		found := false
		for _, d := range integ.Dependencies {
			found = found || strings.HasSuffix(d, dep)
		}
		assert.True(t, found, "the integration waits for %s", dep)
	}

	// The destination database, from the integration's id, outside a transaction, holding data.
	db := in(one(t, g, "haina:redshift:SqlObject", "haina-zero-etl-database"))
	id := components.IntegrationID(out(integ)["arn"].(string))
	assert.Equal(t, []any{`CREATE DATABASE "haina_cdc" FROM INTEGRATION '` + id + `'`}, db["create"])
	assert.Equal(t, []any{`DROP DATABASE "haina_cdc"`}, db["drop"])
	assert.Equal(t, `SELECT 1 FROM svv_redshift_databases WHERE database_name = 'haina_cdc'`, db["exists"])
	assert.Equal(t, true, db["nonTransactional"])
	assert.Equal(t, true, db["holdsData"])
	assert.Equal(t, "haina_cdc", g.Outputs["cdcDatabase"])

	// The filter: the integration ignores later changes to it, and haina's
	// provider applies them (rds:ModifyIntegration), after the database exists
	// (AWS modifies a filter only then). Without it a new table list would
	// replace the integration and the database.
	assert.Equal(t, []string{"dataFilter"}, integ.IgnoreChanges)
	filter := one(t, g, "haina:rds:IntegrationDataFilter", "haina-zero-etl-filter")
	assert.Equal(t, map[string]any{"integrationArn": out(integ)["arn"], "dataFilter": in(integ)["dataFilter"]}, in(filter))
	assert.Contains(t, filter.Provider, "pulumi:providers:haina::haina-sql")
	found := false
	for _, d := range filter.Dependencies {
		found = found || strings.HasSuffix(d, "haina:redshift:SqlObject::haina-zero-etl-database")
	}
	assert.True(t, found, "the filter waits for the destination database")
	queries := g.Outputs["cdcQueries"].(map[string]string)
	assert.Contains(t, queries["tableStates"], "WHERE integration_id = '"+id+"'")

	// The integration's lag and failed tables alarm, on its id (known after deploy).
	lag := in(one(t, g, "aws:cloudwatch/metricAlarm:MetricAlarm", "haina-monitoring-zero-etl-lag"))
	assert.Equal(t, "IntegrationLag", lag["metricName"])
	assert.Equal(t, map[string]any{"IntegrationId": id}, lag["dimensions"])
	assert.Equal(t, 30.0*60, lag["threshold"], "three refresh periods of 10 minutes")
	failed := in(one(t, g, "aws:cloudwatch/metricAlarm:MetricAlarm", "haina-monitoring-zero-etl-failed-tables"))
	assert.Equal(t, "IntegrationNumTablesFailedReplication", failed["metricName"])
	assert.Equal(t, map[string]any{"IntegrationId": id}, failed["dimensions"])
	assert.Contains(t, in(one(t, g, "aws:cloudwatch/dashboard:Dashboard", "haina-monitoring"))["dashboardBody"], `"IntegrationId","`+id+`"`)
	for _, a := range g.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.NotContains(t, a.Name, "connector-", "no connector to alarm on")
	}

	// Nothing of the apply remains in the scheduled call.
	assert.NotContains(t, in(one(t, g, "haina:redshift:SqlObject", "haina-refresh-procedure"))["create"].([]any)[0], "apply_")
}

func TestZeroETLInProductionIsProtected(t *testing.T) {
	g := evaluate(t, "production", zeroETL(`,"zeroEtl":{"tables":["shop.orders"]}`))
	assert.True(t, one(t, g, "aws:rds/integration:Integration", "haina-zero-etl").Protect)
	assert.True(t, one(t, g, "aws:kms/key:Key", "haina-zero-etl-key").Protect, "the integration's key outlives a mistaken delete")
	db := one(t, g, "haina:redshift:SqlObject", "haina-zero-etl-database")
	assert.True(t, db.Protect)
	assert.Equal(t, true, in(db)["guardDelete"], "dropping the replicated data needs allowDataLoss")
}

func TestZeroETLConfigIsRefusedWithAClearMessage(t *testing.T) {
	cases := []struct {
		name   string
		stack  string
		config map[string]string
		want   string
	}{
		{"unknown mode", "staging", map[string]string{"haina:cdc": `{"enabled":true,"mode":"dms"}`},
			`haina:cdc.mode: "dms" is not allowed; allowed: debezium (`},
		{"a Debezium key in zero-etl mode", "staging", zeroETL(`,"connector":{"tables":["shop.orders"]}`),
			`haina:cdc.connector.tables: ["shop.orders"] is not allowed; only haina:cdc.mode debezium reads it`},
		{"Debezium's binlog retention in zero-etl mode", "staging", zeroETL(`,"database":{"binlogRetentionHours":48}`),
			`haina:cdc.database.binlogRetentionHours: 48 is not allowed; only haina:cdc.mode debezium reads it`},
		{"a zero-ETL key in debezium mode", "staging", map[string]string{"haina:cdc": `{"enabled":true,"zeroEtl":{"database":"other"}}`},
			`haina:cdc.zeroEtl.database: "other" is not allowed; only haina:cdc.mode zero-etl reads it`},
		{"Aurora MySQL before 3.05.2", "staging", zeroETL(`,"database":{"engineVersion":"8.0.mysql_aurora.3.05.1"}`),
			`haina:cdc.database.engineVersion: "8.0.mysql_aurora.3.05.1" is not allowed; zero-ETL needs Aurora MySQL 3.05.2 or later`},
		{"no tables in production", "production", zeroETL(``),
			`haina:cdc.zeroEtl.tables: [] is not allowed; list 1 to 99 tables`},
		{"a column filter", "staging", zeroETL(`,"zeroEtl":{"tables":["shop.orders.id"]}`),
			`haina:cdc.zeroEtl.tables[0]: "shop.orders.id" is not allowed; allowed: database.table or database.*`},
		{"an existing source without its ARN", "staging", zeroETL(`,"database":{"mode":"existing"}`),
			`haina:cdc.database.clusterArn: "" is not allowed; an existing zero-ETL source needs its Aurora MySQL cluster's ARN`},
		{"case-insensitive identifiers", "staging", map[string]string{"haina:cdc": `{"enabled":true,"mode":"zero-etl"}`,
			"haina:warehouse": `{"configParameters":{"enable_case_sensitive_identifier":"false"}}`},
			`haina:warehouse.configParameters.enable_case_sensitive_identifier: "false" is not allowed; a zero-ETL target needs case-sensitive identifiers`},
		{"the warehouse's own database", "staging", zeroETL(`,"zeroEtl":{"tables":["shop.orders"],"database":"dev"}`),
			`haina:cdc.zeroEtl.database: "dev" is not allowed; a database of its own`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := evaluateErr(t, c.stack, c.config)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, g.Resources, "no resource may be declared from bad config")
		})
	}
}
