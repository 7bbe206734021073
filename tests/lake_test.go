package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haina-data/haina/components"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLakeBucketIsEncryptedPrivateAndTLSOnly(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			bucket := one(t, g, "aws:s3/bucketV2:BucketV2", "haina-lake")
			assert.Equal(t, "haina-"+stack+"-lake-123456789012-us-east-1", in(bucket)["bucket"])
			assert.Equal(t, stack == "staging", in(bucket)["forceDestroy"], "destroyable in staging only")
			assert.Equal(t, stack == "production", bucket.Protect)

			sse := in(one(t, g, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "haina-lake"))
			rule := sse["rules"].([]any)[0].(map[string]any)
			def := rule["applyServerSideEncryptionByDefault"].(map[string]any)
			assert.Equal(t, "aws:kms", def["sseAlgorithm"])
			assert.Equal(t, out(one(t, g, tKey, "haina-lake-key"))["arn"], def["kmsMasterKeyId"])
			assert.Equal(t, true, rule["bucketKeyEnabled"])

			bpa := in(one(t, g, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "haina-lake"))
			for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				assert.Equal(t, true, bpa[k], k)
			}
			own := in(one(t, g, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "haina-lake"))
			assert.Equal(t, "BucketOwnerEnforced", own["rule"].(map[string]any)["objectOwnership"])

			pol := parsePolicy(t, in(one(t, g, "aws:s3/bucketPolicy:BucketPolicy", "haina-lake"))["policy"])
			require.Len(t, pol.Statement, 1)
			st := pol.Statement[0]
			assert.Equal(t, "Deny", st.Effect)
			assert.Equal(t, []string{"s3:*"}, st.Action)
			assert.Equal(t, map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}, st.Condition)
			arn := "arn:aws:s3:::haina-" + stack + "-lake-123456789012-us-east-1"
			assert.Equal(t, []string{arn, arn + "/*"}, st.Resource)

			assert.Len(t, g.OfType("aws:s3/bucketVersioningV2:BucketVersioningV2"), map[string]int{"staging": 0, "production": 1}[stack])
			lc := in(one(t, g, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "haina-lake"))
			rules := map[string]map[string]any{}
			for _, r := range lc["rules"].([]any) {
				rules[r.(map[string]any)["id"].(string)] = r.(map[string]any)
			}
			assert.Equal(t, 7.0, rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"].(map[string]any)["daysAfterInitiation"])
			// errorRetentionDays applies to handled errors only (redriven/, and what a move leaves under errors/).
			days := map[string]float64{"staging": 14, "production": 90}[stack]
			assert.Equal(t, "redriven/", rules["expire-redriven-errors"]["filter"].(map[string]any)["prefix"])
			assert.Equal(t, days, rules["expire-redriven-errors"]["expiration"].(map[string]any)["days"])
			assert.Equal(t, days, rules["expire-redriven-errors"]["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"])
			assert.Equal(t, "errors/", rules["errors-clean-up-handled"]["filter"].(map[string]any)["prefix"])
			assert.Equal(t, map[string]any{"expiredObjectDeleteMarker": true}, rules["errors-clean-up-handled"]["expiration"])
			assert.Equal(t, days, rules["errors-clean-up-handled"]["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"])
			assert.NotContains(t, rules, "expire-errors", "failed records are not expired")
		})
	}
}

func TestAthenaWorkgroupEnforcesEncryptionAndAScanLimit(t *testing.T) {
	for stack, limit := range map[string]float64{"staging": 1 << 30, "production": 100 << 30} {
		g := evaluate(t, stack, nil)
		wg := in(one(t, g, "aws:athena/workgroup:Workgroup", "haina-lake"))
		c := wg["configuration"].(map[string]any)
		assert.Equal(t, true, c["enforceWorkgroupConfiguration"])
		assert.Equal(t, true, c["publishCloudwatchMetricsEnabled"])
		assert.Equal(t, limit, c["bytesScannedCutoffPerQuery"], stack)
		assert.Equal(t, "Athena engine version 3", c["engineVersion"].(map[string]any)["selectedEngineVersion"])
		rc := c["resultConfiguration"].(map[string]any)
		assert.Equal(t, "s3://haina-"+stack+"-lake-123456789012-us-east-1/athena-results/", rc["outputLocation"])
		enc := rc["encryptionConfiguration"].(map[string]any)
		assert.Equal(t, "SSE_KMS", enc["encryptionOption"])
		assert.Equal(t, out(one(t, g, tKey, "haina-lake-key"))["arn"], enc["kmsKeyArn"])
		assert.Equal(t, "haina_"+stack, in(one(t, g, "aws:glue/catalogDatabase:CatalogDatabase", "haina-lake"))["name"])
	}
}

func TestEventsReachTheLakeAsParquet(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			fh := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "haina-events-lake"))
			stream := "arn:aws:kinesis:us-east-1:123456789012:stream/haina-" + stack + "-events"
			assert.Equal(t, stream, fh["kinesisSourceConfiguration"].(map[string]any)["kinesisStreamArn"])
			assert.NotContains(t, fh, "serverSideEncryption", "not allowed with a Kinesis source; the stream is encrypted")
			s3 := fh["extendedS3Configuration"].(map[string]any)
			assert.Equal(t, "events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", s3["prefix"])
			assert.Equal(t, "errors/events/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", s3["errorOutputPrefix"])
			assert.Equal(t, "UNCOMPRESSED", s3["compressionFormat"], "Parquet compresses itself")
			assert.Equal(t, map[string]float64{"staging": 60, "production": 300}[stack], s3["bufferingInterval"])
			assert.Equal(t, map[string]float64{"staging": 64, "production": 128}[stack], s3["bufferingSize"])
			assert.Equal(t, true, s3["cloudwatchLoggingOptions"].(map[string]any)["enabled"])
			conv := s3["dataFormatConversionConfiguration"].(map[string]any)
			schema := conv["schemaConfiguration"].(map[string]any)
			assert.Equal(t, "haina_"+stack, schema["databaseName"])
			assert.Equal(t, "events", schema["tableName"])
			assert.Equal(t, "SNAPPY", conv["outputFormatConfiguration"].(map[string]any)["serializer"].(map[string]any)["parquetSerDe"].(map[string]any)["compression"])

			table := in(one(t, g, "aws:glue/catalogTable:CatalogTable", "haina-events-lake"))
			var cols []components.Column
			for _, c := range table["storageDescriptor"].(map[string]any)["columns"].([]any) {
				m := c.(map[string]any)
				cols = append(cols, components.Column{Name: m["name"].(string), Type: m["type"].(string)})
			}
			assert.Equal(t, components.EventsSchema, cols, "the table is the schema declared in Go, which the conversion reads")

			pol := parsePolicy(t, in(one(t, g, tPolicy, "haina-events-lake"))["policy"])
			bucket := "arn:aws:s3:::haina-" + stack + "-lake-123456789012-us-east-1"
			for sid, want := range map[string][2][]string{
				"Bucket":     {{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}, {bucket}},
				"Objects":    {{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"}, {bucket + "/errors/events/*", bucket + "/events/*", bucket + "/raw/events/*"}},
				"ReadStream": {{"kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"}, {stream}},
				"Schema": {{"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"}, {
					"arn:aws:glue:us-east-1:123456789012:catalog", "arn:aws:glue:us-east-1:123456789012:database/haina_" + stack,
					"arn:aws:glue:us-east-1:123456789012:table/haina_" + stack + "/events"}},
				"Logs": {{"logs:PutLogEvents"}, {
					"arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/haina-" + stack + "-events-lake:log-stream:S3Backup",
					"arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/haina-" + stack + "-events-lake:log-stream:S3Delivery"}},
				"LakeKeyThroughS3": {{"kms:Decrypt", "kms:GenerateDataKey"}, {out(one(t, g, tKey, "haina-lake-key"))["arn"].(string)}},
			} {
				actions, resources := statement(t, pol, sid)
				assert.Equal(t, want[0], actions, sid)
				assert.Equal(t, want[1], resources, sid)
			}
			if stack == "production" {
				_, resources := statement(t, pol, "DecryptStream")
				assert.Equal(t, []string{out(one(t, g, tKey, "haina-events-key"))["arn"].(string)}, resources)
			}
			trust := parsePolicy(t, in(one(t, g, tRole, "haina-events-lake"))["assumeRolePolicy"])
			assert.Equal(t, []string{"firehose.amazonaws.com"}, trust.Statement[0].Principal["Service"])
			// Firehose's documented trust names the account as the external id.
			assert.Equal(t, map[string]map[string][]string{"StringEquals": {"sts:ExternalId": {"123456789012"}}}, trust.Statement[0].Condition)
			assert.Len(t, g.OfType("aws:athena/namedQuery:NamedQuery"), 5, "2 over events, 3 over flow logs")
		})
	}
}

func TestFlowLogsThroughLogsAndFirehose(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, map[string]string{"haina:flowLogs": `{"vpcIds":["vpc-0123456789abcdef0"]}`})
			fls := g.OfType("aws:ec2/flowLog:FlowLog")
			require.Len(t, fls, 2, "the pipeline's VPC and the configured one")
			group := "/haina/haina-" + stack + "-vpcflowlogs"
			groupArn := "arn:aws:logs:us-east-1:123456789012:log-group:" + group
			for _, fl := range fls {
				f := in(fl)
				assert.Equal(t, "ALL", f["trafficType"])
				assert.Equal(t, 60.0, f["maxAggregationInterval"])
				assert.Equal(t, "cloud-watch-logs", f["logDestinationType"])
				assert.Equal(t, groupArn, f["logDestination"])
				assert.Equal(t, "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}", f["logFormat"])
			}
			lg := in(one(t, g, "aws:cloudwatch/logGroup:LogGroup", "haina-flowlogs"))
			assert.Equal(t, group, lg["name"])
			assert.Equal(t, out(one(t, g, tKey, "haina-flowlogs-key"))["arn"], lg["kmsKeyId"])
			assert.Equal(t, map[string]float64{"staging": 14, "production": 90}[stack], lg["retentionInDays"])

			kp := parsePolicy(t, in(one(t, g, tKey, "haina-flowlogs-key"))["policy"])
			require.Len(t, kp.Statement, 2)
			assert.Equal(t, []string{"arn:aws:iam::123456789012:root"}, kp.Statement[0].Principal["AWS"])
			assert.Equal(t, []string{"logs.us-east-1.amazonaws.com"}, kp.Statement[1].Principal["Service"])
			assert.Equal(t, map[string]map[string][]string{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": {groupArn}}}, kp.Statement[1].Condition)

			pub := parsePolicy(t, in(one(t, g, tRole, "haina-flowlogs-publish"))["assumeRolePolicy"]).Statement[0]
			assert.Equal(t, []string{"vpc-flow-logs.amazonaws.com"}, pub.Principal["Service"])
			assert.Equal(t, map[string]map[string][]string{
				"StringEquals": {"aws:SourceAccount": {"123456789012"}},
				"ArnLike":      {"aws:SourceArn": {"arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*"}},
			}, pub.Condition)
			actions, resources := statement(t, parsePolicy(t, in(one(t, g, tPolicy, "haina-flowlogs-publish"))["policy"]), "Publish")
			assert.Equal(t, []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, actions)
			assert.Equal(t, []string{groupArn, groupArn + ":*"}, resources)

			fh := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "haina-flowlogs-lake"))
			assert.NotContains(t, fh, "kinesisSourceConfiguration", "Direct PUT from the subscription")
			assert.Equal(t, map[string]any{"enabled": true, "keyType": "AWS_OWNED_CMK"}, fh["serverSideEncryption"])
			s3 := fh["extendedS3Configuration"].(map[string]any)
			assert.Equal(t, "vpcflowlogs/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", s3["prefix"])
			assert.Equal(t, "GZIP", s3["compressionFormat"])
			var procs []string
			for _, p := range s3["processingConfiguration"].(map[string]any)["processors"].([]any) {
				m := p.(map[string]any)
				params := m["parameters"].([]any)[0].(map[string]any)
				procs = append(procs, m["type"].(string)+" "+params["parameterName"].(string)+"="+params["parameterValue"].(string))
			}
			assert.Equal(t, []string{"Decompression CompressionFormat=GZIP", "CloudWatchLogProcessing DataMessageExtraction=true",
				`AppendDelimiterToRecord Delimiter=\n`}, procs, "the seed's Lambda, replaced by Firehose's own processors")

			sub := in(one(t, g, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "haina-flowlogs"))
			fhArn := "arn:aws:firehose:us-east-1:123456789012:deliverystream/haina-" + stack + "-vpcflowlogs"
			assert.Equal(t, fhArn, sub["destinationArn"])
			assert.Equal(t, group, sub["logGroup"])
			strust := parsePolicy(t, in(one(t, g, tRole, "haina-flowlogs-subscription"))["assumeRolePolicy"]).Statement[0]
			assert.Equal(t, []string{"logs.us-east-1.amazonaws.com"}, strust.Principal["Service"])
			assert.Equal(t, map[string]map[string][]string{
				"StringEquals": {"aws:SourceAccount": {"123456789012"}},
				"ArnLike":      {"aws:SourceArn": {"arn:aws:logs:us-east-1:123456789012:*"}},
			}, strust.Condition)
			actions, resources = statement(t, parsePolicy(t, in(one(t, g, tPolicy, "haina-flowlogs-subscription"))["policy"]), "Forward")
			assert.Equal(t, []string{"firehose:PutRecord", "firehose:PutRecordBatch"}, actions)
			assert.Equal(t, []string{fhArn}, resources)

			table := in(one(t, g, "aws:glue/catalogTable:CatalogTable", "haina-flowlogs-lake"))
			serde := table["storageDescriptor"].(map[string]any)["serDeInfo"].(map[string]any)
			assert.Equal(t, " ", serde["parameters"].(map[string]any)["field.delim"])
		})
	}
}

// javaToGo turns the date tokens Firehose and Athena projection use into a Go layout.
func javaToGo(t *testing.T, f string) string {
	r := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15")
	out := r.Replace(f)
	require.NotRegexp(t, `[a-zA-Z]`, strings.NewReplacer("2006", "", "01", "", "02", "", "15", "").Replace(out), "unsupported token in %q", f)
	return out
}

// firehoseKey evaluates Firehose's !{timestamp:…} expressions for an instant (UTC).
func firehoseKey(t *testing.T, prefix string, at time.Time) string {
	re := regexp.MustCompile(`!\{([a-z]+):([^}]*)\}`)
	return re.ReplaceAllStringFunc(prefix, func(m string) string {
		p := re.FindStringSubmatch(m)
		require.Equal(t, "timestamp", p[1], "only timestamp expressions may name the partition: %s", m)
		return at.UTC().Format(javaToGo(t, p[2]))
	})
}

// projectedLocation evaluates the table's partition projection for the partition holding an instant.
func projectedLocation(t *testing.T, params map[string]any, at time.Time) string {
	col := components.PartitionColumn
	require.Equal(t, "date", params["projection."+col+".type"])
	require.Equal(t, "HOURS", params["projection."+col+".interval.unit"])
	value := at.UTC().Format(javaToGo(t, params["projection."+col+".format"].(string)))
	start, err := time.Parse(javaToGo(t, params["projection."+col+".format"].(string)), strings.Split(params["projection."+col+".range"].(string), ",")[0])
	require.NoError(t, err)
	require.False(t, at.Before(start), "%s is before the projection range", at)
	return strings.ReplaceAll(params["storage.location.template"].(string), "${"+col+"}", value)
}

// Where Firehose writes an instant's records is where the table's projection looks for them.
func TestFirehosePrefixMatchesPartitionProjection(t *testing.T) {
	g := evaluate(t, "staging", nil)
	bucket := "haina-staging-lake-123456789012-us-east-1"
	instants := []time.Time{
		time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 15, 9, 5, 0, 0, time.FixedZone("UTC+8", 8*3600)),
	}
	for _, pair := range [][2]string{{"haina-events-lake", "events"}, {"haina-flowlogs-lake", "vpcflowlogs"}} {
		fh := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", pair[0]))
		prefix := fh["extendedS3Configuration"].(map[string]any)["prefix"].(string)
		params := in(one(t, g, "aws:glue/catalogTable:CatalogTable", pair[0]))["parameters"].(map[string]any)
		for _, at := range instants {
			written := "s3://" + bucket + "/" + firehoseKey(t, prefix, at)
			assert.Equal(t, written, projectedLocation(t, params, at), "%s at %s", pair[1], at)
		}
	}
	// One concrete check that both evaluations are in UTC: 09:05 at UTC+8 is 01 UTC.
	assert.Equal(t, "events/2026/06/15/01/", firehoseKey(t, components.DatasetPrefix("events"), instants[5]))
}

// Real default-format flow-log lines split into the table's columns with their types.
func TestFlowLogLinesParseIntoTheTable(t *testing.T) {
	cols, err := components.FlowLogColumns(components.DefaultFlowLogFields)
	require.NoError(t, err)
	lines := []string{
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
		"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
	}
	for _, line := range lines {
		fields := strings.Split(line, " ")
		require.Len(t, fields, len(cols), line)
		row := map[string]string{}
		for i, c := range cols {
			row[c.Name] = fields[i]
			if fields[i] == "-" {
				continue // unknown values read as NULL
			}
			switch c.Type {
			case "int":
				_, err := strconv.ParseInt(fields[i], 10, 32)
				assert.NoError(t, err, "%s=%q", c.Name, fields[i])
			case "bigint":
				_, err := strconv.ParseInt(fields[i], 10, 64)
				assert.NoError(t, err, "%s=%q", c.Name, fields[i])
			}
		}
		assert.Contains(t, []string{"OK", "NODATA", "SKIPDATA"}, row["log_status"])
		assert.Equal(t, "eni-1235b8ca123456789", row["interface_id"])
	}
	assert.Equal(t, components.Column{Name: "end", Type: "bigint", Field: "end"}, cols[11])
}

// The Glue tables and the named queries, as reviewed text.
func TestGoldenLakeDefinitions(t *testing.T) {
	g := evaluate(t, "staging", nil)
	var sections []string
	for _, name := range []string{"haina-events-lake", "haina-flowlogs-lake"} {
		j, err := json.MarshalIndent(in(one(t, g, "aws:glue/catalogTable:CatalogTable", name)), "", "  ")
		require.NoError(t, err)
		sections = append(sections, "-- glue table "+name+"\n"+string(j))
	}
	for _, q := range g.OfType("aws:athena/namedQuery:NamedQuery") {
		sections = append(sections, "-- named query "+in(q)["name"].(string)+"\n"+strings.TrimSpace(in(q)["query"].(string)))
	}
	sort.Strings(sections) // registration order is concurrent
	golden(t, "lake.txt", strings.Join(sections, "\n")+"\n")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run `go test ./tests -run Golden -update` once to create %s", path)
	assert.Equal(t, string(want), got)
}
