package tests

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/haina-data/haina/tests/iameval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Parquet conversion keeps only the table's columns, so the converted events
// dataset has Firehose's source record backup on: every record as it arrived,
// gzip, under raw/events/ by arrival hour, in the same bucket with the lake
// key, with its own error prefix and log stream. Datasets stored as they
// arrive (flow logs) have none.
func TestLakeKeepsParquetEventsSourceRecords(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			s3 := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "haina-events-lake"))["extendedS3Configuration"].(map[string]any)
			require.Contains(t, s3, "dataFormatConversionConfiguration")
			assert.Equal(t, "Enabled", s3["s3BackupMode"], "the source records are backed up")
			b, ok := s3["s3BackupConfiguration"].(map[string]any)
			require.True(t, ok, "s3BackupConfiguration: %v", s3["s3BackupConfiguration"])
			assert.Equal(t, s3["bucketArn"], b["bucketArn"], "the lake bucket")
			assert.Equal(t, s3["roleArn"], b["roleArn"], "the delivery's role")
			assert.Equal(t, out(one(t, g, tKey, "haina-lake-key"))["arn"], b["kmsKeyArn"])
			assert.Equal(t, "raw/events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", b["prefix"])
			assert.Equal(t, "errors/events/raw/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", b["errorOutputPrefix"])
			assert.Equal(t, "GZIP", b["compressionFormat"])
			assert.Equal(t, map[string]float64{"staging": 60, "production": 300}[stack], b["bufferingInterval"])
			assert.Equal(t, map[string]float64{"staging": 64, "production": 128}[stack], b["bufferingSize"])
			logs := b["cloudwatchLoggingOptions"].(map[string]any)
			assert.Equal(t, true, logs["enabled"])
			assert.Equal(t, "/aws/kinesisfirehose/haina-"+stack+"-events-lake", logs["logGroupName"])
			assert.Equal(t, "S3Backup", logs["logStreamName"], "its own log stream, apart from the delivery's")
			// The raw files of an instant are under its UTC arrival hour.
			at := time.Date(2026, 6, 15, 9, 5, 0, 0, time.FixedZone("UTC+8", 8*3600))
			assert.Equal(t, "raw/events/2026/06/15/01/", firehoseKey(t, b["prefix"].(string), at))

			flow := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "haina-flowlogs-lake"))["extendedS3Configuration"].(map[string]any)
			assert.NotContains(t, flow, "s3BackupConfiguration", "flow-log files are the source lines")
			assert.NotEqual(t, "Enabled", flow["s3BackupMode"])
			_, res := statement(t, parsePolicy(t, in(one(t, g, tPolicy, "haina-flowlogs-lake"))["policy"]), "Objects")
			for _, r := range res {
				assert.NotContains(t, r, "/raw/", "no backup, no grant")
			}
		})
	}

	// Zero buffering is not offered for the S3 backup: it waits at least 60 s.
	g := evaluate(t, "staging", map[string]string{"haina:lake": `{"bufferSeconds":0}`})
	b, _ := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "haina-events-lake"))["extendedS3Configuration"].(map[string]any)["s3BackupConfiguration"].(map[string]any)
	assert.Equal(t, 60.0, b["bufferingInterval"])

	// Without conversion the events' files are their source records: no backup.
	g = evaluate(t, "staging", map[string]string{"haina:lake": `{"parquet":false}`})
	s3 := in(one(t, g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "haina-events-lake"))["extendedS3Configuration"].(map[string]any)
	assert.NotContains(t, s3, "s3BackupConfiguration")
	for _, ls := range g.OfType("aws:cloudwatch/logStream:LogStream") {
		assert.NotEqual(t, "haina-events-lake-backup", ls.Name)
	}
}

// lifecycleRule is an enabled lifecycle rule of the lake bucket.
type lifecycleRule map[string]any

func (r lifecycleRule) applies(key string) bool {
	f, _ := r["filter"].(map[string]any)
	prefix, _ := f["prefix"].(string)
	return r["status"] == "Enabled" && strings.HasPrefix(key, prefix)
}

// deletes says whether the rule ever expires or moves a current object.
func (r lifecycleRule) deletes() bool {
	e, _ := r["expiration"].(map[string]any)
	return e["days"] != nil || e["date"] != nil || r["transitions"] != nil
}

// Nothing silently removes a record from the lake: source records (raw/) are
// kept like the datasets, and failed records stay under errors/ until someone
// re-drives them and moves them to redriven/, which expires after
// errorRetentionDays.
func TestLakeKeepsSourceRecordsAndUnhandledErrors(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			lc := in(one(t, g, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "haina-lake"))
			var rules []lifecycleRule
			for _, r := range lc["rules"].([]any) {
				rules = append(rules, r.(map[string]any))
			}
			hour := "2026/01/02/03/haina-1-2026-01-02-03-00-00-0123abcd"
			for _, key := range []string{
				"raw/events/" + hour + ".gz",
				"events/" + hour + ".parquet",
				"vpcflowlogs/" + hour + ".gz",
				"errors/events/format-conversion-failed/" + hour,
				"errors/events/processing-failed/" + hour,
				"errors/events/raw/processing-failed/" + hour,
				"errors/vpcflowlogs/processing-failed/" + hour,
			} {
				for _, r := range rules {
					if r.applies(key) {
						assert.False(t, r.deletes(), "rule %s expires or transitions %s: %v", r["id"], key, r)
					}
				}
			}
			days := map[string]float64{"staging": 14, "production": 90}[stack]
			expired := false
			for _, r := range rules {
				if r.applies("redriven/events/format-conversion-failed/" + hour) {
					if e, ok := r["expiration"].(map[string]any); ok && e["days"] == days {
						expired = true
					}
				}
			}
			assert.True(t, expired, "handled errors expire after errorRetentionDays (%v)", days)
		})
	}
}

// The Firehose data path models the backup's writes: each one is a required
// call, and taking raw/events/* out of the role's Objects statement is
// reported as a denied write.
func TestDataPathsRequireTheSourceBackupWrites(t *testing.T) {
	g := evaluate(t, "staging", nil)
	res := stateOf(g)
	problems, paths, err := iameval.CheckAll(res)
	require.NoError(t, err)
	bucket := "arn:aws:s3:::haina-staging-lake-123456789012-us-east-1"
	backupStream := "arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/haina-staging-events-lake:log-stream:S3Backup"
	var found bool
	for _, p := range paths {
		if !strings.HasPrefix(p.Name, "Firehose haina-staging-events-lake ") {
			continue
		}
		found = true
		require.Empty(t, problems[p.Name])
		want := map[string]bool{
			"s3:PutObject on " + bucket + "/raw/events/2025/01/02/03/haina-1-2025-01-02-03-00-00-0123abcd.gz":                          false,
			"s3:PutObject on " + bucket + "/errors/events/raw/processing-failed/2025/01/02/03/haina-1-2025-01-02-03-00-00-0123abcd.gz": false,
			"logs:PutLogEvents on " + backupStream: false,
		}
		for _, cl := range p.Calls {
			for _, c := range cl.Calls {
				if _, ok := want[c.String()]; ok {
					want[c.String()] = true
				}
			}
		}
		for c, ok := range want {
			assert.True(t, ok, "the path does not require %s", c)
		}
	}
	require.True(t, found, "the events delivery's path is modelled")

	// Without the raw/ grant the backup's writes are denied.
	mutated := false
	for i, r := range res {
		if r.Type != tPolicy || r.Name != "haina-events-lake" {
			continue
		}
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.State["policy"].(string)), &doc))
		for _, st := range doc["Statement"].([]any) {
			m := st.(map[string]any)
			if m["Sid"] != "Objects" {
				continue
			}
			var kept []any
			for _, x := range m["Resource"].([]any) {
				if x != bucket+"/raw/events/*" {
					kept = append(kept, x)
				}
			}
			require.Len(t, kept, len(m["Resource"].([]any))-1)
			m["Resource"] = kept
		}
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		state := map[string]any{}
		for k, v := range r.State {
			state[k] = v
		}
		state["policy"] = string(b)
		res[i].State, mutated = state, true
	}
	require.True(t, mutated)
	problems, _, err = iameval.CheckAll(res)
	require.NoError(t, err)
	var denied bool
	for path, msgs := range problems {
		for _, m := range msgs {
			denied = denied || (strings.HasPrefix(path, "Firehose haina-staging-events-lake ") &&
				strings.Contains(m, "s3:PutObject on "+bucket+"/raw/events/") && strings.Contains(m, "is denied"))
		}
	}
	assert.True(t, denied, "a removed raw/ grant is reported: %v", problems)
}
