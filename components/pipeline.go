package components

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Pipeline composes haina's building blocks for one environment: the network,
// the Kinesis stream and the Redshift Serverless warehouse that ingests it.
type Pipeline struct {
	pulumi.ResourceState

	Args      *PipelineArgs
	Network   *Network
	Stream    *Stream
	Warehouse *Warehouse
	Ingestion *Ingestion
	// Producer is nil when haina:producer.enabled is false.
	Producer *Producer
	// LogShipper is nil unless haina:logShipper.enabled.
	LogShipper *LogShipper

	// Outputs are the values a user needs; NewPipeline exports them as stack outputs.
	Outputs pulumi.Map
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
	p := &Pipeline{Args: args}
	if err := ctx.RegisterComponentResource("haina:pipeline:Pipeline", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)
	tags := args.AllTags()

	var err error
	p.Network, err = NewNetwork(ctx, name, &NetworkArgs{Config: args.Network, Region: args.Region, Tags: tags}, parent)
	if err != nil {
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
		Config:         args.Ingestion,
		Region:         args.Region,
		GuardDelete:    args.Environment == Production,
		Protect:        args.Protect,
		WorkgroupName:  p.Warehouse.WorkgroupName,
		Database:       p.Warehouse.DatabaseName,
		AdminSecretArn: p.Warehouse.AdminSecretArn,
		StreamName:     args.Stream.Name,
		// The SQL runs after the workgroup is up, the default role is attached
		// and allowed to read, and the stream exists.
		DependsOn: []pulumi.Resource{p.Warehouse.Workgroup, p.Warehouse.Namespace, p.Warehouse.StreamingRolePolicy, p.Stream.Stream},
	}, parent)
	if err != nil {
		return nil, err
	}

	if args.Producer.Enabled {
		prodArgs := &ProducerArgs{
			Config: args.Producer, FunctionName: args.Name("producer"), Region: args.Region,
			StreamArn: p.Stream.Arn, Tags: tags,
		}
		if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
			prodArgs.StreamKeyArn = p.Stream.KeyArn
		}
		if p.Producer, err = NewProducer(ctx, name+"-producer", prodArgs, parent); err != nil {
			return nil, err
		}
	}

	if args.LogShipper.Enabled {
		lsArgs := &LogShipperArgs{
			Config: args.LogShipper, Name: args.Name("log-shipper"), Region: args.Region, VpcID: p.Network.VpcID,
			StreamName: args.Stream.Name, StreamArn: p.Stream.Arn, Tags: tags,
		}
		if args.Stream.CustomerKey || args.Stream.KmsKeyArn != "" {
			lsArgs.StreamKeyArn = p.Stream.KeyArn
		}
		if p.LogShipper, err = NewLogShipper(ctx, name+"-log-shipper", lsArgs, parent); err != nil {
			return nil, err
		}
	}

	p.Outputs = pulumi.Map{
		"environment":       pulumi.String(string(args.Environment)),
		"region":            pulumi.String(args.Region),
		"streamName":        p.Stream.Name,
		"streamArn":         p.Stream.Arn,
		"namespaceName":     p.Warehouse.NamespaceName,
		"workgroupName":     p.Warehouse.WorkgroupName,
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
	}
	if p.Producer != nil {
		p.Outputs["producerFunction"] = p.Producer.FunctionName
	}
	if p.LogShipper != nil {
		p.Outputs["logShipperInstanceId"] = p.LogShipper.Instance.ID()
	}
	if err := ctx.RegisterResourceOutputs(p, p.Outputs); err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(p.Outputs) {
		ctx.Export(k, p.Outputs[k])
	}
	return p, nil
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
