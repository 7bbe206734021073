package tests

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/pluginarchive"
	"github.com/haina-data/haina/provider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tConnector = "aws:mskconnect/connector:Connector"
	tPlugin    = "aws:mskconnect/customPlugin:CustomPlugin"
	tWorker    = "aws:mskconnect/workerConfiguration:WorkerConfiguration"
	tArchive   = provider.PluginArchiveType
)

func properties(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + "\n")
	}
	return b.String()
}

// Every key and value of the rendered Debezium configuration, with awkward
// names (a table with $ and upper case, two databases).
func TestGoldenDebeziumConnectorConfiguration(t *testing.T) {
	got := properties(components.DebeziumConfig(components.DebeziumSettings{
		Hostname: "haina-staging-cdc-mysql.cluster-abc123.us-east-1.rds.amazonaws.com", Port: 3306,
		SecretName:       "haina-staging-cdc-debezium-20260101",
		BootstrapServers: "b-1.x.kafka.us-east-1.amazonaws.com:9098,b-2.x.kafka.us-east-1.amazonaws.com:9098",
		TopicPrefix:      "salesdb", Tables: []string{"salesdb.CUSTOMER", "billing.invoice$2026", "salesdb.ORDERS"},
		ServerID: 184054, Partitions: 3, Replication: 3,
		KeyColumns: map[string][]string{"salesdb.ORDERS": {"order_id", "line"}, "billing.invoice$2026": {"id"}},
	}))
	path := filepath.Join("testdata", "debezium_connector.properties")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run `go test ./tests -run GoldenDebezium -update` once to create it")
	assert.Equal(t, string(want), got)
}

func connectorConfig(t *testing.T, stack string, overrides map[string]string) map[string]any {
	t.Helper()
	g := evaluate(t, stack, overrides)
	return in(one(t, g, tConnector, "haina-connector"))["connectorConfiguration"].(map[string]any)
}

func TestConnectorIsProvisionedOneWorkerOneTaskIAMAndTLS(t *testing.T) {
	for stack, mcu := range map[string]float64{"staging": 1, "production": 2} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			c := in(one(t, g, tConnector, "haina-connector"))
			assert.Equal(t, "haina-"+stack+"-cdc", c["name"])
			assert.Equal(t, "3.7.x", c["kafkaconnectVersion"])
			assert.Equal(t, map[string]any{"provisionedCapacity": map[string]any{"mcuCount": mcu, "workerCount": 1.0}}, c["capacity"],
				"provisioned, one worker: Debezium MySQL does not work with autoscaling")
			assert.Equal(t, map[string]any{"authenticationType": "IAM"}, c["kafkaClusterClientAuthentication"])
			assert.Equal(t, map[string]any{"encryptionType": "TLS"}, c["kafkaClusterEncryptionInTransit"])
			kc := c["kafkaCluster"].(map[string]any)["apacheKafkaCluster"].(map[string]any)
			assert.Equal(t, out(one(t, g, tMSK, "haina-kafka"))["bootstrapBrokersSaslIam"], kc["bootstrapServers"])
			assert.Equal(t, []any{one(t, g, tSG, "haina-connector").ID}, kc["vpc"].(map[string]any)["securityGroups"])
			assert.Equal(t, in(one(t, g, tMSK, "haina-kafka"))["brokerNodeGroupInfo"].(map[string]any)["clientSubnets"], kc["vpc"].(map[string]any)["subnets"])
			logs := c["logDelivery"].(map[string]any)["workerLogDelivery"].(map[string]any)["cloudwatchLogs"].(map[string]any)
			assert.Equal(t, map[string]any{"enabled": true, "logGroup": "/haina/haina-" + stack + "-cdc/connector"}, logs)
			plugin := out(one(t, g, tPlugin, "haina-connector"))
			assert.Equal(t, []any{map[string]any{"customPlugin": map[string]any{"arn": plugin["arn"], "revision": 1.0}}}, c["plugins"])
			worker := out(one(t, g, tWorker, "haina-connector"))
			assert.Equal(t, map[string]any{"arn": worker["arn"], "revision": 1.0}, c["workerConfiguration"])
			assert.Equal(t, out(one(t, g, tRole, "haina-connector"))["arn"], c["serviceExecutionRoleArn"])
			conn := one(t, g, tConnector, "haina-connector")
			assert.True(t, dependsOn(conn, "haina:mysql:SqlObject", "haina-connector-debezium-user"), "Debezium logs in only once its user exists")
			assert.True(t, dependsOn(conn, tEndpoint, "haina-secretsmanager"), "workers resolve the secret through the endpoint")
			assert.True(t, conn.DeleteBeforeReplace, "a fixed name: the old connector goes first")
			assert.Regexp(t, `^haina-`+stack+`-cdc-[0-9a-f]{8}$`, in(one(t, g, tWorker, "haina-connector"))["name"], "named by content: a change is a new one")

			// The configuration in the graph is the golden renderer's output with this stack's values.
			cfg := c["connectorConfiguration"].(map[string]any)
			secret := out(one(t, g, "aws:secretsmanager/secret:Secret", "haina-connector-debezium"))
			want := components.DebeziumConfig(components.DebeziumSettings{
				Hostname: out(one(t, g, "aws:rds/cluster:Cluster", "haina-sourcedb"))["endpoint"].(string), Port: 3306,
				SecretName: secret["name"].(string), BootstrapServers: kc["bootstrapServers"].(string),
				TopicPrefix: map[string]string{"staging": "salesdb", "production": "shop"}[stack],
				Tables:      map[string][]string{"staging": {"salesdb.CUSTOMER"}, "production": {"shop.orders", "shop.customers"}}[stack],
				ServerID:    components.DefaultServerID("haina-" + stack + "-cdc"), Partitions: 3, Replication: 3,
				KeyColumns: map[string]map[string][]string{"staging": {"salesdb.CUSTOMER": {"CUST_ID"}},
					"production": {"shop.orders": {"order_id"}, "shop.customers": {"customer_id"}}}[stack],
			})
			// Every change of a row stays in one partition (keyed by the configured
			// key), offsets are committed while tables are quiet, TRUNCATE is skipped on purpose.
			assert.Equal(t, map[string]string{"staging": `salesdb\.CUSTOMER:CUST_ID`,
				"production": `shop\.customers:customer_id;shop\.orders:order_id`}[stack], cfg["message.key.columns"])
			assert.Equal(t, "60000", cfg["heartbeat.interval.ms"])
			assert.Equal(t, "t", cfg["skipped.operations"])
			assert.Equal(t, len(want), len(cfg))
			for k, v := range want {
				assert.Equal(t, v, cfg[k], k)
			}
			assert.Equal(t, "1", cfg["tasks.max"])
			assert.Equal(t, "none", cfg["config.action.reload"])

			worker = in(one(t, g, tWorker, "haina-connector"))
			assert.Equal(t, "offset.storage.topic=__amazon_msk_connect_offsets_haina-"+stack+"-cdc\n"+
				"key.converter=org.apache.kafka.connect.json.JsonConverter\nkey.converter.schemas.enable=false\n"+
				"value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n"+
				"config.providers=secretsmanager\nconfig.providers.secretsmanager.class=com.amazonaws.kafka.config.providers.SecretsManagerConfigProvider\n"+
				"config.providers.secretsmanager.param.region=us-east-1\n", worker["propertiesFileContent"])
		})
	}
	assert.NotEqual(t, components.DefaultServerID("haina-staging-cdc"), components.DefaultServerID("haina-production-cdc"))
	id := connectorConfig(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"connector":{"serverId":5400}}`})["database.server.id"]
	assert.Equal(t, "5400", id)
}

// No input anywhere holds a database password: the connector names the secret,
// the Debezium user's password is generated by the provider at deploy time.
func TestNoPasswordInAnyInput(t *testing.T) {
	secretRef := regexp.MustCompile(`^\$\{secretsmanager:[^:}]+:(username|password)\}$`)
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		for _, r := range g.Resources {
			var walk func(path string, v any)
			walk = func(path string, v any) {
				switch x := v.(type) {
				case map[string]any:
					for k, e := range x {
						walk(path+"."+k, e)
					}
				case []any:
					for i, e := range x {
						walk(fmt.Sprintf("%s[%d]", path, i), e)
					}
				case string:
					// A value named like a password must be a reference; ARNs, key ids and user names name things.
					leaf := strings.ToLower(path[strings.LastIndex(path, ".")+1:])
					isRef := strings.HasSuffix(leaf, "arn") || strings.HasSuffix(leaf, "keyid") || strings.HasSuffix(leaf, "username")
					if strings.Contains(leaf, "password") && !isRef {
						assert.Regexp(t, secretRef, x, "%s %s%s holds a value", r.Type, r.Name, path)
					}
					assert.NotRegexp(t, `(?i)password\s*=\s*\S`, x, "%s %s%s", r.Type, r.Name, path)
				}
			}
			walk("", in(r))
		}
		cfg := in(one(t, g, tConnector, "haina-connector"))["connectorConfiguration"].(map[string]any)
		secretName := out(one(t, g, "aws:secretsmanager/secret:Secret", "haina-connector-debezium"))["name"]
		assert.Equal(t, "${secretsmanager:"+secretName.(string)+":password}", cfg["database.password"])
		assert.Equal(t, "${secretsmanager:"+secretName.(string)+":username}", cfg["database.user"])
		user := in(one(t, g, "haina:mysql:SqlObject", "haina-connector-debezium-user"))
		assert.Equal(t, out(one(t, g, "aws:secretsmanager/secret:Secret", "haina-connector-debezium"))["arn"], user["passwordSecretArn"])
		assert.Contains(t, user["create"].([]any)[0], provider.PasswordPlaceholder, "the provider fills it in")
		sec := in(one(t, g, "aws:secretsmanager/secret:Secret", "haina-connector-debezium"))
		assert.Equal(t, out(one(t, g, tKey, "haina-sourcedb-key"))["arn"], sec["kmsKeyId"], "encrypted with the database's key")
		assert.Empty(t, g.OfType("aws:secretsmanager/secretVersion:SecretVersion"), "no secret value passes through Pulumi")
	}
}

func TestConnectorRoleIsExact(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		role := in(one(t, g, tRole, "haina-connector"))
		trust := parsePolicy(t, role["assumeRolePolicy"])
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, []string{"kafkaconnect.amazonaws.com"}, trust.Statement[0].Principal["Service"])
		assert.Equal(t, map[string]map[string][]string{
			"StringEquals": {"aws:SourceAccount": {"123456789012"}},
			"ArnLike":      {"aws:SourceArn": {"arn:aws:kafkaconnect:us-east-1:123456789012:connector/haina-" + stack + "-cdc/*"}},
		}, trust.Statement[0].Condition)

		// MSK's ARN formats, spelled out: cluster/<name>/<uuid>, topic/<name>/<uuid>/<topic>, group/<name>/<uuid>/<group>.
		ms := out(one(t, g, tMSK, "haina-kafka"))
		cluster := ms["arn"].(string)
		require.Equal(t, "arn:aws:kafka:us-east-1:123456789012:cluster/haina-"+stack+"-cdc/"+ms["clusterUuid"].(string), cluster)
		topic := "arn:aws:kafka:us-east-1:123456789012:topic/haina-" + stack + "-cdc/" + ms["clusterUuid"].(string) + "/"
		group := "arn:aws:kafka:us-east-1:123456789012:group/haina-" + stack + "-cdc/" + ms["clusterUuid"].(string) + "/"
		prefix := map[string]string{"staging": "salesdb", "production": "shop"}[stack]
		p := parsePolicy(t, in(one(t, g, "aws:iam/rolePolicy:RolePolicy", "haina-connector"))["policy"])
		require.Len(t, p.Statement, 6)
		for sid, want := range map[string][2][]string{
			"Cluster": {{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeClusterDynamicConfiguration"}, {cluster}},
			"ChangeTopics": {{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"},
				{topic + prefix + ".*", topic + "__debezium-heartbeat." + prefix}},
			"SchemaHistoryAndConnectTopics": {{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"},
				{topic + "schemahistory." + prefix, topic + "__amazon_msk_connect_*"}},
			"Groups":            {{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"}, {group + prefix + "-schemahistory", group + "__amazon_msk_connect_*"}},
			"DatabaseSecret":    {{"secretsmanager:GetSecretValue"}, {out(one(t, g, "aws:secretsmanager/secret:Secret", "haina-connector-debezium"))["arn"].(string)}},
			"DatabaseSecretKey": {{"kms:Decrypt"}, {out(one(t, g, tKey, "haina-sourcedb-key"))["arn"].(string)}},
		} {
			actions, resources := statement(t, p, sid)
			assert.Equal(t, want[0], actions, sid)
			assert.ElementsMatch(t, want[1], resources, sid)
		}
		for _, s := range p.Statement {
			if s.Sid == "DatabaseSecretKey" {
				assert.Equal(t, map[string]map[string][]string{"StringEquals": {"kms:ViaService": {"secretsmanager.us-east-1.amazonaws.com"}}}, s.Condition)
			}
		}
	}
}

func TestConnectorNetworkRules(t *testing.T) {
	g := evaluate(t, "staging", nil)
	connSG, dbSG, kafkaSG := one(t, g, tSG, "haina-connector").ID, one(t, g, tSG, "haina-sourcedb").ID, one(t, g, tSG, "haina-kafka").ID
	egress := map[string]string{}
	for _, r := range g.OfType(tEgress) {
		if i := in(r); i["securityGroupId"] == connSG {
			dest := fmt.Sprint(i["referencedSecurityGroupId"])
			if i["cidrIpv4"] != nil {
				dest = fmt.Sprint(i["cidrIpv4"])
			}
			egress[fmt.Sprintf("%v/%v-%v", i["ipProtocol"], i["fromPort"], i["toPort"])] = dest
		}
	}
	assert.Equal(t, map[string]string{"tcp/3306-3306": dbSG, "tcp/9098-9098": kafkaSG, "tcp/443-443": "10.40.0.0/16"}, egress,
		"MySQL, the brokers' IAM port and HTTPS endpoints inside the VPC; nothing else")
	var dbIngress []string
	for _, r := range g.OfType(tIngress) {
		if i := in(r); i["securityGroupId"] == dbSG {
			dbIngress = append(dbIngress, fmt.Sprintf("%v:%v", i["referencedSecurityGroupId"], i["fromPort"]))
		}
	}
	assert.Equal(t, []string{connSG + ":3306"}, dbIngress, "MySQL admits the connector only")
	sm := in(one(t, g, tEndpoint, "haina-secretsmanager"))
	assert.Equal(t, "com.amazonaws.us-east-1.secretsmanager", sm["serviceName"])
	assert.Equal(t, true, sm["privateDnsEnabled"])
}

func TestPluginIsBuiltByHainasProviderFromPinnedReleases(t *testing.T) {
	g := evaluate(t, "staging", nil)
	a := one(t, g, tArchive, "haina-connector-plugin")
	ai := in(a)
	bucket := out(one(t, g, "aws:s3/bucketV2:BucketV2", "haina-connector-artifacts"))
	assert.Equal(t, bucket["bucket"], ai["bucket"])
	assert.Regexp(t, `^haina-staging-cdc-artifacts-[0-9a-f]{12}$`, bucket["bucket"], "unique per account and region, within 63 characters")
	assert.Equal(t, pluginarchive.Key("msk-connect/plugins/", pluginarchive.DebeziumMySQL), ai["key"])
	srcs := ai["sources"].([]any)
	require.Len(t, srcs, 3)
	assert.Equal(t, pluginarchive.DebeziumMySQL[0].URL, srcs[0].(map[string]any)["url"])
	assert.Equal(t, pluginarchive.DebeziumMySQL[0].ChecksumURL, srcs[0].(map[string]any)["checksumUrl"])
	assert.NotContains(t, srcs[2].(map[string]any), "sha256", "not pinned unless config pins it")
	assert.Contains(t, a.Provider, "pulumi:providers:haina", "haina's own provider does the download at deploy time")

	loc := in(one(t, g, tPlugin, "haina-connector"))
	assert.Equal(t, "ZIP", loc["contentType"])
	assert.Equal(t, map[string]any{"s3": map[string]any{"bucketArn": bucket["arn"], "fileKey": ai["key"]}}, loc["location"])
	assert.Regexp(t, `^haina-staging-cdc-debezium-[0-9a-f]{12}$`, loc["name"], "a new archive is a new plugin (plugins cannot be updated)")
	assert.Equal(t, "aws:kms", in(one(t, g, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "haina-connector-artifacts"))["rules"].([]any)[0].(map[string]any)["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"])
	bpa := in(one(t, g, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "haina-connector-artifacts"))
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, bpa[k], k)
	}
	pol := parsePolicy(t, in(one(t, g, "aws:s3/bucketPolicy:BucketPolicy", "haina-connector-artifacts"))["policy"])
	require.Len(t, pol.Statement, 1)
	assert.Equal(t, "Deny", pol.Statement[0].Effect)
	assert.Equal(t, map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}, pol.Statement[0].Condition)

	// A mirror (trusted only with pins) moves the downloads, not the object: the same plugin, the same connector.
	pin := strings.Repeat("ab", 32)
	g2 := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"plugin":{"baseUrl":"https://artifacts.example.com/remote","sha256":{` +
		`"debezium-connector-mysql":"` + pin + `","aws-msk-iam-auth":"` + pin + `","msk-config-providers":"` + pin + `"}}}`})
	ai2 := in(one(t, g2, tArchive, "haina-connector-plugin"))
	srcs2 := ai2["sources"].([]any)
	assert.Equal(t, "https://artifacts.example.com/remote/aws/aws-msk-iam-auth/releases/download/v2.3.5/aws-msk-iam-auth-2.3.5-all.jar", srcs2[1].(map[string]any)["url"])
	assert.Equal(t, pin, srcs2[2].(map[string]any)["sha256"])
	assert.Equal(t, ai["key"], ai2["key"])
	assert.Equal(t, loc["name"], in(one(t, g2, tPlugin, "haina-connector"))["name"])
}

func writeZip(t *testing.T, files ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	for _, n := range files {
		fw, err := w.Create(n)
		require.NoError(t, err)
		_, _ = fw.Write([]byte("classes of " + n))
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return path
}

func TestPluginFromALocalArchiveOrS3(t *testing.T) {
	good := writeZip(t, "debezium-connector-mysql/debezium-connector-mysql-2.7.3.Final.jar", "debezium-connector-mysql/aws-msk-iam-auth-2.3.5-all.jar",
		"debezium-connector-mysql/msk-config-providers-0.4.0-all.jar")
	g := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"plugin":{"archive":"` + good + `"}}`})
	assert.Empty(t, g.OfType(tArchive), "nothing is downloaded")
	obj := in(one(t, g, "aws:s3/bucketObjectv2:BucketObjectv2", "haina-connector-plugin"))
	sum, err := components.FileSha256(good)
	require.NoError(t, err)
	assert.Equal(t, "msk-connect/plugins/local-"+sum[:16]+".zip", obj["key"])
	assert.Equal(t, "haina-staging-cdc-debezium-"+sum[:12], in(one(t, g, tPlugin, "haina-connector"))["name"])
	assert.NotContains(t, g.Outputs, "cdcPluginSha256")

	g = evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"plugin":{"s3Uri":"s3://my-artifacts/plugins/debezium.zip"}}`})
	assert.Empty(t, g.OfType(tArchive))
	for _, b := range g.OfType("aws:s3/bucketV2:BucketV2") {
		assert.NotEqual(t, "haina-connector-artifacts", b.Name, "no artifacts bucket for a plugin already in S3")
	}
	loc := in(one(t, g, tPlugin, "haina-connector"))["location"].(map[string]any)["s3"]
	assert.Equal(t, map[string]any{"bucketArn": "arn:aws:s3:::my-artifacts", "fileKey": "plugins/debezium.zip"}, loc)
}

func TestConnectorValidation(t *testing.T) {
	noIAM := writeZip(t, "debezium-connector-mysql/debezium-connector-mysql-2.7.3.Final.jar", "debezium-connector-mysql/msk-config-providers-0.4.0-all.jar")
	noProviders := writeZip(t, "debezium-connector-mysql/debezium-connector-mysql-2.7.3.Final.jar", "debezium-connector-mysql/aws-msk-iam-auth-2.3.5-all.jar")
	notZip := filepath.Join(t.TempDir(), "plugin.zip")
	require.NoError(t, os.WriteFile(notZip, []byte("not a zip"), 0o644))
	oneTask := "AWS documents that the Debezium MySQL connector supports only one task and does not work with autoscaled capacity"
	for cfg, want := range map[string]string{
		`{"capacityMode":"autoscaled"}`:        `haina:cdc.connector.capacityMode: "autoscaled" is not allowed; allowed: provisioned; ` + oneTask,
		`{"workerCount":2}`:                    `haina:cdc.connector.workerCount: 2 is not allowed; allowed: 1; ` + oneTask,
		`{"tasksMax":4}`:                       `haina:cdc.connector.tasksMax: 4 is not allowed; allowed: 1; ` + oneTask,
		`{"mcuCount":3}`:                       `haina:cdc.connector.mcuCount: 3 is not allowed; allowed: 1, 2, 4 or 8 MCUs per worker`,
		`{"kafkaConnectVersion":"3.6.0"}`:      `haina:cdc.connector.kafkaConnectVersion: "3.6.0" is not allowed; allowed: 3.7.x, 2.7.1`,
		`{"tables":["salesdb"]}`:               `haina:cdc.connector.tables[0]: "salesdb" is not allowed; allowed: database.table`,
		`{"tables":["a.b","A.B"]}`:             `haina:cdc.connector.tables[1]: "A.B" is not allowed; each table once`,
		`{"tables":["sales db.orders"]}`:       `haina:cdc.connector.tables[0]: "sales db.orders" is not allowed`,
		`{"tables":[]}`:                        `haina:cdc.connector.tables: [] is not allowed; list at least one table to capture`,
		`{"topicPrefix":"sales.db"}`:           `haina:cdc.connector.topicPrefix: "sales.db" is not allowed; allowed: 1-64 letters, digits, _ or -`,
		`{"serverId":-1}`:                      `haina:cdc.connector.serverId: -1 is not allowed`,
		`{"topicPartitions":0}`:                `haina:cdc.connector.topicPartitions: 0 is not allowed; allowed: 1 to 100`,
		`{"logRetentionDays":10}`:              `haina:cdc.connector.logRetentionDays: 10 is not allowed`,
		`{"autoscaling":{"minWorkerCount":1}}`: `json: unknown field "autoscaling"`,
	} {
		_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"connector":` + cfg + `}`})
		require.Error(t, err, cfg)
		assert.Contains(t, err.Error(), want, cfg)
	}
	for cfg, want := range map[string]string{
		`{"archive":"` + noIAM + `"}`:       `haina:cdc.plugin.archive: "` + noIAM + `" is not allowed; the archive lacks the MSK IAM auth jar (aws-msk-iam-auth-<version>-all.jar); build one ZIP holding`,
		`{"archive":"` + notZip + `"}`:      `haina:cdc.plugin.archive: "` + notZip + `" is not allowed; not a ZIP archive`,
		`{"archive":"` + noProviders + `"}`: `the archive lacks the MSK config providers jar (msk-config-providers-<version>-all.jar) that resolves ${secretsmanager:…}`,
		`{"baseUrl":"https://mirror.example.com","sha256":{"aws-msk-iam-auth":"` + strings.Repeat("0", 64) + `"}}`: `haina:cdc.plugin.baseUrl: "https://mirror.example.com" is not allowed; a mirror's files are trusted only when pinned: set haina:cdc.plugin.sha256.debezium-connector-mysql`,
		`{"archive":"/nonexistent/plugin.zip"}`:              `haina:cdc.plugin.archive: "/nonexistent/plugin.zip" is not allowed; the file cannot be read (no such file or directory)`,
		`{"archive":"` + noIAM + `","s3Uri":"s3://b/k.zip"}`: `haina:cdc.plugin.s3Uri: "s3://b/k.zip" is not allowed; set either haina:cdc.plugin.archive or haina:cdc.plugin.s3Uri, not both`,
		`{"s3Uri":"https://b/k.zip"}`:                        `haina:cdc.plugin.s3Uri: "https://b/k.zip" is not allowed; allowed: s3://<bucket>/<key>.zip`,
		`{"baseUrl":"http://mirror.example.com"}`:            `haina:cdc.plugin.baseUrl: "http://mirror.example.com" is not allowed; allowed: an https URL`,
		`{"sha256":{"debezium":"00"}}`:                       `haina:cdc.plugin.sha256.debezium: "00" is not allowed; allowed: pins for [aws-msk-iam-auth debezium-connector-mysql msk-config-providers]`,
		`{"sha256":{"aws-msk-iam-auth":"xyz"}}`:              `haina:cdc.plugin.sha256.aws-msk-iam-auth: "xyz" is not allowed; allowed: a sha256 of 64 hex digits`,
		`{"s3Uri":"s3://my-bucket/k.zip","sha256":{"aws-msk-iam-auth":"` + strings.Repeat("0", 64) + `"}}`: `pins apply to downloaded files only`,
	} {
		_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"plugin":` + cfg + `}`})
		require.Error(t, err, cfg)
		assert.Contains(t, err.Error(), want, cfg)
	}
	_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"database":{"mode":"existing","endpoint":"db.example.internal",` +
		`"secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:debezium-AbC123","securityGroupId":"sg-0123456789abcdef0","secretKmsKeyArn":"alias/x"}}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `haina:cdc.database.secretKmsKeyArn: "alias/x" is not allowed`)
}

// MSK Connect can update a connector's configuration in place, but the provider
// has reported such updates as applied when they were not: a changed
// configuration replaces the connector (deleted first: its name is fixed).
func TestConnectorReplacedOnAConfigurationChange(t *testing.T) {
	g := evaluate(t, "staging", nil)
	c := one(t, g, "aws:mskconnect/connector:Connector", "haina-connector")
	assert.Equal(t, []string{"connectorConfiguration"}, c.ReplaceOnChanges)
	assert.True(t, c.DeleteBeforeReplace)
}

// haina:cdc.database.passwordRotation rotates Debezium's password in place: the
// user object gets the rotation input (its password is set again, in Secrets
// Manager's order), and only for a database haina created.
func TestPasswordRotationConfig(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"connector":{"topicPrefix":"salesdb","tables":["salesdb.CUSTOMER"]},"database":{"passwordRotation":"2026-12"}}`})
	user := one(t, g, "haina:mysql:SqlObject", "haina-connector-debezium-user")
	assert.Equal(t, "2026-12", in(user)["rotation"])
	_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"connector":{"topicPrefix":"salesdb","tables":["salesdb.CUSTOMER"]},` +
		`"database":{"mode":"existing","endpoint":"db.cluster-abc.us-east-1.rds.amazonaws.com","securityGroupId":"sg-0123456789abcdef0",` +
		`"secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:debezium-AbCdEf","passwordRotation":"1"}}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `haina:cdc.database.passwordRotation: "1" is not allowed; an existing database's Debezium user and secret are yours`)
}
