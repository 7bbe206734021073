package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/athena"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LakeConfig (haina:lake) is the S3 data lake, its Glue catalog and Athena workgroup.
type LakeConfig struct {
	Enabled bool `json:"enabled"`
	// Buffering of every delivery into the lake (Firehose BufferingHints).
	BufferSeconds int `json:"bufferSeconds"`
	BufferMB      int `json:"bufferMb"`
	// Parquet converts app events to Parquet against their Glue table (needs ≥ 64 MiB buffers).
	Parquet bool `json:"parquet"`
	// ErrorRetentionDays is how long errors already handled stay: objects moved
	// from errors/ to redriven/ (see RedrivenPrefix) expire after it, and so do
	// the old versions a move or delete leaves under errors/ in a versioned
	// bucket. errors/ itself is never expired: failed records stay until
	// someone re-drives or moves them.
	ErrorRetentionDays int `json:"errorRetentionDays"`
	// AthenaScanLimitMB cuts off any query that would scan more (a cost guardrail).
	AthenaScanLimitMB int `json:"athenaScanLimitMb"`
	LogRetentionDays  int `json:"logRetentionDays"`
}

// LakeArgs configures the Lake component.
type LakeArgs struct {
	Config LakeConfig
	// BucketName must be globally unique (the pipeline adds account and region).
	BucketName pulumi.StringInput
	// Database is the Glue database; Workgroup the Athena workgroup.
	Database  string
	Workgroup string
	// Protect: production keeps the bucket and key (and versions every object).
	Protect bool
	// BucketStatements extend the bucket policy (e.g. Redshift's S3 event integration).
	BucketStatements []Statement
	Tags             pulumi.StringMap
}

// Lake is one encrypted, private data bucket, a Glue database and an Athena workgroup.
type Lake struct {
	pulumi.ResourceState

	Key       *kms.Key
	Bucket    *s3.BucketV2
	Policy    *s3.BucketPolicy
	Database  *glue.CatalogDatabase
	Workgroup *athena.Workgroup

	BucketName pulumi.StringOutput
	BucketArn  pulumi.StringOutput
	KeyArn     pulumi.StringOutput
}

// Key prefixes of the bucket.
const (
	// ErrorsPrefix holds the records Firehose could not process, convert or
	// deliver (errors/<dataset>/<error-output-type>/…), kept until handled.
	ErrorsPrefix = "errors/"
	// RedrivenPrefix is where handled errors are moved (same key after the
	// prefix); they expire after ErrorRetentionDays.
	RedrivenPrefix = "redriven/"
	// RawPrefix holds the source records of converted datasets
	// (raw/<dataset>/yyyy/MM/dd/HH/), kept as long as the datasets: never expired.
	RawPrefix     = "raw/"
	ResultsPrefix = "athena-results/"
)

// NewLake declares the lake.
func NewLake(ctx *pulumi.Context, name string, args *LakeArgs, opts ...pulumi.ResourceOption) (*Lake, error) {
	if args == nil || args.BucketName == nil || args.Database == "" || args.Workgroup == "" {
		return nil, fmt.Errorf("lake %s: BucketName, Database and Workgroup are required", name)
	}
	l := &Lake{}
	if err := ctx.RegisterComponentResource("haina:lake:Lake", name, l, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(l)
	cfg := args.Config

	var err error
	// Every reader and writer of the lake goes through S3 (SSE-KMS with a
	// bucket key: encryption context aws:s3:arn = the bucket): Firehose ("Grant
	// Firehose access to an Amazon S3 destination", kms:ViaService
	// s3.<region>.amazonaws.com, https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3),
	// Athena's SSE_KMS results and reads ("Supported Amazon S3 encryption
	// options", https://docs.aws.amazon.com/athena/latest/ug/encryption.html),
	// Redshift COPY and Spectrum with the namespace's role. S3 attaches no grants.
	if l.Key, err = newCustomerKey(ctx, name+"-key", customerKey{Description: "haina: data lake objects and query results",
		Use: keyUse{Services: []string{"s3"}}, Protect: args.Protect, Tags: args.Tags, Parent: l}); err != nil {
		return nil, err
	}
	// Staging is freely destroyable, objects included; production is not.
	l.Bucket, l.Policy, err = newPrivateBucket(ctx, name, privateBucketArgs{
		Name: args.BucketName, KeyArn: l.Key.Arn, ForceDestroy: !args.Protect, Statements: args.BucketStatements, Tags: args.Tags,
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	l.BucketName, l.BucketArn, l.KeyArn = l.Bucket.Bucket, l.Bucket.Arn, l.Key.Arn
	if args.Protect {
		if _, err := s3.NewBucketVersioningV2(ctx, name, &s3.BucketVersioningV2Args{
			Bucket: l.Bucket.ID(), VersioningConfiguration: s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
		}, parent); err != nil {
			return nil, err
		}
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: l.Bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("abort-incomplete-uploads"), Status: pulumi.String("Enabled"),
				Filter:                         s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				AbortIncompleteMultipartUpload: s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(7)},
			},
			// errors/ has no expiration: a record that failed stays until someone
			// re-drives it and moves it to redriven/ (docs/lake.md, "Failed records: kept until
			// re-driven"). Only what a move or delete leaves behind goes: the old
			// versions (production is versioned) and the delete markers left alone.
			s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("errors-clean-up-handled"), Status: pulumi.String("Enabled"),
				Filter:                      s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(ErrorsPrefix)},
				NoncurrentVersionExpiration: s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(cfg.ErrorRetentionDays)},
				Expiration:                  s3.BucketLifecycleConfigurationV2RuleExpirationArgs{ExpiredObjectDeleteMarker: pulumi.Bool(true)},
			},
			s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("expire-redriven-errors"), Status: pulumi.String("Enabled"),
				Filter:                      s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(RedrivenPrefix)},
				Expiration:                  s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(cfg.ErrorRetentionDays)},
				NoncurrentVersionExpiration: s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(cfg.ErrorRetentionDays)},
			},
			// raw/ (source records) and the datasets' prefixes have no rule: the
			// lake keeps them until someone deletes them.
			s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("expire-query-results"), Status: pulumi.String("Enabled"),
				Filter:     s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(ResultsPrefix)},
				Expiration: s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(30)},
			},
		},
	}, parent); err != nil {
		return nil, err
	}

	l.Database, err = glue.NewCatalogDatabase(ctx, name, &glue.CatalogDatabaseArgs{
		Name: pulumi.String(args.Database), Description: pulumi.String("haina: the lake's datasets"),
	}, parent)
	if err != nil {
		return nil, err
	}
	l.Workgroup, err = athena.NewWorkgroup(ctx, name, &athena.WorkgroupArgs{
		Name:         pulumi.String(args.Workgroup),
		Description:  pulumi.String("haina: queries over the lake, encrypted results, a scan cut-off per query"),
		ForceDestroy: pulumi.Bool(!args.Protect),
		Configuration: athena.WorkgroupConfigurationArgs{
			EnforceWorkgroupConfiguration:   pulumi.Bool(true),
			PublishCloudwatchMetricsEnabled: pulumi.Bool(true),
			BytesScannedCutoffPerQuery:      pulumi.Int(cfg.AthenaScanLimitMB * 1024 * 1024),
			EngineVersion:                   athena.WorkgroupConfigurationEngineVersionArgs{SelectedEngineVersion: pulumi.String("Athena engine version 3")},
			ResultConfiguration: athena.WorkgroupConfigurationResultConfigurationArgs{
				OutputLocation: pulumi.Sprintf("s3://%s/%s", l.Bucket.Bucket, ResultsPrefix),
				EncryptionConfiguration: athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs{
					EncryptionOption: pulumi.String("SSE_KMS"), KmsKeyArn: l.Key.Arn,
				},
			},
		},
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(l, pulumi.Map{
		"bucket": l.BucketName, "database": l.Database.Name, "workgroup": l.Workgroup.Name,
	}); err != nil {
		return nil, err
	}
	return l, nil
}

// lakeDefaults: Parquet on. Staging buffers briefly for quick feedback (64 MiB
// is the least Parquet conversion accepts) and keeps errors and logs two weeks;
// production buffers longer for bigger files and keeps them 90 days.
func lakeDefaults(env Environment) LakeConfig {
	l := LakeConfig{Enabled: true, Parquet: true}
	if env == Production {
		l.BufferSeconds, l.BufferMB = 300, 128
		l.ErrorRetentionDays, l.AthenaScanLimitMB, l.LogRetentionDays = 90, 100*1024, 90
	} else {
		l.BufferSeconds, l.BufferMB = 60, 64
		l.ErrorRetentionDays, l.AthenaScanLimitMB, l.LogRetentionDays = 14, 1024, 14
	}
	return l
}

// check applies haina:lake's rules (none when it is off).
func (l LakeConfig) check(ck checker) {
	if !l.Enabled {
		return
	}
	if l.BufferSeconds < 0 || l.BufferSeconds > 900 {
		ck.bad("bufferSeconds", l.BufferSeconds, "allowed: 0 to 900 seconds")
	}
	minMB := 1
	if l.Parquet {
		minMB = 64 // Firehose's minimum buffer with record format conversion
	}
	if l.BufferMB < minMB || l.BufferMB > 128 {
		ck.bad("bufferMb", l.BufferMB, fmt.Sprintf("allowed: %d to 128 MiB%s", minMB, map[bool]string{true: " (Parquet conversion needs at least 64)"}[l.Parquet]))
	}
	if l.ErrorRetentionDays < 1 || l.ErrorRetentionDays > 3650 {
		ck.bad("errorRetentionDays", l.ErrorRetentionDays, "allowed: 1 to 3650 days")
	}
	if l.AthenaScanLimitMB < 10 {
		ck.bad("athenaScanLimitMb", l.AthenaScanLimitMB, "allowed: at least 10 MB (Athena's minimum cut-off)")
	}
	ck.logRetention("logRetentionDays", l.LogRetentionDays)
}
