package tests

import (
	"strings"
	"testing"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/haina-data/haina/tests/harness"
	"github.com/haina-data/haina/tests/iameval"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue "Nothing lost, no one in": endpoint policies, the warehouse's egress,
// and key policies that separate administration from use.

// keyServices are the services each haina key is used through (kms:ViaService),
// by resource name; nil: none (a service principal uses it, or no one).
var keyServices = map[string][]string{
	"haina-events-key":   {"kinesis.us-east-1.amazonaws.com"},
	"haina-key":          {"redshift-data.us-east-1.amazonaws.com", "redshift-serverless.us-east-1.amazonaws.com", "redshift.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"},
	"haina-lake-key":     {"s3.us-east-1.amazonaws.com"},
	"haina-kafka-key":    {"kafka.us-east-1.amazonaws.com"},
	"haina-sourcedb-key": {"rds.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"},
	// CDC in zero-etl mode: the integration's key (the account through RDS; Redshift's grant).
	"haina-zero-etl-key": {"rds.us-east-1.amazonaws.com"},
	"haina-flowlogs-key": nil,
	"haina-logs-key":     {"logs.us-east-1.amazonaws.com"},
	// CloudWatch (a service principal, for this stack's alarms) and the account through SNS.
	"haina-monitoring-key": {"sns.us-east-1.amazonaws.com"},
}

// keyGrants are the keys whose services attach grants (RDS, Redshift, MSK).
var keyGrants = map[string]bool{"haina-key": true, "haina-kafka-key": true, "haina-sourcedb-key": true, "haina-zero-etl-key": true}

// cryptoActions use a key's material (or let a grant use it): never the
// account's to take outside a service.
var cryptoActions = []string{"kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
	"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}

// Fails on the old code: the keys had no policy (the default: the account may
// do everything, directly).
func TestKeyPoliciesSeparateAdministrationFromUse(t *testing.T) {
	root := "arn:aws:iam::" + fakeaws.Account + ":root"
	for _, variant := range []struct {
		stack  string
		config map[string]string
	}{{"staging", nil}, {"production", nil}, {"production", zeroETL(`,"zeroEtl":{"tables":["shop.orders"]}`)}} {
		stack := variant.stack
		g := evaluate(t, stack, variant.config)
		keys := g.OfType(tKey)
		require.NotEmpty(t, keys)
		for _, r := range keys {
			want, known := keyServices[r.Name]
			require.True(t, known, "key %s: which services use it?", r.Name)
			p := parsePolicy(t, in(r)["policy"])
			sids := map[string]bool{}
			for _, s := range p.Statement {
				sids[s.Sid] = true
				assert.Equal(t, "Allow", s.Effect, "%s %s", r.Name, s.Sid)
				for _, a := range s.Action {
					assert.False(t, strings.HasSuffix(a, "*"), "%s %s: wildcard action %s", r.Name, s.Sid, a)
				}
				switch s.Sid {
				case "AccountAdministers":
					assert.Equal(t, map[string][]string{"AWS": {root}}, s.Principal, r.Name)
					assert.Empty(t, s.Condition, r.Name)
					assert.Contains(t, s.Action, "kms:PutKeyPolicy", "%s: the account can always fix the policy", r.Name)
					assert.Contains(t, s.Action, "kms:ScheduleKeyDeletion", r.Name)
					for _, a := range cryptoActions {
						assert.NotContains(t, s.Action, a, "%s: administration does not use the key", r.Name)
					}
				case "AccountUsesThroughServices", "ServicesAttachGrants":
					assert.Equal(t, map[string][]string{"AWS": {root}}, s.Principal, "%s %s: IAM still decides which role", r.Name, s.Sid)
					assert.Equal(t, []string{fakeaws.Account}, s.Condition["StringEquals"]["kms:CallerAccount"], r.Name)
					assert.ElementsMatch(t, want, s.Condition["StringEquals"]["kms:ViaService"], "%s %s", r.Name, s.Sid)
					if s.Sid == "ServicesAttachGrants" {
						assert.Equal(t, []string{"kms:CreateGrant"}, s.Action, r.Name)
						assert.Equal(t, []string{"true"}, s.Condition["Bool"]["kms:GrantIsForAWSResource"], r.Name)
					} else {
						assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
							"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}, s.Action, r.Name)
					}
				case "RedshiftCreatesGrants":
					// "the key policy must provide the Amazon Redshift service principal access to the CreateGrant action"
					// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.creating.html).
					assert.Equal(t, "haina-zero-etl-key", r.Name)
					assert.Equal(t, map[string][]string{"Service": {"redshift.amazonaws.com"}}, s.Principal)
					assert.Equal(t, []string{"kms:CreateGrant"}, s.Action)
				case "LogsUseForTheFlowLogGroup":
					assert.Equal(t, "haina-flowlogs-key", r.Name)
					assert.Equal(t, map[string][]string{"Service": {"logs.us-east-1.amazonaws.com"}}, s.Principal)
				case "LogsUseForHainaLogGroups":
					assert.Equal(t, "haina-logs-key", r.Name)
					assert.Equal(t, map[string][]string{"Service": {"logs.us-east-1.amazonaws.com"}}, s.Principal)
				case "CloudWatchAlarmsPublish":
					// CloudWatch encrypts alarm messages to the topic: only this account's alarms of this stack.
					assert.Equal(t, "haina-monitoring-key", r.Name)
					assert.Equal(t, map[string][]string{"Service": {"cloudwatch.amazonaws.com"}}, s.Principal)
					assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey"}, s.Action)
					assert.Equal(t, []string{fakeaws.Account}, s.Condition["StringEquals"]["aws:SourceAccount"])
					assert.Equal(t, []string{"arn:aws:cloudwatch:us-east-1:" + fakeaws.Account + ":alarm:haina-" + stack + "-*"}, s.Condition["ArnLike"]["aws:SourceArn"])
				default:
					t.Errorf("%s: unexpected statement %q", r.Name, s.Sid)
				}
			}
			assert.True(t, sids["AccountAdministers"], "%s: the account administers every key", r.Name)
			assert.Equal(t, want != nil, sids["AccountUsesThroughServices"], r.Name)
			assert.Equal(t, keyGrants[r.Name], sids["ServicesAttachGrants"], r.Name)
		}
	}
}

// The key policy is enforced as KMS enforces it: the streaming role may
// decrypt the stream's key through Kinesis (its IAM grant and the key policy
// agree), but not directly nor through another service, though its IAM
// policy names the key without a condition. Fails on the old code: with the
// default key policy the direct call was allowed.
func TestStreamKeyOnlyThroughKinesis(t *testing.T) {
	g := evaluate(t, "production", nil)
	st, err := iameval.Load(stateOf(g))
	require.NoError(t, err)
	key := out(one(t, g, tKey, "haina-events-key"))
	keyPolicy, err := iameval.Parse("key", key["policy"].(string))
	require.NoError(t, err)
	stream := out(one(t, g, tStream, "haina-events"))["arn"].(string)
	role := st.Roles[out(one(t, g, tRole, "haina-streaming"))["arn"].(string)]
	require.NotNil(t, role)
	decrypt := func(via string) bool {
		ctx := iameval.Context{"kms:CallerAccount": {fakeaws.Account}, "kms:EncryptionContext:aws:kinesis:arn": {stream}}
		if via != "" {
			ctx["kms:ViaService"] = []string{via}
		}
		r, err := iameval.EvaluateKMS(iameval.Request{Caller: iameval.Caller{Kind: "AWS", ID: role.Arn, Account: fakeaws.Account},
			Action: "kms:Decrypt", Resource: key["arn"].(string), Context: ctx}, role.Policies, keyPolicy)
		require.NoError(t, err)
		return r.Allowed()
	}
	assert.True(t, decrypt("kinesis.us-east-1.amazonaws.com"), "Redshift reads the stream through Kinesis")
	assert.False(t, decrypt(""), "the role may not decrypt with the key itself")
	assert.False(t, decrypt("s3.us-east-1.amazonaws.com"), "nor through another service")
}

// The data-path check sees key policies: with Kinesis taken out of the
// stream key's policy, Redshift's read of the stream is reported denied.
// Fails on the old evaluator, which let an IAM grant alone allow a KMS call.
func TestDataPathsCatchAKeyPolicyWithoutTheService(t *testing.T) {
	g := evaluate(t, "production", nil)
	res := stateOf(g)
	mutated := false
	for i, r := range res {
		if r.Type == tKey && r.Name == "haina-events-key" {
			state := map[string]any{}
			for k, v := range r.State {
				state[k] = v
			}
			state["policy"] = strings.ReplaceAll(r.State["policy"].(string), "kinesis.us-east-1.amazonaws.com", "firehose.us-east-1.amazonaws.com")
			res[i].State, mutated = state, true
		}
	}
	require.True(t, mutated)
	problems, _, err := iameval.CheckAll(res)
	require.NoError(t, err)
	hit := false
	for path, msgs := range problems {
		for _, m := range msgs {
			hit = hit || (strings.HasPrefix(path, "Redshift → Kinesis ") && strings.Contains(m, "kms:Decrypt on arn:aws:kms:") && strings.Contains(m, "is denied"))
		}
	}
	assert.True(t, hit, "a key policy that leaves out the service is reported: %v", problems)
}

// Every endpoint haina creates lets requests reach this account's resources
// only: an UNLOAD (s3:PutObject) into another account's bucket, a record put
// on another account's stream, is refused at the endpoint whatever the
// caller's IAM says. Fails on the old code: the endpoints had no policy (full access).
func TestEndpointPoliciesOnlyThisAccount(t *testing.T) {
	for _, c := range []struct {
		name      string
		overrides map[string]string
		endpoints int
	}{
		{"new VPC", nil, 3},
		{"existing VPC, createEndpoints", map[string]string{
			"haina:network": `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0000000000000000a","subnet-0000000000000000b","subnet-0000000000000000c"],"createEndpoints":true}`,
		}, 2},
	} {
		g := evaluate(t, "staging", c.overrides)
		eps := g.OfType(tEndpoint)
		require.Len(t, eps, c.endpoints, c.name)
		for _, ep := range eps {
			doc, ok := in(ep)["policy"].(string)
			require.True(t, ok, "%s %s: no endpoint policy", c.name, ep.Name)
			p, err := iameval.Parse(ep.Name, doc)
			require.NoError(t, err)
			svc := in(ep)["serviceName"].(string)
			call, ok := map[string][2]string{
				"com.amazonaws.us-east-1.s3":              {"s3:PutObject", "arn:aws:s3:::somebucket/unload/0000_part_00"},
				"com.amazonaws.us-east-1.kinesis-streams": {"kinesis:PutRecords", "arn:aws:kinesis:us-east-1:%s:stream/s"},
				"com.amazonaws.us-east-1.secretsmanager":  {"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:%s:secret:s-abcdef"},
			}[svc]
			action, resource := call[0], call[1]
			require.True(t, ok, "%s: unexpected endpoint %s", c.name, svc)
			through := func(owner string) bool {
				r, err := iameval.Evaluate(iameval.Request{
					Caller: iameval.Caller{Kind: "AWS", ID: "arn:aws:iam::" + fakeaws.Account + ":role/haina-staging-redshift-streaming", Account: fakeaws.Account},
					Action: action, Resource: strings.ReplaceAll(resource, "%s", owner),
					Context: iameval.Context{"aws:ResourceAccount": {owner}, "aws:PrincipalAccount": {fakeaws.Account}},
				}, nil, p)
				require.NoError(t, err)
				return r.Allowed()
			}
			assert.True(t, through(fakeaws.Account), "%s %s: this account's resources pass", c.name, svc)
			assert.False(t, through("999999999999"), "%s %s: another account's resources do not", c.name, svc)
		}
	}
}

// networkAndWarehouse declares only a network and a warehouse, wired as the
// pipeline wires them (Endpoints from the network).
func networkAndWarehouse(cfg components.NetworkConfig) func(ctx *pulumi.Context) (*components.Pipeline, error) {
	return func(ctx *pulumi.Context) (*components.Pipeline, error) {
		n, err := components.NewNetwork(ctx, "haina", &components.NetworkArgs{Config: cfg, Region: "us-east-1"})
		if err != nil {
			return nil, err
		}
		_, err = components.NewWarehouse(ctx, "haina", &components.WarehouseArgs{
			Config: components.WarehouseConfig{NamespaceName: "ns", WorkgroupName: "wg", DatabaseName: "db", AdminUsername: "admin",
				BaseCapacity: 8, MaxCapacity: 8, Port: 5439, UsageLimit: components.UsageLimitConfig{Amount: 10, Period: "daily", BreachAction: "log"}},
			VpcID: n.VpcID, SubnetIDs: n.SubnetIDs, VpcCidr: n.CidrBlock, Endpoints: n.Endpoints(),
			StreamingRoleName: "streaming", KinesisStreamArns: pulumi.ToStringArray([]string{"arn:aws:kinesis:us-east-1:" + fakeaws.Account + ":stream/s"}),
		})
		return &components.Pipeline{}, err
	}
}

// The warehouse opens HTTPS only to haina's endpoints (the interface
// endpoints' group, the S3 gateway's prefix list), not to 0.0.0.0/0; in an
// existing VPC, whose endpoints haina does not know, it keeps 0.0.0.0/0.
// Fails on the old code: the warehouse always had 0.0.0.0/0.
func TestWarehouseHTTPSOnlyToTheEndpoints(t *testing.T) {
	cfg := map[string]string{"aws:region": "us-east-1"}
	g, err := harness.Run("staging", cfg, networkAndWarehouse(components.NetworkConfig{CidrBlock: "10.40.0.0/16"}))
	require.NoError(t, err)
	wh, endpoints := one(t, g, tSG, "haina").ID, one(t, g, tSG, "haina-endpoints").ID
	prefixList := out(one(t, g, tEndpoint, "haina-s3"))["prefixListId"]
	require.NotEmpty(t, prefixList)
	var dests []any
	for _, r := range g.OfType(tEgress) {
		if i := in(r); i["securityGroupId"] == wh {
			assert.Equal(t, 443.0, i["fromPort"], r.Name)
			assert.NotContains(t, i, "cidrIpv4", "%s: HTTPS to an address range", r.Name)
			dests = append(dests, i["referencedSecurityGroupId"], i["prefixListId"])
		}
	}
	assert.ElementsMatch(t, []any{endpoints, nil, nil, prefixList}, dests, "the interface endpoints and S3's prefix list")

	g, err = harness.Run("staging", cfg, networkAndWarehouse(components.NetworkConfig{VpcID: "vpc-0123456789abcdef0",
		SubnetIDs: []string{"subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"}}))
	require.NoError(t, err)
	rule := in(one(t, g, tEgress, "haina-https"))
	assert.Equal(t, "0.0.0.0/0", rule["cidrIpv4"], "an existing VPC's endpoints are unknown: docs/security.md, existing VPC")
}

// Every log group is encrypted with a key of haina's whose policy lets
// CloudWatch Logs use it for that group, as KMS decides it: CloudWatch Logs
// refuses to associate a key it may not use with the group's ARN as
// encryption context ("Encrypt log data in CloudWatch Logs using AWS KMS",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
// The same key is refused for another stack's group. Fails on the old code:
// only the flow logs' group had a key.
func TestEveryLogGroupHasAKeyCloudWatchLogsMayUse(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			keys := map[string]*iameval.Policy{}
			for _, k := range g.OfType(tKey) {
				p, err := iameval.Parse(k.Name, in(k)["policy"].(string))
				require.NoError(t, err)
				keys[out(k)["arn"].(string)] = p
			}
			logs := iameval.Caller{Kind: "Service", ID: "logs.us-east-1.amazonaws.com"}
			use := func(keyArn, group string) bool {
				r, err := iameval.EvaluateKMS(iameval.Request{Caller: logs, Action: "kms:GenerateDataKey", Resource: keyArn,
					Context: iameval.Context{"kms:EncryptionContext:aws:logs:arn": {"arn:aws:logs:us-east-1:" + fakeaws.Account + ":log-group:" + group}}},
					nil, keys[keyArn])
				require.NoError(t, err)
				return r.Allowed()
			}
			groups := g.OfType("aws:cloudwatch/logGroup:LogGroup")
			require.GreaterOrEqual(t, len(groups), 5, "Lambdas, Firehose, MSK, MSK Connect, flow logs")
			for _, lg := range groups {
				name, _ := in(lg)["name"].(string)
				keyArn, _ := in(lg)["kmsKeyId"].(string)
				require.NotEmpty(t, keyArn, "log group %s has no KMS key", name)
				require.Contains(t, keys, keyArn, "log group %s: a key of haina's", name)
				assert.True(t, use(keyArn, name), "CloudWatch Logs may use %s's key", name)
				other := strings.Replace(name, "haina-"+stack+"-", "other-"+stack+"-", 1)
				require.NotEqual(t, name, other, name)
				assert.False(t, use(keyArn, other), "nor for another stack's group %s", other)
			}
			// The groups Redshift makes for its audit logs get the same key and a
			// retention through haina's provider (haina:logs:LogGroupSettings).
			settings := g.OfType("haina:logs:LogGroupSettings")
			require.Len(t, settings, 3, "connectionlog, useractivitylog, userlog")
			for _, st := range settings {
				name, _ := in(st)["logGroupName"].(string)
				assert.True(t, strings.HasPrefix(name, "/aws/redshift/haina-"+stack+"/"), name)
				assert.Equal(t, map[string]float64{"staging": 30, "production": 365}[stack], in(st)["retentionInDays"], name)
				keyArn, _ := in(st)["kmsKeyArn"].(string)
				require.Contains(t, keys, keyArn, "%s: a key of haina's", name)
				assert.True(t, use(keyArn, name), "CloudWatch Logs may use %s's key", name)
				assert.False(t, use(keyArn, "/aws/redshift/other-"+stack+"/userlog"), "nor for another warehouse's logs")
			}
		})
	}
}
