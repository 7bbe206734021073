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
	// RollupDimension is the payload attribute counted per minute (in the sample app log lines: gender).
	RollupDimension string `json:"rollupDimension"`
	// AutoRefresh is the landing MV's AUTO REFRESH. The rollup, built on it,
	// cannot refresh itself: a schedule refreshes it (and, CASCADE, the landing
	// MV first) every RefreshMinutes.
	AutoRefresh    bool `json:"autoRefresh"`
	RefreshMinutes int  `json:"refreshMinutes"`
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
	// RefreshRole is the database role the refresh schedule runs as.
	RefreshRole string
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
	// RefreshRole and RefreshProcedure let a schedule refresh the views (RefreshCall).
	RefreshRole      *SqlObject
	RefreshProcedure *SqlObject
	RefreshCall      string

	LandingView pulumi.StringOutput
	EventsView  pulumi.StringOutput
	RollupView  pulumi.StringOutput
	// ExampleQueries are ready to run in the query editor.
	ExampleQueries pulumi.StringMap
}

// RefreshProcedureName is the procedure the refresh schedule calls.
const RefreshProcedureName = "refresh_views"

// NewIngestion declares the SQL objects in dependency order.
func NewIngestion(ctx *pulumi.Context, name string, args *IngestionArgs, opts ...pulumi.ResourceOption) (*Ingestion, error) {
	if args == nil || args.WorkgroupName == nil || args.Database == nil || args.StreamName == "" || args.RefreshRole == "" {
		return nil, fmt.Errorf("ingestion %s: WorkgroupName, Database, StreamName and RefreshRole are required", name)
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
		"LandingView": c.LandingView, "EventsView": c.EventsView, "RollupView": c.RollupView, "Role": args.RefreshRole,
		"RefreshProcedure": RefreshProcedureName,
	}
	// declare declares an object that runs after deps and is built on based
	// (the schemas it lives in, the relations it reads: SqlObjectArgs.BasedOn).
	declare := func(suffix, file, objName string, holdsData bool, based []*SqlObject, deps ...pulumi.Resource) (*SqlObject, error) {
		data["Name"] = objName
		obj, err := sql.Render(file, data)
		if err != nil {
			return nil, err
		}
		return NewSqlObject(ctx, name+"-"+suffix, &SqlObjectArgs{
			WorkgroupName: args.WorkgroupName, Database: args.Database, SecretArn: args.AdminSecretArn,
			Object: obj, HoldsData: holdsData, AllowDataLoss: c.AllowDataLoss, GuardDelete: args.GuardDelete,
			TimeoutSeconds: c.TimeoutSeconds, BasedOn: based,
		}, pulumi.Parent(in), pulumi.Provider(in.Provider), pulumi.DependsOn(deps), pulumi.Protect(args.Protect && holdsData))
	}
	if in.ExternalSchema, err = declare("kinesis-schema", sql.KinesisSchema, "", false, nil, args.DependsOn...); err != nil {
		return nil, err
	}
	if in.Schema, err = declare("schema", sql.Schema, "", false, nil, args.DependsOn...); err != nil {
		return nil, err
	}
	if in.Landing, err = declare("landing", sql.KinesisLandingMV, c.LandingView, true, []*SqlObject{in.ExternalSchema, in.Schema}, in.ExternalSchema, in.Schema); err != nil {
		return nil, err
	}
	if in.Events, err = declare("events", sql.EventsView, c.EventsView, false, []*SqlObject{in.Schema, in.Landing}, in.Landing); err != nil {
		return nil, err
	}
	if in.Rollup, err = declare("rollup", sql.RollupMV, c.RollupView, false, []*SqlObject{in.Schema, in.Landing}, in.Landing); err != nil {
		return nil, err
	}
	if in.RefreshRole, err = declare("refresh-role", sql.DBRole, "", false, []*SqlObject{in.Schema}, in.Schema); err != nil {
		return nil, err
	}
	// The procedure lives in the schema; it names the rollup only in its body,
	// which Redshift binds when it runs, so it waits for the rollup without being built on it.
	if in.RefreshProcedure, err = declare("refresh-procedure", sql.RefreshProcedure, RefreshProcedureName, false, []*SqlObject{in.Schema},
		in.Rollup, in.RefreshRole); err != nil {
		return nil, err
	}
	if in.RefreshCall, err = sql.Section(sql.RefreshProcedure, "call", data); err != nil {
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
