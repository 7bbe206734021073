package components

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

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
	// Refresh decides when the warehouse reads the streams (and so what it costs).
	Refresh RefreshPolicy `json:"refresh"`
	// AllowDataLoss permits replacing or (in production) deleting the landing view.
	AllowDataLoss  bool `json:"allowDataLoss"`
	TimeoutSeconds int  `json:"timeoutSeconds"`
}

// RefreshPolicy (haina:ingestion.refresh) decides when the warehouse reads
// the streams. Either way one scheduled call, every EveryMinutes, refreshes
// the rollup (REFRESH … CASCADE: the Kinesis landing view first), each CDC
// landing view, and runs the CDC apply procedures: one wake-up of the
// warehouse per period, so one 60-second minimum charge, not one per view.
type RefreshPolicy struct {
	// Mode auto: the landing views also refresh themselves while data arrives
	// (AUTO REFRESH YES): seconds of latency, and a warehouse that is busy, and
	// billed, for as long as data flows. Mode scheduled: AUTO REFRESH NO; the
	// scheduled call is the only reader, so data is at most EveryMinutes old
	// (plus the call's run time) and the warehouse sleeps in between.
	Mode         string `json:"mode"`
	EveryMinutes int    `json:"everyMinutes"`
}

// Refresh modes.
const (
	RefreshAuto      = "auto"
	RefreshScheduled = "scheduled"
)

// Auto reports whether the landing views refresh themselves.
func (r RefreshPolicy) Auto() bool { return r.Mode == RefreshAuto }

// UnmarshalJSON takes the object {mode, everyMinutes} or the mode alone
// ("auto", "scheduled"), over the defaults already in r.
func (r *RefreshPolicy) UnmarshalJSON(b []byte) error {
	var mode string
	if json.Unmarshal(b, &mode) == nil {
		r.Mode = mode
		return nil
	}
	type plain RefreshPolicy // no UnmarshalJSON: no recursion
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(r)); err != nil {
		return fmt.Errorf("refresh: %s is not allowed (%v); allowed: auto, scheduled, or {mode: auto|scheduled, everyMinutes: N}", b, err)
	}
	return nil
}

// CDCRefresh is the CDC part of the scheduled call: the landing views to
// refresh and the apply procedures to run, in order, in Schema.
type CDCRefresh struct {
	Schema  string
	Landing []string
	Apply   []string
}

// IngestionArgs configures the Ingestion component.
type IngestionArgs struct {
	Config IngestionConfig
	Region string
	// CDC names what the scheduled call refreshes and applies on the CDC side
	// (nil without CDC): Ingestion owns the one procedure the schedule calls.
	CDC *CDCRefresh
	// SQL is the warehouse the objects run on (Provider, AllowDataLoss and
	// TimeoutSeconds are left empty: Ingestion creates the provider instance
	// and takes those two from Config). Its GuardDelete makes deleting the
	// landing view need AllowDataLoss (production); Protect protects the
	// landing view, which holds ingested data.
	SQL        SqlTarget
	StreamName string
	// RefreshRole is the database role the refresh schedule runs as.
	RefreshRole string
	// RefreshUser, on a provisioned cluster, is the database user the
	// schedule signs in as (with RefreshRole granted); "" on Serverless.
	RefreshUser string
	// DependsOn: what must exist first (workgroup, namespace with its default role, the role's policy, the stream).
	DependsOn []pulumi.Resource
}

// Ingestion is the streaming-ingestion SQL, run after deploy by haina's provider:
// the external schema over Kinesis, a local schema, the landing MV, a typed
// view of the app events and a per-minute rollup MV.
type Ingestion struct {
	pulumi.ResourceState

	// Provider runs the SQL of every object on the warehouse, Ingestion's and
	// the other components' (SQL is the target with it).
	Provider       *HainaProvider
	SQL            SqlTarget
	ExternalSchema *SqlObject
	Schema         *SqlObject
	Landing        *SqlObject
	Events         *SqlObject
	Rollup         *SqlObject
	// RefreshRole and RefreshProcedure let a schedule refresh the views
	// (RefreshCall); RefreshUser signs the schedule in on a cluster (nil on Serverless).
	RefreshRole      *SqlObject
	RefreshUser      *SqlObject
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
	if args == nil || (args.SQL.WorkgroupName == nil && args.SQL.ClusterIdentifier == nil) || args.SQL.Database == nil || args.StreamName == "" || args.RefreshRole == "" {
		return nil, fmt.Errorf("ingestion %s: SQL (WorkgroupName or ClusterIdentifier, Database), StreamName and RefreshRole are required", name)
	}
	in := &Ingestion{}
	if err := ctx.RegisterComponentResource("haina:ingestion:Ingestion", name, in, opts...); err != nil {
		return nil, err
	}
	c := args.Config
	var err error
	// The provider instance lives here, its URN under Ingestion, since the first
	// release: moving it would change the provider of every SQL object.
	in.Provider, err = NewHainaProvider(ctx, name+"-sql", args.Region, pulumi.Parent(in))
	if err != nil {
		return nil, err
	}
	in.SQL = args.SQL
	in.SQL.Provider, in.SQL.AllowDataLoss, in.SQL.TimeoutSeconds = in.Provider, c.AllowDataLoss, c.TimeoutSeconds
	data := map[string]any{
		"ExternalSchema": c.ExternalSchema, "Schema": c.Schema, "Stream": args.StreamName,
		"Name": "", "Landing": c.LandingView, "Dimension": c.RollupDimension, "AutoRefresh": c.Refresh.Auto(),
		"LandingView": c.LandingView, "EventsView": c.EventsView, "RollupView": c.RollupView, "Role": args.RefreshRole,
		"RefreshProcedure": RefreshProcedureName, "User": args.RefreshUser, "CDCSchema": "", "CDCLanding": []string(nil), "CDCApply": []string(nil),
	}
	if args.CDC != nil {
		data["CDCSchema"], data["CDCLanding"], data["CDCApply"] = args.CDC.Schema, args.CDC.Landing, args.CDC.Apply
	}
	// declare declares an object that runs after deps and is built on based
	// (the schemas it lives in, the relations it reads: SqlSpec.BasedOn).
	declare := func(suffix, file, objName string, holdsData bool, based []*SqlObject, deps ...pulumi.Resource) (*SqlObject, error) {
		data["Name"] = objName
		obj, err := sql.Render(file, data)
		if err != nil {
			return nil, err
		}
		return in.SQL.Declare(ctx, name+"-"+suffix, SqlSpec{Object: obj, HoldsData: holdsData, BasedOn: based},
			pulumi.Parent(in), pulumi.DependsOn(deps))
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
	if args.RefreshUser != "" {
		if in.RefreshUser, err = declare("refresh-user", sql.DBUser, "", false, nil, in.RefreshRole); err != nil {
			return nil, err
		}
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

// ingestionDefaults: a scheduled refresh, every 10 minutes in staging (data
// at most about 10 minutes old, the warehouse awake 144 minutes a day) and
// every 2 in production (at most about 2 minutes old, awake half the time).
// Auto refresh keeps a warehouse awake around the clock while data flows:
// README "Costs" compares them.
func ingestionDefaults(env Environment) IngestionConfig {
	c := IngestionConfig{
		ExternalSchema: "kds", Schema: "ingest", LandingView: "events_landing", EventsView: "events",
		RollupView: "events_per_minute", RollupDimension: "event_name", TimeoutSeconds: 600,
		Refresh: RefreshPolicy{Mode: RefreshScheduled, EveryMinutes: 10},
	}
	if env == Production {
		c.Refresh.EveryMinutes = 2
	}
	return c
}

// reSQLName is a lowercase Redshift or Glue name haina creates.
var reSQLName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,126}$`)

// check applies haina:ingestion's rules.
func (c IngestionConfig) check(ck checker) {
	seen := map[string]string{}
	for _, kv := range [][2]string{{"externalSchema", c.ExternalSchema}, {"schema", c.Schema}, {"landingView", c.LandingView},
		{"eventsView", c.EventsView}, {"rollupView", c.RollupView}, {"rollupDimension", c.RollupDimension}} {
		if !reSQLName.MatchString(kv[1]) {
			ck.bad(kv[0], kv[1], "allowed: 1-127 lowercase letters, digits or underscores, not starting with a digit")
		} else if other, dup := seen[kv[1]]; dup && kv[0] != "rollupDimension" {
			ck.bad(kv[0], kv[1], "already used by haina:ingestion."+other+"; each object needs its own name")
		}
		seen[kv[1]] = kv[0]
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 86400 {
		ck.bad("timeoutSeconds", c.TimeoutSeconds, "allowed: 1 to 86400 seconds")
	}
	if c.Refresh.Mode != RefreshAuto && c.Refresh.Mode != RefreshScheduled {
		ck.bad("refresh.mode", c.Refresh.Mode, "allowed: auto (the landing views refresh themselves: seconds old, warehouse busy while data flows), "+
			"scheduled (one call every everyMinutes reads the streams: the warehouse sleeps in between)")
	}
	if c.Refresh.EveryMinutes < 1 || c.Refresh.EveryMinutes > 1440 {
		ck.bad("refresh.everyMinutes", c.Refresh.EveryMinutes, "allowed: 1 to 1440 minutes between the scheduled calls (each wakes the warehouse: at least 60 seconds billed)")
	}
}
