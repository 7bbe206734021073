package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tIntegration = "aws:redshift/integration:Integration"
	tFirehose    = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
)

func TestRedshiftDeliveryIsOffByDefault(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		assert.Empty(t, g.OfType(tIntegration))
		_, err := g.One(tFirehose, "haina-redshift-delivery")
		assert.Error(t, err)
	}
}

func TestRedshiftCopyJobKeepsTheWorkgroupPrivate(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, map[string]string{"haina:redshiftDelivery": `{"enabled":true}`})
			assert.Equal(t, false, in(one(t, g, tWorkgroup, "haina"))["publiclyAccessible"])
			bucket := "haina-" + stack + "-lake-123456789012-us-east-1"
			bucketArn := "arn:aws:s3:::" + bucket

			table := one(t, g, tSQL, "haina-redshift-table")
			ti := in(table)
			assert.Equal(t, `"ingest"."events_history"`, ti["objectName"])
			assert.Equal(t, true, ti["holdsData"])
			assert.Equal(t, stack == "production", ti["guardDelete"])
			assert.Equal(t, stack == "production", table.Protect)

			job := one(t, g, tSQL, "haina-redshift-copy-job")
			assert.Contains(t, in(job)["create"].([]any)[0], "FROM 's3://"+bucket+"/redshift-events/'")
			// COPY JOB refuses IAM_ROLE default and a transaction block (r_COPY-JOB).
			assert.Contains(t, in(job)["create"].([]any)[0], "IAM_ROLE 'arn:aws:iam::123456789012:role/haina-"+stack+"-redshift-streaming'")
			assert.NotContains(t, in(job)["create"].([]any)[0], "IAM_ROLE default")
			assert.Equal(t, true, in(job)["nonTransactional"])
			assert.True(t, dependsOn(job, tIntegration, "haina-redshift-autocopy"), "the job waits for the integration")
			assert.True(t, dependsOn(job, tSQL, "haina-redshift-table"))

			integ := in(one(t, g, tIntegration, "haina-redshift-autocopy"))
			assert.Equal(t, bucketArn, integ["sourceArn"])
			assert.Equal(t, out(one(t, g, tNamespace, "haina"))["arn"], integ["targetArn"])

			fh := in(one(t, g, tFirehose, "haina-redshift-delivery"))
			assert.Equal(t, "extended_s3", fh["destination"])
			assert.Equal(t, "redshift-events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", fh["extendedS3Configuration"].(map[string]any)["prefix"])

			bp := parsePolicy(t, in(one(t, g, "aws:s3/bucketPolicy:BucketPolicy", "haina-lake"))["policy"])
			actions, resources := statement(t, bp, "RedshiftAutoCopyNotifications")
			assert.Equal(t, []string{"s3:GetBucketLocation", "s3:GetBucketNotification", "s3:PutBucketNotification"}, actions)
			assert.Equal(t, []string{bucketArn}, resources)

			ns := parsePolicy(t, in(one(t, g, "aws:redshift/resourcePolicy:ResourcePolicy", "haina-redshift-autocopy-policy"))["policy"])
			require.Len(t, ns.Statement, 2)
			assert.Equal(t, []string{"redshift:AuthorizeInboundIntegration"}, ns.Statement[0].Action)
			assert.Equal(t, map[string]map[string][]string{"StringEquals": {"aws:SourceArn": {bucketArn}}}, ns.Statement[0].Condition)

			rp := parsePolicy(t, in(one(t, g, tPolicy, "haina-redshift-copy-from-lake"))["policy"])
			assert.Equal(t, "haina-"+stack+"-redshift-streaming", in(one(t, g, tPolicy, "haina-redshift-copy-from-lake"))["role"])
			_, resources = statement(t, rp, "ReadPrefix")
			assert.Equal(t, []string{bucketArn + "/redshift-events/*"}, resources)
			actions, _ = statement(t, rp, "ListPrefix")
			assert.Equal(t, []string{"s3:ListBucket"}, actions)
		})
	}
}

// publicVpc is an existing VPC whose subnets route to an internet gateway: what direct mode needs.
const publicVpc = `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0aaaaaaaaaaaaaaa1","subnet-0aaaaaaaaaaaaaaa2","subnet-0aaaaaaaaaaaaaaa3"]}`

func TestRedshiftDirectNeedsAPublicWorkgroup(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{
		"haina:network":          publicVpc,
		"haina:warehouse":        `{"publiclyAccessible":true}`,
		"haina:redshiftDelivery": `{"enabled":true,"mode":"direct"}`,
	})
	fh := in(one(t, g, tFirehose, "haina-redshift-delivery"))
	assert.Equal(t, "redshift", fh["destination"])
	rc := fh["redshiftConfiguration"].(map[string]any)
	assert.Equal(t, "jdbc:redshift://haina-staging.123456789012.us-east-1.redshift-serverless.amazonaws.com:5439/haina", rc["clusterJdbcurl"])
	assert.Equal(t, "ingest.events_history", rc["dataTableName"])
	assert.Equal(t, `event_time,event_name,"user"`, rc["dataTableColumns"], "USER is reserved in Redshift: quoted")
	secret := out(one(t, g, tNamespace, "haina"))["adminPasswordSecretArn"]
	assert.Equal(t, secret, rc["secretsManagerConfiguration"].(map[string]any)["secretArn"])
	assert.NotContains(t, rc, "password", "credentials only through Secrets Manager")
	rule := in(one(t, g, tIngress, "haina-redshift-firehose-ingress"))
	assert.Equal(t, "52.70.63.192/27", rule["cidrIpv4"])
	assert.Equal(t, 5439.0, rule["fromPort"])
	pol := parsePolicy(t, in(one(t, g, tPolicy, "haina-redshift-delivery"))["policy"])
	actions, resources := statement(t, pol, "RedshiftCredentials")
	assert.Equal(t, []string{"secretsmanager:GetSecretValue"}, actions)
	assert.Equal(t, []string{secret.(string)}, resources)
	assert.Empty(t, g.OfType(tIntegration))

	for cfg, want := range map[[2]string]string{
		{"staging", `{"enabled":true,"mode":"direct"}`}: `haina:redshiftDelivery.mode: "direct" is not allowed; Firehose's Redshift destination reaches only a publicly accessible workgroup`,
		{"staging", `{"enabled":true,"mode":"batch"}`}:  `haina:redshiftDelivery.mode: "batch" is not allowed; allowed: copy-job, direct`,
		{"staging", `{"enabled":true,"mode":"direct"}`}: `haina:redshiftDelivery.mode: "direct" is not allowed; Firehose's Redshift destination connects over the internet, ` +
			`and haina's own VPC has no internet gateway or public subnets`,
	} {
		_, err := evaluateErr(t, cfg[0], map[string]string{"haina:redshiftDelivery": cfg[1]})
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
	public := `{"publiclyAccessible":true,"allowPublicInProduction":true}`
	_, err := evaluateErr(t, "production", map[string]string{"haina:network": publicVpc, "haina:warehouse": public, "haina:redshiftDelivery": `{"enabled":true,"mode":"direct"}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `direct mode in production also needs haina:redshiftDelivery.allowDirectInProduction: true`)
	_, err = evaluateErr(t, "production", map[string]string{"haina:network": publicVpc, "haina:warehouse": public,
		"haina:redshiftDelivery": `{"enabled":true,"mode":"direct","allowDirectInProduction":true}`})
	require.NoError(t, err)
}
