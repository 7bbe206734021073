package components

import (
	"fmt"

	"github.com/haina-data/haina/sql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IngestionConfig (haina:ingestion) names the SQL objects of Kinesis streaming ingestion.
type IngestionConfig struct {
	// ExternalSchema exposes the streams (FROM KINESIS); Schema holds haina's views.
	ExternalSchema string `json:"externalSchema"`
	Schema         string `json:"schema"`
	LandingView    string `json:"landingView"`
	EventsView     string `json:"eventsView"`
	RollupView     string `json:"rollupView"`
	// RollupDimension is the payload attribute counted per minute (seed 001: gender).
	RollupDimension string `json:"rollupDimension"`
	AutoRefresh     bool   `json:"autoRefresh"`
	// AllowDataLoss permits replacing or (in production) deleting the landing view.
	AllowDataLoss  bool `json:"allowDataLoss"`
	TimeoutSeconds int  `json:"timeoutSeconds"`
}

// IngestionArgs configures the Ingestion component.
type IngestionArgs struct {
	Config IngestionConfig
	Region string
	// GuardDelete: deleting the landing view needs AllowDataLoss (production).
	GuardDelete bool
	// Protect marks the landing view (it holds ingested data) as protected.
	Protect        bool
	WorkgroupName  pulumi.StringInput
	Database       pulumi.StringInput
	AdminSecretArn pulumi.StringInput
	StreamName     string
	// DependsOn: what must exist first (workgroup, namespace with its default role, the role's policy, the stream).
	DependsOn []pulumi.Resource
}

// Ingestion is the streaming-ingestion SQL, run after deploy by haina's provider:
// the external schema over Kinesis, a local schema, the landing MV, a typed
// view of the seed events and a per-minute rollup MV.
type Ingestion struct {
	pulumi.ResourceState

	Provider       *HainaProvider
	ExternalSchema *SqlObject
	Schema         *SqlObject
	Landing        *SqlObject
	Events         *SqlObject
	Rollup         *SqlObject

	LandingView pulumi.StringOutput
	EventsView  pulumi.StringOutput
	RollupView  pulumi.StringOutput
	// ExampleQueries are ready to run in the query editor.
	ExampleQueries pulumi.StringMap
}

// NewIngestion declares the SQL objects in dependency order.
func NewIngestion(ctx *pulumi.Context, name string, args *IngestionArgs, opts ...pulumi.ResourceOption) (*Ingestion, error) {
	if args == nil || args.WorkgroupName == nil || args.Database == nil || args.StreamName == "" {
		return nil, fmt.Errorf("ingestion %s: WorkgroupName, Database and StreamName are required", name)
	}
	in := &Ingestion{}
	if err := ctx.RegisterComponentResource("haina:ingestion:Ingestion", name, in, opts...); err != nil {
		return nil, err
	}
	c := args.Config
	var err error
	in.Provider, err = NewHainaProvider(ctx, name+"-sql", args.Region, pulumi.Parent(in))
	if err != nil {
		return nil, err
	}
	data := map[string]any{
		"ExternalSchema": c.ExternalSchema, "Schema": c.Schema, "Stream": args.StreamName,
		"Name": "", "Landing": c.LandingView, "Dimension": c.RollupDimension, "AutoRefresh": c.AutoRefresh,
		"LandingView": c.LandingView, "EventsView": c.EventsView, "RollupView": c.RollupView,
	}
	declare := func(suffix, file, objName string, holdsData bool, deps ...pulumi.Resource) (*SqlObject, error) {
		data["Name"] = objName
		obj, err := sql.Render(file, data)
		if err != nil {
			return nil, err
		}
		return NewSqlObject(ctx, name+"-"+suffix, &SqlObjectArgs{
			WorkgroupName: args.WorkgroupName, Database: args.Database, SecretArn: args.AdminSecretArn,
			Object: obj, HoldsData: holdsData, AllowDataLoss: c.AllowDataLoss, GuardDelete: args.GuardDelete,
			TimeoutSeconds: c.TimeoutSeconds,
		}, pulumi.Parent(in), pulumi.Provider(in.Provider), pulumi.DependsOn(deps), pulumi.Protect(args.Protect && holdsData))
	}
	if in.ExternalSchema, err = declare("kinesis-schema", sql.KinesisSchema, "", false, args.DependsOn...); err != nil {
		return nil, err
	}
	if in.Schema, err = declare("schema", sql.Schema, "", false, args.DependsOn...); err != nil {
		return nil, err
	}
	if in.Landing, err = declare("landing", sql.KinesisLandingMV, c.LandingView, true, in.ExternalSchema, in.Schema); err != nil {
		return nil, err
	}
	if in.Events, err = declare("events", sql.EventsView, c.EventsView, false, in.Landing); err != nil {
		return nil, err
	}
	if in.Rollup, err = declare("rollup", sql.RollupMV, c.RollupView, false, in.Landing); err != nil {
		return nil, err
	}
	queries, err := sql.Queries(sql.Examples, data)
	if err != nil {
		return nil, err
	}
	in.ExampleQueries = pulumi.StringMap{}
	for _, k := range sortedKeys(queries) {
		in.ExampleQueries[k] = pulumi.String(queries[k])
	}
	in.LandingView, in.EventsView, in.RollupView = in.Landing.ObjectName, in.Events.ObjectName, in.Rollup.ObjectName
	if err := ctx.RegisterResourceOutputs(in, pulumi.Map{
		"landingView": in.LandingView, "eventsView": in.EventsView, "rollupView": in.RollupView, "exampleQueries": in.ExampleQueries,
	}); err != nil {
		return nil, err
	}
	return in, nil
}
