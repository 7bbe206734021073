package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tMSK        = "aws:msk/cluster:Cluster"
	tRolePolicy = "aws:iam/rolePolicy:RolePolicy"
)

func TestKafkaIsIAMOnlyTLSOnlyAndEncrypted(t *testing.T) {
	for stack, want := range map[string]struct{ instance, monitoring string }{
		"staging": {"kafka.t3.small", "DEFAULT"}, "production": {"kafka.m7g.large", "PER_TOPIC_PER_BROKER"},
	} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil) // both stack files turn CDC on
			cluster := one(t, g, tMSK, "haina-kafka")
			c := in(cluster)
			assert.Equal(t, "haina-"+stack+"-cdc", c["clusterName"])
			assert.Equal(t, 3.0, c["numberOfBrokerNodes"])
			assert.Equal(t, stack == "production", cluster.Protect)
			bn := c["brokerNodeGroupInfo"].(map[string]any)
			assert.Equal(t, want.instance, bn["instanceType"])
			assert.Len(t, bn["clientSubnets"], 3)
			enc := c["encryptionInfo"].(map[string]any)
			assert.Equal(t, out(one(t, g, tKey, "haina-kafka-key"))["arn"], enc["encryptionAtRestKmsKeyArn"])
			assert.Equal(t, map[string]any{"clientBroker": "TLS", "inCluster": true}, enc["encryptionInTransit"])
			assert.Equal(t, map[string]any{"sasl": map[string]any{"iam": true}, "unauthenticated": false}, c["clientAuthentication"],
				"IAM is the only client authentication")
			assert.Equal(t, want.monitoring, c["enhancedMonitoring"])
			logs := c["loggingInfo"].(map[string]any)["brokerLogs"].(map[string]any)["cloudwatchLogs"].(map[string]any)
			assert.Equal(t, "/haina/haina-"+stack+"-cdc/brokers", logs["logGroup"])

			props := in(one(t, g, "aws:msk/configuration:Configuration", "haina-kafka"))["serverProperties"].(string)
			for _, p := range []string{"auto.create.topics.enable=false", "default.replication.factor=3", "min.insync.replicas=2", "unclean.leader.election.enable=false"} {
				assert.Contains(t, strings.Split(props, "\n"), p)
			}

			// The brokers admit the warehouse and the connector on the IAM port, nothing else.
			kafkaSG := one(t, g, tSG, "haina-kafka").ID
			admitted := map[any]bool{}
			for _, r := range g.OfType(tIngress) {
				if i := in(r); i["securityGroupId"] == kafkaSG {
					assert.Equal(t, 9098.0, i["fromPort"], r.Name)
					assert.Equal(t, 9098.0, i["toPort"], r.Name)
					assert.NotContains(t, i, "cidrIpv4", r.Name)
					admitted[i["referencedSecurityGroupId"]] = true
				}
			}
			assert.Equal(t, map[any]bool{one(t, g, tSG, "haina").ID: true, one(t, g, tSG, "haina-connector").ID: true,
				one(t, g, tSG, "haina-topics").ID: true}, admitted)
			egress := in(one(t, g, tEgress, "haina-kafka-to-warehouse"))
			assert.Equal(t, 9098.0, egress["toPort"])
			assert.Equal(t, one(t, g, tSG, "haina-kafka").ID, egress["referencedSecurityGroupId"])
			assert.Regexp(t, `^arn:aws:kafka:us-east-1:\d{12}:cluster/haina-`+stack+`-cdc/`, g.Outputs["kafkaClusterArn"])
		})
	}
}

func TestKafkaServerlessAndOff(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"kafka":{"mode":"serverless"}}`})
	assert.Empty(t, g.OfType(tMSK))
	s := in(one(t, g, "aws:msk/serverlessCluster:ServerlessCluster", "haina-kafka"))
	assert.Equal(t, map[string]any{"sasl": map[string]any{"iam": map[string]any{"enabled": true}}}, s["clientAuthentication"])

	g = evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":false}`})
	assert.Empty(t, g.OfType(tMSK), "CDC off: no cluster")
	assert.Empty(t, g.OfType("aws:mskconnect/connector:Connector"))
	assert.Empty(t, g.OfType("haina:mysql:SqlObject"))
}

func TestKafkaValidation(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"enabled":true,"kafka":{"brokerCount":4}}`:           `haina:cdc.kafka.brokerCount: 4 is not allowed; allowed: a multiple of the 3 subnets (AZs)`,
		`{"enabled":true,"kafka":{"instanceType":"m5.large"}}`: `haina:cdc.kafka.instanceType: "m5.large" is not allowed; allowed: an MSK broker type`,
		`{"enabled":true,"kafka":{"kafkaVersion":"2.6.2"}}`:    `haina:cdc.kafka.kafkaVersion: "2.6.2" is not allowed; allowed: an MSK Kafka version of 2.7.1 or later`,
		`{"enabled":true,"kafka":{"mode":"tiered"}}`:           `haina:cdc.kafka.mode: "tiered" is not allowed; allowed: provisioned, serverless`,
		`{"enabled":true,"kafka":{"volumeGb":0}}`:              `haina:cdc.kafka.volumeGb: 0 is not allowed`,
		`{"enabled":true,"kafka":{"logRetentionDays":9}}`:      `haina:cdc.kafka.logRetentionDays: 9 is not allowed`,
		`{"enabled":true,"kafka":{"brokers":3}}`:               `json: unknown field "brokers"`,
	} {
		_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": cfg})
		require.Error(t, err, cfg)
		assert.Contains(t, err.Error(), want)
	}
	_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"kafka":{"kafkaVersion":"2.7.1"}}`})
	assert.NoError(t, err)
}
