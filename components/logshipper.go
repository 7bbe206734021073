package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/haina-data/haina/components/fluentbit"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LogShipperConfig (haina:logShipper) is the fluent-bit host shipping app log files.
type LogShipperConfig struct {
	Enabled      bool     `json:"enabled"`
	InstanceType string   `json:"instanceType"`
	Paths        []string `json:"paths"`
	// CSV parses the sample app's id,first_name,last_name,email,gender,ip_address lines into JSON.
	CSV bool `json:"csv"`
	// SubnetID is a private subnet with a route out (NAT or proxy): fluent-bit
	// comes from packages.fluentbit.io and SSM needs its endpoints.
	SubnetID string `json:"subnetId"`
}

// Amazon Linux 2023 for Graviton, resolved at deploy time from AWS's public parameter.
const al2023Arm64 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"

// LogShipperArgs configures the LogShipper component.
type LogShipperArgs struct {
	Config       LogShipperConfig
	Name         string // physical name prefix
	Region       string
	VpcID        pulumi.StringInput
	StreamName   string
	StreamArn    pulumi.StringInput
	StreamKeyArn pulumi.StringInput // nil for the AWS managed key
	Tags         pulumi.StringMap
}

// LogShipper is an EC2 instance that tails log files into the stream with fluent-bit:
// managed through SSM (no SSH key, no public IP), IMDSv2 only, encrypted disk.
type LogShipper struct {
	pulumi.ResourceState

	Role          *iam.Role
	RolePolicy    *iam.RolePolicy
	Profile       *iam.InstanceProfile
	SecurityGroup *ec2.SecurityGroup
	Instance      *ec2.Instance
}

// NewLogShipper declares the log shipper.
func NewLogShipper(ctx *pulumi.Context, name string, args *LogShipperArgs, opts ...pulumi.ResourceOption) (*LogShipper, error) {
	if args == nil || args.VpcID == nil || args.StreamArn == nil || args.Config.SubnetID == "" {
		return nil, fmt.Errorf("log shipper %s: VpcID, StreamArn and Config.SubnetID are required", name)
	}
	userData, err := fluentbit.UserData(fluentbit.Config{Region: args.Region, Stream: args.StreamName, Paths: args.Config.Paths, CSV: args.Config.CSV})
	if err != nil {
		return nil, err
	}
	l := &LogShipper{}
	if err := ctx.RegisterComponentResource("haina:logshipper:LogShipper", name, l, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(l)

	stmts := []Statement{{Sid: "PutRecords", Actions: []string{"kinesis:PutRecords"}, Resources: pulumi.StringArray{args.StreamArn}}}
	if args.StreamKeyArn != nil {
		stmts = append(stmts, Statement{Sid: "EncryptRecords", Actions: []string{"kms:GenerateDataKey"}, Resources: pulumi.StringArray{args.StreamKeyArn}})
	}
	l.Role, l.RolePolicy, err = newServiceRole(ctx, name, serviceRole{
		Name: args.Name, Description: "haina: the log shipper puts records on the stream and is managed by SSM", PolicyName: "ship",
		Trust: pulumi.String(TrustPolicy([]string{"ec2.amazonaws.com"}, nil)), Statements: stmts, Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm", &iam.RolePolicyAttachmentArgs{
		Role: l.Role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
	}, parent); err != nil {
		return nil, err
	}
	l.Profile, err = iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{Name: pulumi.String(args.Name), Role: l.Role.Name, Tags: args.Tags}, parent)
	if err != nil {
		return nil, err
	}

	// No ingress at all (SSM sessions are outbound); HTTPS out for packages, SSM and Kinesis.
	l.SecurityGroup, err = ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId: args.VpcID, Description: pulumi.String("haina: log shipper, no ingress"), Tags: withName(args.Tags, args.Name),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-https", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: l.SecurityGroup.ID(), Description: pulumi.String("HTTPS to package repository, SSM and Kinesis"),
		IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrIpv4: pulumi.String("0.0.0.0/0"),
	}, parent); err != nil {
		return nil, err
	}

	ami := ssm.LookupParameterOutput(ctx, ssm.LookupParameterOutputArgs{Name: pulumi.String(al2023Arm64)}, pulumi.Parent(l)).Value()
	l.Instance, err = ec2.NewInstance(ctx, name, &ec2.InstanceArgs{
		Ami:                      ami,
		InstanceType:             pulumi.String(args.Config.InstanceType),
		SubnetId:                 pulumi.String(args.Config.SubnetID),
		VpcSecurityGroupIds:      pulumi.StringArray{l.SecurityGroup.ID()},
		IamInstanceProfile:       l.Profile.Name,
		AssociatePublicIpAddress: pulumi.Bool(false),
		MetadataOptions: ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"), HttpTokens: pulumi.String("required"), HttpPutResponseHopLimit: pulumi.Int(1),
		},
		RootBlockDevice: ec2.InstanceRootBlockDeviceArgs{
			Encrypted: pulumi.Bool(true), VolumeType: pulumi.String("gp3"), VolumeSize: pulumi.Int(16), DeleteOnTermination: pulumi.Bool(true),
		},
		UserData: pulumi.String(userData),
		// A new fluent-bit configuration means a new host: the shipper keeps no state worth an in-place edit.
		UserDataReplaceOnChange: pulumi.Bool(true),
		Tags:                    withName(args.Tags, args.Name),
		VolumeTags:              args.Tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{l.RolePolicy}),
		// AWS publishes a new AMI every few weeks; that alone must not replace the host on the next up.
		pulumi.IgnoreChanges([]string{"ami"}))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(l, pulumi.Map{"instanceId": l.Instance.ID()}); err != nil {
		return nil, err
	}
	return l, nil
}

// logShipperDefaults: off; when on, a small Graviton instance tailing the app's logs.
func logShipperDefaults() LogShipperConfig {
	return LogShipperConfig{InstanceType: "t4g.small", Paths: []string{"/var/log/app/*.log"}}
}

var reGraviton = regexp.MustCompile(`^[a-z][0-9]+g[a-z]*\.[a-z0-9]+$`)

// check applies haina:logShipper's rules (none when it is off).
func (l LogShipperConfig) check(ck checker) {
	if !l.Enabled {
		return
	}
	if !reSubnetID.MatchString(l.SubnetID) {
		ck.bad("subnetId", l.SubnetID, "the log shipper needs a private subnet with a route out (NAT or proxy) "+
			"to install fluent-bit from packages.fluentbit.io and reach SSM; haina's own subnets have none. Name one such as subnet-0123456789abcdef0")
	}
	if !reGraviton.MatchString(l.InstanceType) {
		ck.bad("instanceType", l.InstanceType, "allowed: a Graviton (arm64) type such as t4g.small or m7g.large")
	}
	if len(l.Paths) == 0 {
		ck.bad("paths", l.Paths, "list at least one absolute path or glob to tail")
	}
	for i, p := range l.Paths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, ",\n\r'\"") {
			ck.bad(fmt.Sprintf("paths[%d]", i), p, "allowed: an absolute path or glob without commas, quotes or line breaks")
		}
	}
}
