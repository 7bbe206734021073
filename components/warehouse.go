package components

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshiftserverless"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WarehouseArgs configures the Warehouse component.
type WarehouseArgs struct {
	Config WarehouseConfig
	// Protect marks the namespace, workgroup and key as protected (production).
	Protect bool
	Tags    pulumi.StringMap

	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// ClientCidrs may reach the port; when empty, VpcCidr does.
	ClientCidrs []string
	VpcCidr     pulumi.StringInput
	// Endpoints are where the workgroup may open HTTPS connections (the
	// interface endpoints' group and the S3 prefix list: Network.Endpoints).
	// Nil (an existing VPC whose endpoints haina did not create): 0.0.0.0/0,
	// which in a VPC without a route out still reaches only its endpoints.
	Endpoints *EndpointEgress

	// StreamingRoleName is the physical name of the streaming-ingestion role.
	StreamingRoleName string
	// KinesisStreamArns are the streams Redshift may read; KinesisKeyArns their
	// customer keys (leave empty for the AWS managed key).
	KinesisStreamArns pulumi.StringArrayInput
	KinesisKeyArns    pulumi.StringArrayInput
	// ExtraStreamingStatements extend the streaming role (e.g. reading MSK topics).
	ExtraStreamingStatements []Statement
}

// Warehouse is a Redshift Serverless namespace and workgroup, private by
// default, with the IAM role streaming ingestion uses as the namespace default.
type Warehouse struct {
	pulumi.ResourceState

	Key                 *kms.Key // nil when config names an existing key
	StreamingRole       *iam.Role
	StreamingRolePolicy *iam.RolePolicy
	Namespace           *redshiftserverless.Namespace
	SecurityGroup       *ec2.SecurityGroup
	Workgroup           *redshiftserverless.Workgroup
	UsageLimit          *redshiftserverless.UsageLimit
	// Cluster, its parameter and subnet groups and its audit logging: kind
	// provisioned (then Namespace, Workgroup and UsageLimit are nil).
	Cluster        *redshift.Cluster
	ParameterGroup *redshift.ParameterGroup
	SubnetGroup    *redshift.SubnetGroup
	Logging        *redshift.Logging

	// ClusterIdentifier is set for a provisioned cluster ("" for Serverless,
	// whose WorkgroupName and NamespaceName are "" for a cluster).
	ClusterIdentifier pulumi.StringOutput
	// Arn is the workgroup's or the cluster's ARN; NamespaceArn the namespace's
	// (the cluster's namespace for a cluster).
	Arn          pulumi.StringOutput
	NamespaceArn pulumi.StringOutput
	// Ready is what SQL on the warehouse waits for: the workgroup and
	// namespace, or the cluster (with the streaming role's policy).
	Ready []pulumi.Resource

	NamespaceName    pulumi.StringOutput
	WorkgroupName    pulumi.StringOutput
	DatabaseName     pulumi.StringOutput
	Endpoint         pulumi.StringOutput
	Port             pulumi.IntOutput
	AdminSecretArn   pulumi.StringOutput
	StreamingRoleArn pulumi.StringOutput
	// KeyArn encrypts the namespace and its admin secret.
	KeyArn pulumi.StringOutput
}

// Actions Redshift streaming ingestion needs on a Kinesis stream (AWS docs, "Getting started with streaming ingestion").
var kinesisReadActions = []string{
	"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards",
}

// NewWarehouse declares the warehouse.
func NewWarehouse(ctx *pulumi.Context, name string, args *WarehouseArgs, opts ...pulumi.ResourceOption) (*Warehouse, error) {
	if args == nil || args.VpcID == nil || args.SubnetIDs == nil || args.KinesisStreamArns == nil {
		return nil, fmt.Errorf("warehouse %s: VpcID, SubnetIDs and KinesisStreamArns are required", name)
	}
	w := &Warehouse{}
	if err := ctx.RegisterComponentResource("haina:warehouse:Warehouse", name, w, opts...); err != nil {
		return nil, err
	}
	cfg := args.Config
	parent := pulumi.Parent(w)
	stateful := []pulumi.ResourceOption{parent, pulumi.Protect(args.Protect)}

	keyArn := pulumi.String(cfg.KmsKeyArn).ToStringOutput()
	if cfg.KmsKeyArn == "" {
		// Redshift Serverless encrypts the namespace "on behalf of the user who
		// is creating or modifying" it and keeps grants on the key
		// ("Authorizing use of an AWS KMS customer managed key with Amazon
		// Redshift (Provisioned) and Amazon Redshift Serverless",
		// https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-kms-customer-managed-key.html);
		// the Data API creates a grant on the caller's behalf when it runs a
		// statement on a namespace with a customer key ("Using AWS KMS with the
		// Amazon Redshift Data API", https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-kms.html);
		// the admin secret is encrypted through Secrets Manager ("Secret
		// encryption and decryption in AWS Secrets Manager",
		// https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
		// Both Redshift service names are listed: which one Serverless calls KMS
		// through on a namespace is not stated on those pages.
		description := "haina: Redshift Serverless namespace " + cfg.NamespaceName
		if cfg.Kind == WarehouseProvisioned {
			description = "haina: Redshift cluster " + cfg.WorkgroupName
		}
		key, err := newCustomerKey(ctx, name+"-key", customerKey{Description: description,
			Use:     keyUse{Services: []string{"redshift", "redshift-data", "redshift-serverless", "secretsmanager"}, Grants: true},
			Protect: args.Protect, Tags: args.Tags, Parent: w})
		if err != nil {
			return nil, err
		}
		w.Key, keyArn = key, key.Arn
	}
	w.KeyArn = keyArn

	if err := w.streamingRole(ctx, name, args, parent); err != nil {
		return nil, err
	}

	if cfg.Kind == WarehouseProvisioned {
		if err := w.cluster(ctx, name, args, keyArn, stateful, parent); err != nil {
			return nil, err
		}
	} else if err := w.serverless(ctx, name, args, keyArn, stateful, parent); err != nil {
		return nil, err
	}
	w.StreamingRoleArn = w.StreamingRole.Arn
	if err := ctx.RegisterResourceOutputs(w, pulumi.Map{
		"namespaceName": w.NamespaceName, "workgroupName": w.WorkgroupName, "clusterIdentifier": w.ClusterIdentifier, "databaseName": w.DatabaseName,
		"endpoint": w.Endpoint, "port": w.Port, "adminSecretArn": w.AdminSecretArn, "streamingRoleArn": w.StreamingRoleArn,
	}); err != nil {
		return nil, err
	}
	return w, nil
}

// SQLTarget is the warehouse as SQL objects address it: the workgroup or
// the cluster, the database, the admin secret, and the data-safety policy
// given (the provider is added by Ingestion).
func (w *Warehouse) SQLTarget(guardDelete, protect bool) SqlTarget {
	t := SqlTarget{Database: w.DatabaseName, SecretArn: w.AdminSecretArn, GuardDelete: guardDelete, Protect: protect}
	if w.Cluster != nil {
		t.ClusterIdentifier = w.ClusterIdentifier
	} else {
		t.WorkgroupName = w.WorkgroupName
	}
	return t
}

// serverless declares the namespace, the workgroup and the usage limit.
func (w *Warehouse) serverless(ctx *pulumi.Context, name string, args *WarehouseArgs, keyArn pulumi.StringOutput,
	stateful []pulumi.ResourceOption, parent pulumi.ResourceOption) error {
	cfg := args.Config
	var err error
	w.Namespace, err = redshiftserverless.NewNamespace(ctx, name, &redshiftserverless.NamespaceArgs{
		NamespaceName: pulumi.String(cfg.NamespaceName),
		DbName:        pulumi.String(cfg.DatabaseName),
		AdminUsername: pulumi.String(cfg.AdminUsername),
		// Redshift generates the password and keeps it in Secrets Manager: it never enters Pulumi state.
		ManageAdminPassword:         pulumi.Bool(true),
		AdminPasswordSecretKmsKeyId: keyArn,
		KmsKeyId:                    keyArn,
		LogExports:                  pulumi.ToStringArray(AuditLogTypes),
		IamRoles:                    pulumi.StringArray{w.StreamingRole.Arn},
		// SQL can then say IAM_ROLE default.
		DefaultIamRoleArn: w.StreamingRole.Arn,
		Tags:              args.Tags,
	}, append(stateful, pulumi.DependsOn([]pulumi.Resource{w.StreamingRolePolicy}))...)
	if err != nil {
		return err
	}

	if err := w.securityGroup(ctx, name, args, parent); err != nil {
		return err
	}

	params := redshiftserverless.WorkgroupConfigParameterArray{}
	for _, kv := range cfg.workgroupConfig() {
		params = append(params, redshiftserverless.WorkgroupConfigParameterArgs{
			ParameterKey: pulumi.String(kv[0]), ParameterValue: pulumi.String(kv[1]),
		})
	}
	w.Workgroup, err = redshiftserverless.NewWorkgroup(ctx, name, &redshiftserverless.WorkgroupArgs{
		WorkgroupName:      pulumi.String(cfg.WorkgroupName),
		NamespaceName:      w.Namespace.NamespaceName,
		BaseCapacity:       pulumi.Int(cfg.BaseCapacity),
		MaxCapacity:        pulumi.Int(cfg.MaxCapacity),
		Port:               pulumi.Int(cfg.Port),
		PubliclyAccessible: pulumi.Bool(cfg.PubliclyAccessible),
		// Streaming ingestion, COPY and UNLOAD stay inside the VPC (through its endpoints).
		EnhancedVpcRouting: pulumi.Bool(true),
		SubnetIds:          args.SubnetIDs,
		SecurityGroupIds:   pulumi.StringArray{w.SecurityGroup.ID()},
		ConfigParameters:   params,
		Tags:               args.Tags,
		// Parameters are set when the workgroup is created and not diffed after:
		// Redshift now reports enable_large_strings_opt_in among them, a key the
		// pinned provider (pulumi-aws 6.83.4, on terraform-provider-aws 5.x)
		// refuses, so every `up` would show a diff and fail to apply it with
		// "You didn't specify any changes to the configuration parameters"
		// (hashicorp/terraform-provider-aws#49939). docs/config.md says how to change one later.
	}, append(stateful, pulumi.IgnoreChanges([]string{"configParameters"}))...)
	if err != nil {
		return err
	}

	w.UsageLimit, err = redshiftserverless.NewUsageLimit(ctx, name+"-rpu-hours", &redshiftserverless.UsageLimitArgs{
		ResourceArn:  w.Workgroup.Arn,
		UsageType:    pulumi.String("serverless-compute"),
		Amount:       pulumi.Int(cfg.UsageLimit.Amount),
		Period:       pulumi.String(cfg.UsageLimit.Period),
		BreachAction: pulumi.String(cfg.UsageLimit.BreachAction),
	}, parent)
	if err != nil {
		return err
	}

	w.NamespaceName = w.Namespace.NamespaceName
	w.WorkgroupName = w.Workgroup.WorkgroupName
	w.DatabaseName = w.Namespace.DbName
	w.Endpoint = w.Workgroup.Endpoints.Index(pulumi.Int(0)).Address().Elem()
	w.Port = w.Workgroup.Port
	w.AdminSecretArn = w.Namespace.AdminPasswordSecretArn
	w.Arn, w.NamespaceArn = w.Workgroup.Arn, w.Namespace.Arn
	w.ClusterIdentifier = pulumi.String("").ToStringOutput()
	w.Ready = []pulumi.Resource{w.Workgroup, w.Namespace, w.StreamingRolePolicy}
	return nil
}

// cluster declares a provisioned RA3 cluster: private, encrypted with the
// warehouse key, enhanced VPC routing, the admin password managed by
// Redshift in Secrets Manager, the streaming role as its default IAM role,
// TLS required and identifiers case-sensitive (its parameter group), audit
// logs to CloudWatch Logs, protected with the rest in production.
func (w *Warehouse) cluster(ctx *pulumi.Context, name string, args *WarehouseArgs, keyArn pulumi.StringOutput,
	stateful []pulumi.ResourceOption, parent pulumi.ResourceOption) error {
	cfg := args.Config
	if err := w.securityGroup(ctx, name, args, parent); err != nil {
		return err
	}
	var err error
	w.SubnetGroup, err = redshift.NewSubnetGroup(ctx, name, &redshift.SubnetGroupArgs{
		Name: pulumi.String(cfg.WorkgroupName), Description: pulumi.String("haina: the warehouse's private subnets"),
		SubnetIds: args.SubnetIDs, Tags: args.Tags,
	}, parent)
	if err != nil {
		return err
	}
	// The parameters a Serverless workgroup gets from workgroupConfigDefaults
	// that matter to haina: TLS only, case kept (stream and topic names), and
	// user activity logged.
	w.ParameterGroup, err = redshift.NewParameterGroup(ctx, name, &redshift.ParameterGroupArgs{
		Name: pulumi.String(cfg.WorkgroupName), Family: pulumi.String("redshift-2.0"),
		Description: pulumi.String("haina: TLS only, case-sensitive identifiers, user activity logged"),
		Parameters: redshift.ParameterGroupParameterArray{
			redshift.ParameterGroupParameterArgs{Name: pulumi.String("enable_case_sensitive_identifier"), Value: pulumi.String("true")},
			redshift.ParameterGroupParameterArgs{Name: pulumi.String("enable_user_activity_logging"), Value: pulumi.String("true")},
			redshift.ParameterGroupParameterArgs{Name: pulumi.String("require_ssl"), Value: pulumi.String("true")},
		},
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return err
	}
	clusterType := "single-node"
	if cfg.NodeCount > 1 {
		clusterType = "multi-node"
	}
	clusterArgs := &redshift.ClusterArgs{
		ClusterIdentifier: pulumi.String(cfg.WorkgroupName),
		NodeType:          pulumi.String(cfg.NodeType),
		ClusterType:       pulumi.String(clusterType),
		DatabaseName:      pulumi.String(cfg.DatabaseName),
		MasterUsername:    pulumi.String(cfg.AdminUsername),
		// Redshift generates the password and keeps it in Secrets Manager: it never enters Pulumi state.
		ManageMasterPassword:         pulumi.Bool(true),
		MasterPasswordSecretKmsKeyId: keyArn,
		Encrypted:                    pulumi.Bool(true),
		KmsKeyId:                     keyArn,
		EnhancedVpcRouting:           pulumi.Bool(true),
		PubliclyAccessible:           pulumi.Bool(cfg.PubliclyAccessible),
		Port:                         pulumi.Int(cfg.Port),
		ClusterSubnetGroupName:       w.SubnetGroup.Name,
		ClusterParameterGroupName:    w.ParameterGroup.Name,
		VpcSecurityGroupIds:          pulumi.StringArray{w.SecurityGroup.ID()},
		IamRoles:                     pulumi.StringArray{w.StreamingRole.Arn},
		// SQL can then say IAM_ROLE default.
		DefaultIamRoleArn: w.StreamingRole.Arn,
		// A protected cluster leaves a final snapshot when it is deleted on purpose.
		SkipFinalSnapshot: pulumi.Bool(!args.Protect),
		Tags:              args.Tags,
	}
	if cfg.NodeCount > 1 {
		clusterArgs.NumberOfNodes = pulumi.Int(cfg.NodeCount)
	}
	if args.Protect {
		clusterArgs.FinalSnapshotIdentifier = pulumi.String(cfg.WorkgroupName + "-final")
	}
	w.Cluster, err = redshift.NewCluster(ctx, name, clusterArgs, append(stateful, pulumi.DependsOn([]pulumi.Resource{w.StreamingRolePolicy}))...)
	if err != nil {
		return err
	}
	w.Logging, err = redshift.NewLogging(ctx, name, &redshift.LoggingArgs{
		ClusterIdentifier: w.Cluster.ClusterIdentifier, LogDestinationType: pulumi.String("cloudwatch"),
		LogExports: pulumi.ToStringArray(AuditLogTypes),
	}, parent)
	if err != nil {
		return err
	}
	w.NamespaceName, w.WorkgroupName = pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()
	w.ClusterIdentifier = w.Cluster.ClusterIdentifier
	w.DatabaseName = w.Cluster.DatabaseName
	w.Endpoint = w.Cluster.DnsName
	w.Port = w.Cluster.Port.Elem()
	w.AdminSecretArn = w.Cluster.MasterPasswordSecretArn
	w.Arn, w.NamespaceArn = w.Cluster.Arn, w.Cluster.ClusterNamespaceArn
	w.Ready = []pulumi.Resource{w.Cluster, w.StreamingRolePolicy}
	return nil
}

// streamingRole is the role Redshift assumes to read the streams: exactly the
// read actions on the named streams, ListStreams (which has no resource type)
// on "*", and kms:Decrypt on customer keys.
func (w *Warehouse) streamingRole(ctx *pulumi.Context, name string, args *WarehouseArgs, parent pulumi.ResourceOption) error {
	var err error
	w.StreamingRole, err = iam.NewRole(ctx, name+"-streaming", &iam.RoleArgs{
		Name:        pulumi.String(args.StreamingRoleName),
		Description: pulumi.String("haina: Redshift streaming ingestion reads the pipeline's streams"),
		// No aws:SourceAccount/aws:SourceArn condition: Redshift's pages on
		// roles it assumes ("Authorizing Amazon Redshift to access AWS services
		// on your behalf", https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service.html)
		// show the bare service trust and do not say which context keys Redshift
		// Serverless sends when it assumes a namespace's default role; a
		// condition on a key it does not send would break streaming ingestion.
		AssumeRolePolicy: pulumi.String(TrustPolicy([]string{"redshift.amazonaws.com", "redshift-serverless.amazonaws.com"}, nil)),
		Tags:             args.Tags,
	}, parent)
	if err != nil {
		return err
	}
	stmts := []Statement{
		{Sid: "ReadStreams", Actions: kinesisReadActions, Resources: args.KinesisStreamArns},
		{Sid: "ListStreams", Actions: []string{"kinesis:ListStreams"}, Resources: pulumi.ToStringArray([]string{"*"})},
	}
	if args.KinesisKeyArns != nil {
		stmts = append(stmts, Statement{Sid: "DecryptStreams", Actions: []string{"kms:Decrypt"}, Resources: args.KinesisKeyArns})
	}
	stmts = append(stmts, args.ExtraStreamingStatements...)
	w.StreamingRolePolicy, err = iam.NewRolePolicy(ctx, name+"-streaming", &iam.RolePolicyArgs{
		Role:   w.StreamingRole.ID(),
		Name:   pulumi.String("streaming-ingestion"),
		Policy: PolicyDocument(stmts...),
	}, parent)
	return err
}

// securityGroup admits the warehouse port from the clients only and lets the
// warehouse open HTTPS connections to the VPC's endpoints only (COPY, UNLOAD
// and streaming ingestion go through them with enhanced VPC routing), so the
// endpoints' policies are the only way out; without known endpoints, to
// 0.0.0.0/0 (see WarehouseArgs.Endpoints).
func (w *Warehouse) securityGroup(ctx *pulumi.Context, name string, args *WarehouseArgs, parent pulumi.ResourceOption) error {
	var err error
	w.SecurityGroup, err = ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("haina: Redshift Serverless workgroup"),
		Tags:        withName(args.Tags, name+"-warehouse"),
	}, parent)
	if err != nil {
		return err
	}
	port := pulumi.Int(args.Config.Port)
	if len(args.ClientCidrs) == 0 {
		_, err = vpc.NewSecurityGroupIngressRule(ctx, name+"-clients-vpc", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: w.SecurityGroup.ID(), Description: pulumi.String("SQL clients inside the VPC"),
			IpProtocol: pulumi.String("tcp"), FromPort: port, ToPort: port, CidrIpv4: args.VpcCidr,
		}, parent)
		if err != nil {
			return err
		}
	}
	for i, c := range args.ClientCidrs {
		rule := &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: w.SecurityGroup.ID(), Description: pulumi.String("SQL clients " + c),
			IpProtocol: pulumi.String("tcp"), FromPort: port, ToPort: port,
		}
		if netip.MustParsePrefix(c).Addr().Is4() {
			rule.CidrIpv4 = pulumi.String(c)
		} else {
			rule.CidrIpv6 = pulumi.String(c)
		}
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-clients-%d", name, i), rule, parent); err != nil {
			return err
		}
	}
	https := func(suffix, desc string, rule vpc.SecurityGroupEgressRuleArgs) error {
		rule.SecurityGroupId, rule.Description = w.SecurityGroup.ID(), pulumi.String(desc)
		rule.IpProtocol, rule.FromPort, rule.ToPort = pulumi.String("tcp"), pulumi.Int(443), pulumi.Int(443)
		_, err := vpc.NewSecurityGroupEgressRule(ctx, name+suffix, &rule, parent)
		return err
	}
	if e := args.Endpoints; e != nil {
		if err := https("-https-endpoints", "HTTPS to the VPC's interface endpoints (Kinesis, Secrets Manager)",
			vpc.SecurityGroupEgressRuleArgs{ReferencedSecurityGroupId: e.InterfaceSecurityGroupID}); err != nil {
			return err
		}
		return https("-https-s3", "HTTPS to S3 through the gateway endpoint (COPY, UNLOAD)",
			vpc.SecurityGroupEgressRuleArgs{PrefixListId: e.S3PrefixListID})
	}
	return https("-https", "HTTPS to AWS endpoints (Kinesis, S3); haina knows no endpoints of this VPC",
		vpc.SecurityGroupEgressRuleArgs{CidrIpv4: pulumi.String("0.0.0.0/0")})
}

// WarehouseConfig (haina:warehouse) is the Redshift Serverless namespace and workgroup.
type WarehouseConfig struct {
	// Kind is serverless (Redshift Serverless: billed per second while it
	// works, at least 60 s per wake-up) or provisioned (an RA3 cluster: billed
	// per node-hour around the clock; cheaper when data must be seconds fresh
	// all day). BaseCapacity, MaxCapacity, UsageLimit and ConfigParameters are
	// Serverless's; NodeType and NodeCount the cluster's. A provisioned
	// cluster's identifier is WorkgroupName.
	Kind      string `json:"kind"`
	NodeType  string `json:"nodeType"`
	NodeCount int    `json:"nodeCount"`

	NamespaceName string `json:"namespaceName"`
	WorkgroupName string `json:"workgroupName"`
	DatabaseName  string `json:"databaseName"`
	AdminUsername string `json:"adminUsername"`
	BaseCapacity  int    `json:"baseCapacity"`
	MaxCapacity   int    `json:"maxCapacity"`
	Port          int    `json:"port"`
	// PubliclyAccessible is refused in production unless AllowPublicInProduction.
	PubliclyAccessible      bool `json:"publiclyAccessible"`
	AllowPublicInProduction bool `json:"allowPublicInProduction"`
	// KmsKeyArn is an existing customer key for the namespace; default: haina creates one.
	KmsKeyArn string `json:"kmsKeyArn"`
	// ConfigParameters override single workgroup parameters; haina always sends
	// the full set (see workgroupConfigDefaults) so AWS reports no drift.
	ConfigParameters map[string]string `json:"configParameters"`
	UsageLimit       UsageLimitConfig  `json:"usageLimit"`
	// LogRetentionDays: how long the audit logs Redshift exports to CloudWatch
	// Logs are kept (Redshift makes their groups never expiring).
	LogRetentionDays int `json:"logRetentionDays"`
}

// AuditLogTypes are the logs the warehouse exports to CloudWatch Logs.
var AuditLogTypes = []string{"connectionlog", "useractivitylog", "userlog"}

// AuditLogGroupPrefix is where Redshift puts a warehouse's exported logs:
// /aws/redshift/<namespace>/<log type> on Serverless ("Audit logging for
// Amazon Redshift Serverless", https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-audit-logging.html),
// /aws/redshift/cluster/<cluster>/<log type> for a cluster ("Database audit
// logging", https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html).
func (w WarehouseConfig) AuditLogGroupPrefix() string {
	if w.Kind == WarehouseProvisioned {
		return "/aws/redshift/cluster/" + w.WorkgroupName + "/"
	}
	return "/aws/redshift/" + w.NamespaceName + "/"
}

// UsageLimitConfig caps RPU-hours per period.
type UsageLimitConfig struct {
	Amount       int    `json:"amount"`
	Period       string `json:"period"`
	BreachAction string `json:"breachAction"`
}

// warehouseDefaults are sized from the cost estimate (`haina plan`, README
// "Costs") for the default refresh policy: staging at the 4-RPU floor
// (warehouses under 32 TB), woken by one call every 10 minutes, about 10
// RPU-hours a day; production at 8 RPU, woken every 2 minutes, about 96
// RPU-hours a day. Staging stops queries only at a monthly budget of about
// twice the estimate (600 RPU-hours, $225); production never stops: it
// emits a metric at twice its daily estimate.
func warehouseDefaults(env Environment, base string) WarehouseConfig {
	w := WarehouseConfig{Kind: WarehouseServerless, NodeType: "ra3.xlplus", NodeCount: 1,
		NamespaceName: base, WorkgroupName: base, DatabaseName: "haina", AdminUsername: "haina_admin", Port: 5439, LogRetentionDays: 30}
	if env == Production {
		// A year of audit logs: who connected and what ran.
		w.LogRetentionDays = 365
		w.BaseCapacity, w.MaxCapacity = 8, 256
		w.UsageLimit = UsageLimitConfig{Amount: 192, Period: "daily", BreachAction: "emit-metric"}
	} else {
		w.BaseCapacity, w.MaxCapacity = 4, 32
		w.UsageLimit = UsageLimitConfig{Amount: 600, Period: "monthly", BreachAction: "deactivate"}
	}
	return w
}

// Regions where base capacity above 512 RPU (steps of 32 up to 1024) is offered.
var largeRPURegions = []string{"eu-central-1", "eu-west-1", "us-east-1", "us-east-2", "us-west-2"}

// workgroupConfigDefaults is the full parameter set AWS reports for a workgroup.
// Sending all of it (pulumi-aws#4405) keeps a second `up` free of drift.
var workgroupConfigDefaults = map[string]string{
	"auto_mv":                          "true",
	"datestyle":                        "ISO, MDY",
	"enable_case_sensitive_identifier": "true", // Kinesis stream and Kafka topic names keep their case.
	"enable_user_activity_logging":     "true",
	"max_query_execution_time":         "14400",
	"query_group":                      "default",
	"require_ssl":                      "true",
	"search_path":                      "$user, public",
	"use_fips_ssl":                     "false",
}

var (
	reRsName      = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)
	reDatabase    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
	reUsername    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
	reservedUsers = []string{"public", "rdsadmin", "rdsdb"}
)

// Warehouse kinds.
const (
	WarehouseServerless  = "serverless"
	WarehouseProvisioned = "provisioned"
)

// ra3NodeRanges are the node counts each RA3 type allows at creation ("RA3
// node types", https://docs.aws.amazon.com/redshift/latest/mgmt/working-with-clusters.html:
// ra3.xlplus single-node 1 or multi-node 2-16, ra3.4xlarge 2-32, ra3.16xlarge
// 2-128). ra3.large is newer than the copy of that table read here: whether
// it runs as a single node could not be confirmed offline, so haina asks for
// at least 2 of them until it is.
var ra3NodeRanges = map[string][2]int{"ra3.large": {2, 16}, "ra3.xlplus": {1, 16}, "ra3.4xlarge": {2, 32}, "ra3.16xlarge": {2, 128}}

// reClusterID: 1-63 lowercase letters, digits or hyphens, starting with a
// letter, no two hyphens in a row, not ending in one (CreateCluster's ClusterIdentifier).
var reClusterID = regexp.MustCompile(`^[a-z]([a-z0-9]|-[a-z0-9]){0,62}$`)

// check applies haina:warehouse's rules; the region decides which sizes exist.
func (w WarehouseConfig) check(ck checker, env Environment, region string) {
	ck.logRetention("logRetentionDays", w.LogRetentionDays)
	switch w.Kind {
	case WarehouseServerless:
	case WarehouseProvisioned:
		if r, ok := ra3NodeRanges[w.NodeType]; !ok {
			ck.bad("nodeType", w.NodeType, "allowed: "+strings.Join(sortedKeys(ra3NodeRanges), ", ")+" (streaming ingestion and managed storage need RA3)")
		} else if w.NodeCount < r[0] || w.NodeCount > r[1] {
			ck.bad("nodeCount", w.NodeCount, fmt.Sprintf("allowed for %s: %d to %d nodes", w.NodeType, r[0], r[1]))
		}
		if !reClusterID.MatchString(w.WorkgroupName) {
			ck.bad("workgroupName", w.WorkgroupName, "a provisioned cluster's identifier: 1-63 lowercase letters, digits or hyphens, starting with a letter, no two hyphens in a row, not ending in one")
		}
	default:
		ck.bad("kind", w.Kind, "allowed: serverless (billed while it works), provisioned (an RA3 cluster billed per node-hour)")
	}
	for _, kv := range [][2]string{{"namespaceName", w.NamespaceName}, {"workgroupName", w.WorkgroupName}} {
		if !reRsName.MatchString(kv[1]) {
			ck.bad(kv[0], kv[1], "allowed: 3-64 lowercase letters, digits or hyphens")
		}
	}
	if !reDatabase.MatchString(w.DatabaseName) {
		ck.bad("databaseName", w.DatabaseName, "allowed: 1-64 lowercase letters, digits or underscores, not starting with a digit")
	}
	if !reUsername.MatchString(w.AdminUsername) || slices.Contains(reservedUsers, w.AdminUsername) {
		ck.bad("adminUsername", w.AdminUsername,
			"allowed: 1-64 lowercase letters, digits or underscores, not starting with a digit, not public/rdsadmin/rdsdb")
	}
	if !validBaseRPU(w.BaseCapacity, region) {
		ck.bad("baseCapacity", w.BaseCapacity,
			"allowed: 4, or a multiple of 8 from 8 to 512; multiples of 32 up to 1024 only in "+strings.Join(largeRPURegions, ", "))
	}
	if w.MaxCapacity < w.BaseCapacity || w.MaxCapacity > 5632 || (w.MaxCapacity%8 != 0 && w.MaxCapacity != w.BaseCapacity) {
		ck.bad("maxCapacity", w.MaxCapacity,
			fmt.Sprintf("allowed: a multiple of 8 from the base capacity (%d) up to 5632", w.BaseCapacity))
	}
	if !(w.Port >= 5431 && w.Port <= 5455) && !(w.Port >= 8191 && w.Port <= 8215) {
		ck.bad("port", w.Port, "allowed: 5431-5455 or 8191-8215")
	}
	if w.PubliclyAccessible && env == Production && !w.AllowPublicInProduction {
		ck.bad("publiclyAccessible", true,
			"a publicly accessible warehouse in production also needs haina:warehouse.allowPublicInProduction: true")
	}
	if w.KmsKeyArn != "" && !reKmsKeyArn.MatchString(w.KmsKeyArn) {
		ck.bad("kmsKeyArn", w.KmsKeyArn, "allowed: a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key-id>")
	}
	for _, k := range sortedKeys(w.ConfigParameters) {
		if _, ok := workgroupConfigDefaults[k]; !ok {
			ck.bad("configParameters."+k, w.ConfigParameters[k], "allowed keys: "+strings.Join(sortedKeys(workgroupConfigDefaults), ", "))
		}
	}
	if v, ok := w.ConfigParameters["require_ssl"]; ok && v != "true" {
		ck.bad("configParameters.require_ssl", v, "haina requires TLS to the warehouse: only true")
	}
	u, uck := w.UsageLimit, ck.in("usageLimit")
	if u.Amount <= 0 {
		uck.bad("amount", u.Amount, "allowed: a positive number of RPU-hours per period")
	}
	if !slices.Contains([]string{"daily", "weekly", "monthly"}, u.Period) {
		uck.bad("period", u.Period, "allowed: daily, weekly, monthly")
	}
	if !slices.Contains([]string{"log", "emit-metric", "deactivate"}, u.BreachAction) {
		uck.bad("breachAction", u.BreachAction, "allowed: log, emit-metric, deactivate")
	}
}

func validBaseRPU(rpu int, region string) bool {
	switch {
	case rpu == 4:
		return true
	case rpu >= 8 && rpu <= 512:
		return rpu%8 == 0
	case rpu > 512 && rpu <= 1024:
		return rpu%32 == 0 && slices.Contains(largeRPURegions, region)
	}
	return false
}

// workgroupConfig returns the full, key-sorted workgroup parameter set with overrides applied.
func (w WarehouseConfig) workgroupConfig() [][2]string {
	merged := map[string]string{}
	for k, v := range workgroupConfigDefaults {
		merged[k] = v
	}
	for k, v := range w.ConfigParameters {
		merged[k] = v
	}
	out := make([][2]string, 0, len(merged))
	for _, k := range sortedKeys(merged) {
		out = append(out, [2]string{k, merged[k]})
	}
	return out
}
