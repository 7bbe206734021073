package components

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs configures the Network component.
type NetworkArgs struct {
	Config NetworkConfig
	// Region names the endpoint services (com.amazonaws.<region>.<service>).
	Region string
	// InterfaceServices get an interface endpoint each (private DNS on), so
	// nothing in the private subnets needs a NAT. Default: kinesis-streams.
	InterfaceServices []string
	// AvoidZoneIDs are availability zone IDs (not names, which differ per
	// account) the subnets must not use: a service of the pipeline refuses them.
	AvoidZoneIDs []string
	Tags         pulumi.StringMap
}

// UnsupportedZones are the zone IDs a haina service refuses, and why: the one
// place haina keeps them. MSK: "Client subnets can't occupy the Availability
// Zone with ID use1-az3" (BrokerNodeGroupInfo.ClientSubnets,
// https://docs.aws.amazon.com/msk/1.0/apireference/clusters.html#clusters-model-brokernodegroupinfo).
// Redshift Serverless documents no per-zone exclusions today (its subnets must
// span three zones with enhanced VPC routing,
// https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html).
var UnsupportedZones = map[string]map[string]string{
	"kafka": {"use1-az3": "MSK refuses client subnets in use1-az3"},
}

// Network is either a new VPC with three private subnets in three AZs and the
// endpoints the pipeline needs, or an existing VPC named in config.
type Network struct {
	pulumi.ResourceState

	// Set only when haina creates the VPC.
	Vpc                  *ec2.Vpc
	Subnets              []*ec2.Subnet
	RouteTable           *ec2.RouteTable
	DefaultSecurityGroup *ec2.DefaultSecurityGroup
	S3Endpoint           *ec2.VpcEndpoint
	// Set when endpoints are created (always for a new VPC).
	EndpointSecurityGroup *ec2.SecurityGroup
	InterfaceEndpoints    map[string]*ec2.VpcEndpoint

	// Account is the deploying account: the only resource owner the endpoints let requests reach.
	Account pulumi.StringOutput

	VpcID     pulumi.StringOutput
	SubnetIDs pulumi.StringArrayOutput
	// CidrBlock is the VPC's IPv4 range: what "inside the VPC" means for ingress rules.
	CidrBlock pulumi.StringOutput
}

// NewNetwork declares the network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("network %s: args are required", name)
	}
	n := &Network{InterfaceEndpoints: map[string]*ec2.VpcEndpoint{}}
	if err := ctx.RegisterComponentResource("haina:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)
	n.Account = callerAccount(ctx, n)
	services := args.InterfaceServices
	if services == nil {
		services = []string{"kinesis-streams"}
	}

	createEndpoints := !args.Config.Existing()
	if args.Config.CreateEndpoints != nil {
		createEndpoints = *args.Config.CreateEndpoints
	}

	if args.Config.Existing() {
		ids := pulumi.ToStringArray(args.Config.SubnetIDs)
		n.VpcID = pulumi.String(args.Config.VpcID).ToStringOutput()
		n.SubnetIDs = ids.ToStringArrayOutput()
		n.CidrBlock = ec2.LookupVpcOutput(ctx, ec2.LookupVpcOutputArgs{Id: pulumi.String(args.Config.VpcID)}, pulumi.Parent(n)).CidrBlock()
	} else if err := n.createVpc(ctx, name, args, parent); err != nil {
		return nil, err
	}

	if createEndpoints {
		if err := n.createEndpoints(ctx, name, args, services, parent); err != nil {
			return nil, err
		}
	}

	outputs := pulumi.Map{"vpcId": n.VpcID, "subnetIds": n.SubnetIDs, "cidrBlock": n.CidrBlock}
	if err := ctx.RegisterResourceOutputs(n, outputs); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Network) createVpc(ctx *pulumi.Context, name string, args *NetworkArgs, parent pulumi.ResourceOption) error {
	cidrs, err := privateSubnetCidrs(args.Config.CidrBlock)
	if err != nil {
		return err
	}
	n.Vpc, err = ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock: pulumi.String(args.Config.CidrBlock),
		// Interface endpoints with private DNS need both.
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               withName(args.Tags, name+"-vpc"),
	}, parent)
	if err != nil {
		return err
	}
	// The default security group admits everything inside it; nothing should use it.
	n.DefaultSecurityGroup, err = ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: n.Vpc.ID(),
		Tags:  withName(args.Tags, name+"-default-deny-all"),
	}, parent)
	if err != nil {
		return err
	}
	n.RouteTable, err = ec2.NewRouteTable(ctx, name+"-private", &ec2.RouteTableArgs{
		VpcId: n.Vpc.ID(),
		Tags:  withName(args.Tags, name+"-private"),
	}, parent)
	if err != nil {
		return err
	}
	// Zones are chosen by ID, which names the same physical zone in every
	// account (names like us-east-1a are shuffled per account), skipping the IDs
	// a service of the pipeline refuses.
	azs := aws.GetAvailabilityZonesOutput(ctx, aws.GetAvailabilityZonesOutputArgs{State: pulumi.String("available")}, pulumi.Parent(n)).
		ZoneIds().ApplyT(func(ids []string) ([]string, error) {
		var usable []string
		for _, id := range ids {
			if !slices.Contains(args.AvoidZoneIDs, id) {
				usable = append(usable, id)
			}
		}
		if len(usable) < 3 {
			return nil, fmt.Errorf("region %s has %d available zones haina can use (%v, avoiding %v); haina needs 3 "+
				"(set haina:network.vpcId and subnetIds instead)", args.Region, len(usable), usable, args.AvoidZoneIDs)
		}
		return usable[:3], nil
	}).(pulumi.StringArrayOutput)

	ids := pulumi.StringArray{}
	for i, cidr := range cidrs {
		sn, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private-%d", name, i), &ec2.SubnetArgs{
			VpcId:               n.Vpc.ID(),
			CidrBlock:           pulumi.String(cidr),
			AvailabilityZoneId:  azs.Index(pulumi.Int(i)),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                withName(args.Tags, fmt.Sprintf("%s-private-%d", name, i)),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId:     sn.ID(),
			RouteTableId: n.RouteTable.ID(),
		}, parent); err != nil {
			return err
		}
		n.Subnets = append(n.Subnets, sn)
		ids = append(ids, sn.ID())
	}
	n.VpcID = n.Vpc.ID().ToStringOutput()
	n.SubnetIDs = ids.ToStringArrayOutput()
	n.CidrBlock = n.Vpc.CidrBlock

	// S3 is reached through a gateway endpoint on the private route table (COPY, UNLOAD, Firehose staging).
	n.S3Endpoint, err = ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           n.Vpc.ID(),
		ServiceName:     pulumi.Sprintf("com.amazonaws.%s.s3", args.Region),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   pulumi.StringArray{n.RouteTable.ID()},
		Policy:          endpointPolicy(n.Account, "s3"),
		Tags:            withName(args.Tags, name+"-s3"),
	}, parent)
	return err
}

func (n *Network) createEndpoints(ctx *pulumi.Context, name string, args *NetworkArgs, services []string, parent pulumi.ResourceOption) error {
	var err error
	n.EndpointSecurityGroup, err = ec2.NewSecurityGroup(ctx, name+"-endpoints", &ec2.SecurityGroupArgs{
		VpcId:       n.VpcID,
		Description: pulumi.String("haina: HTTPS to AWS interface endpoints from inside the VPC"),
		Tags:        withName(args.Tags, name+"-endpoints"),
	}, parent)
	if err != nil {
		return err
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-endpoints-https", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: n.EndpointSecurityGroup.ID(),
		Description:     pulumi.String("HTTPS from the VPC"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		CidrIpv4:        n.CidrBlock,
	}, parent); err != nil {
		return err
	}
	for _, svc := range services {
		ep, err := ec2.NewVpcEndpoint(ctx, name+"-"+svc, &ec2.VpcEndpointArgs{
			VpcId:             n.VpcID,
			ServiceName:       pulumi.Sprintf("com.amazonaws.%s.%s", args.Region, svc),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         n.SubnetIDs,
			SecurityGroupIds:  pulumi.StringArray{n.EndpointSecurityGroup.ID()},
			Policy:            endpointPolicy(n.Account, svc),
			Tags:              withName(args.Tags, name+"-"+svc),
		}, parent)
		if err != nil {
			return err
		}
		n.InterfaceEndpoints[svc] = ep
	}
	return nil
}

// EndpointEgress is where a security group inside haina's VPC opens HTTPS
// connections to AWS: the interface endpoints' security group and the S3
// gateway endpoint's prefix list, instead of 0.0.0.0/0 ("Gateway endpoints
// for Amazon S3": "You can reference the ID of the prefix list for Amazon S3
// in security group rules", https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html).
type EndpointEgress struct {
	InterfaceSecurityGroupID pulumi.StringInput
	S3PrefixListID           pulumi.StringInput
}

// Endpoints returns where HTTPS may go when haina created the VPC and so
// both the S3 gateway and the interface endpoints; nil for an existing VPC,
// whose route to S3 (its own gateway or interface endpoint, a NAT) and other
// endpoints haina does not know: a group there keeps HTTPS to 0.0.0.0/0.
func (n *Network) Endpoints() *EndpointEgress {
	if n == nil || n.S3Endpoint == nil || n.EndpointSecurityGroup == nil {
		return nil
	}
	return &EndpointEgress{InterfaceSecurityGroupID: n.EndpointSecurityGroup.ID(), S3PrefixListID: n.S3Endpoint.PrefixListId}
}

// resourceLessListActions are list calls that name no resource (their
// resource is "*"), so no resource account can be matched: they are allowed
// through the endpoint as they are (they list names, they move no data).
var resourceLessListActions = map[string][]string{
	"s3":              {"s3:ListAllMyBuckets"},
	"kinesis-streams": {"kinesis:ListStreams"},
	"secretsmanager":  {"secretsmanager:ListSecrets"},
}

// endpointPolicy lets requests through an endpoint reach only resources of
// this account (aws:ResourceAccount), whoever signs them: a database user can
// then not UNLOAD into, nor a stolen key write to, another account's bucket,
// stream or secret from inside the VPC. This is the data-perimeter form AWS
// documents ("Control access to VPC endpoints using endpoint policies",
// https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html;
// the resource perimeter of aws-samples/data-perimeter-policy-examples,
// vpc_endpoint_policies/s3_endpoint_policy.json and default_endpoint_policy.json;
// Redshift: "you can add a policy to your VPC endpoint that permits unloading
// data only to a specific Amazon S3 bucket in your account",
// https://docs.aws.amazon.com/redshift/latest/mgmt/enhanced-vpc-working-with-endpoints.html).
// An endpoint policy grants nothing (the caller's IAM and the resource's
// policies still must allow): Action "*" only bounds what passes.
//
// What this breaks, on purpose or not — AWS-owned resources reached through
// the endpoint ("Check whether you are using an AWS service that uses an S3
// bucket. If so, ensure that the endpoint policy … allows access to the
// buckets used by the AWS service", vpc-endpoints-s3.html above; the bucket
// list of the aws-samples README): Amazon Linux package repositories
// (al2023-repos-<region>-*, amazonlinux-2-repos-<region>), SSM agent buckets
// (amazon-ssm-<region>, aws-ssm-<region>…), ECR image layers
// (prod-<region>-starport-layer-bucket), CloudWatch agent, CloudFormation
// wait conditions, and COPY from AWS's public sample buckets. Nothing haina
// runs in its VPC uses them: Redshift's COPY/UNLOAD/Spectrum read the lake
// with the namespace's role; the Lambda functions are zip packages (no ECR);
// MSK Connect fetches its plugin through the service, not the VPC; the log
// shipper lives in a subnet of its own with a route out. Someone who puts an
// EC2 host in haina's private subnets must add those buckets.
func endpointPolicy(account pulumi.StringInput, service string) pulumi.StringOutput {
	return account.ToStringOutput().ApplyT(func(acct string) string {
		stmts := []policyStmt{{
			Sid: "OnlyThisAccountsResources", Effect: "Allow", Principal: map[string][]string{"AWS": {"*"}},
			Action: []string{"*"}, Resource: []string{"*"},
			Condition: map[string]map[string][]string{"StringEquals": {"aws:ResourceAccount": {acct}}},
		}}
		if list := resourceLessListActions[service]; len(list) > 0 {
			stmts = append(stmts, policyStmt{Sid: "ListCallsWithoutAResource", Effect: "Allow",
				Principal: map[string][]string{"AWS": {"*"}}, Action: list, Resource: []string{"*"}})
		}
		b, _ := json.Marshal(policyDoc{Version: "2012-10-17", Statement: stmts}) // strings only: always marshals
		return string(b)
	}).(pulumi.StringOutput)
}

// privateSubnetCidrs splits the VPC range in quarters and uses the first three,
// one per AZ; the fourth stays free for later (e.g. public subnets).
func privateSubnetCidrs(vpcCidr string) ([]string, error) {
	p, err := netip.ParsePrefix(vpcCidr)
	if err != nil || !p.Addr().Is4() {
		return nil, fmt.Errorf("haina:network.cidrBlock: %q is not an IPv4 network", vpcCidr)
	}
	bits := p.Bits() + 2
	size := uint32(1) << (32 - bits)
	base := p.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	var out []string
	for i := uint32(0); i < 3; i++ {
		v := start + i*size
		addr := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		out = append(out, netip.PrefixFrom(addr, bits).String())
	}
	return out, nil
}

// NetworkConfig (haina:network) either describes a VPC to create or names an existing one.
type NetworkConfig struct {
	// CidrBlock of the VPC haina creates (ignored when VpcID is set). /16 to /22.
	CidrBlock string `json:"cidrBlock"`
	// VpcID and SubnetIDs select an existing VPC; at least 3 subnets in 3 AZs.
	VpcID     string   `json:"vpcId"`
	SubnetIDs []string `json:"subnetIds"`
	// ClientCidrs may reach the warehouse port. Default: the VPC's CIDR.
	ClientCidrs []string `json:"clientCidrs"`
	// CreateEndpoints adds the S3 gateway and Kinesis interface endpoints.
	// Default true for a new VPC; false for an existing one, which usually has them.
	CreateEndpoints *bool `json:"createEndpoints"`
}

// Existing reports whether the network is an existing VPC.
func (n NetworkConfig) Existing() bool { return n.VpcID != "" }

// networkDefaults: a new /16 VPC.
func networkDefaults() NetworkConfig { return NetworkConfig{CidrBlock: "10.40.0.0/16"} }

// check applies haina:network's own rules; whether clients may be anyone
// depends on the warehouse and is checked in Validate.
func (n NetworkConfig) check(ck checker) {
	if n.Existing() {
		if !reVpcID.MatchString(n.VpcID) {
			ck.bad("vpcId", n.VpcID, "allowed: a VPC id such as vpc-0123456789abcdef0")
		}
		if len(n.SubnetIDs) < 3 {
			ck.bad("subnetIds", n.SubnetIDs,
				"an existing VPC needs at least 3 private subnets in 3 availability zones (Redshift Serverless with enhanced VPC routing)")
		}
		seen := map[string]bool{}
		for i, s := range n.SubnetIDs {
			if !reSubnetID.MatchString(s) {
				ck.bad(fmt.Sprintf("subnetIds[%d]", i), s, "allowed: a subnet id such as subnet-0123456789abcdef0")
			} else if seen[s] {
				ck.bad(fmt.Sprintf("subnetIds[%d]", i), s, "each subnet may be listed once")
			}
			seen[s] = true
		}
	} else {
		if len(n.SubnetIDs) > 0 {
			ck.bad("subnetIds", n.SubnetIDs, "subnet ids need haina:network.vpcId, the VPC they belong to")
		}
		p, err := netip.ParsePrefix(n.CidrBlock)
		if err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 22 || p.Masked() != p || !p.Addr().IsPrivate() {
			ck.bad("cidrBlock", n.CidrBlock, "allowed: a private IPv4 network from /16 to /22, such as 10.40.0.0/16")
		}
	}
	for i, c := range n.ClientCidrs {
		if p, err := netip.ParsePrefix(c); err != nil || p.Masked() != p {
			ck.bad(fmt.Sprintf("clientCidrs[%d]", i), c, "allowed: an IPv4 or IPv6 network such as 10.0.0.0/8")
		}
	}
}
