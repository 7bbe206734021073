package tests

import (
	"regexp"
	"strings"
	"testing"

	"github.com/haina-data/haina/components/fluentbit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const shipperOn = `{"enabled":true,"subnetId":"subnet-0aaaaaaaaaaaaaaaa","paths":["/var/log/app/*.log","/srv/users.csv"],"csv":true}`

func TestLogShipperIsPrivateManagedAndLeastPrivilege(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, map[string]string{"haina:logShipper": shipperOn})
			inst := in(one(t, g, "aws:ec2/instance:Instance", "haina-log-shipper"))
			assert.Equal(t, false, inst["associatePublicIpAddress"], "no public IP")
			assert.NotContains(t, inst, "keyName", "no SSH key: SSM only")
			assert.Equal(t, "required", inst["metadataOptions"].(map[string]any)["httpTokens"], "IMDSv2 only")
			assert.Equal(t, 1.0, inst["metadataOptions"].(map[string]any)["httpPutResponseHopLimit"])
			assert.Equal(t, true, inst["rootBlockDevice"].(map[string]any)["encrypted"])
			assert.Equal(t, "t4g.small", inst["instanceType"])
			assert.Equal(t, "subnet-0aaaaaaaaaaaaaaaa", inst["subnetId"])
			assert.Equal(t, "ami-0fake0al2023arm64", inst["ami"], "Amazon Linux 2023 arm64 from AWS's public parameter")
			assert.Equal(t, "haina-"+stack+"-log-shipper", inst["iamInstanceProfile"])

			ud := inst["userData"].(string)
			assert.Contains(t, ud, "baseurl=https://packages.fluentbit.io/amazonlinux/2023/")
			assert.Contains(t, ud, "Path              /var/log/app/*.log,/srv/users.csv")
			assert.Contains(t, ud, "Name              kinesis_streams")
			assert.Contains(t, ud, "stream            haina-"+stack+"-events")
			assert.Contains(t, ud, "region            us-east-1")
			assert.Contains(t, ud, "Parser            seed_csv")

			sg := one(t, g, tSG, "haina-log-shipper")
			for _, r := range g.OfType(tIngress) {
				assert.NotContains(t, r.Name, "log-shipper", "the shipper admits nothing")
			}
			// The group lives in the subnet's VPC (AWS's answer), not haina's: a group
			// in another VPC than the instance's subnet fails at deploy with "different networks".
			assert.Equal(t, "vpc-0aaaaaaaaaaaaaaaa", in(sg)["vpcId"])
			assert.NotEqual(t, g.Outputs["vpcId"], in(sg)["vpcId"])

			pol := parsePolicy(t, in(one(t, g, tPolicy, "haina-log-shipper"))["policy"])
			actions, resources := statement(t, pol, "PutRecords")
			assert.Equal(t, []string{"kinesis:PutRecords"}, actions)
			assert.Equal(t, []string{"arn:aws:kinesis:us-east-1:123456789012:stream/haina-" + stack + "-events"}, resources)
			att := in(one(t, g, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "haina-log-shipper-ssm"))
			assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", att["policyArn"])
			assert.Equal(t, []string{"ec2.amazonaws.com"}, parsePolicy(t, in(one(t, g, tRole, "haina-log-shipper"))["assumeRolePolicy"]).Statement[0].Principal["Service"])
		})
	}
	g := evaluate(t, "staging", nil)
	assert.Empty(t, g.OfType("aws:ec2/instance:Instance"), "off by default")
}

func TestLogShipperValidation(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"enabled":true}`: `haina:logShipper.subnetId: "" is not allowed; the log shipper needs a private subnet with a route out`,
		`{"enabled":true,"subnetId":"subnet-0aaaaaaaaaaaaaaaa","instanceType":"t3.small"}`: `haina:logShipper.instanceType: "t3.small" is not allowed; allowed: a Graviton (arm64) type`,
		`{"enabled":true,"subnetId":"subnet-0aaaaaaaaaaaaaaaa","paths":["logs/*.log"]}`:    `haina:logShipper.paths[0]: "logs/*.log" is not allowed; allowed: an absolute path or glob`,
		`{"enabled":true,"subnetId":"subnet-0aaaaaaaaaaaaaaaa","paths":["/a.log,/b.log"]}`: `haina:logShipper.paths[0]: "/a.log,/b.log" is not allowed`,
		`{"enabled":true,"subnetId":"subnet-0aaaaaaaaaaaaaaaa","paths":[]}`:                `haina:logShipper.paths: [] is not allowed; list at least one`,
	} {
		_, err := evaluateErr(t, "staging", map[string]string{"haina:logShipper": cfg})
		require.Error(t, err, cfg)
		assert.Contains(t, err.Error(), want)
	}
}

// The CSV parser fluent-bit gets, run on the sample app's CSV lines (Onigmo's (?<name>) is Go's (?P<name>)).
func TestSeedCSVParser(t *testing.T) {
	re := regexp.MustCompile(strings.ReplaceAll(fluentbit.CSVRegex, "(?<", "(?P<"))
	m := re.FindStringSubmatch("1,Kimberly,Stanborough,kstanborough0@bbb.org,Female,165.27.207.116")
	require.NotNil(t, m)
	fields := map[string]string{}
	for i, n := range re.SubexpNames() {
		if n != "" {
			fields[n] = m[i]
		}
	}
	assert.Equal(t, map[string]string{"id": "1", "first_name": "Kimberly", "last_name": "Stanborough",
		"email": "kstanborough0@bbb.org", "gender": "Female", "ip_address": "165.27.207.116"}, fields)
	assert.Nil(t, re.FindStringSubmatch("not,a,seed,line"), "other lines stay unparsed (shipped as {\"log\": …})")
	assert.Nil(t, re.FindStringSubmatch("1,a,b,c,d,e,f"), "seven fields are not the seed schema")
}
