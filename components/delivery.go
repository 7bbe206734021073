package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/athena"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Processor is a Firehose record processor and its parameters, in order.
type Processor struct {
	Type       string
	Parameters [][2]string
}

// TableFormat is how a dataset's files are stored.
type TableFormat string

const (
	// Parquet files, converted by Firehose from JSON records against the table.
	Parquet TableFormat = "parquet"
	// JSONLines: one JSON object per line, as Firehose delivers them (gzip).
	JSONLines TableFormat = "json"
	// SpaceDelimited text lines (VPC flow logs), gzip.
	SpaceDelimited TableFormat = "space-delimited"
)

// DeliveryArgs configures one dataset: a Firehose stream into the lake and its Glue table.
type DeliveryArgs struct {
	// Name is the delivery stream's physical name; Dataset its S3 prefix and table name.
	Name    string
	Dataset string
	Region  string
	Account pulumi.StringInput
	// SourceStreamArn reads a Kinesis stream; nil is Direct PUT (e.g. a CloudWatch Logs subscription).
	SourceStreamArn    pulumi.StringInput
	SourceStreamKeyArn pulumi.StringInput // the source stream's customer key, if any

	BucketName pulumi.StringInput
	BucketArn  pulumi.StringInput
	LakeKeyArn pulumi.StringInput
	Database   pulumi.StringInput // Glue database
	Workgroup  pulumi.StringInput // Athena workgroup of the named queries

	BufferSeconds, BufferMB int
	Processors              []Processor
	// Columns and Format describe the Glue table; no columns, no table (a staging-only dataset).
	Columns []Column
	Format  TableFormat
	// Redshift, when set, makes Redshift the destination (Firehose stages in S3 and issues COPY).
	Redshift *RedshiftTarget
	// Queries are Athena named queries over the table: name → SQL.
	Queries map[string]string

	LogRetentionDays int
	// LogKeyArn, when set, encrypts the log group with this KMS key (its policy must let CloudWatch Logs use it).
	LogKeyArn pulumi.StringPtrInput
	Tags      pulumi.StringMap
}

// RedshiftTarget is Firehose's own Redshift destination (mode "direct"): it
// needs a publicly accessible workgroup that admits Firehose's regional CIDR.
type RedshiftTarget struct {
	JdbcURL     pulumi.StringInput
	Table       string // schema-qualified
	Columns     string // comma-separated, in the JSON's order
	CopyOptions string
	// SecretArn holds the user Firehose connects as; SecretKeyArn encrypts it.
	SecretArn    pulumi.StringInput
	SecretKeyArn pulumi.StringInput
}

// Delivery is a Firehose stream writing hourly UTC partitions of one dataset,
// the Glue table over them (partition projection: nothing to add by hand) and
// named queries.
type Delivery struct {
	pulumi.ResourceState

	Table     *glue.CatalogTable
	LogGroup  *cloudwatch.LogGroup
	LogStream *cloudwatch.LogStream
	// BackupLogStream logs the source-record backup's errors (converted datasets only).
	BackupLogStream *cloudwatch.LogStream
	Role            *iam.Role
	RolePolicy      *iam.RolePolicy
	Stream          *kinesis.FirehoseDeliveryStream
	Queries         []*athena.NamedQuery

	StreamArn pulumi.StringOutput
	TableName pulumi.StringOutput
}

const (
	logStreamName       = "S3Delivery"
	backupLogStreamName = "S3Backup"
	// minBackupBufferSeconds: the S3 backup takes no zero buffering ("Configure
	// backup settings", https://docs.aws.amazon.com/firehose/latest/dev/create-configure-backup.html).
	minBackupBufferSeconds = 60
)

// backsUpSourceRecords says whether Firehose keeps the dataset's source
// records too. Parquet conversion writes only the Glue table's columns
// ("the converted data will not contain attributes that are not specified in
// the schema", https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html):
// any other attribute, and every record that is JSON but not an event (the log
// shipper's lines, a file sent with haina-load --file), would be an empty row
// and nothing more. So a converted dataset has Firehose's source record backup
// on: every record as it arrived, before conversion, under raw/<dataset>/
// ("Back up source records": "You cannot disable source record backup after you
// enable it", https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-source-record-backup.html).
// Datasets stored as they arrive (JSON lines, flow-log text) need no backup:
// their files are the source records.
func backsUpSourceRecords(args *DeliveryArgs) bool {
	return args.Format == Parquet && args.Redshift == nil
}

// NewDelivery declares a dataset's delivery.
func NewDelivery(ctx *pulumi.Context, name string, args *DeliveryArgs, opts ...pulumi.ResourceOption) (*Delivery, error) {
	if args == nil || args.BucketArn == nil || args.Account == nil || (len(args.Columns) > 0 && args.Database == nil) {
		return nil, fmt.Errorf("delivery %s: BucketArn and Account are required, and Database with Columns", name)
	}
	if args.Format == Parquet && len(args.Columns) == 0 {
		return nil, fmt.Errorf("delivery %s: Parquet conversion needs the table's Columns", name)
	}
	d := &Delivery{}
	if err := ctx.RegisterComponentResource("haina:delivery:Delivery", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	var err error

	if len(args.Columns) > 0 {
		if d.Table, err = datasetTable(ctx, name, args, parent); err != nil {
			return nil, err
		}
		d.TableName = d.Table.Name
	}

	d.LogGroup, err = cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name: pulumi.String("/aws/kinesisfirehose/" + args.Name), RetentionInDays: pulumi.Int(args.LogRetentionDays), KmsKeyId: args.LogKeyArn, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	d.LogStream, err = cloudwatch.NewLogStream(ctx, name, &cloudwatch.LogStreamArgs{
		LogGroupName: d.LogGroup.Name, Name: pulumi.String(logStreamName),
	}, parent)
	if err != nil {
		return nil, err
	}

	if backsUpSourceRecords(args) {
		d.BackupLogStream, err = cloudwatch.NewLogStream(ctx, name+"-backup", &cloudwatch.LogStreamArgs{
			LogGroupName: d.LogGroup.Name, Name: pulumi.String(backupLogStreamName),
		}, parent)
		if err != nil {
			return nil, err
		}
	}

	if err := d.role(ctx, name, args, parent); err != nil {
		return nil, err
	}

	s3cfg := &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs{
		RoleArn:           d.Role.Arn,
		BucketArn:         args.BucketArn,
		Prefix:            pulumi.String(DatasetPrefix(args.Dataset)),
		ErrorOutputPrefix: pulumi.String(DatasetErrorPrefix(args.Dataset)),
		BufferingInterval: pulumi.Int(args.BufferSeconds),
		BufferingSize:     pulumi.Int(args.BufferMB),
		CompressionFormat: pulumi.String("GZIP"),
		KmsKeyArn:         args.LakeKeyArn,
		CloudwatchLoggingOptions: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptionsArgs{
			Enabled: pulumi.Bool(true), LogGroupName: d.LogGroup.Name, LogStreamName: d.LogStream.Name,
		},
	}
	if len(args.Processors) > 0 {
		procs := kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArray{}
		for _, p := range args.Processors {
			params := kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArray{}
			for _, kv := range p.Parameters {
				params = append(params, kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
					ParameterName: pulumi.String(kv[0]), ParameterValue: pulumi.String(kv[1]),
				})
			}
			procs = append(procs, kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
				Type: pulumi.String(p.Type), Parameters: params,
			})
		}
		s3cfg.ProcessingConfiguration = kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationArgs{
			Enabled: pulumi.Bool(true), Processors: procs,
		}
	}
	if args.Format == Parquet {
		// Parquet compresses itself (Snappy); Firehose must not gzip the files.
		s3cfg.CompressionFormat = pulumi.String("UNCOMPRESSED")
		s3cfg.DataFormatConversionConfiguration = kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationArgs{
			Enabled: pulumi.Bool(true),
			InputFormatConfiguration: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationInputFormatConfigurationArgs{
				Deserializer: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationInputFormatConfigurationDeserializerArgs{
					HiveJsonSerDe: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationInputFormatConfigurationDeserializerHiveJsonSerDeArgs{
						// event_time is RFC 3339 in UTC.
						TimestampFormats: pulumi.StringArray{pulumi.String("yyyy-MM-dd'T'HH:mm:ss'Z'"), pulumi.String("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")},
					},
				},
			},
			OutputFormatConfiguration: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationOutputFormatConfigurationArgs{
				Serializer: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationOutputFormatConfigurationSerializerArgs{
					ParquetSerDe: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationOutputFormatConfigurationSerializerParquetSerDeArgs{
						Compression: pulumi.String("SNAPPY"),
					},
				},
			},
			SchemaConfiguration: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationSchemaConfigurationArgs{
				DatabaseName: args.Database, TableName: d.Table.Name, RoleArn: d.Role.Arn, Region: pulumi.String(args.Region),
				VersionId: pulumi.String("LATEST"),
			},
		}
	}
	if backsUpSourceRecords(args) {
		// Same bucket and key, its own prefix, error prefix and log stream; gzip
		// (the records are JSON text). Firehose concatenates records without a
		// delimiter (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html)
		// and the backup is taken before any processing, so a file is JSON
		// objects back to back: no Athena table reads that (docs/lake.md, "Source records").
		s3cfg.S3BackupMode = pulumi.String("Enabled")
		s3cfg.S3BackupConfiguration = kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationS3BackupConfigurationArgs{
			RoleArn:           d.Role.Arn,
			BucketArn:         args.BucketArn,
			Prefix:            pulumi.String(DatasetRawPrefix(args.Dataset)),
			ErrorOutputPrefix: pulumi.String(DatasetRawErrorPrefix(args.Dataset)),
			BufferingInterval: pulumi.Int(max(args.BufferSeconds, minBackupBufferSeconds)),
			BufferingSize:     pulumi.Int(args.BufferMB),
			CompressionFormat: pulumi.String("GZIP"),
			KmsKeyArn:         args.LakeKeyArn,
			CloudwatchLoggingOptions: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationS3BackupConfigurationCloudwatchLoggingOptionsArgs{
				Enabled: pulumi.Bool(true), LogGroupName: d.LogGroup.Name, LogStreamName: d.BackupLogStream.Name,
			},
		}
	}
	fargs := &kinesis.FirehoseDeliveryStreamArgs{
		Name: pulumi.String(args.Name), Destination: pulumi.String("extended_s3"), ExtendedS3Configuration: s3cfg, Tags: args.Tags,
	}
	if r := args.Redshift; r != nil {
		fargs.Destination, fargs.ExtendedS3Configuration = pulumi.String("redshift"), nil
		fargs.RedshiftConfiguration = kinesis.FirehoseDeliveryStreamRedshiftConfigurationArgs{
			RoleArn: d.Role.Arn, ClusterJdbcurl: r.JdbcURL, DataTableName: pulumi.String(r.Table),
			DataTableColumns: pulumi.String(r.Columns), CopyOptions: pulumi.String(r.CopyOptions), RetryDuration: pulumi.Int(3600),
			SecretsManagerConfiguration: kinesis.FirehoseDeliveryStreamRedshiftConfigurationSecretsManagerConfigurationArgs{
				Enabled: pulumi.Bool(true), SecretArn: r.SecretArn, RoleArn: d.Role.Arn,
			},
			CloudwatchLoggingOptions: kinesis.FirehoseDeliveryStreamRedshiftConfigurationCloudwatchLoggingOptionsArgs{
				Enabled: pulumi.Bool(true), LogGroupName: d.LogGroup.Name, LogStreamName: d.LogStream.Name,
			},
			// The staging files Firehose COPYs from.
			S3Configuration: kinesis.FirehoseDeliveryStreamRedshiftConfigurationS3ConfigurationArgs{
				RoleArn: d.Role.Arn, BucketArn: args.BucketArn, Prefix: pulumi.String(DatasetPrefix(args.Dataset)),
				ErrorOutputPrefix: pulumi.String(DatasetErrorPrefix(args.Dataset)), BufferingInterval: pulumi.Int(args.BufferSeconds),
				BufferingSize: pulumi.Int(args.BufferMB), CompressionFormat: pulumi.String("GZIP"), KmsKeyArn: args.LakeKeyArn,
			},
		}
	}
	if args.SourceStreamArn != nil {
		fargs.KinesisSourceConfiguration = kinesis.FirehoseDeliveryStreamKinesisSourceConfigurationArgs{
			KinesisStreamArn: args.SourceStreamArn, RoleArn: d.Role.Arn,
		}
	} else {
		// Direct PUT: encrypt Firehose's own buffer (not allowed, and not needed, with a Kinesis source).
		fargs.ServerSideEncryption = kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs{
			Enabled: pulumi.Bool(true), KeyType: pulumi.String("AWS_OWNED_CMK"),
		}
	}
	d.Stream, err = kinesis.NewFirehoseDeliveryStream(ctx, name, fargs, parent, pulumi.DependsOn([]pulumi.Resource{d.RolePolicy}))
	if err != nil {
		return nil, err
	}
	d.StreamArn = d.Stream.Arn

	for _, q := range sortedKeys(args.Queries) {
		if d.Table == nil {
			return nil, fmt.Errorf("delivery %s: named queries need a table (Columns)", name)
		}
		nq, err := athena.NewNamedQuery(ctx, name+"-"+q, &athena.NamedQueryArgs{
			Name: pulumi.String(args.Dataset + ": " + q), Database: args.Database, Workgroup: args.Workgroup, Query: pulumi.String(args.Queries[q]),
		}, parent, pulumi.DependsOn([]pulumi.Resource{d.Table}))
		if err != nil {
			return nil, err
		}
		d.Queries = append(d.Queries, nq)
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"deliveryStreamArn": d.StreamArn}); err != nil {
		return nil, err
	}
	return d, nil
}

// role lets Firehose do exactly this delivery: read the one stream, write the
// dataset's prefixes of the one bucket (the dataset, its errors and, when it
// backs up source records, raw/<dataset>), use the lake key through S3, read
// the one Glue table, and log to its own log streams.
func (d *Delivery) role(ctx *pulumi.Context, name string, args *DeliveryArgs, parent pulumi.ResourceOption) error {
	objects := pulumi.StringArray{
		pulumi.Sprintf("%s/%s/*", args.BucketArn, args.Dataset),
		pulumi.Sprintf("%s/%s%s/*", args.BucketArn, ErrorsPrefix, args.Dataset),
	}
	logStreams := pulumi.StringArray{d.LogStream.Arn}
	if backsUpSourceRecords(args) {
		objects = append(objects, pulumi.Sprintf("%s/%s%s/*", args.BucketArn, RawPrefix, args.Dataset))
		logStreams = append(logStreams, d.BackupLogStream.Arn)
	}
	stmts := []Statement{
		{Sid: "Bucket", Actions: []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
			Resources: pulumi.StringArray{args.BucketArn}},
		{Sid: "Objects", Actions: []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"}, Resources: objects},
		{Sid: "LakeKeyThroughS3", Actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resources: pulumi.StringArray{args.LakeKeyArn},
			Conditions: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {"s3." + args.Region + ".amazonaws.com"}}}},
		{Sid: "Logs", Actions: []string{"logs:PutLogEvents"}, Resources: logStreams},
	}
	if args.SourceStreamArn != nil {
		stmts = append(stmts, Statement{Sid: "ReadStream",
			Actions:   []string{"kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"},
			Resources: pulumi.StringArray{args.SourceStreamArn}})
		if args.SourceStreamKeyArn != nil {
			stmts = append(stmts, Statement{Sid: "DecryptStream", Actions: []string{"kms:Decrypt"}, Resources: pulumi.StringArray{args.SourceStreamKeyArn}})
		}
	}
	if r := args.Redshift; r != nil {
		stmts = append(stmts,
			Statement{Sid: "RedshiftCredentials", Actions: []string{"secretsmanager:GetSecretValue"}, Resources: pulumi.StringArray{r.SecretArn}},
			Statement{Sid: "DecryptCredentials", Actions: []string{"kms:Decrypt"}, Resources: pulumi.StringArray{r.SecretKeyArn},
				Conditions: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {"secretsmanager." + args.Region + ".amazonaws.com"}}}})
	}
	if args.Format == Parquet && len(args.Columns) > 0 {
		stmts = append(stmts, Statement{Sid: "Schema", Actions: []string{"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"},
			Resources: pulumi.StringArray{
				pulumi.Sprintf("arn:aws:glue:%s:%s:catalog", args.Region, args.Account),
				pulumi.Sprintf("arn:aws:glue:%s:%s:database/%s", args.Region, args.Account, args.Database),
				pulumi.Sprintf("arn:aws:glue:%s:%s:table/%s/%s", args.Region, args.Account, args.Database, d.Table.Name),
			}})
	}
	var err error
	d.Role, d.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.Name + "-firehose", Description: "haina: Firehose delivers dataset " + args.Dataset + " into the lake", PolicyName: "deliver",
		Trust: externalIDTrust(args.Account, []string{"firehose.amazonaws.com"}), Statements: stmts, Tags: args.Tags,
	}, parent)
	return err
}

// datasetTable is the Glue table over the dataset's prefix: the columns declared
// in Go, and an hourly datehour partition found by projection.
func datasetTable(ctx *pulumi.Context, name string, args *DeliveryArgs, parent pulumi.ResourceOption) (*glue.CatalogTable, error) {
	cols := glue.CatalogTableStorageDescriptorColumnArray{}
	for _, c := range args.Columns {
		cols = append(cols, glue.CatalogTableStorageDescriptorColumnArgs{Name: pulumi.String(c.Name), Type: pulumi.String(c.Type)})
	}
	sd := glue.CatalogTableStorageDescriptorArgs{
		Location: pulumi.Sprintf("s3://%s/%s/", args.BucketName, args.Dataset),
		Columns:  cols,
	}
	switch args.Format {
	case Parquet:
		sd.InputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
		sd.OutputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
		sd.SerDeInfo = glue.CatalogTableStorageDescriptorSerDeInfoArgs{
			SerializationLibrary: pulumi.String("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
		}
	case SpaceDelimited:
		sd.InputFormat = pulumi.String("org.apache.hadoop.mapred.TextInputFormat")
		sd.OutputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
		sd.SerDeInfo = glue.CatalogTableStorageDescriptorSerDeInfoArgs{
			SerializationLibrary: pulumi.String("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"),
			Parameters:           pulumi.StringMap{"field.delim": pulumi.String(" "), "serialization.format": pulumi.String(" ")},
		}
	default:
		sd.InputFormat = pulumi.String("org.apache.hadoop.mapred.TextInputFormat")
		sd.OutputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
		sd.SerDeInfo = glue.CatalogTableStorageDescriptorSerDeInfoArgs{
			SerializationLibrary: pulumi.String("org.openx.data.jsonserde.JsonSerDe"),
			Parameters:           pulumi.StringMap{"ignore.malformed.json": pulumi.String("true")},
		}
	}
	classification := map[TableFormat]string{Parquet: "parquet", JSONLines: "json", SpaceDelimited: "csv"}[args.Format]
	params := pulumi.StringMap{"classification": pulumi.String(classification), "EXTERNAL": pulumi.String("TRUE")}
	for k, v := range projectionParameters() {
		params[k] = pulumi.String(v)
	}
	params["storage.location.template"] = pulumi.Sprintf("s3://%s/%s/${%s}/", args.BucketName, args.Dataset, PartitionColumn)
	return glue.NewCatalogTable(ctx, name, &glue.CatalogTableArgs{
		Name:              pulumi.String(args.Dataset),
		DatabaseName:      args.Database,
		TableType:         pulumi.String("EXTERNAL_TABLE"),
		Description:       pulumi.String("haina: dataset " + args.Dataset + ", hourly UTC partitions found by projection"),
		Parameters:        params,
		PartitionKeys:     glue.CatalogTablePartitionKeyArray{glue.CatalogTablePartitionKeyArgs{Name: pulumi.String(PartitionColumn), Type: pulumi.String("string")}},
		StorageDescriptor: sd,
	}, parent)
}
