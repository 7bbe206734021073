package tests

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tStream    = "aws:kinesis/stream:Stream"
	tKey       = "aws:kms/key:Key"
	tNamespace = "aws:redshiftserverless/namespace:Namespace"
	tWorkgroup = "aws:redshiftserverless/workgroup:Workgroup"
	tUsage     = "aws:redshiftserverless/usageLimit:UsageLimit"
	tRole      = "aws:iam/role:Role"
	tPolicy    = "aws:iam/rolePolicy:RolePolicy"
	tSG        = "aws:ec2/securityGroup:SecurityGroup"
	tIngress   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tEgress    = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tSubnet    = "aws:ec2/subnet:Subnet"
	tVpc       = "aws:ec2/vpc:Vpc"
	tEndpoint  = "aws:ec2/vpcEndpoint:VpcEndpoint"
)

func TestStreamIsEncryptedOnDemandWithRetentionPerStack(t *testing.T) {
	for stack, want := range map[string]struct {
		retention float64
		key       *regexp.Regexp
	}{
		"staging":    {24, regexp.MustCompile(`^alias/aws/kinesis$`)},
		"production": {168, regexp.MustCompile(`^arn:aws:kms:us-east-1:123456789012:key/`)},
	} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			s := in(one(t, g, tStream, "haina-events"))
			assert.Equal(t, "haina-"+stack+"-events", s["name"])
			assert.Equal(t, "KMS", s["encryptionType"])
			assert.Regexp(t, want.key, s["kmsKeyId"])
			assert.Equal(t, want.retention, s["retentionPeriod"])
			assert.Equal(t, map[string]any{"streamMode": "ON_DEMAND"}, s["streamModeDetails"])
			assert.NotContains(t, s, "shardCount")
		})
	}
}

func TestProvisionedStreamCarriesShardCount(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:stream": `{"mode":"PROVISIONED","shardCount":4}`})
	s := in(one(t, g, tStream, "haina-events"))
	assert.Equal(t, map[string]any{"streamMode": "PROVISIONED"}, s["streamModeDetails"])
	assert.Equal(t, 4.0, s["shardCount"])
}

func TestNamespaceManagesItsPasswordAndEncryptsWithItsKey(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			ns := in(one(t, g, tNamespace, "haina"))
			assert.Equal(t, "haina-"+stack, ns["namespaceName"])
			assert.Equal(t, "haina", ns["dbName"])
			assert.Equal(t, true, ns["manageAdminPassword"])
			assert.NotContains(t, ns, "adminUserPassword", "no password may reach the state")
			key := one(t, g, tKey, "haina-key")
			wantKey := out(key)["arn"]
			assert.Equal(t, wantKey, ns["kmsKeyId"])
			assert.Equal(t, wantKey, ns["adminPasswordSecretKmsKeyId"])
			assert.Equal(t, []any{"connectionlog", "useractivitylog", "userlog"}, ns["logExports"])
			role := "arn:aws:iam::123456789012:role/haina-" + stack + "-redshift-streaming"
			assert.Equal(t, role, ns["defaultIamRoleArn"], "IAM_ROLE default must be the streaming role")
			assert.Equal(t, []any{role}, ns["iamRoles"])
			k := in(key)
			assert.Equal(t, true, k["enableKeyRotation"])
		})
	}
}

func TestWorkgroupIsPrivateWithEnhancedRoutingAndFullParameterSet(t *testing.T) {
	for stack, base := range map[string]float64{"staging": 4, "production": 8} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			wg := in(one(t, g, tWorkgroup, "haina"))
			assert.Equal(t, false, wg["publiclyAccessible"])
			assert.Equal(t, true, wg["enhancedVpcRouting"])
			assert.Equal(t, base, wg["baseCapacity"])
			assert.Equal(t, 5439.0, wg["port"])
			assert.Len(t, wg["subnetIds"], 3)
			params := map[string]string{}
			var keys []string
			for _, p := range wg["configParameters"].([]any) {
				m := p.(map[string]any)
				params[m["parameterKey"].(string)] = m["parameterValue"].(string)
				keys = append(keys, m["parameterKey"].(string))
			}
			assert.True(t, sort.StringsAreSorted(keys), "parameters are sent in a stable order: %v", keys)
			assert.Equal(t, map[string]string{
				"auto_mv": "true", "datestyle": "ISO, MDY", "enable_case_sensitive_identifier": "true",
				"enable_user_activity_logging": "true", "max_query_execution_time": "14400", "query_group": "default",
				"require_ssl": "true", "search_path": "$user, public", "use_fips_ssl": "false",
			}, params, "the full set, or AWS reports drift (pulumi-aws#4405)")
		})
	}
}

func TestWorkgroupParameterOverrideKeepsFullSet(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{
		"haina:warehouse": `{"baseCapacity":8,"maxCapacity":32,"usageLimit":{"amount":48,"period":"daily","breachAction":"deactivate"},"configParameters":{"max_query_execution_time":"600"}}`,
	})
	params := in(one(t, g, tWorkgroup, "haina"))["configParameters"].([]any)
	assert.Len(t, params, 9)
	assert.Contains(t, params, map[string]any{"parameterKey": "max_query_execution_time", "parameterValue": "600"})
}

func TestUsageLimitPerStack(t *testing.T) {
	for stack, want := range map[string]map[string]any{
		// A monthly budget of about twice the estimate: ingestion never stops halfway through a day.
		"staging": {"amount": 600.0, "period": "monthly", "breachAction": "deactivate", "usageType": "serverless-compute"},
		// Twice the daily estimate, and only a metric: production never stops.
		"production": {"amount": 192.0, "period": "daily", "breachAction": "emit-metric", "usageType": "serverless-compute"},
	} {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			u := in(one(t, g, tUsage, "haina-rpu-hours"))
			want["resourceArn"] = out(one(t, g, tWorkgroup, "haina"))["arn"]
			assert.Equal(t, want, u)
		})
	}
}

func TestStreamingRoleIsExactlyWhatIngestionNeeds(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			role := in(one(t, g, tRole, "haina-streaming"))
			assert.Equal(t, "haina-"+stack+"-redshift-streaming", role["name"])
			trust := parsePolicy(t, role["assumeRolePolicy"])
			require.Len(t, trust.Statement, 1)
			assert.Equal(t, []string{"redshift-serverless.amazonaws.com", "redshift.amazonaws.com"}, trust.Statement[0].Principal["Service"])
			assert.Equal(t, []string{"sts:AssumeRole"}, trust.Statement[0].Action)

			pol := parsePolicy(t, in(one(t, g, tPolicy, "haina-streaming"))["policy"])
			streamArn := "arn:aws:kinesis:us-east-1:123456789012:stream/haina-" + stack + "-events"
			actions, resources := statement(t, pol, "ReadStreams")
			assert.Equal(t, []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
				"kinesis:GetShardIterator", "kinesis:ListShards"}, actions)
			assert.Equal(t, []string{streamArn}, resources)
			actions, resources = statement(t, pol, "ListStreams")
			assert.Equal(t, []string{"kinesis:ListStreams"}, actions)
			assert.Equal(t, []string{"*"}, resources, "ListStreams has no resource type")

			if stack == "production" { // customer key on the stream
				key := one(t, g, tKey, "haina-events-key")
				actions, resources = statement(t, pol, "DecryptStreams")
				assert.Equal(t, []string{"kms:Decrypt"}, actions)
				assert.Equal(t, []string{out(key)["arn"].(string)}, resources)
				assert.Len(t, pol.Statement, 3)
			} else {
				assert.Len(t, pol.Statement, 2, "the AWS managed key needs no kms: grant")
			}
		})
	}
}

func TestNoWildcardActionAnywhere(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		pols := allPolicies(t, g)
		require.NotEmpty(t, pols)
		for where, p := range pols {
			keyPolicy := strings.HasPrefix(where, tKey+"::")
			if strings.HasPrefix(where, "aws:ec2/vpcEndpoint:VpcEndpoint::") {
				// An endpoint policy grants nothing: it bounds what passes (AWS's form is
				// Action "*" with an aws:ResourceAccount condition; TestEndpointPoliciesOnlyThisAccount).
				for _, s := range p.Statement {
					if s.Effect == "Allow" && len(s.Action) == 1 && s.Action[0] == "*" {
						assert.Contains(t, s.Condition["StringEquals"], "aws:ResourceAccount", "%s: \"*\" only for this account's resources", where)
					}
				}
				continue
			}
			for _, s := range p.Statement {
				if s.Effect == "Deny" {
					continue // a deny may be broad: the TLS-only bucket rule denies s3:* without TLS
				}
				for _, a := range s.Action {
					assert.NotContains(t, a, "*", "%s: wildcard action %q", where, a)
				}
				for _, r := range s.Resource {
					if r == "*" && !keyPolicy { // in a key policy, "*" is the key itself
						// Only actions that have no resource type (Service Authorization Reference),
						// the Data API's and CloudWatch's under a condition that narrows them.
						assert.Subset(t, []string{"kinesis:ListStreams", "tag:GetResources", "tag:GetTagKeys",
							"redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "cloudwatch:PutMetricData"}, s.Action,
							"%s: only actions without a resource type may use resource *", where)
						for _, a := range s.Action {
							if strings.HasPrefix(a, "redshift-data:") || strings.HasPrefix(a, "cloudwatch:") {
								assert.NotEmpty(t, s.Condition, "%s: %s on * only under a condition (own statements, namespace Haina)", where, a)
							}
						}
					}
				}
			}
		}
	}
}

func TestProtectionOnlyOnStatefulResourcesInProduction(t *testing.T) {
	stateful := map[string]bool{tStream: true, tKey: true, tNamespace: true, tWorkgroup: true, "haina:redshift:SqlObject::haina-landing": true,
		// CDC's landing views, target tables and watermarks hold data.
		"haina:redshift:SqlObject::haina-changes-landing-shop.orders": true, "haina:redshift:SqlObject::haina-changes-landing-shop.customers": true,
		"haina:redshift:SqlObject::haina-changes-table-orders": true, "haina:redshift:SqlObject::haina-changes-table-customers": true,
		"haina:redshift:SqlObject::haina-changes-offsets": true,
		"haina:redshift:SqlObject::haina-changes-rejects": true,
		// Not stateful: protected so that a refused destroy stops before deleting anything.
		"aws:ssm/parameter:Parameter::haina-destroy-guard": true,
		"aws:s3/bucketV2:BucketV2::haina-lake":             true, tMSK: true, "aws:rds/cluster:Cluster": true, "aws:rds/clusterInstance:ClusterInstance": true}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			protected := 0
			for _, r := range g.Resources {
				want := stack == "production" && (stateful[r.Type] || stateful[r.Type+"::"+r.Name])
				assert.Equal(t, want, r.Protect, "%s %s", r.Type, r.Name)
				if r.Protect {
					protected++
				}
			}
			if stack == "production" {
				assert.Equal(t, 23, protected, "the destroy guard, stream, namespace, workgroup, landing MV, lake bucket, MSK cluster, Aurora cluster and writer, "+
					"the keys of stream, namespace, lake, flow logs, other log groups, MSK, Aurora and the alarm topic (not the rebuildable plugin artifacts or Debezium's secret), "+
					"and CDC's two landing views, two target tables, watermark table and rejects table")
			}
		})
	}
	// Config can lift protection (the documented way to tear production down).
	g := evaluate(t, "production", map[string]string{"haina:protect": "false"})
	for _, r := range g.Resources {
		assert.False(t, r.Protect, "%s %s", r.Type, r.Name)
	}
}

func TestNetworkIsPrivateWithEndpoints(t *testing.T) {
	g := evaluate(t, "staging", nil)
	vpc := in(one(t, g, tVpc, "haina-vpc"))
	assert.Equal(t, "10.40.0.0/16", vpc["cidrBlock"])
	assert.Equal(t, true, vpc["enableDnsHostnames"])
	subnets := g.OfType(tSubnet)
	require.Len(t, subnets, 3)
	azs, cidrs := map[any]bool{}, map[any]bool{}
	for _, s := range subnets {
		// By zone ID (names differ per account), never use1-az3, which MSK refuses
		// for client subnets: the fake AWS lists it second.
		assert.NotEqual(t, "use1-az3", in(s)["availabilityZoneId"])
		azs[in(s)["availabilityZoneId"]] = true
		cidrs[in(s)["cidrBlock"]] = true
		assert.Equal(t, false, in(s)["mapPublicIpOnLaunch"])
	}
	assert.Len(t, azs, 3, "three AZs")
	assert.Equal(t, map[any]bool{"10.40.0.0/18": true, "10.40.64.0/18": true, "10.40.128.0/18": true}, cidrs)
	assert.Empty(t, g.OfType("aws:ec2/internetGateway:InternetGateway"))
	assert.Empty(t, g.OfType("aws:ec2/natGateway:NatGateway"))

	s3 := in(one(t, g, tEndpoint, "haina-s3"))
	assert.Equal(t, "com.amazonaws.us-east-1.s3", s3["serviceName"])
	assert.Equal(t, "Gateway", s3["vpcEndpointType"])
	kin := in(one(t, g, tEndpoint, "haina-kinesis-streams"))
	assert.Equal(t, "com.amazonaws.us-east-1.kinesis-streams", kin["serviceName"])
	assert.Equal(t, "Interface", kin["vpcEndpointType"])
	assert.Equal(t, true, kin["privateDnsEnabled"])

	def := in(one(t, g, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "haina-default-sg"))
	assert.NotContains(t, def, "ingress", "the default security group is emptied")
	assert.NotContains(t, def, "egress")
}

func TestWarehousePortOnlyFromInsideTheVpc(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		cidr := in(one(t, g, tVpc, "haina-vpc"))["cidrBlock"]
		// Address ranges: only the VPC's, for the endpoints (443) and the warehouse (5439);
		// the other rules name a security group (MSK and MySQL, tested with them).
		var ports []any
		for _, r := range g.OfType(tIngress) {
			i := in(r)
			assert.NotEqual(t, "0.0.0.0/0", i["cidrIpv4"], "%s admits the internet", r.Name)
			if _, bySG := i["referencedSecurityGroupId"]; bySG {
				assert.NotContains(t, i, "cidrIpv4", r.Name)
				continue
			}
			assert.Equal(t, cidr, i["cidrIpv4"], r.Name)
			ports = append(ports, i["fromPort"])
		}
		assert.ElementsMatch(t, []any{443.0, 5439.0}, ports, "endpoints on 443, warehouse on 5439")
		for _, r := range g.OfType(tEgress) {
			if i := in(r); i["referencedSecurityGroupId"] == nil {
				assert.Equal(t, 443.0, i["fromPort"], r.Name)
				assert.Equal(t, 443.0, i["toPort"], r.Name)
			}
		}
	}
}

func TestExistingVpc(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{
		"haina:network": `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0000000000000000a","subnet-0000000000000000b","subnet-0000000000000000c"]}`,
	})
	assert.Empty(t, g.OfType(tVpc))
	assert.Empty(t, g.OfType(tSubnet))
	assert.Empty(t, g.OfType(tEndpoint), "an existing VPC keeps its own endpoints unless createEndpoints")
	wg := in(one(t, g, tWorkgroup, "haina"))
	assert.Equal(t, []any{"subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"}, wg["subnetIds"])
	sg := in(one(t, g, tSG, "haina"))
	assert.Equal(t, "vpc-0123456789abcdef0", sg["vpcId"])
	rule := in(one(t, g, tIngress, "haina-clients-vpc"))
	assert.Equal(t, "10.0.0.0/16", rule["cidrIpv4"], "the VPC's CIDR, looked up")

	g = evaluate(t, "staging", map[string]string{
		"haina:network": `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0000000000000000a","subnet-0000000000000000b","subnet-0000000000000000c"],"createEndpoints":true,"clientCidrs":["10.1.0.0/16","fd00::/8"]}`,
	})
	assert.Len(t, g.OfType(tEndpoint), 2, "the Kinesis and Secrets Manager interface endpoints")
	assert.Equal(t, "10.1.0.0/16", in(one(t, g, tIngress, "haina-clients-0"))["cidrIpv4"])
	assert.Equal(t, "fd00::/8", in(one(t, g, tIngress, "haina-clients-1"))["cidrIpv6"])
}

func TestEveryResourceIsParentedUnderThePipeline(t *testing.T) {
	g := evaluate(t, "production", nil)
	for _, r := range g.Resources {
		if r.Type == "haina:pipeline:Pipeline" {
			continue
		}
		assert.Contains(t, r.Parent, "haina:pipeline:Pipeline", "%s %s is not under the pipeline", r.Type, r.Name)
		if r.Custom && r.Name != "haina-destroy-guard" { // the guard belongs to the whole pipeline
			assert.Regexp(t, `haina:(network|stream|warehouse|ingestion|producer|lake|delivery|flowlogs|logs|kafka|sourcedb|cdc|scheduler|monitoring):[A-Za-z]+::`, r.Parent, "%s %s belongs to a building block", r.Type, r.Name)
		}
	}
}

func TestOutputsArePresentAndWellFormed(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			want := map[string]*regexp.Regexp{
				"environment":           regexp.MustCompile("^" + stack + "$"),
				"region":                regexp.MustCompile(`^us-east-1$`),
				"streamName":            regexp.MustCompile(`^haina-` + stack + `-events$`),
				"streamArn":             regexp.MustCompile(`^arn:aws:kinesis:us-east-1:\d{12}:stream/haina-` + stack + `-events$`),
				"namespaceName":         regexp.MustCompile(`^haina-` + stack + `$`),
				"workgroupName":         regexp.MustCompile(`^haina-` + stack + `$`),
				"workgroupEndpoint":     regexp.MustCompile(`^haina-` + stack + `\.\d{12}\.us-east-1\.redshift-serverless\.amazonaws\.com$`),
				"workgroupPort":         regexp.MustCompile(`^5439$`),
				"databaseName":          regexp.MustCompile(`^haina$`),
				"adminSecretArn":        regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:\d{12}:secret:`),
				"streamingRoleArn":      regexp.MustCompile(`^arn:aws:iam::\d{12}:role/haina-` + stack + `-redshift-streaming$`),
				"vpcId":                 regexp.MustCompile(`^vpc-[0-9a-f]+$`),
				"landingView":           regexp.MustCompile(`^"ingest"\."events_landing"$`),
				"eventsView":            regexp.MustCompile(`^"ingest"\."events"$`),
				"rollupView":            regexp.MustCompile(`^"ingest"\."events_per_minute"$`),
				"exampleQueries":        regexp.MustCompile(`(?s)failed-refreshes:SELECT .*FROM sys_query_history WHERE query_text LIKE 'CALL "ingest"."refresh_views"%' AND status = 'failed'.*latest-events:SELECT event_time`),
				"producerFunction":      regexp.MustCompile(`^haina-` + stack + `-producer$`),
				"lakeBucket":            regexp.MustCompile(`^haina-` + stack + `-lake-\d{12}-us-east-1$`),
				"glueDatabase":          regexp.MustCompile(`^haina_` + stack + `$`),
				"athenaWorkgroup":       regexp.MustCompile(`^haina-` + stack + `$`),
				"kafkaClusterArn":       regexp.MustCompile(`^arn:aws:kafka:us-east-1:\d{12}:cluster/haina-` + stack + `-cdc/`),
				"kafkaBootstrapBrokers": regexp.MustCompile(`^b-1\.[^,]+:9098,b-2\.[^,]+:9098,b-3\.[^,]+:9098$`),
				"sourceDbEndpoint":      regexp.MustCompile(`^haina-` + stack + `-cdc-mysql\.cluster-`),
				"cdcConnectorArn":       regexp.MustCompile(`^arn:aws:kafkaconnect:us-east-1:\d{12}:connector/haina-` + stack + `-cdc/`),
				"cdcTopics":             regexp.MustCompile(map[string]string{"staging": `^\[salesdb\.salesdb\.CUSTOMER\]$`, "production": `^\[shop\.shop\.customers shop\.shop\.orders\]$`}[stack]),
				"cdcPluginSha256":       regexp.MustCompile(`^map\[aws-msk-iam-auth:[0-9a-f]{64} debezium-connector-mysql:[0-9a-f]{64} msk-config-providers:[0-9a-f]{64}\]$`),
				"cdcDebeziumSecretArn":  regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:\d{12}:secret:haina-` + stack + `-cdc-debezium-`),
				"cdcQueries":            regexp.MustCompile(`(?s)apply_[a-z]+:CALL "cdc"\."apply_[a-z]+"\(\);.*lastRuns:SELECT target_table`),
				"refreshSchedule":       regexp.MustCompile(`^haina-` + stack + `-refresh$`),
				"alarmTopicArn":         regexp.MustCompile(`^arn:aws:sns:us-east-1:\d{12}:haina-` + stack + `-alarms$`),
				"dashboardUrl":          regexp.MustCompile(`^https://us-east-1\.console\.aws\.amazon\.com/cloudwatch/home\?region=us-east-1#dashboards/dashboard/haina-` + stack + `$`),
			}
			assert.Len(t, g.Outputs, len(want))
			for k, re := range want {
				assert.Regexp(t, re, fmt.Sprint(g.Outputs[k]), k)
			}
		})
	}
}

func TestTwoEvaluationsGiveIdenticalInputs(t *testing.T) {
	for _, stack := range stacks {
		a, err := evaluate(t, stack, nil).Fingerprint()
		require.NoError(t, err)
		b, err := evaluate(t, stack, nil).Fingerprint()
		require.NoError(t, err)
		assert.Equal(t, a, b, stack)
		assert.Greater(t, len(a), 1000)
	}
}

func TestTagsReachTaggableResources(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{"haina:tags": `{"team":"data"}`})
	for _, tok := range []string{tStream, tNamespace, tWorkgroup, tKey, tRole, tVpc, "aws:s3/bucketV2:BucketV2",
		"aws:lambda/function:Function", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:ec2/flowLog:FlowLog"} {
		require.NotEmpty(t, g.OfType(tok), "no %s to check", tok)
		for _, r := range g.OfType(tok) {
			tags, _ := in(r)["tags"].(map[string]any)
			assert.Equal(t, "data", tags["team"], "%s %s", r.Type, r.Name)
			assert.Equal(t, "staging", tags["haina:environment"], "%s %s", r.Type, r.Name)
		}
	}
}
