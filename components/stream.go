package components

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StreamArgs configures the Stream component.
type StreamArgs struct {
	Config StreamConfig
	// Protect marks the stream and its key as protected (production).
	Protect bool
	Tags    pulumi.StringMap
}

// Stream is a KMS-encrypted Kinesis data stream.
type Stream struct {
	pulumi.ResourceState

	Stream *kinesis.Stream
	// Key is set when haina created a customer key for the stream.
	Key *kms.Key

	Name pulumi.StringOutput
	Arn  pulumi.StringOutput
	// KeyArn is the customer key's ARN, or empty for the AWS managed key:
	// only a customer key needs kms: permissions in consumers' and producers' roles.
	KeyArn pulumi.StringOutput
}

// NewStream declares the stream.
func NewStream(ctx *pulumi.Context, name string, args *StreamArgs, opts ...pulumi.ResourceOption) (*Stream, error) {
	if args == nil {
		return nil, fmt.Errorf("stream %s: args are required", name)
	}
	s := &Stream{}
	if err := ctx.RegisterComponentResource("haina:stream:Stream", name, s, opts...); err != nil {
		return nil, err
	}
	cfg := args.Config
	res := []pulumi.ResourceOption{pulumi.Parent(s), pulumi.Protect(args.Protect)}

	keyID := pulumi.String("alias/aws/kinesis").ToStringOutput()
	s.KeyArn = pulumi.String(cfg.KmsKeyArn).ToStringOutput()
	if cfg.CustomerKey {
		// Producers (GenerateDataKey) and consumers (Decrypt) use the key only
		// through Kinesis, which calls KMS with the stream ARN as encryption
		// context ("Permissions to use user-generated KMS keys",
		// https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
		// Kinesis attaches no grants.
		key, err := newCustomerKey(ctx, name+"-key", customerKey{Description: "haina: Kinesis stream " + cfg.Name,
			Use: keyUse{Services: []string{"kinesis"}}, Protect: args.Protect, Tags: args.Tags, Parent: s})
		if err != nil {
			return nil, err
		}
		s.Key = key
		keyID, s.KeyArn = key.Arn, key.Arn
	} else if cfg.KmsKeyArn != "" {
		keyID = pulumi.String(cfg.KmsKeyArn).ToStringOutput()
	}

	streamArgs := &kinesis.StreamArgs{
		Name:            pulumi.String(cfg.Name),
		RetentionPeriod: pulumi.Int(cfg.RetentionHours),
		EncryptionType:  pulumi.String("KMS"),
		KmsKeyId:        keyID,
		StreamModeDetails: kinesis.StreamStreamModeDetailsArgs{
			StreamMode: pulumi.String(cfg.Mode),
		},
		Tags: args.Tags,
	}
	if cfg.Mode == "PROVISIONED" {
		streamArgs.ShardCount = pulumi.Int(cfg.ShardCount)
	}
	var err error
	s.Stream, err = kinesis.NewStream(ctx, name, streamArgs, res...)
	if err != nil {
		return nil, err
	}
	s.Name, s.Arn = s.Stream.Name, s.Stream.Arn
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"name": s.Name, "arn": s.Arn, "keyArn": s.KeyArn}); err != nil {
		return nil, err
	}
	return s, nil
}

// StreamConfig (haina:stream) is the Kinesis data stream.
type StreamConfig struct {
	Name           string `json:"name"`
	Mode           string `json:"mode"`
	ShardCount     int    `json:"shardCount"`
	RetentionHours int    `json:"retentionHours"`
	// KmsKeyArn is an existing customer key; CustomerKey creates one. Neither:
	// the AWS managed key alias/aws/kinesis.
	KmsKeyArn   string `json:"kmsKeyArn"`
	CustomerKey bool   `json:"customerKey"`
}

// streamDefaults: on-demand capacity; a day of retention in staging, a week in production.
func streamDefaults(env Environment, base string) StreamConfig {
	s := StreamConfig{Name: base + "-events", Mode: "ON_DEMAND", RetentionHours: 24}
	if env == Production {
		s.RetentionHours = 168
	}
	return s
}

var reStreamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

// check applies haina:stream's rules.
func (s StreamConfig) check(ck checker) {
	if !reStreamName.MatchString(s.Name) {
		ck.bad("name", s.Name, "allowed: 1-128 letters, digits, underscores, hyphens or periods")
	}
	switch s.Mode {
	case "ON_DEMAND":
		if s.ShardCount != 0 {
			ck.bad("shardCount", s.ShardCount, "an ON_DEMAND stream scales itself; remove shardCount or set mode PROVISIONED")
		}
	case "PROVISIONED":
		if s.ShardCount < 1 || s.ShardCount > 10000 {
			ck.bad("shardCount", s.ShardCount, "a PROVISIONED stream needs a shard count from 1 to 10000")
		}
	default:
		ck.bad("mode", s.Mode, "allowed: ON_DEMAND, PROVISIONED")
	}
	if s.RetentionHours < 24 || s.RetentionHours > 8760 {
		ck.bad("retentionHours", s.RetentionHours, "allowed: 24 to 8760 hours")
	}
	if s.KmsKeyArn != "" && !reKmsKeyArn.MatchString(s.KmsKeyArn) {
		ck.bad("kmsKeyArn", s.KmsKeyArn, "allowed: a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key-id>")
	}
	if s.KmsKeyArn != "" && s.CustomerKey {
		ck.bad("customerKey", true, "set either kmsKeyArn (an existing key) or customerKey (haina creates one), not both")
	}
}
