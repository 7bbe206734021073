package components

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
}

const (
	kinesisMetricsDoc  = "https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html"
	firehoseMetricsDoc = "https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html"
	lambdaMetricsDoc   = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"
	mskMetricsDoc      = "https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html"
	connectMetricsDoc  = "https://docs.aws.amazon.com/msk/latest/developerguide/mkc-monitoring-overview.html"
	auroraMetricsDoc   = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html"
)
