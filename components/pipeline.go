package components

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Pipeline composes haina's building blocks for one environment: the network,
// the Kinesis stream and the Redshift Serverless warehouse that ingests it.
type Pipeline struct {
	pulumi.ResourceState

	Args    *PipelineArgs
	Network *Network
	// Logs holds the key of the log groups of the Lambdas, Firehose, MSK and MSK Connect.
	Logs      *Logs
	Stream    *Stream
	Warehouse *Warehouse
	Ingestion *Ingestion
	// RefreshSchedule makes the one scheduled call (haina:ingestion.refresh):
	// refresh the views, Kinesis and CDC, and apply the changes.
	RefreshSchedule *SqlSchedule
	// Producer is nil when haina:producer.enabled is false.
	Producer *Producer
	// LogShipper is nil unless haina:logShipper.enabled.
	LogShipper *LogShipper
	// Kafka is the MSK cluster of CDC and SourceDB the database it captures
	// (nil unless haina:cdc.enabled; SourceDB nil for an existing database).
	Kafka *Kafka
	// Topics creates the CDC topics before the connector and the landing views.
	Topics    *Topics
	SourceDB  *SourceDatabase
	Connector *Connector
	// Changes is the Redshift side of CDC.
	Changes *ChangeTables
	// ZeroETL is CDC in haina:cdc.mode zero-etl (Kafka, Topics, Connector and
	// Changes are then nil).
	ZeroETL *ZeroETL
	// AuditLogSettings keep the retention and key of the log groups Redshift
	// exports its audit logs to (haina:logs:LogGroupSettings, under Logs).
	AuditLogSettings []pulumi.CustomResource
	// Health makes the scheduled call and publishes the warehouse's health.
	Health *HealthFunction
	// Monitoring is the alarm topic, the alarms and the dashboard (nil with haina:alarms.enabled false).
	Monitoring *Monitoring
	// Lake, Events (the app events' delivery) and FlowLogs are nil when turned off.
	Lake     *Lake
	Events   *Delivery
	FlowLogs *FlowLogs
	// RedshiftDelivery is nil unless haina:redshiftDelivery.enabled.
	RedshiftDelivery *RedshiftDelivery

	// Outputs are the values a user needs; NewPipeline exports them as stack outputs.
	Outputs pulumi.Map
	// Guard depends on everything else and is protected with it: a refused
	// destroy stops there before deleting anything (see guard.go).
	Guard *DestroyGuard
	// guarded records every custom resource under the pipeline: what the guard depends on.
	guarded *collector
}

// NewPipeline declares the pipeline. args must come from LoadPipelineArgs or
// pass Validate; it is checked again here so no resource is declared from bad input.
// A stack holds one Pipeline: its outputs become the stack's outputs.
func NewPipeline(ctx *pulumi.Context, name string, args *PipelineArgs, opts ...pulumi.ResourceOption) (*Pipeline, error) {
	if args == nil {
		return nil, errors.New("pipeline: args are required (use components.LoadPipelineArgs)")
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{Args: args, guarded: &collector{}}
	// Every custom resource under the pipeline is recorded as it is registered: the guard depends on each.
	opts = append(opts, pulumi.Transformations([]pulumi.ResourceTransformation{p.guarded.transformation}))
	if err := ctx.RegisterComponentResource("haina:pipeline:Pipeline", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)
	tags := args.AllTags()

	var err error
	services := []string{"kinesis-streams"}
	if args.CDC.DebeziumMode() {
		services = append(services, "secretsmanager") // the connector's config provider resolves the database secret
	}
	var avoid []string
	if args.CDC.DebeziumMode() {
		// The brokers use the first three subnets: avoid the zones MSK refuses.
		avoid = sortedKeys(UnsupportedZones["kafka"])
	}
	p.Network, err = NewNetwork(ctx, name, &NetworkArgs{Config: args.Network, Region: args.Region, InterfaceServices: services,
		AvoidZoneIDs: avoid, Tags: tags}, parent)
	if err != nil {
		return nil, err
	}
	// Log groups are created before their writers, so their key comes first.
	if p.Logs, err = NewLogs(ctx, name+"-logs", &LogsArgs{Base: args.Prefix + "-" + string(args.Environment), Protect: args.Protect,
		ServiceGroups: []string{args.Warehouse.AuditLogGroupPrefix()},
		Tags:          tags}, parent); err != nil {
		return nil, err
	}
	p.Stream, err = NewStream(ctx, name+"-events", &StreamArgs{Config: args.Stream, Protect: args.Protect, Tags: tags}, parent)
	if err != nil {
		return nil, err
	}

	whArgs := &WarehouseArgs{
		Config:            args.Warehouse,
		Protect:           args.Protect,
		Tags:              tags,
		VpcID:             p.Network.VpcID,
		SubnetIDs:         p.Network.SubnetIDs,
		ClientCidrs:       args.Network.ClientCidrs,
		VpcCidr:           p.Network.CidrBlock,
		Endpoints:         p.Network.Endpoints(), // HTTPS only to haina's endpoints, when it made them
		StreamingRoleName: args.Name("redshift-streaming"),
		KinesisStreamArns: pulumi.StringArray{p.Stream.Arn},
	}
	if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
		whArgs.KinesisKeyArns = pulumi.StringArray{p.Stream.KeyArn}
	}
	p.Warehouse, err = NewWarehouse(ctx, name, whArgs, parent)
	if err != nil {
		return nil, err
	}

	p.Ingestion, err = NewIngestion(ctx, name, &IngestionArgs{
		Config:      args.Ingestion,
		Region:      args.Region,
		CDC:         args.cdcRefresh(),
		SQL:         p.Warehouse.SQLTarget(args.Environment == Production, args.Protect),
		StreamName:  args.Stream.Name,
		RefreshRole: args.RefreshRole(),
		RefreshUser: args.refreshUser(),
		// The SQL runs after the workgroup is up, the default role is attached
		// and allowed to read, and the stream exists.
		DependsOn: append(slices.Clone(p.Warehouse.Ready), p.Stream.Stream),
	}, parent)
	if err != nil {
		return nil, err
	}
	// Redshift makes its audit-log groups itself, never expiring: haina's
	// provider gives them a retention and the logs key, new or already there.
	var auditGroups []string
	for _, t := range AuditLogTypes {
		auditGroups = append(auditGroups, args.Warehouse.AuditLogGroupPrefix()+t)
	}
	if p.AuditLogSettings, err = p.Logs.SetRetention(ctx, name+"-redshift-logs", auditGroups, args.Warehouse.LogRetentionDays, args.Protect, p.Ingestion.Provider); err != nil {
		return nil, err
	}

	if args.Producer.Enabled {
		prodArgs := &ProducerArgs{
			Config: args.Producer, FunctionName: args.Name("producer"), StreamArn: p.Stream.Arn, Region: args.Region, Tags: tags,
			Archive: args.LambdaArchives[ProducerPackage], LogKeyArn: p.Logs.Key.Arn,
		}
		if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
			prodArgs.StreamKeyArn = p.Stream.KeyArn
		}
		if p.Producer, err = NewProducer(ctx, name+"-producer", prodArgs, parent); err != nil {
			return nil, err
		}
	}

	if args.LogShipper.Enabled {
		// The security group must live in the subnet's VPC, which need not be
		// haina's (the shipper needs a route out that haina's VPC lacks): ask AWS.
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(args.LogShipper.SubnetID)}, pulumi.Parent(p))
		if err != nil {
			return nil, fmt.Errorf("haina:logShipper.subnetId: looking up subnet %q: %w", args.LogShipper.SubnetID, err)
		}
		lsArgs := &LogShipperArgs{
			Config: args.LogShipper, Name: args.Name("log-shipper"), Region: args.Region, VpcID: pulumi.String(subnet.VpcId),
			StreamName: args.Stream.Name, StreamArn: p.Stream.Arn, Tags: tags,
		}
		if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
			lsArgs.StreamKeyArn = p.Stream.KeyArn
		}
		if p.LogShipper, err = NewLogShipper(ctx, name+"-log-shipper", lsArgs, parent); err != nil {
			return nil, err
		}
	}

	if args.Lake.Enabled {
		if err := p.lake(ctx, name, args, tags, parent); err != nil {
			return nil, err
		}
	}
	if args.CDC.Enabled {
		if err := p.cdc(ctx, name, args, tags, parent); err != nil {
			return nil, err
		}
	}

	// One schedule calls the one procedure that refreshes the views and
	// applies the changes (haina:ingestion.refresh): after the CDC objects it runs.
	refreshAfter := []pulumi.Resource{p.Ingestion.RefreshProcedure}
	if p.Changes != nil {
		for _, target := range sortedKeys(p.Changes.Procedures) {
			refreshAfter = append(refreshAfter, p.Changes.Procedures[target])
		}
		for _, source := range sortedKeys(p.Changes.Landing) {
			refreshAfter = append(refreshAfter, p.Changes.Landing[source])
		}
	}
	// The schedule invokes the health function, which makes the call, waits
	// for it and publishes the warehouse's health in the same wake-up.
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(p)).AccountId()
	spec := args.HealthSpec()
	reads := []*SqlObject{p.Ingestion.Landing}
	if p.Changes != nil && len(spec.CDC) > 0 {
		for _, t := range args.CDC.Redshift.Tables {
			reads = append(reads, p.Changes.Landing[t.Source])
		}
		reads = append(reads, p.Changes.Offsets, p.Changes.Runs, p.Changes.Rejects)
	}
	lookback := 0
	if args.Ingestion.Refresh.Auto() {
		lookback = 60 * args.Ingestion.Refresh.EveryMinutes
	}
	p.Health, err = NewHealthFunction(ctx, name+"-health", &HealthFunctionArgs{
		FunctionName: args.Name("health"), Region: args.Region, Account: account, Environment: args.Environment,
		Warehouse: p.Warehouse, Call: p.Ingestion.RefreshCall, Spec: spec, LookbackSeconds: lookback,
		DbRoles: []string{args.RefreshRole()}, DbUser: args.refreshUser(),
		SQL: p.Ingestion.SQL, GrantRole: args.RefreshRole(), Reads: reads, DependsOn: []pulumi.Resource{p.Ingestion.RefreshRole},
		LogKeyArn: p.Logs.Key.Arn, LogRetentionDays: lambdaLogRetentionDays(args.Environment),
		Archive: args.LambdaArchives[HealthPackage], Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	p.RefreshSchedule, err = NewSqlSchedule(ctx, name+"-refresh", &SqlScheduleArgs{
		Name: args.Name("refresh"), Region: args.Region,
		Account:     account,
		Warehouse:   p.Warehouse,
		Statements:  []ScheduledStatement{{Name: "refresh-views", SQL: p.Ingestion.RefreshCall}},
		RateMinutes: args.Ingestion.Refresh.EveryMinutes, Enabled: true,
		Function: p.Health.FunctionArn, Tags: tags, DependsOn: append(refreshAfter, p.Health.Grants),
	}, parent)
	if err != nil {
		return nil, err
	}

	p.Outputs = pulumi.Map{
		"environment":       pulumi.String(string(args.Environment)),
		"region":            pulumi.String(args.Region),
		"streamName":        p.Stream.Name,
		"streamArn":         p.Stream.Arn,
		"workgroupEndpoint": p.Warehouse.Endpoint,
		"workgroupPort":     p.Warehouse.Port,
		"databaseName":      p.Warehouse.DatabaseName,
		"adminSecretArn":    p.Warehouse.AdminSecretArn,
		"streamingRoleArn":  p.Warehouse.StreamingRoleArn,
		"vpcId":             p.Network.VpcID,
		"landingView":       p.Ingestion.LandingView,
		"eventsView":        p.Ingestion.EventsView,
		"rollupView":        p.Ingestion.RollupView,
		"exampleQueries":    p.Ingestion.ExampleQueries,
		"refreshSchedule":   p.RefreshSchedule.Group.Name,
	}
	if args.Warehouse.Kind == WarehouseProvisioned {
		p.Outputs["clusterIdentifier"] = p.Warehouse.ClusterIdentifier
	} else {
		p.Outputs["namespaceName"], p.Outputs["workgroupName"] = p.Warehouse.NamespaceName, p.Warehouse.WorkgroupName
	}
	if p.Producer != nil {
		p.Outputs["producerFunction"] = p.Producer.FunctionName
	}
	if p.LogShipper != nil {
		p.Outputs["logShipperInstanceId"] = p.LogShipper.Instance.ID()
	}
	if p.Kafka != nil {
		p.Outputs["kafkaClusterArn"] = p.Kafka.ClusterArn
		p.Outputs["kafkaBootstrapBrokers"] = p.Kafka.BootstrapBrokers
	}
	if p.Connector != nil {
		p.Outputs["cdcConnectorArn"] = p.Connector.ConnectorArn
		p.Outputs["cdcTopics"] = pulumi.ToStringArray(p.Connector.Topics)
		if p.Connector.PluginArchive != nil {
			p.Outputs["cdcPluginSha256"] = p.Connector.PluginSha256
		}
		if p.Connector.Secret != nil {
			p.Outputs["cdcDebeziumSecretArn"] = p.Connector.Secret.Arn
		}
	}
	if p.Changes != nil {
		p.Outputs["cdcQueries"] = p.Changes.Queries
	}
	if p.ZeroETL != nil {
		p.Outputs["cdcIntegrationArn"] = p.ZeroETL.Integration.Arn
		p.Outputs["cdcDatabase"] = pulumi.String(args.CDC.ZeroETL.Database)
		p.Outputs["cdcQueries"] = p.ZeroETL.Queries
	}
	if p.SourceDB != nil {
		p.Outputs["sourceDbEndpoint"] = p.SourceDB.Endpoint
	}
	if p.Lake != nil {
		p.Outputs["lakeBucket"] = p.Lake.BucketName
		p.Outputs["glueDatabase"] = p.Lake.Database.Name
		p.Outputs["athenaWorkgroup"] = p.Lake.Workgroup.Name
	}
	if args.Alarms.Enabled {
		var late map[string]pulumi.StringInput
		if p.ZeroETL != nil {
			late = map[string]pulumi.StringInput{ZeroETLIDPlaceholder: p.ZeroETL.IntegrationID}
		}
		p.Monitoring, err = NewMonitoring(ctx, name+"-monitoring", &MonitoringArgs{Late: late,
			Config: args.Alarms, Base: fmt.Sprintf("%s-%s", args.Prefix, args.Environment), Region: args.Region,
			Alarms: args.alarmSpecs(), Charts: args.healthCharts(), StreamName: args.Stream.Name, Protect: args.Protect, Tags: tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		p.Outputs["alarmTopicArn"], p.Outputs["dashboardUrl"] = p.Monitoring.TopicArn, p.Monitoring.DashboardURL
	}
	if p.Guard, err = newDestroyGuard(ctx, name, args, p.guarded.all(), parent); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(p, p.Outputs); err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(p.Outputs) {
		ctx.Export(k, p.Outputs[k])
	}
	return p, nil
}

// lake declares the lake, the events dataset and the flow logs.
func (p *Pipeline) lake(ctx *pulumi.Context, name string, args *PipelineArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) error {
	// The account id names the bucket and scopes trust conditions; an invoke, answered during preview too.
	caller, err := aws.GetCallerIdentity(ctx, nil, pulumi.Parent(p))
	if err != nil {
		return fmt.Errorf("looking up the AWS account: %w", err)
	}
	acct := caller.AccountId
	account := pulumi.String(acct)
	database, workgroup := glueName(args.Prefix+"_"+string(args.Environment)), args.Prefix+"-"+string(args.Environment)
	// Bucket names are global: account and region make it unique.
	bucketName := fmt.Sprintf("%s-%s-lake-%s-%s", args.Prefix, args.Environment, acct, args.Region)
	var bucketStatements []Statement
	if args.RedshiftDelivery.Enabled && args.RedshiftDelivery.Mode == "copy-job" {
		// Redshift's S3 event integration watches the bucket for new files (auto-copy).
		bucketStatements = append(bucketStatements, Statement{
			Sid: "RedshiftAutoCopyNotifications", Principals: map[string][]string{"Service": {"redshift.amazonaws.com"}},
			Actions:   []string{"s3:GetBucketLocation", "s3:GetBucketNotification", "s3:PutBucketNotification"},
			Resources: pulumi.StringArray{pulumi.String("arn:aws:s3:::" + bucketName)},
			Conditions: map[string]map[string][]string{
				"StringEquals": {"aws:SourceAccount": {acct}},
				"ArnLike":      {"aws:SourceArn": {fmt.Sprintf("arn:aws:redshift:%s:%s:integration:*", args.Region, acct)}},
			},
		})
	}
	p.Lake, err = NewLake(ctx, name+"-lake", &LakeArgs{
		Config: args.Lake, Database: database, Workgroup: workgroup, Protect: args.Protect, Tags: tags,
		BucketName: pulumi.String(bucketName), BucketStatements: bucketStatements,
	}, parent)
	if err != nil {
		return err
	}
	lakeArgs := func(deliveryName, dataset string) DeliveryArgs {
		return DeliveryArgs{
			Name: deliveryName, Dataset: dataset, Region: args.Region, Account: account,
			BucketName: p.Lake.BucketName, BucketArn: p.Lake.BucketArn, LakeKeyArn: p.Lake.KeyArn,
			Database: p.Lake.Database.Name, Workgroup: p.Lake.Workgroup.Name,
			BufferSeconds: args.Lake.BufferSeconds, BufferMB: args.Lake.BufferMB,
			LogRetentionDays: args.Lake.LogRetentionDays, LogKeyArn: p.Logs.Key.Arn, Tags: tags,
		}
	}

	events := lakeArgs(args.Name("events-lake"), "events")
	events.SourceStreamArn, events.Columns, events.Format = p.Stream.Arn, EventsSchema, JSONLines
	if args.Lake.Parquet {
		events.Format = Parquet
	}
	if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
		events.SourceStreamKeyArn = p.Stream.KeyArn
	}
	if events.Queries, err = sql.Queries(sql.AthenaEvents, map[string]string{"Database": database, "Table": "events"}); err != nil {
		return err
	}
	if p.Events, err = NewDelivery(ctx, name+"-events-lake", &events, parent); err != nil {
		return err
	}

	if args.RedshiftDelivery.Enabled {
		d := lakeArgs(args.Name("redshift-events"), RedshiftDeliveryDataset)
		d.SourceStreamArn = p.Stream.Arn
		if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
			d.SourceStreamKeyArn = p.Stream.KeyArn
		}
		p.RedshiftDelivery, err = NewRedshiftDelivery(ctx, name+"-redshift", &RedshiftDeliveryArgs{
			Config: args.RedshiftDelivery, Region: args.Region, Account: acct, BaseName: fmt.Sprintf("%s-%s", args.Prefix, args.Environment), Tags: tags,
			Schema: args.Ingestion.Schema, SchemaObject: p.Ingestion.Schema, SQL: p.Ingestion.SQL,
			Warehouse: p.Warehouse, Lake: p.Lake, BucketName: bucketName, Delivery: d, FormerParent: p, FormerPrefix: name,
		}, parent)
		if err != nil {
			return err
		}
	}
	if !args.FlowLogs.Enabled {
		return nil
	}
	vpcs := []pulumi.StringInput{p.Network.VpcID}
	for _, id := range args.FlowLogs.VpcIDs {
		vpcs = append(vpcs, pulumi.String(id))
	}
	flow := lakeArgs(args.Name("vpcflowlogs"), "vpcflowlogs")
	if flow.Queries, err = sql.Queries(sql.AthenaFlowLogs, map[string]string{"Database": database, "Table": "vpcflowlogs"}); err != nil {
		return err
	}
	p.FlowLogs, err = NewFlowLogs(ctx, name+"-flowlogs", &FlowLogsArgs{
		Config: args.FlowLogs, Name: args.Name("vpcflowlogs"), Region: args.Region, Account: account, VpcIDs: vpcs,
		Delivery: flow, Protect: args.Protect, Tags: tags,
	}, parent)
	return err
}

// cdc declares the MSK cluster (the warehouse may reach it on the IAM port) and the source database.
func (p *Pipeline) cdc(ctx *pulumi.Context, name string, args *PipelineArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) error {
	if args.CDC.ZeroETLMode() {
		return p.zeroETL(ctx, name, args, tags, parent)
	}
	// The brokers spread over the first three subnets (three AZs).
	subnets := p.Network.SubnetIDs.ApplyT(func(ids []string) []string { return ids[:kafkaSubnets] }).(pulumi.StringArrayOutput)
	var err error
	p.Kafka, err = NewKafka(ctx, name+"-kafka", &KafkaArgs{
		Config: args.CDC.Kafka, Name: args.Name("cdc"), VpcID: p.Network.VpcID, SubnetIDs: subnets,
		ClientSecurityGroups: map[string]pulumi.StringInput{"warehouse": p.Warehouse.SecurityGroup.ID()},
		Protect:              args.Protect, Tags: tags, LogKeyArn: p.Logs.Key.Arn,
	}, parent)
	if err != nil {
		return err
	}
	conn := args.CDC.Connector
	p.Topics, err = NewTopics(ctx, name+"-topics", &TopicsArgs{
		Name: args.Name("cdc-topics"), Region: args.Region,
		Topics: CDCTopics(conn.TopicPrefix, conn.Tables, conn.TopicPartitions, p.Kafka.Replication, conn.TopicRetentionHours,
			args.CDC.Kafka.Mode == "serverless"),
		ClusterArn: p.Kafka.ClusterArn, BootstrapBrokers: p.Kafka.BootstrapBrokers,
		VpcID: p.Network.VpcID, SubnetIDs: subnets, KafkaSecurityGroupID: p.Kafka.SecurityGroup.ID(),
		LogRetentionDays: conn.LogRetentionDays, Tags: tags, DependsOn: []pulumi.Resource{p.Kafka.Resource()},
		Archive: args.LambdaArchives[TopicsPackage], LogKeyArn: p.Logs.Key.Arn,
	}, parent)
	if err != nil {
		return err
	}
	keys := map[string][]string{}
	for _, t := range args.CDC.Redshift.Tables {
		keys[t.Source] = t.PrimaryKey
	}
	db := args.CDC.Database
	connArgs := &ConnectorArgs{
		Config: args.CDC.Connector, Plugin: args.CDC.Plugin, Name: args.Name("cdc"), Region: args.Region,
		Account: aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(p)).AccountId(),
		VpcID:   p.Network.VpcID, SubnetIDs: subnets, VpcCidr: p.Network.CidrBlock, LogKeyArn: p.Logs.Key.Arn,
		ClusterArn: p.Kafka.ClusterArn, BootstrapServers: p.Kafka.BootstrapBrokers, KafkaSecurityGroupID: p.Kafka.SecurityGroup.ID(),
		Replication: p.Kafka.Replication, Provider: p.Ingestion.Provider, TimeoutSeconds: args.Ingestion.TimeoutSeconds,
		SecretRecoveryDays: 7, KeyColumns: keys, RequirePluginPins: args.Environment == Production, Tags: tags,
		// The topics exist before Debezium writes to them (auto-create is off).
		DependsOn: []pulumi.Resource{p.Topics.Invocation},
	}
	if ep, ok := p.Network.InterfaceEndpoints["secretsmanager"]; ok {
		connArgs.DependsOn = append(connArgs.DependsOn, ep) // the config provider resolves the secret when a worker starts
	}
	if args.Protect {
		connArgs.SecretRecoveryDays = 30
	}
	if db.Mode != "create" {
		connArgs.DatabaseHost, connArgs.DatabasePort = pulumi.String(db.Endpoint), db.Port
		connArgs.DatabaseSecurityGroupID, connArgs.ExistingSecret = pulumi.String(db.SecurityGroupID), db.SecretArn
		if db.SecretKmsKeyArn != "" {
			connArgs.DatabaseKeyArn = pulumi.String(db.SecretKmsKeyArn)
		}
		if p.Connector, err = NewConnector(ctx, name+"-connector", connArgs, parent); err != nil {
			return err
		}
		return p.changes(ctx, name, args, connArgs.Account, tags, parent)
	}
	p.SourceDB, err = NewSourceDatabase(ctx, name+"-sourcedb", &SourceDatabaseArgs{
		Config: db, Name: args.Name("cdc-mysql"), VpcID: p.Network.VpcID, SubnetIDs: p.Network.SubnetIDs,
		SetupProvider: p.Ingestion.Provider, AllowDataLoss: args.Ingestion.AllowDataLoss, GuardDelete: args.Environment == Production,
		TimeoutSeconds: args.Ingestion.TimeoutSeconds, Protect: args.Protect, FinalSnapshot: args.Environment == Production, Tags: tags,
	}, parent)
	if err != nil {
		return err
	}
	// Debezium's user is made on the writer, as the master user; Aurora listens on 3306.
	connArgs.CreateUser, connArgs.DatabaseArn, connArgs.MasterSecretArn = true, p.SourceDB.ClusterArn, p.SourceDB.MasterSecretArn
	connArgs.PasswordRotation = db.PasswordRotation
	connArgs.DatabaseKeyArn, connArgs.DatabaseHost, connArgs.DatabasePort = p.SourceDB.Key.Arn, p.SourceDB.Endpoint, 3306
	connArgs.DatabaseSecurityGroupID, connArgs.UserDependsOn = p.SourceDB.SecurityGroup.ID(), []pulumi.Resource{p.SourceDB.Writer}
	if p.Connector, err = NewConnector(ctx, name+"-connector", connArgs, parent); err != nil {
		return err
	}
	return p.changes(ctx, name, args, connArgs.Account, tags, parent)
}

// zeroETL declares CDC through a zero-ETL integration: the source database
// (created, with zero-ETL's parameters, or existing) and the integration into
// a database of its own on the warehouse.
func (p *Pipeline) zeroETL(ctx *pulumi.Context, name string, args *PipelineArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) error {
	db := args.CDC.Database
	zargs := &ZeroETLArgs{
		Config: args.CDC.ZeroETL, Name: args.Name("cdc"), Warehouse: p.Warehouse,
		Account: aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(p)).AccountId(),
		SQL:     p.Ingestion.SQL, Protect: args.Protect, Tags: tags,
	}
	if db.Mode == "create" {
		var err error
		p.SourceDB, err = NewSourceDatabase(ctx, name+"-sourcedb", &SourceDatabaseArgs{
			Config: db, Name: args.Name("cdc-mysql"), VpcID: p.Network.VpcID, SubnetIDs: p.Network.SubnetIDs,
			SetupProvider: p.Ingestion.Provider, AllowDataLoss: args.Ingestion.AllowDataLoss, GuardDelete: args.Environment == Production,
			TimeoutSeconds: args.Ingestion.TimeoutSeconds, Protect: args.Protect, FinalSnapshot: args.Environment == Production,
			ZeroETL: true, Tags: tags,
		}, parent)
		if err != nil {
			return err
		}
		zargs.SourceArn, zargs.SourceReady = p.SourceDB.ClusterArn, []pulumi.Resource{p.SourceDB.Writer}
	} else {
		zargs.SourceArn = pulumi.String(db.ClusterArn)
	}
	var err error
	p.ZeroETL, err = NewZeroETL(ctx, name+"-zero-etl", zargs, parent)
	return err
}

// changes declares the Redshift side of CDC (the streaming role reads the
// change topics; landing views, target tables, apply procedures) and the
// schedule that runs the procedures.
func (p *Pipeline) changes(ctx *pulumi.Context, name string, args *PipelineArgs, account pulumi.StringInput, tags pulumi.StringMap, parent pulumi.ResourceOption) error {
	cfg := args.CDC.Redshift
	var err error
	p.Changes, err = NewChangeTables(ctx, name+"-changes", &ChangeTablesArgs{
		Config: cfg, TopicPrefix: args.CDC.Connector.TopicPrefix, Captured: args.CDC.Connector.Tables,
		ClusterArn: p.Kafka.ClusterArn, BootstrapBrokers: p.Kafka.BootstrapBrokers, StreamingRole: p.Warehouse.StreamingRole.Name, AutoRefresh: args.Ingestion.Refresh.Auto(),
		SQL: p.Ingestion.SQL,
		// The topics exist before the landing views read them (created up front, even
		// for an empty table); after the connector, whose snapshot fills them.
		DependsOn: append(slices.Clone(p.Warehouse.Ready),
			p.Kafka, p.Kafka.Resource(), p.Topics.Invocation, p.Connector.Connector), // p.Kafka: its security group rules too
	}, parent)
	return err
}

// HealthSpec names what the health function's queries read.
func (a *PipelineArgs) HealthSpec() sql.HealthSpec {
	in := a.Ingestion
	s := sql.HealthSpec{Schema: in.Schema, Landing: in.LandingView, External: in.ExternalSchema, RetentionHours: a.Stream.RetentionHours}
	if a.RedshiftDelivery.Enabled && a.RedshiftDelivery.Mode == "copy-job" {
		s.CopyJobTable = a.RedshiftDelivery.Table
		if !in.Refresh.Auto() { // with auto, the lookback already covers the period
			s.CopyJobWindowMinutes = in.Refresh.EveryMinutes
		}
	}
	if a.CDC.DebeziumMode() && len(a.CDC.Redshift.Tables) > 0 {
		r := a.CDC.Redshift
		s.CDCSchema, s.CDCExternal, s.Offsets, s.Runs, s.Rejects = r.Schema, r.ExternalSchema, cdcOffsetsTable, cdcRunsTable, cdcRejectsTable
		for _, t := range r.Tables {
			s.CDC = append(s.CDC, sql.HealthCDC{Table: t.TargetName(), Landing: LandingViewName(t.Source)})
		}
	}
	return s
}

// lambdaLogRetentionDays: two weeks of a function's logs in staging, 90 days in production.
func lambdaLogRetentionDays(env Environment) int {
	if env == Production {
		return 90
	}
	return 14
}

// refreshUser is the database user the schedule signs in as on a
// provisioned cluster ("" on Serverless, where the role's tag does it).
func (a *PipelineArgs) refreshUser() string {
	if a.Warehouse.Kind != WarehouseProvisioned {
		return ""
	}
	return a.RefreshRole() + "_runner"
}

// cdcRefresh is what the scheduled call does on the CDC side: refresh every
// landing view, then run every apply procedure (unless the apply is off).
func (a *PipelineArgs) cdcRefresh() *CDCRefresh {
	if !a.CDC.DebeziumMode() {
		return nil
	}
	r := &CDCRefresh{Schema: a.CDC.Redshift.Schema}
	for _, t := range a.CDC.Connector.Tables {
		r.Landing = append(r.Landing, LandingViewName(t))
	}
	sort.Strings(r.Landing)
	if a.CDC.Redshift.ScheduleEnabled {
		for _, t := range a.CDC.Redshift.Tables {
			r.Apply = append(r.Apply, ProcedureName(t.TargetName()))
		}
		sort.Strings(r.Apply)
	}
	return r
}

// Program is haina's Pulumi program: main.go runs it, and so do the deploy
// package (Automation API) and the tests.
func Program(ctx *pulumi.Context) error {
	args, err := LoadPipelineArgs(ctx)
	if err != nil {
		return err
	}
	_, err = NewPipeline(ctx, "haina", args)
	return err
}
