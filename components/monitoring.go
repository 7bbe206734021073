package components

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AlarmsConfig (haina:alarms) is the stack's alarms, their topic and dashboard.
type AlarmsConfig struct {
	Enabled bool `json:"enabled"`
	// Emails get the alarm topic's messages (each confirms its subscription once).
	Emails []string `json:"emails"`
	// IteratorAgeMinutes: how old the oldest unread record of the stream may
	// get. 0: three refresh periods, at least 15 minutes (the scheduled
	// refresh reads every period, so ages up to one period are normal).
	IteratorAgeMinutes int `json:"iteratorAgeMinutes"`
	// FreshnessSeconds: how old the oldest record not yet in the lake may get.
	// 0: three Firehose buffer intervals, at least 15 minutes.
	FreshnessSeconds int `json:"freshnessSeconds"`
	// KafkaDiskPercent: a broker's data disk use that alarms (80: room to grow the volume in time).
	KafkaDiskPercent int `json:"kafkaDiskPercent"`
	// AuroraPercent: ACU and CPU use of the source database that alarms (90: at its ceiling).
	AuroraPercent int `json:"auroraPercent"`
	// CDCPendingMinutes: how long a change may wait in its landing view
	// unapplied. 0: three refresh periods, at least 15 minutes (each call
	// applies what the previous period brought).
	CDCPendingMinutes int `json:"cdcPendingMinutes"`
}

// alarmsDefaults: alarms on, no emails (subscribe later or in config).
func alarmsDefaults() AlarmsConfig {
	return AlarmsConfig{Enabled: true, KafkaDiskPercent: 80, AuroraPercent: 90}
}

var reEmail = regexp.MustCompile(`^[^@\s,]+@[^@\s,]+\.[^@\s,]+$`)

// check applies haina:alarms' rules.
func (a AlarmsConfig) check(ck checker) {
	seen := map[string]bool{}
	for i, e := range a.Emails {
		switch {
		case !reEmail.MatchString(e):
			ck.bad(fmt.Sprintf("emails[%d]", i), e, "allowed: an email address such as data-oncall@example.com")
		case seen[strings.ToLower(e)]:
			// SNS answers a repeated subscription with the same one: two
			// resources would share it, and deleting either would delete both.
			ck.bad(fmt.Sprintf("emails[%d]", i), e, "each address once")
		}
		seen[strings.ToLower(e)] = true
	}
	if a.IteratorAgeMinutes < 0 || a.IteratorAgeMinutes > 10080 {
		ck.bad("iteratorAgeMinutes", a.IteratorAgeMinutes, "allowed: 0 (three refresh periods, at least 15) to 10080 minutes")
	}
	if a.FreshnessSeconds < 0 || a.FreshnessSeconds > 86400 {
		ck.bad("freshnessSeconds", a.FreshnessSeconds, "allowed: 0 (three buffer intervals, at least 900) to 86400 seconds")
	}
	if a.KafkaDiskPercent < 1 || a.KafkaDiskPercent > 99 {
		ck.bad("kafkaDiskPercent", a.KafkaDiskPercent, "allowed: 1 to 99 percent")
	}
	if a.AuroraPercent < 1 || a.AuroraPercent > 100 {
		ck.bad("auroraPercent", a.AuroraPercent, "allowed: 1 to 100 percent")
	}
	if a.CDCPendingMinutes < 0 || a.CDCPendingMinutes > 10080 {
		ck.bad("cdcPendingMinutes", a.CDCPendingMinutes, "allowed: 0 (three refresh periods, at least 15) to 10080 minutes")
	}
}

// RunbookURL is where each alarm's description points: docs/runbooks.md, one
// entry per alarm, anchored by the alarm's id.
const RunbookURL = "https://github.com/haina-data/haina/blob/main/docs/runbooks.md"

// AlarmSpec is one alarm: a metric from Metrics with its dimension values,
// and when it fires.
type AlarmSpec struct {
	// ID names the alarm (<prefix>-<env>-<ID>) and its runbook entry (#<ID>).
	ID     string
	Metric string   // a key of Metrics
	Dims   []string // values, in the order of the metric's Dimensions
	// Statistic over PeriodSeconds, compared with Threshold for
	// EvaluationPeriods periods in a row.
	Statistic         string
	PeriodSeconds     int
	EvaluationPeriods int
	Comparison        string
	Threshold         float64
	// MissingBreaches: no data is a problem (a stream that stops reporting);
	// otherwise no data is fine (no traffic, no failures).
	MissingBreaches bool
	Summary         string
	// Runbook is the entry's anchor in docs/runbooks.md when it is not ID
	// (alarms per table share one entry).
	Runbook string
}

// Anchor is the alarm's runbook entry.
func (s AlarmSpec) Anchor() string {
	if s.Runbook != "" {
		return s.Runbook
	}
	return s.ID
}

// ChartSpec is a dashboard panel of a metric that has no alarm (ingest lag,
// CDC lag, changes applied, warehouse compute).
type ChartSpec struct {
	Metric    string
	Dims      [][]string
	Statistic string
}

// alarmSpecs are the alarms a stack gets, from its config.
func (a *PipelineArgs) alarmSpecs() []AlarmSpec {
	c := a.Alarms
	var out []AlarmSpec
	add := func(s AlarmSpec) {
		if s.PeriodSeconds == 0 {
			s.PeriodSeconds = 300
		}
		if s.EvaluationPeriods == 0 {
			s.EvaluationPeriods = 3
		}
		out = append(out, s)
	}
	ageMin := c.IteratorAgeMinutes
	if ageMin == 0 {
		ageMin = max(15, 3*a.Ingestion.Refresh.EveryMinutes)
	}
	add(AlarmSpec{ID: "stream-iterator-age", Metric: "kinesis.iteratorAge", Dims: []string{a.Stream.Name}, Statistic: "Maximum",
		Comparison: "GreaterThanThreshold", Threshold: float64(ageMin * 60_000),
		Summary: fmt.Sprintf("a reader of the stream (Redshift or Firehose) is more than %d minutes behind", ageMin)})
	add(AlarmSpec{ID: "stream-write-throttled", Metric: "kinesis.writeThrottled", Dims: []string{a.Stream.Name}, Statistic: "Sum",
		Comparison: "GreaterThanThreshold", Threshold: 0, Summary: "writes to the stream are throttled (producers retry; events may be delayed or dropped by them)"})
	add(AlarmSpec{ID: "stream-read-throttled", Metric: "kinesis.readThrottled", Dims: []string{a.Stream.Name}, Statistic: "Sum",
		Comparison: "GreaterThanThreshold", Threshold: 0, Summary: "reads from the stream are throttled (its readers fall behind)"})
	if a.Lake.Enabled {
		fresh := c.FreshnessSeconds
		if fresh == 0 {
			fresh = max(900, 3*a.Lake.BufferSeconds)
		}
		for _, ds := range []string{"events-lake"} {
			name := a.Name(ds)
			add(AlarmSpec{ID: ds + "-freshness", Metric: "firehose.freshness", Dims: []string{name}, Statistic: "Maximum",
				Comparison: "GreaterThanThreshold", Threshold: float64(fresh),
				Summary: fmt.Sprintf("records wait more than %d seconds to reach the lake", fresh)})
			// A ratio: AWS notes that small dips do not mean data loss, so it alarms on a sustained average below 90%.
			add(AlarmSpec{ID: ds + "-delivery", Metric: "firehose.s3Success", Dims: []string{name}, Statistic: "Average",
				Comparison: "LessThanThreshold", Threshold: 0.9, Summary: "fewer than 90% of deliveries to the lake's bucket succeed (Firehose retries, then writes to errors/)"})
			add(AlarmSpec{ID: ds + "-behind", Metric: "firehose.behindLatest", Dims: []string{name}, Statistic: "Maximum",
				Comparison: "GreaterThanThreshold", Threshold: 15 * 60_000, Summary: "Firehose reads the stream more than 15 minutes behind"})
			if a.Lake.Parquet {
				add(AlarmSpec{ID: ds + "-conversion", Metric: "firehose.failedConversion", Dims: []string{name}, Statistic: "Sum",
					Comparison: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 1,
					Summary: "records failed Parquet conversion: they are in errors/ (and raw/), not in the dataset"})
			}
		}
	}
	if a.RedshiftDelivery.Enabled {
		ds, name := "redshift-events", a.Name("redshift-events")
		if a.RedshiftDelivery.Mode == "direct" {
			// Firehose COPYs itself: its Redshift deliveries are what can fail.
			add(AlarmSpec{ID: ds + "-delivery", Metric: "firehose.redshiftSuccess", Dims: []string{name}, Statistic: "Average",
				Comparison: "LessThanThreshold", Threshold: 0.9, Summary: "fewer than 90% of Firehose's COPYs into Redshift succeed (it retries, then writes to errors/)"})
		} else {
			fresh := c.FreshnessSeconds
			if fresh == 0 {
				fresh = max(900, 3*a.Lake.BufferSeconds)
			}
			add(AlarmSpec{ID: ds + "-freshness", Metric: "firehose.freshness", Dims: []string{name}, Statistic: "Maximum",
				Comparison: "GreaterThanThreshold", Threshold: float64(fresh),
				Summary: fmt.Sprintf("records wait more than %d seconds to reach the lake for the COPY JOB", fresh)})
			add(AlarmSpec{ID: ds + "-delivery", Metric: "firehose.s3Success", Dims: []string{name}, Statistic: "Average",
				Comparison: "LessThanThreshold", Threshold: 0.9, Summary: "fewer than 90% of deliveries for the COPY JOB to the lake's bucket succeed"})
		}
	}
	if a.Producer.Enabled {
		fn := a.Name("producer")
		add(AlarmSpec{ID: "producer-errors", Metric: "lambda.errors", Dims: []string{fn}, Statistic: "Sum",
			Comparison: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 1, Summary: "the producer function failed a run"})
		add(AlarmSpec{ID: "producer-throttles", Metric: "lambda.throttles", Dims: []string{fn}, Statistic: "Sum",
			Comparison: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 1, Summary: "the producer function was throttled"})
	}
	if a.CDC.DebeziumMode() {
		conn := a.Name("cdc")
		add(AlarmSpec{ID: "connector-errored-tasks", Metric: "connect.erroredTasks", Dims: []string{conn}, Statistic: "Maximum",
			Comparison: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 1,
			Summary: "Debezium's task failed: changes stop flowing to MSK (the binlog keeps them while it is retained)"})
		if a.CDC.Kafka.Mode == "provisioned" {
			for b := 1; b <= a.CDC.Kafka.BrokerCount; b++ {
				add(AlarmSpec{ID: fmt.Sprintf("kafka-disk-broker-%d", b), Metric: "kafka.diskUsed", Dims: []string{a.Name("cdc"), fmt.Sprint(b)},
					Statistic: "Maximum", Comparison: "GreaterThanThreshold", Threshold: float64(c.KafkaDiskPercent),
					Summary: fmt.Sprintf("broker %d's data disk is more than %d%% full", b, c.KafkaDiskPercent)})
			}
		}
	}
	if a.CDC.ZeroETLMode() {
		// Redshift publishes the integration's metrics every minute.
		add(AlarmSpec{ID: "zero-etl-lag", Metric: "zeroetl.lag", Dims: []string{ZeroETLIDPlaceholder}, Statistic: "Maximum",
			Comparison: "GreaterThanThreshold", Threshold: float64(a.cdcPendingMinutes() * 60),
			Summary: fmt.Sprintf("the zero-ETL integration is more than %d minutes behind the source", a.cdcPendingMinutes())})
		add(AlarmSpec{ID: "zero-etl-failed-tables", Metric: "zeroetl.failedTables", Dims: []string{ZeroETLIDPlaceholder}, Statistic: "Maximum",
			Comparison: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 1,
			Summary: "tables failed to replicate (no primary key, an unsupported type): they are missing or stale in the destination database"})
	}
	if a.CDC.Enabled && a.CDC.Database.Mode == "create" {
		db := a.Name("cdc-mysql") + "-writer" // the instance the changes are read from
		add(AlarmSpec{ID: "sourcedb-acu", Metric: "aurora.acuUtilization", Dims: []string{db}, Statistic: "Average",
			Comparison: "GreaterThanOrEqualToThreshold", Threshold: float64(c.AuroraPercent),
			Summary: fmt.Sprintf("the source database runs at %d%% or more of its maximum ACUs", c.AuroraPercent)})
		add(AlarmSpec{ID: "sourcedb-cpu", Metric: "aurora.cpu", Dims: []string{db}, Statistic: "Average",
			Comparison: "GreaterThanOrEqualToThreshold", Threshold: float64(c.AuroraPercent),
			Summary: fmt.Sprintf("the source database's CPU is at %d%% or more", c.AuroraPercent)})
	}
	out = append(out, a.healthAlarmSpecs()...)
	return out
}

// ZeroETLIDPlaceholder stands for the integration's id in alarm and chart
// dimensions (MonitoringArgs.Late): it is known only after deploy.
const ZeroETLIDPlaceholder = "{integrationId}"

// cdcPendingMinutes is how far behind CDC may fall (haina:alarms.cdcPendingMinutes):
// configured, or three refresh periods and at least 15 minutes.
func (a *PipelineArgs) cdcPendingMinutes() int {
	if a.Alarms.CDCPendingMinutes != 0 {
		return a.Alarms.CDCPendingMinutes
	}
	return max(15, 3*a.Ingestion.Refresh.EveryMinutes)
}

// healthAlarmSpecs alarm on what the health function publishes (namespace
// Haina), once per refresh period: where data actually stops, inside the warehouse.
func (a *PipelineArgs) healthAlarmSpecs() []AlarmSpec {
	env := string(a.Environment)
	period := 60 * a.Ingestion.Refresh.EveryMinutes
	// The call's and the checks' alarms look at windows of at least five
	// minutes: a value is published when a run ends, so with short refresh
	// periods a slow run could leave one period empty (and for the call,
	// missing data is a failure). Two windows in a row: one failure is caught
	// up by the next call. CloudWatch allows at most a day of periods when a
	// period is an hour or more.
	window := max(period, 300)
	twice, inARow := 2, "two periods in a row"
	if 2*window > 86400 {
		twice, inARow = 1, "for a period"
	}
	spec := a.HealthSpec()
	landing := spec.Schema + "." + spec.Landing
	out := []AlarmSpec{
		{ID: "scheduled-call-failed", Metric: "haina.callFailed", Dims: []string{env, "scheduled-call"}, Statistic: "Maximum",
			PeriodSeconds: window, EvaluationPeriods: twice, Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, MissingBreaches: true,
			Summary: "the scheduled call failed (or did not run) " + inARow + ": nothing is ingested or applied"},
		{ID: "health-checks-failed", Metric: "haina.checksFailed", Dims: []string{env, "health-checks"}, Statistic: "Maximum",
			PeriodSeconds: window, EvaluationPeriods: twice, Comparison: "GreaterThanThreshold", Threshold: 0,
			Summary: "health queries could not be read " + inARow + ": the Redshift-side alarms are blind"},
		{ID: "ingest-failed-parses", Metric: "haina.failedParses", Dims: []string{env, landing}, Statistic: "Sum",
			PeriodSeconds: period, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 0,
			Summary: "records that are not JSON landed (kept in failed_payload, missing from the events view)"},
		{ID: "ingest-scan-errors", Metric: "haina.scanErrors", Dims: []string{env, landing}, Statistic: "Sum",
			PeriodSeconds: period, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 0,
			Summary: "the landing view could not ingest records (SYS_STREAM_SCAN_ERRORS)"},
		{ID: "refresh-failures", Metric: "haina.refreshFailures", Dims: []string{env, sql.RefreshFailuresObject}, Statistic: "Sum",
			PeriodSeconds: period, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 0,
			Summary: "a refresh of haina's materialized views failed or was aborted (SYS_MV_REFRESH_HISTORY)"},
	}
	if spec.CopyJobTable != "" {
		out = append(out, AlarmSpec{ID: "redshift-load-failures", Metric: "haina.loadFailures", Dims: []string{env, spec.Schema + "." + spec.CopyJobTable},
			Statistic: "Sum", PeriodSeconds: period, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 0,
			Summary: "a COPY JOB load into " + spec.CopyJobTable + " was aborted or met errors (SYS_LOAD_HISTORY)"})
	}
	pending := a.cdcPendingMinutes()
	for _, t := range spec.CDC {
		out = append(out,
			AlarmSpec{ID: "cdc-scan-errors-" + t.Table, Runbook: "cdc-scan-errors", Metric: "haina.scanErrors", Dims: []string{env, spec.CDCSchema + "." + t.Landing},
				Statistic: "Sum", PeriodSeconds: period, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 0,
				Summary: "the change landing view of " + t.Table + " could not ingest messages (SYS_STREAM_SCAN_ERRORS)"},
			AlarmSpec{ID: "cdc-rejects-" + t.Table, Runbook: "cdc-rejects", Metric: "haina.cdcRejects", Dims: []string{env, t.Table},
				Statistic: "Sum", PeriodSeconds: period, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 0,
				Summary: "changes to " + t.Table + " could not be applied (listed in the rejects table, not in the target)"})
		if a.CDC.Redshift.ScheduleEnabled {
			out = append(out, AlarmSpec{ID: "cdc-pending-age-" + t.Table, Runbook: "cdc-pending-age", Metric: "haina.cdcPendingAge",
				Dims: []string{env, t.Table}, Statistic: "Maximum", PeriodSeconds: period, EvaluationPeriods: 1,
				Comparison: "GreaterThanThreshold", Threshold: float64(pending * 60),
				Summary: fmt.Sprintf("a change to %s has waited more than %d minutes to be applied", t.Table, pending)})
		}
	}
	return out
}

// healthCharts are the dashboard's panels of metrics without an alarm: how
// fresh the data is, what the applies did, what the warehouse used.
func (a *PipelineArgs) healthCharts() []ChartSpec {
	env := string(a.Environment)
	spec := a.HealthSpec()
	lag := ChartSpec{Metric: "haina.ingestLag", Statistic: "Maximum", Dims: [][]string{{env, spec.Schema + "." + spec.Landing}}}
	out := []ChartSpec{lag}
	if len(spec.CDC) > 0 {
		cdcLag := ChartSpec{Metric: "haina.cdcLag", Statistic: "Maximum"}
		applied := ChartSpec{Metric: "haina.cdcApplied", Statistic: "Sum"}
		for _, t := range spec.CDC {
			cdcLag.Dims = append(cdcLag.Dims, []string{env, t.Table})
			applied.Dims = append(applied.Dims, []string{env, t.Table})
		}
		out = append(out, cdcLag, applied)
	}
	if a.Warehouse.Kind != WarehouseProvisioned {
		out = append(out, ChartSpec{Metric: "serverless.computeSeconds", Statistic: "Sum", Dims: [][]string{{a.Warehouse.WorkgroupName}}})
	}
	return out
}

// MonitoringArgs configures the Monitoring component.
type MonitoringArgs struct {
	Config AlarmsConfig
	// Base is "<prefix>-<environment>", the start of every name.
	Base   string
	Region string
	Alarms []AlarmSpec
	// Charts are panels of metrics without an alarm, after the alarms' panels.
	Charts []ChartSpec
	// StreamName is charted first: events in.
	StreamName string
	// Late are dimension values known only after deploy (an integration's
	// id), by the placeholder a Dims value holds ("{integrationId}").
	Late    map[string]pulumi.StringInput
	Protect bool
	Tags    pulumi.StringMap
}

// Monitoring is the alarm topic (SNS, encrypted with its own key; only
// CloudWatch alarms of this account may publish), its email subscriptions,
// one alarm per AlarmSpec (to the topic on ALARM and on OK) and the stack's
// dashboard.
type Monitoring struct {
	pulumi.ResourceState

	Key           *kms.Key
	Topic         *sns.Topic
	TopicPolicy   *sns.TopicPolicy
	Subscriptions []*sns.TopicSubscription
	Alarms        []*cloudwatch.MetricAlarm
	Dashboard     *cloudwatch.Dashboard

	TopicArn     pulumi.StringOutput
	DashboardURL pulumi.StringOutput
}

// alarmKeyActions: what CloudWatch needs of an encrypted topic's key to
// publish ("Amazon SNS topic encrypted with a KMS key": kms:Decrypt and
// kms:GenerateDataKey*, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
var alarmKeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}

// NewMonitoring declares the topic, its subscriptions, the alarms and the dashboard.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil || args.Base == "" || args.Region == "" {
		return nil, fmt.Errorf("monitoring %s: Base and Region are required", name)
	}
	m := &Monitoring{}
	if err := ctx.RegisterComponentResource("haina:monitoring:Monitoring", name, m, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(m)
	account := callerAccount(ctx, m)
	var err error
	alarmArns := fmt.Sprintf("arn:aws:cloudwatch:%s:{account}:alarm:%s-*", args.Region, args.Base)
	// CloudWatch encrypts what it publishes to the topic with the key: only
	// for this account's alarms of this stack ("Amazon SNS key management",
	// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
	m.Key, err = newCustomerKey(ctx, name+"-key", customerKey{Description: "haina: the alarm topic " + args.Base + "-alarms",
		Use: keyUse{Services: []string{"sns"}, ExtraFor: func(acct string) []policyStmt {
			return []policyStmt{{
				Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: map[string][]string{"Service": {"cloudwatch.amazonaws.com"}},
				Action: alarmKeyActions, Resource: []string{"*"},
				Condition: map[string]map[string][]string{
					"StringEquals": {"aws:SourceAccount": {acct}},
					"ArnLike":      {"aws:SourceArn": {strings.ReplaceAll(alarmArns, "{account}", acct)}},
				},
			}}
		}},
		Protect: args.Protect, Tags: args.Tags, Parent: m})
	if err != nil {
		return nil, err
	}
	m.Topic, err = sns.NewTopic(ctx, name, &sns.TopicArgs{
		Name: pulumi.String(args.Base + "-alarms"), KmsMasterKeyId: m.Key.Arn, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	// Only this account's alarms of this stack publish; the account manages
	// the topic (named actions, no wildcard); no one else subscribes.
	m.TopicPolicy, err = sns.NewTopicPolicy(ctx, name, &sns.TopicPolicyArgs{
		Arn: m.Topic.Arn,
		Policy: pulumi.All(account, m.Topic.Arn).ApplyT(func(v []any) (string, error) {
			acct, topic := v[0].(string), v[1].(string)
			doc := policyDoc{Version: "2012-10-17", Statement: []policyStmt{
				{Sid: "CloudWatchAlarmsOfThisStack", Effect: "Allow", Principal: map[string][]string{"Service": {"cloudwatch.amazonaws.com"}},
					Action: []string{"sns:Publish"}, Resource: []string{topic},
					Condition: map[string]map[string][]string{
						"StringEquals": {"aws:SourceAccount": {acct}},
						"ArnLike":      {"aws:SourceArn": {strings.ReplaceAll(alarmArns, "{account}", acct)}},
					}},
				{Sid: "AccountManages", Effect: "Allow", Principal: map[string][]string{"AWS": {"arn:aws:iam::" + acct + ":root"}},
					Action:   []string{"sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:SetTopicAttributes", "sns:Subscribe"},
					Resource: []string{topic}},
				{Sid: "TLSOnly", Effect: "Deny", Principal: map[string][]string{"AWS": {"*"}}, Action: []string{"sns:Publish"},
					Resource: []string{topic}, Condition: map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}},
			}}
			b, err := json.Marshal(doc)
			return string(b), err
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, err
	}
	for i, email := range args.Config.Emails {
		sub, err := sns.NewTopicSubscription(ctx, fmt.Sprintf("%s-email-%d", name, i), &sns.TopicSubscriptionArgs{
			Topic: m.Topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(email),
		}, parent)
		if err != nil {
			return nil, err
		}
		m.Subscriptions = append(m.Subscriptions, sub)
	}
	actions := pulumi.Array{m.Topic.Arn}
	for _, s := range args.Alarms {
		metric, ok := Metrics[s.Metric]
		if !ok || len(metric.Dimensions) != len(s.Dims) {
			return nil, fmt.Errorf("monitoring %s: alarm %s names metric %q with %d dimension values; Metrics lists %v", name, s.ID, s.Metric, len(s.Dims), metric.Dimensions)
		}
		dims := pulumi.StringMap{}
		for i, d := range metric.Dimensions {
			dims[d] = pulumi.String(s.Dims[i])
			if v, ok := args.Late[s.Dims[i]]; ok {
				dims[d] = v
			}
		}
		missing := "notBreaching"
		if s.MissingBreaches {
			missing = "breaching"
		}
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.ID, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(args.Base + "-" + s.ID),
			AlarmDescription:   pulumi.String(fmt.Sprintf("haina: %s. Runbook: %s#%s", s.Summary, RunbookURL, s.Anchor())),
			Namespace:          pulumi.String(metric.Namespace),
			MetricName:         pulumi.String(metric.Name),
			Dimensions:         dims,
			Statistic:          pulumi.String(s.Statistic),
			Period:             pulumi.Int(s.PeriodSeconds),
			EvaluationPeriods:  pulumi.Int(s.EvaluationPeriods),
			ComparisonOperator: pulumi.String(s.Comparison),
			Threshold:          pulumi.Float64(s.Threshold),
			TreatMissingData:   pulumi.String(missing),
			AlarmActions:       actions,
			OkActions:          actions,
			Tags:               args.Tags,
		}, parent, pulumi.DependsOn([]pulumi.Resource{m.TopicPolicy}))
		if err != nil {
			return nil, err
		}
		m.Alarms = append(m.Alarms, alarm)
	}
	body, err := dashboardBody(args)
	if err != nil {
		return nil, err
	}
	// The body names the account and the late values: filled in when they are known.
	late := []any{account}
	placeholders := sortedKeys(args.Late)
	for _, k := range placeholders {
		late = append(late, args.Late[k])
	}
	m.Dashboard, err = cloudwatch.NewDashboard(ctx, name, &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(args.Base), DashboardBody: pulumi.All(late...).ApplyT(func(v []any) string {
			b := strings.ReplaceAll(body, "{account}", v[0].(string))
			for i, k := range placeholders {
				b = strings.ReplaceAll(b, k, v[i+1].(string))
			}
			return b
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, err
	}
	m.TopicArn = m.Topic.Arn
	m.DashboardURL = pulumi.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s", args.Region, args.Region, args.Base)
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{"topicArn": m.TopicArn, "dashboardUrl": m.DashboardURL}); err != nil {
		return nil, err
	}
	return m, nil
}

// Dashboard is a CloudWatch dashboard body ("Dashboard Body Structure and
// Syntax", https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
type Dashboard struct {
	Widgets []Widget `json:"widgets"`
}

// Widget is one panel.
type Widget struct {
	Type       string           `json:"type"` // metric, alarm
	X          int              `json:"x"`
	Y          int              `json:"y"`
	Width      int              `json:"width"`
	Height     int              `json:"height"`
	Properties WidgetProperties `json:"properties"`
}

// WidgetProperties are a metric or alarm widget's properties.
type WidgetProperties struct {
	Title   string   `json:"title"`
	Region  string   `json:"region,omitempty"`
	View    string   `json:"view,omitempty"`
	Stat    string   `json:"stat,omitempty"`
	Period  int      `json:"period,omitempty"`
	Metrics [][]any  `json:"metrics,omitempty"`
	Alarms  []string `json:"alarms,omitempty"`
}

// dashboardBody charts each alarm's metric (one panel per metric, its
// alarms' series together) and the alarms' states; "{account}" stands for
// the account ID in alarm ARNs.
func dashboardBody(args *MonitoringArgs) (string, error) {
	type panel struct {
		metric string
		dims   [][]string
		stat   string
	}
	var order []string
	panels := map[string]*panel{}
	var alarmArns []string
	for _, c := range args.Charts {
		if _, ok := Metrics[c.Metric]; !ok {
			return "", fmt.Errorf("dashboard: chart of %q, which Metrics does not list", c.Metric)
		}
	}
	for _, s := range args.Alarms {
		p, ok := panels[s.Metric]
		if !ok {
			p = &panel{metric: s.Metric, stat: s.Statistic}
			panels[s.Metric] = p
			order = append(order, s.Metric)
		}
		p.dims = append(p.dims, s.Dims)
		alarmArns = append(alarmArns, fmt.Sprintf("arn:aws:cloudwatch:%s:{account}:alarm:%s-%s", args.Region, args.Base, s.ID))
	}
	d := Dashboard{}
	const w, h = 12, 6
	d.Widgets = append(d.Widgets, Widget{Type: "alarm", X: 0, Y: 0, Width: 24, Height: 4,
		Properties: WidgetProperties{Title: "Alarms", Alarms: alarmArns}})
	if args.StreamName != "" {
		// Events in, first: everything else follows from it.
		order = append([]string{"kinesis.incomingRecords"}, order...)
		panels["kinesis.incomingRecords"] = &panel{metric: "kinesis.incomingRecords", stat: "Sum", dims: [][]string{{args.StreamName}}}
	}
	for _, c := range args.Charts {
		if p, ok := panels[c.Metric]; ok {
			p.dims = append(p.dims, c.Dims...)
			continue
		}
		panels[c.Metric] = &panel{metric: c.Metric, stat: c.Statistic, dims: c.Dims}
		order = append(order, c.Metric)
	}
	for i, key := range order {
		p := panels[key]
		m := Metrics[key]
		var series [][]any
		for _, dims := range p.dims {
			row := []any{m.Namespace, m.Name}
			for j, dn := range m.Dimensions {
				row = append(row, dn, dims[j])
			}
			series = append(series, row)
		}
		d.Widgets = append(d.Widgets, Widget{Type: "metric", X: (i % 2) * w, Y: 4 + (i/2)*h, Width: w, Height: h,
			Properties: WidgetProperties{Title: m.Name, Region: args.Region, View: "timeSeries", Stat: p.stat, Period: 300, Metrics: series}})
	}
	sort.SliceStable(d.Widgets, func(i, j int) bool { return d.Widgets[i].Y < d.Widgets[j].Y })
	b, err := json.Marshal(d)
	return string(b), err
}
