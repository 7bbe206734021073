package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/haina-data/haina/health"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"

// runbookAnchors are the anchors docs/runbooks.md defines: heading slugs and explicit ids.
func runbookAnchors(t *testing.T) map[string]bool {
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "docs", "runbooks.md"))
	require.NoError(t, err)
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## ([a-z0-9-]+)$`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`<a id="([a-z0-9-]+)"></a>`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}

// Every alarm charts a metric AWS publishes (namespace, name and dimensions as
// components.Metrics records them with their source), sends to the stack's
// topic on ALARM and on OK, and links a runbook entry that exists.
func TestEveryAlarmHasAKnownMetricTheTopicAndARunbook(t *testing.T) {
	anchors := runbookAnchors(t)
	known := map[string]components.Metric{}
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	for _, m := range components.Metrics {
		if m.Namespace == components.HealthNamespace {
			// haina's own: the file that publishes or defines it exists here.
			const repo = "https://github.com/haina-data/haina/blob/main/"
			require.True(t, strings.HasPrefix(m.Doc, repo), "%s: defined in haina's repository", m.Name)
			_, err := os.Stat(filepath.Join(root, strings.TrimPrefix(m.Doc, repo)))
			require.NoError(t, err, "%s: %s", m.Name, m.Doc)
		} else {
			require.True(t, strings.HasPrefix(m.Doc, "https://docs.aws.amazon.com/"), "%s: an AWS page says it exists", m.Name)
		}
		known[m.Namespace+" "+m.Name] = m
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			topic := out(one(t, g, "aws:sns/topic:Topic", "haina-monitoring"))["arn"]
			alarms := g.OfType(tAlarm)
			var ids []string
			for _, r := range alarms {
				a := in(r)
				m, ok := known[a["namespace"].(string)+" "+a["metricName"].(string)]
				require.True(t, ok, "%s: %s %s is not in components.Metrics", r.Name, a["namespace"], a["metricName"])
				dims := a["dimensions"].(map[string]any)
				var names []string
				for k, v := range dims {
					names = append(names, k)
					assert.NotEmpty(t, v, "%s: dimension %s", r.Name, k)
				}
				assert.ElementsMatch(t, m.Dimensions, names, "%s: the dimensions AWS publishes it with", r.Name)
				assert.Equal(t, []any{topic}, a["alarmActions"], r.Name)
				assert.Equal(t, []any{topic}, a["okActions"], r.Name)
				id := strings.TrimPrefix(a["name"].(string), "haina-"+stack+"-")
				ids = append(ids, id)
				// An alarm per table links the one entry of its kind.
				anchor := perTable.ReplaceAllString(id, "$1")
				assert.Contains(t, a["alarmDescription"], components.RunbookURL+"#"+anchor, r.Name)
				assert.True(t, anchors[anchor], "%s: docs/runbooks.md has no entry #%s", r.Name, anchor)
			}
			sort.Strings(ids)
			want := []string{"connector-errored-tasks", "events-lake-behind", "events-lake-conversion", "events-lake-delivery",
				"events-lake-freshness", "health-checks-failed", "ingest-failed-parses", "ingest-scan-errors", "kafka-disk-broker-1",
				"kafka-disk-broker-2", "kafka-disk-broker-3", "producer-errors", "producer-throttles", "refresh-failures",
				"scheduled-call-failed", "sourcedb-acu", "sourcedb-cpu", "stream-iterator-age", "stream-read-throttled", "stream-write-throttled"}
			for _, table := range map[string][]string{"staging": {"customer"}, "production": {"customers", "orders"}}[stack] {
				want = append(want, "cdc-pending-age-"+table, "cdc-rejects-"+table, "cdc-scan-errors-"+table)
			}
			sort.Strings(want)
			assert.Equal(t, want, ids)
		})
	}
}

var perTable = regexp.MustCompile(`^(cdc-pending-age|cdc-rejects|cdc-scan-errors)-.+$`)

// The health function's own metric names are the ones the alarms watch, and
// its namespace is theirs.
func TestHealthMetricNamesMatchTheFunction(t *testing.T) {
	assert.Equal(t, health.CallFailed, components.MetricCallFailed)
	assert.Equal(t, health.CheckFailed, components.MetricChecksFailed)
	assert.Equal(t, health.Namespace, components.HealthNamespace)
	assert.Equal(t, "scheduled-call", health.CallObject)
	assert.Equal(t, "health-checks", health.ChecksObject)
}

// The Redshift-side alarms: the call's alarm rings when the function reports
// nothing (missing data breaches), over two refresh periods; the CDC pending
// age follows the refresh period unless configured.
func TestHealthAlarms(t *testing.T) {
	alarm := func(g *harness.Graph, id string) map[string]any {
		for _, r := range g.OfType(tAlarm) {
			if strings.HasSuffix(in(r)["name"].(string), "-"+id) {
				return in(r)
			}
		}
		t.Fatalf("no alarm %s", id)
		return nil
	}
	s, p := evaluate(t, "staging", nil), evaluate(t, "production", nil)
	call := alarm(s, "scheduled-call-failed")
	assert.Equal(t, "breaching", call["treatMissingData"], "a function that stops reporting is a failure")
	assert.Equal(t, 600.0, call["period"], "staging calls every 10 minutes")
	assert.Equal(t, 2.0, call["evaluationPeriods"])
	assert.Equal(t, "Haina", call["namespace"])
	assert.Equal(t, map[string]any{"Environment": "staging", "Object": "scheduled-call"}, call["dimensions"])
	assert.Equal(t, 300.0, alarm(p, "scheduled-call-failed")["period"], "production calls every 2 minutes: a 5-minute window, so a slow run never leaves it empty")
	assert.Equal(t, 120.0, alarm(p, "refresh-failures")["period"], "counts follow the period")
	assert.Equal(t, 30*60.0, alarm(s, "cdc-pending-age-customer")["threshold"], "three 10-minute periods")
	assert.Equal(t, 15*60.0, alarm(p, "cdc-pending-age-orders")["threshold"], "at least 15 minutes")
	assert.Equal(t, map[string]any{"Environment": "production", "Object": "orders"}, alarm(p, "cdc-rejects-orders")["dimensions"])
	assert.Equal(t, map[string]any{"Environment": "production", "Object": "ingest.events_landing"}, alarm(p, "ingest-failed-parses")["dimensions"])
	o := evaluate(t, "staging", map[string]string{"haina:alarms": `{"cdcPendingMinutes":45}`})
	assert.Equal(t, 45*60.0, alarm(o, "cdc-pending-age-customer")["threshold"])
}

// Thresholds: the defaults follow the refresh period and Firehose's buffers; config overrides them.
func TestAlarmThresholds(t *testing.T) {
	threshold := func(g *harness.Graph, id string) float64 {
		for _, r := range g.OfType(tAlarm) {
			if strings.HasSuffix(in(r)["name"].(string), "-"+id) {
				return in(r)["threshold"].(float64)
			}
		}
		t.Fatalf("no alarm %s", id)
		return 0
	}
	s, p := evaluate(t, "staging", nil), evaluate(t, "production", nil)
	assert.Equal(t, 30*60_000.0, threshold(s, "stream-iterator-age"), "staging refreshes every 10 minutes: three periods")
	assert.Equal(t, 15*60_000.0, threshold(p, "stream-iterator-age"), "at least 15 minutes")
	assert.Equal(t, 900.0, threshold(p, "events-lake-freshness"), "three 300-second buffers")
	assert.Equal(t, 80.0, threshold(p, "kafka-disk-broker-2"))
	o := evaluate(t, "staging", map[string]string{"haina:alarms": `{"iteratorAgeMinutes":5,"kafkaDiskPercent":70}`})
	assert.Equal(t, 5*60_000.0, threshold(o, "stream-iterator-age"))
	assert.Equal(t, 70.0, threshold(o, "kafka-disk-broker-1"))
}

// The topic is encrypted with its own key and only this stack's alarms may publish.
func TestAlarmTopicIsPrivateAndEncrypted(t *testing.T) {
	g := evaluate(t, "production", map[string]string{"haina:alarms": `{"emails":["oncall@example.com","data@example.com"]}`})
	topic := one(t, g, "aws:sns/topic:Topic", "haina-monitoring")
	assert.Equal(t, "haina-production-alarms", in(topic)["name"])
	assert.Equal(t, out(one(t, g, tKey, "haina-monitoring-key"))["arn"], in(topic)["kmsMasterKeyId"])
	p := parsePolicy(t, in(one(t, g, "aws:sns/topicPolicy:TopicPolicy", "haina-monitoring"))["policy"])
	require.Len(t, p.Statement, 3)
	for _, s := range p.Statement {
		switch s.Sid {
		case "CloudWatchAlarmsOfThisStack":
			assert.Equal(t, map[string][]string{"Service": {"cloudwatch.amazonaws.com"}}, s.Principal)
			assert.Equal(t, []string{"sns:Publish"}, s.Action)
			assert.Equal(t, []string{fakeaws.Account}, s.Condition["StringEquals"]["aws:SourceAccount"])
			assert.Equal(t, []string{"arn:aws:cloudwatch:us-east-1:" + fakeaws.Account + ":alarm:haina-production-*"}, s.Condition["ArnLike"]["aws:SourceArn"])
		case "AccountManages":
			assert.NotContains(t, s.Action, "sns:Publish", "the account manages; only alarms publish")
		case "TLSOnly":
			assert.Equal(t, "Deny", s.Effect)
		default:
			t.Errorf("unexpected statement %s", s.Sid)
		}
	}
	var emails []string
	for _, sub := range g.OfType("aws:sns/topicSubscription:TopicSubscription") {
		assert.Equal(t, "email", in(sub)["protocol"])
		emails = append(emails, in(sub)["endpoint"].(string))
	}
	assert.ElementsMatch(t, []string{"oncall@example.com", "data@example.com"}, emails)

	_, err := evaluateErr(t, "staging", map[string]string{"haina:alarms": `{"emails":["oncall"]}`})
	assert.ErrorContains(t, err, `haina:alarms.emails[0]: "oncall" is not allowed; allowed: an email address such as data-oncall@example.com`)
	_, err = evaluateErr(t, "staging", map[string]string{"haina:alarms": `{"emails":["a@example.com","A@example.com"]}`})
	assert.ErrorContains(t, err, `haina:alarms.emails[1]: "A@example.com" is not allowed; each address once`)
	off := evaluate(t, "staging", map[string]string{"haina:alarms": `{"enabled":false}`})
	assert.Empty(t, off.OfType(tAlarm))
	assert.NotContains(t, off.Outputs, "alarmTopicArn")
}

// The dashboard, rendered from Go structs: golden per stack.
func TestDashboardGolden(t *testing.T) {
	for _, stack := range stacks {
		g := evaluate(t, stack, nil)
		var body any
		require.NoError(t, json.Unmarshal([]byte(in(one(t, g, "aws:cloudwatch/dashboard:Dashboard", "haina-monitoring"))["dashboardBody"].(string)), &body))
		got, err := json.MarshalIndent(body, "", "  ")
		require.NoError(t, err)
		path := filepath.Join("testdata", "dashboard", stack+".json")
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run with -update to create it")
		assert.Equal(t, string(want), string(got)+"\n", stack)
	}
}

// Firehose → Redshift: copy-job mode alarms on the stream's freshness and
// deliveries to the lake and on the COPY JOB's loads (a health check);
// direct mode on Firehose's own COPYs.
func TestRedshiftDeliveryAlarms(t *testing.T) {
	ids := func(g *harness.Graph) []string {
		var out []string
		for _, r := range g.OfType(tAlarm) {
			if n := in(r)["name"].(string); strings.Contains(n, "redshift") {
				out = append(out, strings.TrimPrefix(n, "haina-staging-"))
			}
		}
		sort.Strings(out)
		return out
	}
	copyJob := evaluate(t, "staging", map[string]string{"haina:redshiftDelivery": `{"enabled":true}`})
	assert.Equal(t, []string{"redshift-events-delivery", "redshift-events-freshness", "redshift-load-failures"}, ids(copyJob))
	for _, r := range copyJob.OfType(tAlarm) {
		if in(r)["name"] == "haina-staging-redshift-load-failures" {
			assert.Equal(t, map[string]any{"Environment": "staging", "Object": "ingest.events_history"}, in(r)["dimensions"])
		}
	}
	direct := evaluate(t, "staging", map[string]string{
		"haina:network":          `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0aaaaaaaaaaaaaaa1","subnet-0aaaaaaaaaaaaaaa2","subnet-0aaaaaaaaaaaaaaa3"]}`,
		"haina:warehouse":        `{"publiclyAccessible":true}`,
		"haina:redshiftDelivery": `{"enabled":true,"mode":"direct"}`,
	})
	assert.Equal(t, []string{"redshift-events-delivery"}, ids(direct))
	anchors := runbookAnchors(t)
	for _, id := range append(ids(copyJob), ids(direct)...) {
		assert.True(t, anchors[id], "docs/runbooks.md has no entry #%s", id)
	}
}
