package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const wh = `"usageLimit":{"amount":48,"period":"daily","breachAction":"deactivate"}`

// Every bad value is refused before any resource is declared, with a message
// naming the key, the value and what is allowed.
func TestBadConfigIsRefusedWithAClearMessage(t *testing.T) {
	cases := []struct {
		name   string
		stack  string
		config map[string]string
		want   []string
	}{
		{"unknown environment", "staging", map[string]string{"haina:environment": "dev"},
			[]string{`haina:environment: unknown environment "dev"; allowed: staging, production`}},
		{"environment from an unknown stack name", "qa", map[string]string{"haina:environment": ""},
			[]string{`haina:environment: unknown environment "qa"`}},
		{"missing region", "staging", map[string]string{"aws:region": ""},
			[]string{`aws:region: "" is not allowed; set an AWS region such as us-east-1`}},
		{"unknown warehouse kind", "staging", map[string]string{"haina:warehouse": `{"kind":"dedicated"}`},
			[]string{`haina:warehouse.kind: "dedicated" is not allowed; allowed: serverless (billed while it works), provisioned (an RA3 cluster billed per node-hour)`}},
		{"not an RA3 node", "staging", map[string]string{"haina:warehouse": `{"kind":"provisioned","nodeType":"dc2.large"}`},
			[]string{`haina:warehouse.nodeType: "dc2.large" is not allowed; allowed: ra3.16xlarge, ra3.4xlarge, ra3.large, ra3.xlplus (streaming ingestion and managed storage need RA3)`}},
		{"a single ra3.4xlarge", "staging", map[string]string{"haina:warehouse": `{"kind":"provisioned","nodeType":"ra3.4xlarge","nodeCount":1}`},
			[]string{`haina:warehouse.nodeCount: 1 is not allowed; allowed for ra3.4xlarge: 2 to 32 nodes`}},
		{"a cluster identifier with two hyphens", "staging", map[string]string{"haina:warehouse": `{"kind":"provisioned","workgroupName":"haina--staging"}`},
			[]string{`haina:warehouse.workgroupName: "haina--staging" is not allowed; a provisioned cluster's identifier`}},
		{"Firehose to a cluster", "staging", map[string]string{"haina:warehouse": `{"kind":"provisioned"}`, "haina:redshiftDelivery": `{"enabled":true}`},
			[]string{`haina:redshiftDelivery.enabled: true is not allowed; Firehose → Redshift is built for a Serverless warehouse so far`}},
		{"retention below 24h", "staging", map[string]string{"haina:stream": `{"retentionHours":12}`},
			[]string{`haina:stream.retentionHours: 12 is not allowed; allowed: 24 to 8760 hours`}},
		{"retention above a year", "staging", map[string]string{"haina:stream": `{"retentionHours":9000}`},
			[]string{`haina:stream.retentionHours: 9000 is not allowed; allowed: 24 to 8760 hours`}},
		{"provisioned without shards", "staging", map[string]string{"haina:stream": `{"mode":"PROVISIONED"}`},
			[]string{`haina:stream.shardCount: 0 is not allowed; a PROVISIONED stream needs a shard count from 1 to 10000`}},
		{"on-demand with shards", "staging", map[string]string{"haina:stream": `{"shardCount":2}`},
			[]string{`haina:stream.shardCount: 2 is not allowed; an ON_DEMAND stream scales itself`}},
		{"unknown stream mode", "staging", map[string]string{"haina:stream": `{"mode":"on-demand"}`},
			[]string{`haina:stream.mode: "on-demand" is not allowed; allowed: ON_DEMAND, PROVISIONED`}},
		{"invalid stream name", "staging", map[string]string{"haina:stream": `{"name":"events stream!"}`},
			[]string{`haina:stream.name: "events stream!" is not allowed; allowed: 1-128 letters, digits, underscores, hyphens or periods`}},
		{"both key options", "staging", map[string]string{"haina:stream": `{"customerKey":true,"kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/abc"}`},
			[]string{`haina:stream.customerKey: true is not allowed; set either kmsKeyArn (an existing key) or customerKey`}},
		{"bad key ARN", "staging", map[string]string{"haina:stream": `{"kmsKeyArn":"alias/mine"}`},
			[]string{`haina:stream.kmsKeyArn: "alias/mine" is not allowed; allowed: a KMS key ARN`}},
		{"misspelt field", "staging", map[string]string{"haina:stream": `{"retentionHour":48}`},
			[]string{`haina:stream: cannot read {"retentionHour":48}: json: unknown field "retentionHour"`}},
		{"base RPU not a multiple of 8", "staging", map[string]string{"haina:warehouse": `{"baseCapacity":12,"maxCapacity":32,` + wh + `}`},
			[]string{`haina:warehouse.baseCapacity: 12 is not allowed; allowed: 4, or a multiple of 8 from 8 to 512`}},
		{"base RPU too large", "staging", map[string]string{"haina:warehouse": `{"baseCapacity":2048,"maxCapacity":4096,` + wh + `}`},
			[]string{`haina:warehouse.baseCapacity: 2048 is not allowed`}},
		{"base RPU above 512 not a multiple of 32", "staging", map[string]string{"haina:warehouse": `{"baseCapacity":520,"maxCapacity":1024,` + wh + `}`},
			[]string{`haina:warehouse.baseCapacity: 520 is not allowed`}},
		{"base RPU above 512 outside the large regions", "staging", map[string]string{"aws:region": "ap-south-1", "haina:warehouse": `{"baseCapacity":544,"maxCapacity":1024,` + wh + `}`},
			[]string{`haina:warehouse.baseCapacity: 544 is not allowed; allowed: 4, or a multiple of 8 from 8 to 512; multiples of 32 up to 1024 only in eu-central-1, eu-west-1, us-east-1, us-east-2, us-west-2`}},
		{"max RPU below base", "staging", map[string]string{"haina:warehouse": `{"baseCapacity":64,"maxCapacity":32,` + wh + `}`},
			[]string{`haina:warehouse.maxCapacity: 32 is not allowed; allowed: a multiple of 8 from the base capacity (64) up to 5632`}},
		{"usage limit zero", "staging", map[string]string{"haina:warehouse": `{"usageLimit":{"amount":0,"period":"daily","breachAction":"log"}}`},
			[]string{`haina:warehouse.usageLimit.amount: 0 is not allowed; allowed: a positive number of RPU-hours per period`}},
		{"usage limit negative", "staging", map[string]string{"haina:warehouse": `{"usageLimit":{"amount":-5,"period":"daily","breachAction":"log"}}`},
			[]string{`haina:warehouse.usageLimit.amount: -5 is not allowed`}},
		{"unknown usage period", "staging", map[string]string{"haina:warehouse": `{"usageLimit":{"amount":5,"period":"hourly","breachAction":"log"}}`},
			[]string{`haina:warehouse.usageLimit.period: "hourly" is not allowed; allowed: daily, weekly, monthly`}},
		{"unknown breach action", "staging", map[string]string{"haina:warehouse": `{"usageLimit":{"amount":5,"period":"daily","breachAction":"stop"}}`},
			[]string{`haina:warehouse.usageLimit.breachAction: "stop" is not allowed; allowed: log, emit-metric, deactivate`}},
		{"public warehouse in production", "production", map[string]string{"haina:warehouse": `{"publiclyAccessible":true}`},
			[]string{`haina:warehouse.publiclyAccessible: true is not allowed; a publicly accessible warehouse in production also needs haina:warehouse.allowPublicInProduction: true`}},
		{"existing VPC with two subnets", "staging", map[string]string{"haina:network": `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0000000000000000a","subnet-0000000000000000b"]}`},
			[]string{`haina:network.subnetIds: ["subnet-0000000000000000a" "subnet-0000000000000000b"] is not allowed; an existing VPC needs at least 3 private subnets in 3 availability zones`}},
		{"existing VPC with a repeated subnet", "staging", map[string]string{"haina:network": `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0000000000000000a","subnet-0000000000000000b","subnet-0000000000000000a"]}`},
			[]string{`haina:network.subnetIds[2]: "subnet-0000000000000000a" is not allowed; each subnet may be listed once`}},
		{"bad VPC id", "staging", map[string]string{"haina:network": `{"vpcId":"my-vpc","subnetIds":["subnet-0000000000000000a","subnet-0000000000000000b","subnet-0000000000000000c"]}`},
			[]string{`haina:network.vpcId: "my-vpc" is not allowed; allowed: a VPC id such as vpc-0123456789abcdef0`}},
		{"subnets without a VPC", "staging", map[string]string{"haina:network": `{"subnetIds":["subnet-0000000000000000a"]}`},
			[]string{`haina:network.subnetIds: ["subnet-0000000000000000a"] is not allowed; subnet ids need haina:network.vpcId`}},
		{"public VPC range", "staging", map[string]string{"haina:network": `{"cidrBlock":"8.8.0.0/16"}`},
			[]string{`haina:network.cidrBlock: "8.8.0.0/16" is not allowed; allowed: a private IPv4 network from /16 to /22`}},
		{"client range of everything on a private warehouse", "staging", map[string]string{"haina:network": `{"clientCidrs":["0.0.0.0/0"]}`},
			[]string{`haina:network.clientCidrs[0]: "0.0.0.0/0" is not allowed; admitting every address needs haina:warehouse.publiclyAccessible`}},
		{"invalid database name", "staging", map[string]string{"haina:warehouse": `{"databaseName":"Events-DB"}`},
			[]string{`haina:warehouse.databaseName: "Events-DB" is not allowed; allowed: 1-64 lowercase letters, digits or underscores`}},
		{"invalid workgroup name", "staging", map[string]string{"haina:warehouse": `{"workgroupName":"WG"}`},
			[]string{`haina:warehouse.workgroupName: "WG" is not allowed; allowed: 3-64 lowercase letters, digits or hyphens`}},
		{"reserved admin user", "staging", map[string]string{"haina:warehouse": `{"adminUsername":"rdsadmin"}`},
			[]string{`haina:warehouse.adminUsername: "rdsadmin" is not allowed`}},
		{"port out of range", "staging", map[string]string{"haina:warehouse": `{"port":5432}`},
			[]string{}}, // 5432 is inside 5431-5455: allowed
		{"port outside both ranges", "staging", map[string]string{"haina:warehouse": `{"port":3306}`},
			[]string{`haina:warehouse.port: 3306 is not allowed; allowed: 5431-5455 or 8191-8215`}},
		{"unknown workgroup parameter", "staging", map[string]string{"haina:warehouse": `{"configParameters":{"auto_analyze":"true"}}`},
			[]string{`haina:warehouse.configParameters.auto_analyze: "true" is not allowed; allowed keys: auto_mv, datestyle`}},
		{"TLS turned off", "staging", map[string]string{"haina:warehouse": `{"configParameters":{"require_ssl":"false"}}`},
			[]string{`haina:warehouse.configParameters.require_ssl: "false" is not allowed; haina requires TLS to the warehouse: only true`}},
		{"protect not a boolean", "staging", map[string]string{"haina:protect": "yes"},
			[]string{`haina:protect: "yes" is not a boolean; allowed: true, false`}},
		{"ingestion name not a plain lower-case identifier", "staging", map[string]string{"haina:ingestion": `{"schema":"Ingest"}`},
			[]string{`haina:ingestion.schema: "Ingest" is not allowed; allowed: 1-127 lowercase letters, digits or underscores`}},
		{"ingestion name used twice", "staging", map[string]string{"haina:ingestion": `{"eventsView":"events_landing"}`},
			[]string{`haina:ingestion.eventsView: "events_landing" is not allowed; already used by haina:ingestion.landingView`}},
		{"rollup dimension with a quote", "staging", map[string]string{"haina:ingestion": `{"rollupDimension":"a\"b"}`},
			[]string{`haina:ingestion.rollupDimension: "a\"b" is not allowed`}},
		{"SQL timeout out of range", "staging", map[string]string{"haina:ingestion": `{"timeoutSeconds":0}`},
			[]string{`haina:ingestion.timeoutSeconds: 0 is not allowed; allowed: 1 to 86400 seconds`}},
		{"mixed-case stream with case-insensitive identifiers", "staging", map[string]string{"haina:stream": `{"name":"AppEvents"}`,
			"haina:warehouse": `{"configParameters":{"enable_case_sensitive_identifier":"false"}}`},
			[]string{`haina:warehouse.configParameters.enable_case_sensitive_identifier: "false" is not allowed; stream "AppEvents" has upper-case letters`}},
		{"producer schedule not an EventBridge expression", "staging", map[string]string{"haina:producer": `{"schedule":"every minute"}`},
			[]string{`haina:producer.schedule: "every minute" is not allowed; allowed: rate(<n> minute[s]|hour[s]|day[s]) or cron(<fields>)`}},
		{"producer schedule with a plural for 1", "staging", map[string]string{"haina:producer": `{"schedule":"rate(1 minutes)"}`},
			[]string{`haina:producer.schedule: "rate(1 minutes)" is not allowed; EventBridge wants the singular unit for 1`}},
		{"producer events out of range", "staging", map[string]string{"haina:producer": `{"eventsPerInvocation":0}`},
			[]string{`haina:producer.eventsPerInvocation: 0 is not allowed; allowed: 1 to 1000000`}},
		{"producer log retention CloudWatch lacks", "staging", map[string]string{"haina:producer": `{"logRetentionDays":10}`},
			[]string{`haina:producer.logRetentionDays: 10 is not allowed; allowed: one of [1 3 5 7 14 30`}},
		{"producer reserved concurrency negative", "staging", map[string]string{"haina:producer": `{"reservedConcurrency":-1}`},
			[]string{`haina:producer.reservedConcurrency: -1 is not allowed; allowed: 0 (unreserved) to 1000`}},
		{"producer timeout above Lambda's limit", "staging", map[string]string{"haina:producer": `{"timeoutSeconds":901}`},
			[]string{`haina:producer.timeoutSeconds: 901 is not allowed; allowed: 1 to 900 seconds`}},
		{"lake buffer too small for Parquet", "staging", map[string]string{"haina:lake": `{"bufferMb":32}`},
			[]string{`haina:lake.bufferMb: 32 is not allowed; allowed: 64 to 128 MiB (Parquet conversion needs at least 64)`}},
		{"lake buffer interval too long", "staging", map[string]string{"haina:lake": `{"bufferSeconds":901}`},
			[]string{`haina:lake.bufferSeconds: 901 is not allowed; allowed: 0 to 900 seconds`}},
		{"lake buffer above Firehose's maximum", "staging", map[string]string{"haina:lake": `{"parquet":false,"bufferMb":129}`},
			[]string{`haina:lake.bufferMb: 129 is not allowed; allowed: 1 to 128 MiB`}},
		{"Athena cut-off below its minimum", "staging", map[string]string{"haina:lake": `{"athenaScanLimitMb":5}`},
			[]string{`haina:lake.athenaScanLimitMb: 5 is not allowed; allowed: at least 10 MB`}},
		{"error retention zero", "staging", map[string]string{"haina:lake": `{"errorRetentionDays":0}`},
			[]string{`haina:lake.errorRetentionDays: 0 is not allowed; allowed: 1 to 3650 days`}},
		{"flow log format with an unknown field", "staging", map[string]string{"haina:flowLogs": `{"fields":["version","srcaddr","dstaddr","bogus"]}`},
			[]string{`haina:flowLogs.fields[3]: "bogus" is not allowed; allowed: a VPC flow log field`}},
		{"flow log format without what the queries read", "staging", map[string]string{"haina:flowLogs": `{"fields":["version","srcaddr","dstaddr"]}`},
			[]string{`must include action, bytes, dstaddr, dstport, interface-id, packets, srcaddr, start (the named queries read them)`}},
		{"flow log retention CloudWatch lacks", "staging", map[string]string{"haina:flowLogs": `{"logRetentionDays":2}`},
			[]string{`haina:flowLogs.logRetentionDays: 2 is not allowed`}},
		{"audit log retention CloudWatch lacks", "production", map[string]string{"haina:warehouse": `{"logRetentionDays":0}`},
			[]string{`haina:warehouse.logRetentionDays: 0 is not allowed; allowed: one of [1 3 5 7 14 30`}},
		{"CDC pending age out of range", "staging", map[string]string{"haina:alarms": `{"cdcPendingMinutes":-5}`},
			[]string{`haina:alarms.cdcPendingMinutes: -5 is not allowed; allowed: 0 (three refresh periods, at least 15) to 10080 minutes`}},
		{"flow logs without the lake", "staging", map[string]string{"haina:lake": `{"enabled":false}`},
			[]string{`haina:flowLogs.enabled: true is not allowed; flow logs are delivered into the lake`}},
		{"several problems at once", "staging", map[string]string{"haina:stream": `{"retentionHours":1,"mode":"X"}`},
			[]string{`haina:stream.retentionHours: 1`, `haina:stream.mode: "X"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := evaluateErr(t, c.stack, c.config)
			if len(c.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Empty(t, g.Resources, "no resource may be declared from bad config")
		})
	}
}

// Staging may open the warehouse when asked; production needs the second flag.
func TestPublicWarehouseNeedsExplicitConfig(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:warehouse": `{"publiclyAccessible":true}`})
	assert.Equal(t, true, in(one(t, g, tWorkgroup, "haina"))["publiclyAccessible"])
	g = evaluate(t, "production", map[string]string{"haina:warehouse": `{"publiclyAccessible":true,"allowPublicInProduction":true}`})
	assert.Equal(t, true, in(one(t, g, tWorkgroup, "haina"))["publiclyAccessible"])
}
