package components

import (
	"fmt"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RedshiftDeliveryConfig (haina:redshiftDelivery) is Firehose delivering the app events into a Redshift table (the classic path, beside streaming ingestion).
type RedshiftDeliveryConfig struct {
	Enabled bool `json:"enabled"`
	// Mode is copy-job (Firehose → S3, Redshift auto-copy; the workgroup stays private)
	// or direct (Firehose's Redshift destination; needs a publicly accessible workgroup).
	Mode  string `json:"mode"`
	Table string `json:"table"`
	// AllowDirectInProduction is the second, explicit override direct mode needs in production.
	AllowDirectInProduction bool `json:"allowDirectInProduction"`
}

// redshiftDeliveryDefaults: off; when on, copy-job into events_history.
func redshiftDeliveryDefaults() RedshiftDeliveryConfig {
	return RedshiftDeliveryConfig{Mode: "copy-job", Table: "events_history"}
}

// firehoseCIDRs are the addresses Firehose connects to Redshift from, by region
// (Firehose developer guide, "VPC access to an Amazon Redshift … workgroup").
var firehoseCIDRs = map[string]string{
	"us-east-1": "52.70.63.192/27", "us-east-2": "13.58.135.96/27", "us-west-2": "52.89.255.224/27",
	"eu-west-1": "52.19.239.192/27", "eu-central-1": "35.158.127.160/27", "ap-southeast-1": "13.228.64.192/27",
	"ap-northeast-1": "13.113.196.224/27",
}

// check applies haina:redshiftDelivery's own rules (none when it is off);
// what it needs from the lake, network and warehouse is checked in Validate.
func (r RedshiftDeliveryConfig) check(ck checker) {
	if !r.Enabled {
		return
	}
	if !reSQLName.MatchString(r.Table) {
		ck.bad("table", r.Table, "allowed: 1-127 lowercase letters, digits or underscores, not starting with a digit")
	}
	if r.Mode != "copy-job" && r.Mode != "direct" {
		ck.bad("mode", r.Mode, "allowed: copy-job, direct")
	}
}

// RedshiftDeliveryDataset is the lake prefix (and Firehose dataset) the
// events bound for Redshift are staged under.
const RedshiftDeliveryDataset = "redshift-events"

// RedshiftDeliveryArgs configures the RedshiftDelivery component.
type RedshiftDeliveryArgs struct {
	Config  RedshiftDeliveryConfig
	Region  string
	Account string
	// BaseName is "<prefix>-<environment>", the start of physical names.
	BaseName string
	Tags     pulumi.StringMap
	// Schema is the warehouse schema the table goes in; SchemaObject the SQL object creating it.
	Schema       string
	SchemaObject *SqlObject
	// SQL is the warehouse target (with its provider) the table and copy job run on.
	SQL       SqlTarget
	Warehouse *Warehouse
	// Lake's bucket (BucketName) stages the files; its key and policy are used.
	Lake       *Lake
	BucketName string
	// Delivery is the Firehose stream's arguments (source stream, bucket, buffers);
	// the component adds the Redshift destination in direct mode.
	Delivery DeliveryArgs
	// FormerParent and FormerPrefix: before this component existed the Pipeline
	// (FormerParent, named FormerPrefix) declared these resources itself;
	// aliases keep an existing stack's resources in place. Nil for a new program.
	FormerParent pulumi.Resource
	FormerPrefix string
}

// RedshiftDelivery loads the stream's events into a Redshift table through
// Firehose: copy-job (Firehose → S3, Redshift auto-copy; the workgroup stays
// private) or direct (Firehose's Redshift destination; a public workgroup).
type RedshiftDelivery struct {
	pulumi.ResourceState

	Table    *SqlObject
	Delivery *Delivery
	// Copy-job mode only (nil in direct mode): the read policy of the
	// namespace's role, the namespace's policy, the S3 integration and the job.
	ReadPolicy  *iam.RolePolicy
	NamePolicy  *redshift.ResourcePolicy
	Integration *redshift.Integration
	CopyJob     *SqlObject
}

// NewRedshiftDelivery declares the table, the Firehose stream and, in
// copy-job mode, the auto-copy integration and job.
func NewRedshiftDelivery(ctx *pulumi.Context, name string, args *RedshiftDeliveryArgs, opts ...pulumi.ResourceOption) (*RedshiftDelivery, error) {
	if args == nil || args.Warehouse == nil || args.Lake == nil || args.SchemaObject == nil || args.SQL.Provider == nil || args.BucketName == "" {
		return nil, fmt.Errorf("redshift delivery %s: Warehouse, Lake, SchemaObject, SQL (with its Provider) and BucketName are required", name)
	}
	rd := &RedshiftDelivery{}
	if err := ctx.RegisterComponentResource("haina:delivery:RedshiftDelivery", name, rd, opts...); err != nil {
		return nil, err
	}
	cfg, w := args.Config, args.Warehouse
	// child names a resource and, for a stack deployed before this component
	// existed, aliases it to the name it had under the Pipeline.
	child := func(suffix, former string) (string, pulumi.ResourceOption) {
		if args.FormerParent == nil {
			return name + "-" + suffix, pulumi.Parent(rd)
		}
		return name + "-" + suffix, pulumi.Composite(pulumi.Parent(rd),
			pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(args.FormerPrefix + "-" + former), Parent: args.FormerParent}}))
	}

	tableObj, err := sql.Render(sql.TargetTable, map[string]string{"Schema": args.Schema, "Name": cfg.Table})
	if err != nil {
		return nil, err
	}
	n, opt := child("table", "redshift-table")
	rd.Table, err = args.SQL.Declare(ctx, n, SqlSpec{Object: tableObj, HoldsData: true}, opt, pulumi.DependsOn([]pulumi.Resource{args.SchemaObject}))
	if err != nil {
		return nil, err
	}
	d := args.Delivery
	if cfg.Mode == "direct" {
		// Firehose connects from its regional addresses to the public endpoint.
		port := w.Port
		n, opt := child("firehose-ingress", "firehose-to-redshift")
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, n, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: w.SecurityGroup.ID(), Description: pulumi.String("Firehose (direct Redshift delivery)"),
			IpProtocol: pulumi.String("tcp"), FromPort: port, ToPort: port, CidrIpv4: pulumi.String(firehoseCIDRs[args.Region]),
		}, opt); err != nil {
			return nil, err
		}
		d.Redshift = &RedshiftTarget{
			JdbcURL: pulumi.Sprintf("jdbc:redshift://%s:%d/%s", w.Endpoint, w.Port, w.DatabaseName),
			// Firehose writes the list into its COPY as given: "user" is a reserved
			// word in Redshift and works only quoted (r_pg_keywords.html).
			Table: args.Schema + "." + cfg.Table, Columns: `event_time,event_name,"user"`,
			CopyOptions: "json 'auto ignorecase' gzip timeformat 'auto'",
			SecretArn:   w.AdminSecretArn, SecretKeyArn: w.KeyArn,
		}
		n, opt = child("delivery", "redshift-delivery")
		if rd.Delivery, err = NewDelivery(ctx, n, &d, opt, pulumi.DependsOn([]pulumi.Resource{rd.Table})); err != nil {
			return nil, err
		}
		return rd, rd.register(ctx)
	}

	n, opt = child("delivery", "redshift-delivery")
	if rd.Delivery, err = NewDelivery(ctx, n, &d, opt); err != nil {
		return nil, err
	}
	bucketArn := "arn:aws:s3:::" + args.BucketName
	// COPY runs as the namespace's default role: it may read this prefix, through the lake key.
	n, opt = child("copy-from-lake", "copy-from-lake")
	rd.ReadPolicy, err = iam.NewRolePolicy(ctx, n, &iam.RolePolicyArgs{
		Role: w.StreamingRole.ID(), Name: pulumi.String("copy-from-lake"),
		Policy: PolicyDocument(
			Statement{Sid: "ListPrefix", Actions: []string{"s3:ListBucket"}, Resources: pulumi.StringArray{pulumi.String(bucketArn)},
				Conditions: map[string]map[string][]string{"StringLike": {"s3:prefix": {RedshiftDeliveryDataset + "/*"}}}},
			Statement{Sid: "ReadPrefix", Actions: []string{"s3:GetObject"}, Resources: pulumi.StringArray{pulumi.String(bucketArn + "/" + RedshiftDeliveryDataset + "/*")}},
			Statement{Sid: "LakeKeyThroughS3", Actions: []string{"kms:Decrypt"}, Resources: pulumi.StringArray{args.Lake.KeyArn},
				Conditions: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {"s3." + args.Region + ".amazonaws.com"}}}},
		),
	}, opt)
	if err != nil {
		return nil, err
	}
	// The namespace accepts an inbound integration from this bucket only.
	n, opt = child("autocopy-policy", "autocopy")
	rd.NamePolicy, err = redshift.NewResourcePolicy(ctx, n, &redshift.ResourcePolicyArgs{
		ResourceArn: w.Namespace.Arn,
		Policy: PolicyDocument(
			Statement{Sid: "AuthorizeFromLake", Principals: map[string][]string{"Service": {"redshift.amazonaws.com"}},
				Actions: []string{"redshift:AuthorizeInboundIntegration"}, Resources: pulumi.StringArray{w.Namespace.Arn},
				Conditions: map[string]map[string][]string{"StringEquals": {"aws:SourceArn": {bucketArn}}}},
			Statement{Sid: "AccountCreatesFromLake", Principals: map[string][]string{"AWS": {"arn:aws:iam::" + args.Account + ":root"}},
				Actions: []string{"redshift:CreateInboundIntegration"}, Resources: pulumi.StringArray{w.Namespace.Arn},
				Conditions: map[string]map[string][]string{"StringEquals": {"aws:SourceArn": {bucketArn}}}},
		),
	}, opt)
	if err != nil {
		return nil, err
	}
	n, opt = child("autocopy", "autocopy")
	rd.Integration, err = redshift.NewIntegration(ctx, n, &redshift.IntegrationArgs{
		IntegrationName: pulumi.String(args.BaseName + "-lake-autocopy"), SourceArn: pulumi.String(bucketArn), TargetArn: w.Namespace.Arn,
		Description: pulumi.String("haina: Redshift auto-copy from the lake"), Tags: args.Tags,
	}, opt, pulumi.DependsOn([]pulumi.Resource{rd.NamePolicy, args.Lake.Policy}))
	if err != nil {
		return nil, err
	}
	renderJob := func(roleArn string) (sql.Object, error) {
		return sql.Render(sql.CopyJob, map[string]string{
			"Schema": args.Schema, "Table": cfg.Table, "Job": glueName(args.BaseName + "-" + cfg.Table),
			"Source": "s3://" + args.BucketName + "/" + RedshiftDeliveryDataset + "/", "RoleArn": roleArn,
		})
	}
	// The ARN is known once the role exists; until then a placeholder renders the rest (kind, name, drop, exists).
	jobObj, err := renderJob("arn:aws:iam::000000000000:role/placeholder")
	if err != nil {
		return nil, err
	}
	n, opt = child("copy-job", "redshift-copy-job")
	rd.CopyJob, err = args.SQL.Declare(ctx, n, SqlSpec{
		Object: jobObj, NonTransactional: true, Late: w.StreamingRoleArn, LateRender: renderJob,
	}, opt, pulumi.DependsOn([]pulumi.Resource{rd.Table, rd.Integration, rd.ReadPolicy}))
	if err != nil {
		return nil, err
	}
	return rd, rd.register(ctx)
}

func (rd *RedshiftDelivery) register(ctx *pulumi.Context) error {
	return ctx.RegisterResourceOutputs(rd, pulumi.Map{"table": rd.Table.ObjectName, "deliveryStreamArn": rd.Delivery.StreamArn})
}
