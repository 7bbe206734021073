package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/haina-data/haina/kafkatopics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CDC topics are created up front, from inside the VPC, by a function the
// program invokes: the landing views and the connector wait for it.
func TestCDCTopicsAreCreatedUpFront(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			prefix := map[string]string{"staging": "salesdb", "production": "shop"}[stack]
			inv := one(t, g, "aws:lambda/invocation:Invocation", "haina-topics")
			ii := in(inv)
			assert.Equal(t, "CRUD", ii["lifecycleScope"], "invoked again when the topics change, and on delete")
			assert.NotContains(t, ii, "terraformKey", "the function reads the default lifecycle key, tf")

			// What the program sends is what the function takes (strict decoding).
			var req kafkatopics.Request
			dec := json.NewDecoder(strings.NewReader(ii["input"].(string)))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&req))
			require.NoError(t, req.Validate())
			assert.Equal(t, strings.Split(out(g.OfType(tMSK)[0])["bootstrapBrokersSaslIam"].(string), ","), req.Bootstrap)
			byName := map[string]kafkatopics.Topic{}
			for _, tp := range req.Topics {
				byName[tp.Name] = tp
			}
			changes := map[string][]string{"staging": {"salesdb.salesdb.CUSTOMER"}, "production": {"shop.shop.customers", "shop.shop.orders"}}[stack]
			require.Len(t, byName, len(changes)+2)
			for _, name := range changes {
				assert.Equal(t, kafkatopics.Topic{Name: name, Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{
					"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": "604800000"}}, byName[name])
			}
			// Debezium's schema history: one partition, kept forever.
			assert.Equal(t, kafkatopics.Topic{Name: "schemahistory." + prefix, Partitions: 1, ReplicationFactor: 3, Configs: map[string]string{
				"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": "-1", "retention.bytes": "-1"}}, byName["schemahistory."+prefix])
			assert.Equal(t, int32(1), byName["__debezium-heartbeat."+prefix].Partitions)

			// The function's role: exactly these topics.
			cluster := out(g.OfType(tMSK)[0])["arn"].(string)
			topicArn := strings.Replace(cluster, ":cluster/", ":topic/", 1) + "/"
			pol := parsePolicy(t, in(one(t, g, tRolePolicy, "haina-topics"))["policy"])
			actions, resources := statement(t, pol, "Topics")
			assert.Equal(t, []string{"kafka-cluster:AlterTopic", "kafka-cluster:AlterTopicDynamicConfiguration", "kafka-cluster:CreateTopic",
				"kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration"}, actions)
			var want []string
			for name := range byName {
				want = append(want, topicArn+name)
			}
			assert.ElementsMatch(t, want, resources, "no wildcard: only the topics the function creates")
			actions, resources = statement(t, pol, "Cluster")
			assert.Equal(t, []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"}, actions)
			assert.Equal(t, []string{cluster}, resources)

			fn := in(one(t, g, "aws:lambda/function:Function", "haina-topics"))
			assert.Len(t, fn["vpcConfig"].(map[string]any)["subnetIds"], 3, "in the VPC's private subnets")
			assert.True(t, dependsOn(inv, "aws:lambda/function:Function", "haina-topics"))
			assert.True(t, dependsOn(inv, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "haina-topics-to-brokers"))

			// The connector and every landing view wait for the topics (the views
			// through the Kafka schema they are built on).
			assert.True(t, dependsOn(one(t, g, "aws:mskconnect/connector:Connector", "haina-connector"), "aws:lambda/invocation:Invocation", "haina-topics"))
			assert.True(t, dependsOn(one(t, g, tSQL, "haina-changes-msk-schema"), "aws:lambda/invocation:Invocation", "haina-topics"))
			for _, src := range map[string][]string{"staging": {"salesdb.CUSTOMER"}, "production": {"shop.customers", "shop.orders"}}[stack] {
				assert.True(t, dependsOn(one(t, g, tSQL, "haina-changes-landing-"+src), tSQL, "haina-changes-msk-schema"), src)
			}
		})
	}
}

func TestCDCTopicRetentionValidation(t *testing.T) {
	_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"connector":{"topicPrefix":"salesdb","tables":["salesdb.CUSTOMER"],"topicRetentionHours":1}}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `haina:cdc.connector.topicRetentionHours: 1 is not allowed; allowed: 24 to 8760 hours`)
}
