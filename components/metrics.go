package components

import "github.com/haina-data/haina/sql"

// The CloudWatch metrics haina alarms on and charts, each as AWS documents
// it: namespace, name, dimensions, and the page that says so. Alarms and the
// dashboard name metrics only through this table, and a test checks every
// alarm against it.

// Metric is one CloudWatch metric as AWS publishes it.
type Metric struct {
	Namespace, Name string
	// Dimensions are the dimension names, in the order haina gives them.
	Dimensions []string
	// Doc is the AWS page listing it.
	Doc string
}

// Metrics are the metrics haina uses, by a short key.
var Metrics = map[string]Metric{
	// https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
	"kinesis.iteratorAge":     {"AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", []string{"StreamName"}, kinesisMetricsDoc},
	"kinesis.writeThrottled":  {"AWS/Kinesis", "WriteProvisionedThroughputExceeded", []string{"StreamName"}, kinesisMetricsDoc},
	"kinesis.readThrottled":   {"AWS/Kinesis", "ReadProvisionedThroughputExceeded", []string{"StreamName"}, kinesisMetricsDoc},
	"kinesis.incomingRecords": {"AWS/Kinesis", "IncomingRecords", []string{"StreamName"}, kinesisMetricsDoc},
	// https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
	"firehose.freshness":        {"AWS/Firehose", "DeliveryToS3.DataFreshness", []string{"DeliveryStreamName"}, firehoseMetricsDoc},
	"firehose.s3Success":        {"AWS/Firehose", "DeliveryToS3.Success", []string{"DeliveryStreamName"}, firehoseMetricsDoc},
	"firehose.behindLatest":     {"AWS/Firehose", "KinesisMillisBehindLatest", []string{"DeliveryStreamName"}, firehoseMetricsDoc},
	"firehose.failedConversion": {"AWS/Firehose", "FailedConversion.Records", []string{"DeliveryStreamName"}, firehoseMetricsDoc},
	"firehose.redshiftSuccess":  {"AWS/Firehose", "DeliveryToRedshift.Success", []string{"DeliveryStreamName"}, firehoseMetricsDoc},
	// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
	"lambda.errors":    {"AWS/Lambda", "Errors", []string{"FunctionName"}, lambdaMetricsDoc},
	"lambda.throttles": {"AWS/Lambda", "Throttles", []string{"FunctionName"}, lambdaMetricsDoc},
	// https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html
	"kafka.diskUsed": {"AWS/Kafka", "KafkaDataLogsDiskUsed", []string{"Cluster Name", "Broker ID"}, mskMetricsDoc},
	// https://docs.aws.amazon.com/msk/latest/developerguide/mkc-monitoring-overview.html
	// lists ErroredTaskCount "under the ConnectorName dimension" but not the
	// namespace: AWS/KafkaConnect is what CloudWatch shows for MSK Connect
	// (check with `aws cloudwatch list-metrics --namespace AWS/KafkaConnect`).
	"connect.erroredTasks": {"AWS/KafkaConnect", "ErroredTaskCount", []string{"ConnectorName"}, connectMetricsDoc},
	// Aurora Serverless v2 reports ACUUtilization and CPUUtilization per
	// instance (DBInstanceIdentifier): "Monitoring Aurora Serverless v2",
	// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html.
	"aurora.acuUtilization": {"AWS/RDS", "ACUUtilization", []string{"DBInstanceIdentifier"}, auroraMetricsDoc},
	"aurora.cpu":            {"AWS/RDS", "CPUUtilization", []string{"DBInstanceIdentifier"}, auroraMetricsDoc},
	// "Amazon Redshift Serverless metrics" lists ComputeSeconds with the
	// Workgroup dimension; like MSK Connect's, the page does not print the
	// namespace: AWS/Redshift-Serverless is what CloudWatch shows (check with
	// `aws cloudwatch list-metrics --namespace AWS/Redshift-Serverless`). Charted only.
	"serverless.computeSeconds": {"AWS/Redshift-Serverless", "ComputeSeconds", []string{"Workgroup"}, serverlessMetricsDoc},
	// "Metrics for zero-ETL integrations" lists IntegrationLag (seconds) and
	// IntegrationNumTablesFailedReplication with the IntegrationId dimension,
	// published by Redshift; the page does not print the namespace either:
	// AWS/Redshift is what haina expects (check with `aws cloudwatch list-metrics
	// --namespace AWS/Redshift --metric-name IntegrationLag`).
	"zeroetl.lag":          {"AWS/Redshift", "IntegrationLag", []string{"IntegrationId"}, zeroETLMetricsDoc},
	"zeroetl.failedTables": {"AWS/Redshift", "IntegrationNumTablesFailedReplication", []string{"IntegrationId"}, zeroETLMetricsDoc},

	// haina's own metrics, published by the health function (package health,
	// queries in sql/health_checks.sql.tmpl) with dimensions Environment and
	// Object; Doc is where each is defined.
	"haina.callFailed":      {HealthNamespace, MetricCallFailed, hainaDims, hainaHealthDoc},
	"haina.checksFailed":    {HealthNamespace, MetricChecksFailed, hainaDims, hainaHealthDoc},
	"haina.ingestLag":       {HealthNamespace, sql.MetricIngestLag, hainaDims, hainaChecksDoc},
	"haina.failedParses":    {HealthNamespace, sql.MetricFailedParses, hainaDims, hainaChecksDoc},
	"haina.scanErrors":      {HealthNamespace, sql.MetricScanErrors, hainaDims, hainaChecksDoc},
	"haina.refreshFailures": {HealthNamespace, sql.MetricRefreshFailures, hainaDims, hainaChecksDoc},
	"haina.cdcPendingAge":   {HealthNamespace, sql.MetricCDCPendingAge, hainaDims, hainaChecksDoc},
	"haina.cdcLag":          {HealthNamespace, sql.MetricCDCLag, hainaDims, hainaChecksDoc},
	"haina.cdcRejects":      {HealthNamespace, sql.MetricCDCRejects, hainaDims, hainaChecksDoc},
	"haina.cdcApplied":      {HealthNamespace, sql.MetricCDCApplied, hainaDims, hainaChecksDoc},
	"haina.loadFailures":    {HealthNamespace, sql.MetricLoadFailures, hainaDims, hainaChecksDoc},
}

// The health function's own two metrics (package health: CallFailed and
// CheckFailed; a test keeps them equal).
const (
	MetricCallFailed   = "ScheduledCallFailed"
	MetricChecksFailed = "HealthCheckFailed"
)

var hainaDims = []string{"Environment", "Object"}

// The pages defining haina's metrics (in this repository).
const (
	hainaHealthDoc = "https://github.com/haina-data/haina/blob/main/health/health.go"
	hainaChecksDoc = "https://github.com/haina-data/haina/blob/main/sql/health_checks.sql.tmpl"
)

const (
	kinesisMetricsDoc  = "https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html"
	firehoseMetricsDoc = "https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html"
	lambdaMetricsDoc   = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"
	mskMetricsDoc      = "https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html"
	connectMetricsDoc  = "https://docs.aws.amazon.com/msk/latest/developerguide/mkc-monitoring-overview.html"
	auroraMetricsDoc   = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html"
	// "Amazon Redshift Serverless metrics" is a section of this page.
	zeroETLMetricsDoc    = "https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl-using-monitoring.html"
	serverlessMetricsDoc = "https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-audit-logging.html"
)
