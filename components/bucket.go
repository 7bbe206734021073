package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// privateBucketArgs configures newPrivateBucket.
type privateBucketArgs struct {
	Name pulumi.StringInput
	// KeyArn encrypts objects; nil: the AWS managed aws/s3 key.
	KeyArn pulumi.StringInput
	// ForceDestroy lets a destroy empty the bucket (staging, rebuildable artifacts).
	ForceDestroy bool
	// Statements extend the TLS-only bucket policy.
	Statements []Statement
	Tags       pulumi.StringMap
}

// newPrivateBucket declares a bucket no one outside the account can reach:
// public access blocked, ACLs off, SSE-KMS by default, TLS only. opts apply
// to the bucket itself (e.g. protection); its settings are parented like it.
func newPrivateBucket(ctx *pulumi.Context, name string, args privateBucketArgs, parent pulumi.ResourceOption, opts ...pulumi.ResourceOption) (*s3.BucketV2, *s3.BucketPolicy, error) {
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket: args.Name, ForceDestroy: pulumi.Bool(args.ForceDestroy), Tags: args.Tags,
	}, append([]pulumi.ResourceOption{parent}, opts...)...)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket: bucket.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return nil, nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(), Rule: s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return nil, nil, err
	}
	sse := s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{SseAlgorithm: pulumi.String("aws:kms")}
	if args.KeyArn != nil {
		sse.KmsMasterKeyId = args.KeyArn
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: sse,
			// One data key per bucket instead of per object: far fewer KMS calls.
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, parent); err != nil {
		return nil, nil, err
	}
	policy, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: PolicyDocument(append([]Statement{{
			Sid: "DenyInsecureTransport", Deny: true, Principals: map[string][]string{"AWS": {"*"}}, Actions: []string{"s3:*"},
			Resources:  pulumi.StringArray{bucket.Arn, pulumi.Sprintf("%s/*", bucket.Arn)},
			Conditions: map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}},
		}}, args.Statements...)...),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return bucket, policy, nil
}
