package cost

// Prices are us-east-1 on-demand list prices in USD. Each names the AWS
// pricing page it belongs to and how it was checked: this repository is
// built without internet access, so a price was read from a stored copy of
// a pricing page or a page quoting it, or (marked so) from memory of the
// AWS page. Check them against the AWS Pricing Calculator before you rely
// on an estimate, and update a price here (with its source) when AWS
// changes it: `haina plan`, README's cost table and its test follow.

// PricesRead says when and how the prices were read.
const PricesRead = "2026-12-01, us-east-1 list prices, from stored copies of the AWS pricing pages and pages quoting them (no live access); see cost/prices.go"

// Price is one unit price and where it comes from.
type Price struct {
	USD float64
	// Source is the AWS pricing page; Checked how the number was verified.
	Source  string
	Checked string
}

type prices struct {
	RedshiftRPUHour, RedshiftStorageGBMonth, RedshiftRA3LargeNodeHour, RedshiftRA3XLPlusNodeHour Price
	RedshiftRA34XLargeNodeHour, RedshiftRA316XLargeNodeHour                                      Price
	KinesisOnDemandStreamHour, KinesisOnDemandInGB, KinesisOnDemandOutGB                         Price
	KinesisShardHour, KinesisPutMillion                                                          Price
	FirehoseGB, FirehoseConversionGB                                                             Price
	MSKt3SmallHour, MSKm7gLargeHour, MSKm5LargeHour, MSKStorageGBMonth, MSKConnectMCUHour        Price
	AuroraACUHour, AuroraStorageGBMonth, AuroraIOMillion, ZeroETLIntegration                     Price
	EndpointAZHour, LambdaArmGBSecond, LambdaRequestsMillion, LogsIngestGB, VendedLogsGB         Price
	KMSKeyMonth, SecretMonth, S3GBMonth, AthenaPerTB                                             Price
	AlarmMonth, DashboardMonth                                                                   Price
	CustomMetricMonth, MetricRequestsThousand                                                    Price
}

const (
	redshiftPage = "https://aws.amazon.com/redshift/pricing/"
	kinesisPage  = "https://aws.amazon.com/kinesis/data-streams/pricing/"
	firehosePage = "https://aws.amazon.com/firehose/pricing/"
	mskPage      = "https://aws.amazon.com/msk/pricing/"
	auroraPage   = "https://aws.amazon.com/rds/aurora/pricing/"
	memory       = "from memory of the AWS page: not verifiable offline"
)

// P is the price list every estimate uses.
var P = prices{
	RedshiftRPUHour:             Price{0.375, redshiftPage, "copy of the AWS page (api-evangelist/amazon-redshift plans file, 2026-10-07): \"$0.375 per RPU-hour\"; billed per second, 60-second minimum"},
	RedshiftStorageGBMonth:      Price{0.024, redshiftPage, "api-evangelist/amazon-redshift finops file: \"Redshift Managed Storage at $0.024/GB-month\""},
	RedshiftRA3LargeNodeHour:    Price{0.543, redshiftPage, "copy of the AWS page: \"$0.543 per hour\" (provisioned, on-demand; the node type is not named there)"},
	RedshiftRA3XLPlusNodeHour:   Price{1.086, redshiftPage, memory},
	RedshiftRA34XLargeNodeHour:  Price{3.26, redshiftPage, memory},
	RedshiftRA316XLargeNodeHour: Price{13.04, redshiftPage, memory},

	KinesisOnDemandStreamHour: Price{0.04, kinesisPage, memory + " (On-demand Standard); the page's rounding of each record up to 1 KB was read"},
	KinesisOnDemandInGB:       Price{0.08, kinesisPage, memory + " (On-demand Standard)"},
	KinesisOnDemandOutGB:      Price{0.04, kinesisPage, memory + " (On-demand Standard)"},
	KinesisShardHour:          Price{0.015, kinesisPage, "quoted by a Kinesis pricing lesson (kindatechnical.com)"},
	KinesisPutMillion:         Price{0.014, kinesisPage, "quoted for us-west-2, same as us-east-1 (EveryMundo/aws-kinesis-client docs); 25 KB units from the AWS page"},

	FirehoseGB:           Price{0.029, firehosePage, memory + " (first 500 TB a month); the 5 KB record rounding was read on the AWS page (ja)"},
	FirehoseConversionGB: Price{0.018, firehosePage, memory},

	MSKt3SmallHour:    Price{0.0456, mskPage, memory},
	MSKm7gLargeHour:   Price{0.204, mskPage, memory},
	MSKm5LargeHour:    Price{0.21, mskPage, memory},
	MSKStorageGBMonth: Price{0.10, mskPage, memory},
	MSKConnectMCUHour: Price{0.11, mskPage, "quoted as \"$0.11 per hour\" (gist EverettBerry); unit MCU-hour from the AWS page"},

	AuroraACUHour:        Price{0.12, auroraPage, "quoted for us-east-1 (c3x.dev): \"1 ACU ≈ $0.12/hour\" (Aurora Standard)"},
	AuroraStorageGBMonth: Price{0.10, auroraPage, "quoted (awsnegotiations.com): \"approximately $0.10/GB-month\""},
	AuroraIOMillion:      Price{0.20, auroraPage, "quoted (jusdb.com): \"$0.20 per million I/Os on the standard pricing tier\""},
	ZeroETLIntegration: Price{0, "https://aws.amazon.com/blogs/database/transition-from-aws-dms-to-zero-etl-to-simplify-real-time-data-integration-with-amazon-redshift/",
		"quoted (AWS Database Blog): \"Zero-ETL integration is provided at no additional charge\"; the Aurora and Redshift pricing pages bill the source and the warehouse"},

	EndpointAZHour:        Price{0.01, "https://aws.amazon.com/privatelink/pricing/", "quoted (awsnegotiations.com): \"$0.01/hour per Interface Endpoint per AZ\""},
	LambdaArmGBSecond:     Price{0.0000133334, "https://aws.amazon.com/lambda/pricing/", "quoted for US East (cloudchipr.com), Arm, first 7.5 billion GB-seconds"},
	LambdaRequestsMillion: Price{0.20, "https://aws.amazon.com/lambda/pricing/", "quoted: \"$0.20 / 1M\" requests"},
	LogsIngestGB:          Price{0.50, "https://aws.amazon.com/cloudwatch/pricing/", "quoted for us-east-1 (hykell.com): \"$0.50 per GB of data collected\""},
	VendedLogsGB:          Price{0.50, "https://aws.amazon.com/cloudwatch/pricing/", "quoted, first 10 TB of vended logs into CloudWatch Logs (aws-samples sample-cfm-tips-mcp)"},

	KMSKeyMonth:            Price{1.00, "https://aws.amazon.com/kms/pricing/", "AWS page: \"Each AWS KMS key that you create in KMS costs $1/month.\" (rotations add $1 a month each, the first two)"},
	SecretMonth:            Price{0.40, "https://aws.amazon.com/secrets-manager/pricing/", "quoted: \"$0.40 per secret per month\""},
	S3GBMonth:              Price{0.023, "https://aws.amazon.com/s3/pricing/", "quoted: \"around $0.023 per GB-month for the first 50 TB\""},
	AlarmMonth:             Price{0.10, "https://aws.amazon.com/cloudwatch/pricing/", memory + " (a standard-resolution metric alarm)"},
	DashboardMonth:         Price{3.00, "https://aws.amazon.com/cloudwatch/pricing/", memory + " (the first 3 dashboards of an account are free: not counted)"},
	CustomMetricMonth:      Price{0.30, "https://aws.amazon.com/cloudwatch/pricing/", memory + " (a custom metric, first 10,000 of an account; prorated by the hour)"},
	MetricRequestsThousand: Price{0.01, "https://aws.amazon.com/cloudwatch/pricing/", memory + " (API requests such as PutMetricData, per 1,000)"},
	AthenaPerTB:            Price{5.00, "https://aws.amazon.com/athena/pricing/", "quoted (athena.guide): \"a flat $5 per TB of data scanned … with a 10 MB minimum\""},
}

// nodeHour is a Redshift node type's price; false for a type not listed here.
func (p prices) nodeHour(nodeType string) (Price, bool) {
	switch nodeType {
	case "ra3.large":
		return p.RedshiftRA3LargeNodeHour, true
	case "ra3.xlplus":
		return p.RedshiftRA3XLPlusNodeHour, true
	case "ra3.4xlarge":
		return p.RedshiftRA34XLargeNodeHour, true
	case "ra3.16xlarge":
		return p.RedshiftRA316XLargeNodeHour, true
	}
	return Price{}, false
}

// brokerHour is an MSK broker type's price; false for a type not listed here.
func (p prices) brokerHour(instanceType string) (Price, bool) {
	switch instanceType {
	case "kafka.t3.small":
		return p.MSKt3SmallHour, true
	case "kafka.m5.large":
		return p.MSKm5LargeHour, true
	case "kafka.m7g.large":
		return p.MSKm7gLargeHour, true
	}
	return Price{}, false
}
