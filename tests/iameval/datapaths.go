package iameval

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// This file lists, for each of haina's data paths, the AWS calls the AWS
// service makes with a role on haina's behalf — each list with the AWS
// document it comes from — resolves them to the stack's concrete ARNs, and
// checks them with the evaluator.

// Call is one request an AWS service makes with a role's credentials.
type Call struct {
	Action   string
	Resource string
	Context  Context
}

func (c Call) String() string { return c.Action + " on " + c.Resource }

// CallList is a documented list of calls.
type CallList struct {
	Doc   string
	Calls []Call
}

// TrustCheck is a service assuming the path's role, with the context AWS
// sends. Guards are the context keys of the documented trust conditions
// (confused-deputy aws:SourceAccount/aws:SourceArn, sts:ExternalId): with a
// foreign value for any of them the trust must refuse the service.
type TrustCheck struct {
	Service string
	Context Context
	Guards  []string
	Doc     string
}

// ServiceCall is a call a service principal makes on a resource whose
// resource-based policy alone must allow it (a bucket policy admitting
// redshift.amazonaws.com, a namespace resource policy…).
type ServiceCall struct {
	Service string
	Call    Call
	Doc     string
}

// Path is one data path: the role a service assumes, how it assumes it, and
// what it calls with it.
type Path struct {
	Name         string
	RoleArn      string // empty for a path of service calls only
	Trust        []TrustCheck
	Calls        []CallList
	ServiceCalls []ServiceCall
	// Denied are calls the role must not be able to make (another caller's
	// statement, another namespace): each is checked to be denied.
	Denied []CallList
}

// ---- The documented call lists ----

// Redshift streaming ingestion from Kinesis reads the stream with the role
// named by IAM_ROLE: "Getting started with streaming ingestion from Amazon
// Kinesis Data Streams", IAM policy statements "ReadStream" (DescribeStreamSummary,
// GetShardIterator, GetRecords, DescribeStream on the stream) and "ListStream"
// (ListStreams, ListShards),
// https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html.
// ListShards acts on the stream (it has the stream resource type), ListStreams
// has no resource type ("*"): Service Authorization Reference, Amazon Kinesis
// Data Streams, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html.
var redshiftKinesisStreamActions = []string{
	"kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards", "kinesis:DescribeStream",
}
var redshiftKinesisAccountActions = []string{"kinesis:ListStreams"}

// A consumer of a stream encrypted with a customer key needs kms:Decrypt on
// the key ("Example consumer permissions"); Kinesis calls KMS with the stream
// ARN as encryption context: "Permissions to use user-generated KMS keys",
// https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html.
// A producer needs kms:GenerateDataKey ("Example producer permissions").
var kinesisConsumerKeyActions = []string{"kms:Decrypt"}
var kinesisProducerKeyActions = []string{"kms:GenerateDataKey"}

// Redshift streaming ingestion from MSK with AUTHENTICATION IAM: "Getting
// started with streaming ingestion from Apache Kafka sources", policy
// "MSKIAMpolicy": kafka-cluster:Connect on the cluster, DescribeTopic and
// ReadData on the topics, and "MSKPolicy": kafka:GetBootstrapBrokers —
// https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started-MSK.html.
// GetBootstrapBrokers is how Redshift finds the brokers of a schema created
// FROM MSK … CLUSTER_ARN; a schema FROM KAFKA … URI names them and needs no
// MSK API call (CREATE EXTERNAL SCHEMA,
// https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html).
// The consumer-group actions (AlterGroup, DescribeGroup) on the cluster's
// group ARNs group/<clusterName>/<clusterUuid>/* — Redshift names its groups
// itself — are the MSK IAM semantics of a consuming client: "Semantics of IAM
// authorization policy actions and resources" and the example policy of
// "Create authorization policies for the IAM role",
// https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html,
// https://docs.aws.amazon.com/msk/latest/developerguide/create-iam-access-control-policies.html.
// (kafka-cluster:DescribeCluster is in neither Redshift's policy nor a
// consumer's needs, so it is not required.)
var redshiftMSKClusterActions = []string{"kafka-cluster:Connect"}
var redshiftMSKBrokerLookupActions = []string{"kafka:GetBootstrapBrokers"}
var redshiftMSKTopicActions = []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}
var redshiftMSKGroupActions = []string{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"}

// MSK Connect's service execution role on an IAM-authenticated cluster:
// Connect and DescribeCluster on the cluster; ReadData/DescribeTopic on the
// topics it reads, WriteData/DescribeTopic on the topics it writes;
// AlterGroup/DescribeGroup on its groups ("Understand service execution
// role", https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-service-execution-role.html).
// CreateTopic for topics the connector creates (topic.creation.*, the schema
// history topic) and DescribeClusterDynamicConfiguration for Debezium's admin
// client reading the brokers' configuration (Kafka DESCRIBE_CONFIGS on the
// cluster): https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html.
var connectClusterActions = []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeClusterDynamicConfiguration"}
var connectWrittenTopicActions = []string{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"}
var connectReadWrittenTopicActions = []string{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"}
var connectGroupActions = []string{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"}

// MSK Connect's Secrets Manager config provider resolves ${secretsmanager:…}
// with the service execution role: secretsmanager:GetSecretValue on the
// secret, and kms:Decrypt on a customer key through Secrets Manager
// ("Externalizing sensitive information using config providers",
// https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-config-provider.html;
// "Secret encryption and decryption in AWS Secrets Manager", kms:ViaService
// and the SecretARN encryption context,
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
var secretReadActions = []string{"secretsmanager:GetSecretValue"}
var secretKeyActions = []string{"kms:Decrypt"}

// EventBridge Scheduler's universal target for the Data API calls
// ExecuteStatement with the schedule's role; with no SecretArn the Data API
// signs in to a Serverless workgroup with temporary credentials
// (redshift-serverless:GetCredentials): "Configuring IAM permissions" for the
// Data API, https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html,
// and "Using universal targets",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html.
var dataAPIActions = []string{"redshift-data:ExecuteStatement", "redshift-serverless:GetCredentials"}

// On a provisioned cluster, with DbUser and no SecretArn, the Data API signs
// in with temporary credentials for that user: ExecuteStatement on the
// cluster and redshift:GetClusterCredentials on the user and the database
// (same page; ARN forms in "Resource policies for GetClusterCredentials",
// https://docs.aws.amazon.com/redshift/latest/mgmt/generating-iam-credentials-role-permissions.html).
var dataAPIClusterActions = []string{"redshift-data:ExecuteStatement"}
var clusterCredentialActions = []string{"redshift:GetClusterCredentials"}

// A role mapped to database roles by its RedshiftDbRoles tag needs
// tag:GetResources and tag:GetTagKeys (actions with no resource type: "*"):
// "Defining database roles to grant to federated users in Amazon Redshift
// Serverless", https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html,
// and its worked example (step 4: "tag:GetResources", "tag:GetTagKeys"),
// https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles-example.html.
var dbRoleTagActions = []string{"tag:GetResources", "tag:GetTagKeys"}

// A CloudWatch alarm publishing to an SNS topic encrypted with a customer
// key: the topic's policy lets cloudwatch.amazonaws.com sns:Publish, the
// key's policy lets it kms:GenerateDataKey* and kms:Decrypt, both with the
// alarm as aws:SourceArn and the account as aws:SourceAccount ("Amazon SNS
// key management", compatibility with AWS services,
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
var alarmPublishActions = []string{"sns:Publish"}
var alarmKeyActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}

// EventBridge Scheduler invoking a Lambda target: lambda:InvokeFunction on the
// function ("Set up the execution role", https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
var schedulerLambdaActions = []string{"lambda:InvokeFunction"}

// The health function reads its own statements' status and results: the
// Data API checks redshift-data:statement-owner-iam-userid against the
// caller ("Authorizing access to the Amazon Redshift Data API",
// https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html), and it
// publishes with cloudwatch:namespace set to the request's namespace
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
var (
	dataAPIReadActions = []string{"redshift-data:DescribeStatement", "redshift-data:GetStatementResult"}
	publishActions     = []string{"cloudwatch:PutMetricData"}
)

// A Kinesis producer: kinesis:PutRecord and PutRecords on the stream ("Example
// producer permissions", https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
var producerStreamActions = []string{"kinesis:PutRecord", "kinesis:PutRecords"}

// Lambda writes a function's logs with its execution role: logs:CreateLogStream
// and logs:PutLogEvents on the function's log group (AWSLambdaBasicExecutionRole;
// CreateLogGroup only when the group does not exist — haina declares it):
// "Sending Lambda function logs to CloudWatch Logs",
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html.
var lambdaLogActions = []string{"logs:CreateLogStream", "logs:PutLogEvents"}

// A function attached to a VPC creates and removes its network interfaces with
// its execution role: ec2:CreateNetworkInterface, DescribeNetworkInterfaces,
// DescribeSubnets, DeleteNetworkInterface, AssignPrivateIpAddresses,
// UnassignPrivateIpAddresses ("Giving Lambda functions access to resources in
// an Amazon VPC", https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
var lambdaVPCActions = []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}

// A Kafka admin client creating topics and fixing their partitions and configs
// over IAM: kafka-cluster:Connect and DescribeCluster on the cluster;
// CreateTopic, DescribeTopic, AlterTopic (more partitions),
// DescribeTopicDynamicConfiguration and AlterTopicDynamicConfiguration on each
// topic ("IAM access control: semantics of actions and resources",
// https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
var topicAdminClusterActions = []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"}
var topicAdminTopicActions = []string{"kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:AlterTopic",
	"kafka-cluster:DescribeTopicDynamicConfiguration", "kafka-cluster:AlterTopicDynamicConfiguration"}

// Firehose with a Kinesis data stream as source: kinesis:DescribeStream,
// GetShardIterator, GetRecords, ListShards on the stream, and kms:Decrypt
// through Kinesis for a customer key ("Grant Firehose access to an Amazon S3
// destination" and "Controlling access with Amazon Data Firehose",
// https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3).
var firehoseSourceActions = []string{"kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"}

// Firehose's S3 destination: bucket-level GetBucketLocation, ListBucket,
// ListBucketMultipartUploads; object-level AbortMultipartUpload, GetObject,
// PutObject; kms:Decrypt and kms:GenerateDataKey through S3 for SSE-KMS
// (same page, #using-iam-s3). With an S3 Bucket Key the encryption context is
// the bucket ARN ("Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
var firehoseBucketActions = []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
var firehoseObjectActions = []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"}
var firehoseLakeKeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}

// Firehose record format conversion reads the table schema: glue:GetTable,
// GetTableVersion, GetTableVersions on the catalog, database and table ("Grant
// Firehose access to AWS Glue for data format conversion",
// https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-glue).
var firehoseGlueActions = []string{"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"}

// Firehose error logging: logs:PutLogEvents on its log stream (same page,
// #using-iam-s3, "logs:PutLogEvents" on log-group:…:log-stream:…).
var firehoseLogActions = []string{"logs:PutLogEvents"}

// Firehose's Redshift destination with Secrets Manager: GetSecretValue on the
// secret and kms:Decrypt through Secrets Manager ("Grant Firehose access to an
// Amazon Redshift destination",
// https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-rs).
var firehoseSecretActions = []string{"secretsmanager:GetSecretValue"}

// CloudWatch Logs delivering a subscription to Firehose: firehose:PutRecord
// and PutRecordBatch on the stream, trust logs.<region>.amazonaws.com with
// aws:SourceArn ("Subscription filters: Example 3: Amazon Data Firehose",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample).
var subscriptionActions = []string{"firehose:PutRecord", "firehose:PutRecordBatch"}

// VPC flow logs publishing to CloudWatch Logs: logs:CreateLogStream,
// PutLogEvents, DescribeLogGroups, DescribeLogStreams; trust
// vpc-flow-logs.amazonaws.com with aws:SourceAccount and aws:SourceArn ("IAM
// role for publishing flow logs to CloudWatch Logs",
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
var flowLogStreamActions = []string{"logs:CreateLogStream", "logs:PutLogEvents"}
var flowLogGroupActions = []string{"logs:DescribeLogStreams"}
var flowLogAccountActions = []string{"logs:DescribeLogGroups"}

// Redshift COPY (an auto-copy job) from S3 with the namespace's role:
// s3:ListBucket and s3:GetObject on the source ("IAM permissions for COPY,
// UNLOAD, and CREATE LIBRARY",
// https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html),
// kms:Decrypt of SSE-KMS objects through S3; and the S3 event integration's
// bucket policy for redshift.amazonaws.com (GetBucketNotification,
// PutBucketNotification, GetBucketLocation) and namespace resource policy
// (redshift:AuthorizeInboundIntegration): "Create an S3 event integration to
// automatically copy files from Amazon S3 buckets",
// https://docs.aws.amazon.com/redshift/latest/dg/loading-data-copy-job.html.
var copyListActions = []string{"s3:ListBucket"}
var copyObjectActions = []string{"s3:GetObject"}
var copyKeyActions = []string{"kms:Decrypt"}
var autoCopyBucketServiceActions = []string{"s3:GetBucketLocation", "s3:GetBucketNotification", "s3:PutBucketNotification"}
var autoCopyNamespaceServiceActions = []string{"redshift:AuthorizeInboundIntegration"}

// Trust documents.
const (
	docRedshiftTrust = "Authorizing Amazon Redshift to access AWS services on your behalf, https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service.html"
	docConnectTrust  = "Understand service execution role (trust with aws:SourceAccount, aws:SourceArn), https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-service-execution-role.html"
	docSchedTrust    = "Set up the execution role (scheduler.amazonaws.com, aws:SourceAccount), https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role"
	docLambdaTrust   = "Defining Lambda function permissions with an execution role, https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
	docFirehoseTrust = "Allow Firehose to assume an IAM role (sts:ExternalId = account ID), https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role"
	docLogsTrust     = "Subscription filters, Example 3: Amazon Data Firehose (aws:SourceArn), https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample"
	docFlowLogTrust  = "IAM role for publishing flow logs to CloudWatch Logs (aws:SourceAccount, aws:SourceArn), https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"
)

// listDocs is the AWS document of each call list, quoted in failures.
var listDocs = map[string]string{
	"redshiftKinesisStreamActions":    "https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html",
	"redshiftKinesisAccountActions":   "https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html",
	"kinesisConsumerKeyActions":       "https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html",
	"kinesisProducerKeyActions":       "https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html",
	"redshiftMSKClusterActions":       "https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started-MSK.html",
	"redshiftMSKTopicActions":         "https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started-MSK.html",
	"redshiftMSKBrokerLookupActions":  "https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started-MSK.html",
	"redshiftMSKGroupActions":         "https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html",
	"connectClusterActions":           "https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-service-execution-role.html",
	"connectWrittenTopicActions":      "https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-service-execution-role.html",
	"connectReadWrittenTopicActions":  "https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-service-execution-role.html",
	"connectGroupActions":             "https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-service-execution-role.html",
	"secretReadActions":               "https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-config-provider.html",
	"secretKeyActions":                "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
	"dataAPIActions":                  "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html",
	"dataAPIClusterActions":           "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html",
	"alarmPublishActions":             "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
	"alarmKeyActions":                 "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
	"clusterCredentialActions":        "https://docs.aws.amazon.com/redshift/latest/mgmt/generating-iam-credentials-role-permissions.html",
	"dbRoleTagActions":                "https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html",
	"schedulerLambdaActions":          "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role",
	"dataAPIReadActions":              "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html",
	"publishActions":                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html",
	"producerStreamActions":           "https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html",
	"lambdaLogActions":                "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
	"lambdaVPCActions":                "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions",
	"topicAdminClusterActions":        "https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html",
	"topicAdminTopicActions":          "https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html",
	"firehoseSourceActions":           "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3",
	"firehoseBucketActions":           "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3",
	"firehoseObjectActions":           "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3",
	"firehoseLakeKeyActions":          "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3",
	"firehoseGlueActions":             "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-glue",
	"firehoseLogActions":              "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3",
	"firehoseSecretActions":           "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-rs",
	"subscriptionActions":             "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample",
	"flowLogStreamActions":            "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
	"flowLogGroupActions":             "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
	"flowLogAccountActions":           "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
	"copyListActions":                 "https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html",
	"copyObjectActions":               "https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html",
	"copyKeyActions":                  "https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html",
	"autoCopyBucketServiceActions":    "https://docs.aws.amazon.com/redshift/latest/dg/loading-data-copy-job.html",
	"autoCopyNamespaceServiceActions": "https://docs.aws.amazon.com/redshift/latest/dg/loading-data-copy-job.html",
}

// doc names a call list and its document.
func doc(list string) string {
	u, ok := listDocs[list]
	if !ok {
		panic("iameval: no document for call list " + list)
	}
	return list + ", " + u
}

// resourceLessActions have no resource type: a grant of them must say "*".
// The Data API's statement actions and PutMetricData list no resource type
// in the Service Authorization Reference (Amazon Redshift Data API,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html;
// Amazon CloudWatch, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
var resourceLessActions = map[string]bool{
	"kinesis:liststreams": true, "tag:getresources": true, "tag:gettagkeys": true, "logs:describeloggroups": true,
	"redshift-data:describestatement": true, "redshift-data:getstatementresult": true, "cloudwatch:putmetricdata": true,
}

// ExecuteStatementTarget is EventBridge Scheduler's universal target for the Data API.
const ExecuteStatementTarget = "arn:aws:scheduler:::aws-sdk:redshiftdata:executeStatement"

// calls builds one call per action on one resource.
func calls(actions []string, resource string, ctx Context) []Call {
	out := make([]Call, 0, len(actions))
	for _, a := range actions {
		out = append(out, Call{Action: a, Resource: resource, Context: ctx})
	}
	return out
}

func (s *Stack) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, s.Region, s.Account, resource)
}

// streamKey returns a Kinesis stream's customer key ARN ("" for the AWS managed key).
func (s *Stack) streamKey(streamArn string) string {
	st, ok := s.find(tStream, "arn", streamArn)
	if !ok {
		return ""
	}
	if k := str(st.State, "kmsKeyId"); strings.HasPrefix(k, "arn:aws:kms:") && strings.Contains(k, ":key/") {
		return k
	}
	return ""
}

// kinesisKeyContext is what Kinesis sends to KMS for a stream.
func (s *Stack) kinesisKeyContext(streamArn string) Context {
	return Context{"kms:ViaService": {"kinesis." + s.Region + ".amazonaws.com"}, "kms:EncryptionContext:aws:kinesis:arn": {streamArn}}
}

func (s *Stack) redshiftTrust() []TrustCheck {
	ctx := Context{"aws:SourceAccount": {s.Account}}
	return []TrustCheck{
		{Service: "redshift.amazonaws.com", Context: ctx, Doc: docRedshiftTrust},
		{Service: "redshift-serverless.amazonaws.com", Context: ctx, Doc: docRedshiftTrust},
	}
}

// Paths resolves every data path of the stack to concrete ARNs. A path whose
// resources cannot be resolved is an error: nothing is skipped silently.
func (s *Stack) Paths() ([]Path, error) {
	var paths []Path
	for _, build := range []func() ([]Path, error){
		s.redshiftKinesisPaths, s.redshiftMSKPaths, s.autoCopyPaths, s.connectorPaths, s.schedulePaths,
		s.lambdaPaths, s.firehosePaths, s.subscriptionPaths, s.flowLogPaths, s.alarmPaths,
	} {
		ps, err := build()
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	return paths, nil
}

// namespaceRole is the role SQL's IAM_ROLE default names.
func (s *Stack) namespaceRoles() []string {
	var out []string
	for _, ns := range append(s.OfType(tNamespace), s.OfType(tCluster)...) { // a cluster names its default role itself
		if r := str(ns.State, "defaultIamRoleArn"); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func (s *Stack) redshiftKinesisPaths() ([]Path, error) {
	var paths []Path
	for _, roleArn := range s.namespaceRoles() {
		for _, st := range s.OfType(tStream) {
			arn := str(st.State, "arn")
			p := Path{Name: "Redshift → Kinesis " + arn, RoleArn: roleArn, Trust: s.redshiftTrust(), Calls: []CallList{
				{Doc: doc("redshiftKinesisStreamActions"), Calls: calls(redshiftKinesisStreamActions, arn, nil)},
				{Doc: doc("redshiftKinesisAccountActions"), Calls: calls(redshiftKinesisAccountActions, "*", nil)},
			}}
			if key := s.streamKey(arn); key != "" {
				p.Calls = append(p.Calls, CallList{Doc: doc("kinesisConsumerKeyActions"), Calls: calls(kinesisConsumerKeyActions, key, s.kinesisKeyContext(arn))})
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// cluster is an MSK cluster's ARN, name and UUID.
type cluster struct{ arn, name, uuid, brokers string }

func (s *Stack) clusters() []cluster {
	var out []cluster
	for _, r := range append(s.OfType(tMSK), s.OfType(tMSKServerless)...) {
		c := cluster{arn: str(r.State, "arn"), name: str(r.State, "clusterName"), uuid: str(r.State, "clusterUuid"), brokers: str(r.State, "bootstrapBrokersSaslIam")}
		out = append(out, c)
	}
	return out
}

// resource is the ARN of a topic or group of the cluster:
// arn:aws:kafka:<region>:<account>:<kind>/<clusterName>/<clusterUuid>/<name>
// ("Authorization policy resources", https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
func (c cluster) resource(kind, name string) string {
	i := strings.Index(c.arn, ":cluster/")
	if i < 0 {
		return ""
	}
	return c.arn[:i] + ":" + kind + "/" + c.name + "/" + c.uuid + "/" + name
}

// topicUnsafe are characters Debezium replaces with _ in topic names.
var topicUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// connectorTopics are the change topics a Debezium connector writes:
// <topic.prefix>.<database>.<table> for each table of table.include.list
// (written as escaped regular expressions), with characters Kafka does not
// allow replaced by _ (Debezium MySQL connector, "Topic names").
func connectorTopics(cfg map[string]any) ([]string, error) {
	prefix, _ := cfg["topic.prefix"].(string)
	list, _ := cfg["table.include.list"].(string)
	if prefix == "" || list == "" {
		return nil, fmt.Errorf("connector configuration has no topic.prefix or table.include.list")
	}
	var out []string
	for _, t := range strings.Split(list, ",") {
		t = strings.ReplaceAll(strings.TrimSpace(t), `\`, "")
		out = append(out, topicUnsafe.ReplaceAllString(prefix+"."+t, "_"))
	}
	sort.Strings(out)
	return out, nil
}

// connectorCluster is the cluster a connector connects to.
func (s *Stack) connectorCluster(conn Resource) (cluster, error) {
	cs := s.clusters()
	brokers := str(conn.State, "kafkaCluster", "apacheKafkaCluster", "bootstrapServers")
	for _, c := range cs {
		if c.brokers != "" && c.brokers == brokers {
			return c, nil
		}
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	return cluster{}, fmt.Errorf("connector %s: cannot tell which of %d MSK clusters it uses", conn.Name, len(cs))
}

func (s *Stack) redshiftMSKPaths() ([]Path, error) {
	var paths []Path
	conns := s.OfType(tConnector)
	if len(s.clusters()) == 0 || len(conns) == 0 {
		return nil, nil
	}
	for _, roleArn := range s.namespaceRoles() {
		for _, conn := range conns {
			c, err := s.connectorCluster(conn)
			if err != nil {
				return nil, err
			}
			cfg, _ := get(conn.State, "connectorConfiguration").(map[string]any)
			topics, err := connectorTopics(cfg)
			if err != nil {
				return nil, fmt.Errorf("connector %s: %w", conn.Name, err)
			}
			p := Path{Name: "Redshift → MSK " + c.arn, RoleArn: roleArn, Trust: s.redshiftTrust(), Calls: []CallList{
				{Doc: doc("redshiftMSKClusterActions"), Calls: calls(redshiftMSKClusterActions, c.arn, nil)},
				{Doc: doc("redshiftMSKGroupActions"), Calls: calls(redshiftMSKGroupActions, c.resource("group", "*"), nil)},
			}}
			for _, t := range topics {
				p.Calls = append(p.Calls, CallList{Doc: doc("redshiftMSKTopicActions"), Calls: calls(redshiftMSKTopicActions, c.resource("topic", t), nil)})
			}
			if s.schemaFromMSK() {
				p.Calls = append(p.Calls, CallList{Doc: doc("redshiftMSKBrokerLookupActions"), Calls: calls(redshiftMSKBrokerLookupActions, c.arn, nil)})
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

var fromMSK = regexp.MustCompile(`(?is)\bCREATE\s+EXTERNAL\s+SCHEMA\b.*?\bFROM\s+MSK\b`)

// schemaFromMSK reports whether a SQL object of the stack creates an external
// schema FROM MSK (Redshift then looks the brokers up by the cluster's ARN).
func (s *Stack) schemaFromMSK() bool {
	for _, r := range s.Resources {
		if strings.HasSuffix(r.Type, ":SqlObject") {
			for _, text := range stringsIn(r.State) {
				if fromMSK.MatchString(text) {
					return true
				}
			}
		}
	}
	return false
}

// bucketKey is a bucket's default SSE-KMS key, if the stack declares one.
func (s *Stack) bucketKey(bucket string) string {
	for _, r := range s.OfType(tBucketSSE) {
		if str(r.State, "bucket") == bucket {
			return str(r.State, "rules", "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
		}
	}
	return ""
}

func (s *Stack) s3KeyContext(bucket string) Context {
	return Context{"kms:ViaService": {"s3." + s.Region + ".amazonaws.com"}, "kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::" + bucket}}
}

// stringsIn collects every string in a state value.
func stringsIn(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, stringsIn(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, k := range sortedKeys(t) {
			out = append(out, stringsIn(t[k])...)
		}
		return out
	}
	return nil
}

var copyFrom = regexp.MustCompile(`(?i)\bFROM\s+'s3://([^/']+)/([^']*)'`)

// autoCopyPaths: an S3 event integration into a namespace, and the COPY JOBs
// (SQL objects) that load its prefixes with the namespace's default role.
func (s *Stack) autoCopyPaths() ([]Path, error) {
	var paths []Path
	for _, integ := range s.OfType(tIntegration) {
		src, target, integArn := str(integ.State, "sourceArn"), str(integ.State, "targetArn"), str(integ.State, "arn")
		bucket := strings.TrimPrefix(src, "arn:aws:s3:::")
		ns, ok := s.find(tNamespace, "arn", target)
		if !ok {
			return nil, fmt.Errorf("integration %s: target %s is not a namespace of the stack", integ.Name, target)
		}
		roleArn := str(ns.State, "defaultIamRoleArn")
		p := Path{Name: "Redshift auto-copy ← S3 " + src, RoleArn: roleArn, Trust: s.redshiftTrust()}
		// The prefixes the COPY JOBs read.
		var prefixes []string
		for _, r := range s.Resources {
			if !strings.HasSuffix(r.Type, ":SqlObject") {
				continue
			}
			for _, text := range stringsIn(r.State) {
				for _, m := range copyFrom.FindAllStringSubmatch(text, -1) {
					if m[1] == bucket && !contains(prefixes, m[2]) {
						prefixes = append(prefixes, m[2])
					}
				}
			}
		}
		if len(prefixes) == 0 {
			return nil, fmt.Errorf("integration %s: no COPY JOB reads s3://%s", integ.Name, bucket)
		}
		key := s.bucketKey(bucket)
		for _, prefix := range prefixes {
			p.Calls = append(p.Calls,
				CallList{Doc: doc("copyListActions"), Calls: calls(copyListActions, src, Context{"s3:prefix": {prefix}})},
				CallList{Doc: doc("copyObjectActions"), Calls: calls(copyObjectActions, src+"/"+prefix+"2025/01/02/03/haina-1-2025-01-02-03-00-00-x.gz", nil)})
		}
		if key != "" {
			p.Calls = append(p.Calls, CallList{Doc: doc("copyKeyActions"), Calls: calls(copyKeyActions, key, s.s3KeyContext(bucket))})
		}
		svcCtx := Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {integArn}}
		for _, c := range calls(autoCopyBucketServiceActions, src, svcCtx) {
			p.ServiceCalls = append(p.ServiceCalls, ServiceCall{Service: "redshift.amazonaws.com", Call: c, Doc: doc("autoCopyBucketServiceActions")})
		}
		for _, c := range calls(autoCopyNamespaceServiceActions, target, Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {src}}) {
			p.ServiceCalls = append(p.ServiceCalls, ServiceCall{Service: "redshift.amazonaws.com", Call: c, Doc: doc("autoCopyNamespaceServiceActions")})
		}
		paths = append(paths, p)
	}
	return paths, nil
}

var secretRef = regexp.MustCompile(`^\$\{secretsmanager:([^:}]+):[^}]*\}$`)

func (s *Stack) connectorPaths() ([]Path, error) {
	var paths []Path
	for _, conn := range s.OfType(tConnector) {
		c, err := s.connectorCluster(conn)
		if err != nil {
			return nil, err
		}
		connArn, name := str(conn.State, "arn"), str(conn.State, "name")
		cfg, _ := get(conn.State, "connectorConfiguration").(map[string]any)
		topics, err := connectorTopics(cfg)
		if err != nil {
			return nil, fmt.Errorf("connector %s: %w", conn.Name, err)
		}
		p := Path{Name: "MSK Connect " + name + " → MSK, Secrets Manager, KMS", RoleArn: str(conn.State, "serviceExecutionRoleArn"),
			Trust: []TrustCheck{{Service: "kafkaconnect.amazonaws.com", Doc: docConnectTrust,
				Context: Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {connArn}}, Guards: []string{"aws:SourceAccount", "aws:SourceArn"}}},
			Calls: []CallList{{Doc: doc("connectClusterActions"), Calls: calls(connectClusterActions, c.arn, nil)}}}
		for _, t := range topics {
			p.Calls = append(p.Calls, CallList{Doc: doc("connectWrittenTopicActions"), Calls: calls(connectWrittenTopicActions, c.resource("topic", t), nil)})
		}
		// Topics the connector reads and writes: Debezium's schema history, and
		// MSK Connect's offsets (the worker configuration's offset.storage.topic),
		// status and configs topics (__amazon_msk_connect_<kind>_<name>_<id>).
		id := connArn[strings.LastIndex(connArn, "/")+1:]
		rw := []string{
			"__amazon_msk_connect_status_" + name + "_" + id, "__amazon_msk_connect_configs_" + name + "_" + id,
		}
		if h, _ := cfg["schema.history.internal.kafka.topic"].(string); h != "" {
			rw = append(rw, h)
		}
		wc, ok := s.find(tWorkerConfig, "arn", str(conn.State, "workerConfiguration", "arn"))
		if !ok {
			return nil, fmt.Errorf("connector %s: its worker configuration is not in the stack", conn.Name)
		}
		for _, line := range strings.Split(str(wc.State, "propertiesFileContent"), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "offset.storage.topic" {
				rw = append(rw, strings.TrimSpace(v))
			}
		}
		for _, t := range rw {
			p.Calls = append(p.Calls, CallList{Doc: doc("connectReadWrittenTopicActions"), Calls: calls(connectReadWrittenTopicActions, c.resource("topic", t), nil)})
		}
		groups := []string{"__amazon_msk_connect_cluster_" + name + "_" + id}
		if g, _ := cfg["schema.history.internal.consumer.group.id"].(string); g != "" {
			groups = append(groups, g)
		}
		for _, g := range groups {
			p.Calls = append(p.Calls, CallList{Doc: doc("connectGroupActions"), Calls: calls(connectGroupActions, c.resource("group", g), nil)})
		}
		// The secrets the configuration names through the config provider.
		seen := map[string]bool{}
		for _, k := range sortedKeys(cfg) {
			v, _ := cfg[k].(string)
			m := secretRef.FindStringSubmatch(v)
			if m == nil || seen[m[1]] {
				continue
			}
			seen[m[1]] = true
			sec, ok := s.find(tSecret, "name", m[1])
			if !ok {
				return nil, fmt.Errorf("connector %s: secret %q is not declared in the stack", conn.Name, m[1])
			}
			secArn := str(sec.State, "arn")
			p.Calls = append(p.Calls, CallList{Doc: doc("secretReadActions"), Calls: calls(secretReadActions, secArn, nil)})
			if key := str(sec.State, "kmsKeyId"); key != "" {
				p.Calls = append(p.Calls, CallList{Doc: doc("secretKeyActions"), Calls: calls(secretKeyActions, key, Context{
					"kms:ViaService": {"secretsmanager." + s.Region + ".amazonaws.com"}, "kms:EncryptionContext:SecretARN": {secArn},
				})})
			}
		}
		if len(seen) == 0 {
			return nil, fmt.Errorf("connector %s: no ${secretsmanager:…} reference in its configuration", conn.Name)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func (s *Stack) schedulePaths() ([]Path, error) {
	var paths []Path
	for _, sch := range s.OfType(tSchedule) {
		target, roleArn := str(sch.State, "target", "arn"), str(sch.State, "target", "roleArn")
		group := str(sch.State, "groupName")
		if group == "" {
			group = "default"
		}
		trust := []TrustCheck{{Service: "scheduler.amazonaws.com", Doc: docSchedTrust, Guards: []string{"aws:SourceAccount"},
			Context: Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {s.arn("scheduler", "schedule-group/"+group)}}}}
		name := "EventBridge Scheduler " + group + "/" + str(sch.State, "name")
		switch {
		case target == ExecuteStatementTarget:
			var in struct{ WorkgroupName, ClusterIdentifier, DbUser, Database string }
			if err := json.Unmarshal([]byte(str(sch.State, "target", "input")), &in); err != nil || (in.WorkgroupName == "") == (in.ClusterIdentifier == "") {
				return nil, fmt.Errorf("schedule %s: target input names neither a WorkgroupName nor a ClusterIdentifier (%v)", sch.Name, err)
			}
			lists, suffix, err := s.dataAPICalls(roleArn, in.WorkgroupName, in.ClusterIdentifier, in.DbUser, in.Database)
			if err != nil {
				return nil, fmt.Errorf("schedule %s: %w", sch.Name, err)
			}
			paths = append(paths, Path{Name: name + " → Redshift Data API" + suffix, RoleArn: roleArn, Trust: trust, Calls: lists})
		case arnPart(target, 2) == "lambda":
			paths = append(paths, Path{Name: name + " → Lambda", RoleArn: roleArn, Trust: trust, Calls: []CallList{
				{Doc: doc("schedulerLambdaActions"), Calls: calls(schedulerLambdaActions, target, nil)},
			}})
		default:
			return nil, fmt.Errorf("schedule %s: target %s is not a modelled data path", sch.Name, target)
		}
	}
	return paths, nil
}

// dataAPICalls are the calls of a role running statements through the Data
// API on a workgroup, or on a cluster as a database user.
func (s *Stack) dataAPICalls(roleArn, workgroup, clusterID, dbUser, database string) ([]CallList, string, error) {
	if clusterID != "" {
		cl, ok := s.find(tCluster, "clusterIdentifier", clusterID)
		if !ok || dbUser == "" {
			return nil, "", fmt.Errorf("cluster %s is not in the stack, or no DbUser is named", clusterID)
		}
		creds := s.arn("redshift", "dbuser:"+clusterID+"/"+dbUser)
		db := s.arn("redshift", "dbname:"+clusterID+"/"+database)
		return []CallList{
			{Doc: doc("dataAPIClusterActions"), Calls: calls(dataAPIClusterActions, str(cl.State, "arn"), nil)},
			{Doc: doc("clusterCredentialActions"), Calls: append(calls(clusterCredentialActions, creds, nil), calls(clusterCredentialActions, db, nil)...)},
		}, " (cluster)", nil
	}
	wg, ok := s.find(tWorkgroup, "workgroupName", workgroup)
	if !ok {
		return nil, "", fmt.Errorf("workgroup %s is not in the stack", workgroup)
	}
	lists := []CallList{{Doc: doc("dataAPIActions"), Calls: calls(dataAPIActions, str(wg.State, "arn"), nil)}}
	if role := s.Roles[roleArn]; role != nil && role.Tags["RedshiftDbRoles"] != "" {
		lists = append(lists, CallList{Doc: doc("dbRoleTagActions"), Calls: calls(dbRoleTagActions, "*", nil)})
	}
	return lists, "", nil
}

// alarmPaths: each alarm's actions publish to a topic of the stack through
// its key, as CloudWatch does on the alarm's behalf.
func (s *Stack) alarmPaths() ([]Path, error) {
	var paths []Path
	seen := map[string]bool{}
	for _, a := range s.OfType(tAlarm) {
		alarmArn := s.arn("cloudwatch", "alarm:"+str(a.State, "name"))
		for _, action := range strs(a.State, "alarmActions") {
			if seen[action] {
				continue
			}
			seen[action] = true
			topic, ok := s.find(tTopic, "arn", action)
			if !ok {
				return nil, fmt.Errorf("alarm %s: action %s is not a topic of the stack", a.Name, action)
			}
			ctx := Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {alarmArn}}
			p := Path{Name: "CloudWatch alarms → SNS " + action}
			for _, c := range calls(alarmPublishActions, action, ctx) {
				p.ServiceCalls = append(p.ServiceCalls, ServiceCall{Service: "cloudwatch.amazonaws.com", Call: c, Doc: doc("alarmPublishActions")})
			}
			if key := str(topic.State, "kmsMasterKeyId"); key != "" {
				for _, c := range calls(alarmKeyActions, key, ctx) {
					p.ServiceCalls = append(p.ServiceCalls, ServiceCall{Service: "cloudwatch.amazonaws.com", Call: c, Doc: doc("alarmKeyActions")})
				}
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// logStream is a log stream's ARN.
func (s *Stack) logStream(group, stream string) string {
	return s.arn("logs", "log-group:"+group+":log-stream:"+stream)
}

func (s *Stack) lambdaPaths() ([]Path, error) {
	var paths []Path
	for _, fn := range s.OfType(tFunction) {
		name := str(fn.State, "name")
		group := str(fn.State, "loggingConfig", "logGroup")
		if group == "" {
			group = "/aws/lambda/" + name
		}
		p := Path{Name: "Lambda " + name + " → Kinesis, CloudWatch Logs", RoleArn: str(fn.State, "role"),
			Trust: []TrustCheck{{Service: "lambda.amazonaws.com", Doc: docLambdaTrust, Context: Context{"aws:SourceAccount": {s.Account}}}},
			Calls: []CallList{{Doc: doc("lambdaLogActions"), Calls: calls(lambdaLogActions, s.logStream(group, "2025/01/02/[$LATEST]0123456789abcdef0123456789abcdef"), nil)}}}
		if len(strs(fn.State, "vpcConfig", "subnetIds")) > 0 {
			p.Name = "Lambda " + name + " (in the VPC) → MSK, CloudWatch Logs"
			p.Calls = append(p.Calls, CallList{Doc: doc("lambdaVPCActions"), Calls: calls(lambdaVPCActions, "*", nil)})
			calls, err := s.topicAdminCalls(str(fn.State, "name"))
			if err != nil {
				return nil, err
			}
			p.Calls = append(p.Calls, calls...)
		}
		if env := func(k string) string { return str(fn.State, "environment", "variables", k) }; env("CALL_SQL") != "" {
			// The health function: the call and its checks through the Data
			// API, its own statements read back, metrics to namespace Haina.
			lists, suffix, err := s.dataAPICalls(p.RoleArn, env("WORKGROUP_NAME"), env("CLUSTER_IDENTIFIER"), env("DB_USER"), env("DATABASE"))
			if err != nil {
				return nil, fmt.Errorf("function %s: %w", name, err)
			}
			p.Name = "Lambda " + name + " → Redshift Data API" + suffix + ", CloudWatch, CloudWatch Logs"
			// A role session's aws:userid is "<role id>:<session name>"
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
			self := "AROAHAINAHEALTHEXAMPLE:" + name
			own := Context{"aws:userid": {self}, "redshift-data:statement-owner-iam-userid": {self}}
			other := Context{"aws:userid": {self}, "redshift-data:statement-owner-iam-userid": {"AROAANOTHERROLEEXAMPLE:someone"}}
			p.Calls = append(p.Calls, lists...)
			p.Calls = append(p.Calls,
				CallList{Doc: doc("dataAPIReadActions"), Calls: calls(dataAPIReadActions, "*", own)},
				CallList{Doc: doc("publishActions"), Calls: calls(publishActions, "*", Context{"cloudwatch:namespace": {"Haina"}})})
			p.Denied = append(p.Denied,
				CallList{Doc: doc("dataAPIReadActions"), Calls: calls(dataAPIReadActions, "*", other)},
				CallList{Doc: doc("publishActions"), Calls: calls(publishActions, "*", Context{"cloudwatch:namespace": {"AWS/Kinesis"}})})
		}
		if stream := str(fn.State, "environment", "variables", "STREAM"); stream != "" {
			if _, ok := s.find(tStream, "arn", stream); !ok {
				return nil, fmt.Errorf("function %s: STREAM %s is not a stream of the stack", name, stream)
			}
			p.Calls = append(p.Calls, CallList{Doc: doc("producerStreamActions"), Calls: calls(producerStreamActions, stream, nil)})
			if key := s.streamKey(stream); key != "" {
				p.Calls = append(p.Calls, CallList{Doc: doc("kinesisProducerKeyActions"), Calls: calls(kinesisProducerKeyActions, key, s.kinesisKeyContext(stream))})
			}
		}
		paths = append(paths, p)
	}
	return paths, nil
}

var firehoseExpr = regexp.MustCompile(`!\{([^}]*)\}`)

// objectKey is a key Firehose writes under a prefix with expressions
// (!{timestamp:…}, !{firehose:…}), or under its default YYYY/MM/dd/HH/.
func objectKey(prefix string) string {
	if prefix == "" {
		prefix = "2025/01/02/03/"
	}
	k := firehoseExpr.ReplaceAllStringFunc(prefix, func(e string) string {
		switch e[2 : len(e)-1] {
		case "timestamp:yyyy":
			return "2025"
		case "timestamp:MM":
			return "01"
		case "timestamp:dd":
			return "02"
		case "timestamp:HH":
			return "03"
		case "firehose:error-output-type":
			return "processing-failed"
		}
		return "x"
	})
	return k + "haina-1-2025-01-02-03-00-00-0123abcd.gz"
}

func (s *Stack) firehosePaths() ([]Path, error) {
	var paths []Path
	for _, fh := range s.OfType(tFirehose) {
		arn, name := str(fh.State, "arn"), str(fh.State, "name")
		dest := get(fh.State, "extendedS3Configuration")
		var s3cfg map[string]any
		var secretArn string
		logGroup, logStream := "", ""
		if m, ok := dest.(map[string]any); ok && len(m) > 0 {
			s3cfg = m
			logGroup, logStream = str(m, "cloudwatchLoggingOptions", "logGroupName"), str(m, "cloudwatchLoggingOptions", "logStreamName")
		} else if rs, ok := get(fh.State, "redshiftConfiguration").(map[string]any); ok && len(rs) > 0 {
			s3cfg, _ = get(rs, "s3Configuration").(map[string]any)
			logGroup, logStream = str(rs, "cloudwatchLoggingOptions", "logGroupName"), str(rs, "cloudwatchLoggingOptions", "logStreamName")
			if boolean(rs, "secretsManagerConfiguration", "enabled") {
				secretArn = str(rs, "secretsManagerConfiguration", "secretArn")
			}
		}
		if s3cfg == nil {
			return nil, fmt.Errorf("delivery stream %s: no S3 or Redshift destination to model", name)
		}
		// Source record backup (extended S3 only): Firehose writes every source
		// record under the backup's prefix too, with the same role ("Back up
		// source records", https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-source-record-backup.html).
		var backup map[string]any
		if str(s3cfg, "s3BackupMode") == "Enabled" {
			if backup, _ = get(s3cfg, "s3BackupConfiguration").(map[string]any); len(backup) == 0 {
				return nil, fmt.Errorf("delivery stream %s: s3BackupMode Enabled without s3BackupConfiguration", name)
			}
		}
		roles := map[string]bool{}
		for _, r := range []string{str(fh.State, "kinesisSourceConfiguration", "roleArn"), str(s3cfg, "roleArn"), str(backup, "roleArn"),
			str(fh.State, "redshiftConfiguration", "roleArn"), str(s3cfg, "dataFormatConversionConfiguration", "schemaConfiguration", "roleArn")} {
			if r != "" {
				roles[r] = true
			}
		}
		if len(roles) != 1 {
			return nil, fmt.Errorf("delivery stream %s: expected one role, found %v", name, sortedKeys(roles))
		}
		p := Path{Name: "Firehose " + name + " → Kinesis, S3, Glue, KMS, CloudWatch Logs", RoleArn: sortedKeys(roles)[0],
			Trust: []TrustCheck{{Service: "firehose.amazonaws.com", Doc: docFirehoseTrust, Guards: []string{"sts:ExternalId"},
				Context: Context{"sts:ExternalId": {s.Account}, "aws:SourceAccount": {s.Account}, "aws:SourceArn": {arn}}}}}
		if src := str(fh.State, "kinesisSourceConfiguration", "kinesisStreamArn"); src != "" {
			p.Calls = append(p.Calls, CallList{Doc: doc("firehoseSourceActions"), Calls: calls(firehoseSourceActions, src, nil)})
			if key := s.streamKey(src); key != "" {
				p.Calls = append(p.Calls, CallList{Doc: doc("kinesisConsumerKeyActions"), Calls: calls(kinesisConsumerKeyActions, key, s.kinesisKeyContext(src))})
			}
		}
		bucketArn := str(s3cfg, "bucketArn")
		bucket := strings.TrimPrefix(bucketArn, "arn:aws:s3:::")
		p.Calls = append(p.Calls, CallList{Doc: doc("firehoseBucketActions"), Calls: calls(firehoseBucketActions, bucketArn, nil)})
		for _, prefix := range []string{str(s3cfg, "prefix"), str(s3cfg, "errorOutputPrefix")} {
			p.Calls = append(p.Calls, CallList{Doc: doc("firehoseObjectActions"), Calls: calls(firehoseObjectActions, bucketArn+"/"+objectKey(prefix), nil)})
		}
		key := str(s3cfg, "kmsKeyArn")
		if key == "" {
			key = s.bucketKey(bucket)
		}
		if key != "" {
			p.Calls = append(p.Calls, CallList{Doc: doc("firehoseLakeKeyActions"), Calls: calls(firehoseLakeKeyActions, key, s.s3KeyContext(bucket))})
		}
		if backup != nil {
			bArn := str(backup, "bucketArn")
			bBucket := strings.TrimPrefix(bArn, "arn:aws:s3:::")
			if bArn != bucketArn {
				p.Calls = append(p.Calls, CallList{Doc: doc("firehoseBucketActions"), Calls: calls(firehoseBucketActions, bArn, nil)})
			}
			for _, prefix := range []string{str(backup, "prefix"), str(backup, "errorOutputPrefix")} {
				p.Calls = append(p.Calls, CallList{Doc: doc("firehoseObjectActions"), Calls: calls(firehoseObjectActions, bArn+"/"+objectKey(prefix), nil)})
			}
			bKey := str(backup, "kmsKeyArn")
			if bKey == "" {
				bKey = s.bucketKey(bBucket)
			}
			if bKey != "" && (bKey != key || bBucket != bucket) {
				p.Calls = append(p.Calls, CallList{Doc: doc("firehoseLakeKeyActions"), Calls: calls(firehoseLakeKeyActions, bKey, s.s3KeyContext(bBucket))})
			}
			if g := str(backup, "cloudwatchLoggingOptions", "logGroupName"); boolean(backup, "cloudwatchLoggingOptions", "enabled") && g != "" {
				p.Calls = append(p.Calls, CallList{Doc: doc("firehoseLogActions"),
					Calls: calls(firehoseLogActions, s.logStream(g, str(backup, "cloudwatchLoggingOptions", "logStreamName")), nil)})
			}
		}
		if boolean(s3cfg, "dataFormatConversionConfiguration", "enabled") {
			sc, _ := get(s3cfg, "dataFormatConversionConfiguration", "schemaConfiguration").(map[string]any)
			db, table := str(sc, "databaseName"), str(sc, "tableName")
			for _, r := range []string{s.arn("glue", "catalog"), s.arn("glue", "database/"+db), s.arn("glue", "table/"+db+"/"+table)} {
				p.Calls = append(p.Calls, CallList{Doc: doc("firehoseGlueActions"), Calls: calls(firehoseGlueActions, r, nil)})
			}
		}
		if logGroup != "" {
			p.Calls = append(p.Calls, CallList{Doc: doc("firehoseLogActions"), Calls: calls(firehoseLogActions, s.logStream(logGroup, logStream), nil)})
		}
		if secretArn != "" {
			p.Calls = append(p.Calls, CallList{Doc: doc("firehoseSecretActions"), Calls: calls(firehoseSecretActions, secretArn, nil)})
			if ns, ok := s.find(tNamespace, "adminPasswordSecretArn", secretArn); ok {
				if key := str(ns.State, "adminPasswordSecretKmsKeyId"); key != "" {
					p.Calls = append(p.Calls, CallList{Doc: doc("secretKeyActions"), Calls: calls(secretKeyActions, key, Context{
						"kms:ViaService": {"secretsmanager." + s.Region + ".amazonaws.com"}, "kms:EncryptionContext:SecretARN": {secretArn},
					})})
				}
			}
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func (s *Stack) subscriptionPaths() ([]Path, error) {
	var paths []Path
	for _, sub := range s.OfType(tSubscription) {
		dest, group := str(sub.State, "destinationArn"), str(sub.State, "logGroup")
		if arnPart(dest, 2) != "firehose" {
			return nil, fmt.Errorf("subscription %s: destination %s is not a modelled data path", sub.Name, dest)
		}
		paths = append(paths, Path{Name: "CloudWatch Logs " + group + " → Firehose", RoleArn: str(sub.State, "roleArn"),
			Trust: []TrustCheck{{Service: "logs." + s.Region + ".amazonaws.com", Doc: docLogsTrust, Guards: []string{"aws:SourceArn"},
				Context: Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {s.arn("logs", "log-group:"+group+":*")}}}},
			Calls: []CallList{{Doc: doc("subscriptionActions"), Calls: calls(subscriptionActions, dest, nil)}}})
	}
	return paths, nil
}

func (s *Stack) flowLogPaths() ([]Path, error) {
	var paths []Path
	for _, fl := range s.OfType(tFlowLog) {
		if t := str(fl.State, "logDestinationType"); t != "cloud-watch-logs" && t != "" {
			continue // S3 and Firehose destinations use no role of the stack
		}
		groupArn := strings.TrimSuffix(str(fl.State, "logDestination"), ":*")
		group := strings.TrimPrefix(arnPart(groupArn, 5), "log-group:")
		if group == "" {
			return nil, fmt.Errorf("flow log %s: no log group destination", fl.Name)
		}
		paths = append(paths, Path{Name: "VPC flow log " + str(fl.State, "arn") + " → CloudWatch Logs", RoleArn: str(fl.State, "iamRoleArn"),
			Trust: []TrustCheck{{Service: "vpc-flow-logs.amazonaws.com", Doc: docFlowLogTrust, Guards: []string{"aws:SourceAccount", "aws:SourceArn"},
				Context: Context{"aws:SourceAccount": {s.Account}, "aws:SourceArn": {str(fl.State, "arn")}}}},
			Calls: []CallList{
				{Doc: doc("flowLogStreamActions"), Calls: calls(flowLogStreamActions, s.logStream(group, "eni-0123456789abcdef0-all"), nil)},
				{Doc: doc("flowLogGroupActions"), Calls: calls(flowLogGroupActions, groupArn+":*", nil)},
				// DescribeLogGroups lists the account's log groups.
				{Doc: doc("flowLogAccountActions"), Calls: calls(flowLogAccountActions, s.arn("logs", "log-group:*"), nil)},
			}})
	}
	return paths, nil
}

// foreign is a value of a guard key from someone else: another account, the
// same ARN in another account, another external id.
func foreign(v string) string {
	const other = "999999999999"
	if len(v) == 12 && strings.Trim(v, "0123456789") == "" {
		return other
	}
	if p := strings.SplitN(v, ":", 6); len(p) == 6 && p[0] == "arn" {
		if p[4] != "" {
			p[4] = other
		} else {
			p[5] += "-" + other
		}
		return strings.Join(p, ":")
	}
	return v + "-" + other
}

// baseContext is what every request a role's session makes carries.
func (s *Stack) baseContext(roleArn string, extra Context) Context {
	ctx := Context{"aws:SecureTransport": {"true"}, "aws:PrincipalArn": {roleArn}, "aws:PrincipalAccount": {s.Account}}
	for k, v := range extra {
		ctx[k] = v
	}
	return ctx
}

// Check evaluates a path: every trust admits the service with AWS's context
// and refuses it with a foreign value of each guard key, and refuses an
// unrelated service; every call is allowed; every allowed call becomes denied
// once its action is removed from every statement naming it (no wildcard
// grants it by accident); no Allow of the role has Resource "*" except for
// actions that have no resource type. It returns the problems found.
func (s *Stack) Check(p Path) []string {
	var probs []string
	add := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	var role *Role
	if p.RoleArn != "" {
		role = s.Roles[p.RoleArn]
		if role == nil {
			return []string{fmt.Sprintf("role %s is not in the stack", p.RoleArn)}
		}
		if len(role.Unknown) > 0 {
			add("role %s has managed policies whose documents are not in the stack, evaluation incomplete: %v", role.Name, role.Unknown)
		}
	}
	for _, t := range p.Trust {
		r, err := EvaluateTrust(role.Trust, t.Service, role.Arn, t.Context)
		if err != nil {
			add("trust of %s for %s: %v", role.Name, t.Service, err)
			continue
		}
		if !r.Allowed() {
			add("trust of %s does not admit %s with the context AWS sends %v (%s): %s", role.Name, t.Service, t.Context, r.Decision, t.Doc)
			continue
		}
		for _, g := range t.Guards {
			ctx := Context{}
			for k, v := range t.Context {
				ctx[k] = v
			}
			vals := t.Context[g]
			if len(vals) != 1 {
				add("trust check for %s: guard %s has no value in the context", t.Service, g)
				continue
			}
			ctx[g] = []string{foreign(vals[0])}
			if r, err := EvaluateTrust(role.Trust, t.Service, role.Arn, ctx); err != nil || r.Allowed() {
				add("trust of %s admits %s with a foreign %s=%s (the documented condition on %s is missing; %s)", role.Name, t.Service, g, ctx[g][0], g, t.Doc)
			}
		}
		if r, err := EvaluateTrust(role.Trust, "unrelated.amazonaws.com", role.Arn, t.Context); err != nil || r.Allowed() {
			add("trust of %s admits any service principal", role.Name)
		}
	}
	if role == nil && len(p.Calls) > 0 {
		return append(probs, "calls without a role")
	}
	for _, cl := range p.Calls {
		for _, c := range cl.Calls {
			res := c.Resource
			req := Request{Caller: Caller{Kind: "AWS", ID: role.Arn, Account: s.Account}, Action: c.Action, Resource: res, Context: s.baseContext(role.Arn, c.Context)}
			if strings.HasPrefix(strings.ToLower(c.Action), "kms:") {
				// KMS adds the caller's account to every request
				// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account).
				req.Context["kms:CallerAccount"] = []string{s.Account}
			}
			rp := s.resourcePolicy(res)
			r, err := s.evaluate(req, role.Policies, rp)
			if err != nil {
				add("%s: %v", c, err)
				continue
			}
			if !r.Allowed() {
				add("%s%s is denied to %s (%s) [%s]", c, withContext(c.Context), role.Name, r.Decision, cl.Doc)
				continue
			}
			// Mutation: without the action named anywhere, the call must be denied.
			var mrp *Policy
			if rp != nil {
				if m := WithoutAction([]*Policy{rp}, c.Action); len(m) == 1 {
					mrp = m[0]
				}
			}
			m, err := s.evaluate(req, WithoutAction(role.Policies, c.Action), mrp)
			if err != nil {
				add("%s (mutated): %v", c, err)
			} else if m.Allowed() {
				add("%s stays allowed after removing %s from every statement naming it: granted by a wildcard in %v", c, c.Action, m.Allows)
			}
		}
	}
	for _, cl := range p.Denied {
		for _, c := range cl.Calls {
			req := Request{Caller: Caller{Kind: "AWS", ID: role.Arn, Account: s.Account}, Action: c.Action, Resource: c.Resource, Context: s.baseContext(role.Arn, c.Context)}
			r, err := s.evaluate(req, role.Policies, s.resourcePolicy(c.Resource))
			if err != nil {
				add("%s: %v", c, err)
			} else if r.Allowed() {
				add("%s%s is allowed to %s, and must not be [%s]", c, withContext(c.Context), role.Name, cl.Doc)
			}
		}
	}
	for _, sc := range p.ServiceCalls {
		rp := s.resourcePolicy(sc.Call.Resource)
		if rp == nil {
			add("%s by %s: %s has no resource policy in the stack [%s]", sc.Call, sc.Service, sc.Call.Resource, sc.Doc)
			continue
		}
		ctx := Context{"aws:SecureTransport": {"true"}}
		for k, v := range sc.Call.Context {
			ctx[k] = v
		}
		r, err := EvaluateResourcePolicy(rp, sc.Service, sc.Call.Action, sc.Call.Resource, ctx)
		if err != nil {
			add("%s by %s: %v", sc.Call, sc.Service, err)
			continue
		}
		if !r.Allowed() {
			add("%s by %s%s is denied by %s (%s) [%s]", sc.Call, sc.Service, withContext(sc.Call.Context), rp.Name, r.Decision, sc.Doc)
			continue
		}
		if m := WithoutAction([]*Policy{rp}, sc.Call.Action); len(m) == 1 {
			if r, err := EvaluateResourcePolicy(m[0], sc.Service, sc.Call.Action, sc.Call.Resource, ctx); err == nil && r.Allowed() {
				add("%s by %s stays allowed after removing %s from %s: granted by a wildcard in %v", sc.Call, sc.Service, sc.Call.Action, rp.Name, r.Allows)
			}
		}
	}
	if role != nil {
		for _, pol := range role.Policies {
			if _, ok := awsManagedPolicies[pol.Name]; ok {
				// AWS's own managed policy for the purpose (its "*" grants are
				// AWS's, written down in awsManagedPolicies): haina cannot narrow it.
				continue
			}
			for i, st := range pol.Statements {
				if st.Effect != "Allow" || (!st.HasNotResource && !contains(st.Resource, "*")) {
					continue
				}
				for _, a := range st.Action {
					if !resourceLessActions[strings.ToLower(a)] {
						add("%s statement %d (%s) grants %s on every resource (\"*\"), but it has a resource type", pol.Name, i, st.Sid, a)
					}
				}
			}
		}
	}
	return probs
}

// evaluate decides a role's request: a KMS key's policy is not one more
// resource policy but a precondition for IAM (EvaluateKMS).
func (s *Stack) evaluate(req Request, identity []*Policy, resource *Policy) (Result, error) {
	if arnPart(req.Resource, 2) == "kms" {
		return EvaluateKMS(req, identity, resource)
	}
	return Evaluate(req, identity, resource)
}

func withContext(c Context) string {
	if len(c) == 0 {
		return ""
	}
	return fmt.Sprintf(" with context %v", map[string][]string(c))
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// CheckAll loads a stack's resources and checks every data path and the
// absence of wildcard grants. It returns the problems by path name ("" for
// stack-wide ones) and the paths checked; an error means the stack could not
// be modelled at all.
func CheckAll(resources []Resource) (map[string][]string, []Path, error) {
	s, err := Load(resources)
	if err != nil {
		return nil, nil, err
	}
	paths, err := s.Paths()
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]string{}
	for _, p := range paths {
		if probs := s.Check(p); len(probs) > 0 {
			out[p.Name] = append(out[p.Name], probs...)
		}
	}
	wild, err := s.WildcardGrants()
	if err != nil {
		return nil, nil, err
	}
	if len(wild) > 0 {
		out[""] = wild
	}
	return out, paths, nil
}

// topicAdminCalls are the Kafka calls of a function that creates topics: the
// topics its invocations ask for, on the stack's cluster.
func (s *Stack) topicAdminCalls(function string) ([]CallList, error) {
	var out []CallList
	for _, inv := range s.OfType(tInvocation) {
		if str(inv.State, "functionName") != function {
			continue
		}
		var in struct {
			Topics []struct {
				Name string `json:"name"`
			} `json:"topics"`
		}
		if err := json.Unmarshal([]byte(str(inv.State, "input")), &in); err != nil {
			return nil, fmt.Errorf("invocation %s: %w", inv.Name, err)
		}
		clusters := s.OfType(tMSK)
		if len(clusters) != 1 {
			return nil, fmt.Errorf("invocation %s: %d MSK clusters in the stack, want 1", inv.Name, len(clusters))
		}
		cluster := str(clusters[0].State, "arn")
		out = append(out, CallList{Doc: doc("topicAdminClusterActions"), Calls: calls(topicAdminClusterActions, cluster, nil)})
		for _, t := range in.Topics {
			topic := strings.Replace(cluster, ":cluster/", ":topic/", 1) + "/" + t.Name
			out = append(out, CallList{Doc: doc("topicAdminTopicActions"), Calls: calls(topicAdminTopicActions, topic, nil)})
		}
	}
	return out, nil
}
