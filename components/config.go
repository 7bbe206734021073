package components

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// ConfigNamespace is the namespace of every haina config key ("haina:stream", …).
const ConfigNamespace = "haina"

// Environment is a deployment environment; its defaults differ (see defaultsFor).
type Environment string

const (
	Staging    Environment = "staging"
	Production Environment = "production"
)

// PipelineArgs is the whole, validated configuration of one haina stack.
// LoadPipelineArgs builds it from stack config; Go callers may also fill it
// themselves and call Validate.
type PipelineArgs struct {
	Environment Environment
	// Region is aws:region; it decides which RPU sizes are available.
	Region string
	// Prefix starts every physical name ("<prefix>-<environment>-…").
	Prefix string
	// Protect marks stateful resources (stream, namespace, workgroup, KMS keys)
	// as protected. Default: true in production, false in staging.
	Protect bool
	// Tags are added to every taggable resource, beside project and environment.
	Tags map[string]string

	Network    NetworkConfig
	Stream     StreamConfig
	Warehouse  WarehouseConfig
	Ingestion  IngestionConfig
	Producer   ProducerConfig
	LogShipper LogShipperConfig
	Lake       LakeConfig
	FlowLogs   FlowLogsConfig
	// RedshiftDelivery loads the stream's events into a Redshift table through Firehose.
	RedshiftDelivery RedshiftDeliveryConfig
	CDC              CDCConfig
	Alarms           AlarmsConfig

	// LambdaArchives are prebuilt function archives by Go package
	// (ProducerPackage, TopicsPackage), for a program that builds them itself;
	// a package without one is built from haina's module during evaluation.
	LambdaArchives map[string]*LambdaArchive
}

// defaultsFor returns the environment's defaults; config overrides them
// field by field. Each section's defaults are beside its component.
func defaultsFor(env Environment, prefix string) PipelineArgs {
	base := fmt.Sprintf("%s-%s", prefix, env)
	return PipelineArgs{
		Environment:      env,
		Prefix:           prefix,
		Protect:          env == Production,
		Network:          networkDefaults(),
		Stream:           streamDefaults(env, base),
		Warehouse:        warehouseDefaults(env, base),
		Ingestion:        ingestionDefaults(env),
		Producer:         producerDefaults(env),
		LogShipper:       logShipperDefaults(),
		Lake:             lakeDefaults(env),
		FlowLogs:         flowLogsDefaults(env),
		RedshiftDelivery: redshiftDeliveryDefaults(),
		CDC:              cdcDefaults(env, prefix),
		Alarms:           alarmsDefaults(),
	}
}

// LoadPipelineArgs reads the haina: stack config, applies the environment's
// defaults and validates everything. It declares no resources.
func LoadPipelineArgs(ctx *pulumi.Context) (*PipelineArgs, error) {
	cfg := config.New(ctx, ConfigNamespace)
	envName := cfg.Get("environment")
	if envName == "" {
		envName = ctx.Stack()
	}
	env := Environment(envName)
	if env != Staging && env != Production {
		return nil, fmt.Errorf("haina:environment: unknown environment %q; allowed: staging, production "+
			"(it defaults to the stack name; set it with `pulumi config set haina:environment staging`)", envName)
	}
	prefix := cfg.Get("prefix")
	if prefix == "" {
		prefix = "haina"
	}
	args := defaultsFor(env, prefix)
	args.Region = config.Get(ctx, "aws:region")

	if v := cfg.Get("protect"); v != "" {
		switch v {
		case "true":
			args.Protect = true
		case "false":
			args.Protect = false
		default:
			return nil, fmt.Errorf("haina:protect: %q is not a boolean; allowed: true, false", v)
		}
	}
	for _, obj := range []struct {
		key    string
		target any
	}{
		{"tags", &args.Tags},
		{"network", &args.Network},
		{"stream", &args.Stream},
		{"warehouse", &args.Warehouse},
		{"ingestion", &args.Ingestion},
		{"producer", &args.Producer},
		{"logShipper", &args.LogShipper},
		{"lake", &args.Lake},
		{"flowLogs", &args.FlowLogs},
		{"redshiftDelivery", &args.RedshiftDelivery},
		{"cdc", &args.CDC},
		{"alarms", &args.Alarms},
	} {
		raw := cfg.Get(obj.key)
		if err := checkReplacedKeys(obj.key, raw); err != nil {
			return nil, err
		}
		if err := decodeStrict(raw, obj.target); err != nil {
			return nil, fmt.Errorf("haina:%s: %w", obj.key, err)
		}
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	return &args, nil
}

// replacedKeys are keys an earlier release read, with what replaced them: a
// stack file that still sets one gets told where its value now goes, instead
// of a bare "unknown field".
var replacedKeys = map[string][]struct{ path, now string }{
	"ingestion": {
		{"autoRefresh", "haina:ingestion.refresh.mode (auto: the landing views refresh themselves; scheduled: only the scheduled call reads the streams)"},
		{"refreshMinutes", "haina:ingestion.refresh.everyMinutes (how often the one scheduled call refreshes and applies)"},
	},
	"cdc": {
		{"redshift.autoRefresh", "haina:ingestion.refresh.mode, which now sets the CDC landing views' AUTO REFRESH too"},
		{"redshift.scheduleMinutes", "haina:ingestion.refresh.everyMinutes: the CDC apply now runs in the same scheduled call as the refresh"},
	},
}

// checkReplacedKeys refuses a section that sets a replaced key.
func checkReplacedKeys(section, raw string) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	var obj map[string]any
	if json.Unmarshal([]byte(raw), &obj) != nil {
		return nil // not an object: decodeStrict says what is wrong
	}
	for _, r := range replacedKeys[section] {
		var v any = obj
		for _, part := range strings.Split(r.path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		if v != nil {
			return fmt.Errorf("haina:%s.%s: %v is not read any more; it was replaced by %s", section, r.path, quoteValue(v), r.now)
		}
	}
	return nil
}

// decodeStrict decodes a structured config value over the defaults already in
// target, refusing unknown fields so a misspelt key is an error, not a no-op.
func decodeStrict(raw string, target any) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		return fmt.Errorf("cannot read %s: %v", raw, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("cannot read %s: trailing data", raw)
	}
	return nil
}

// Name returns "<prefix>-<environment>-<suffix>", the physical name haina gives a resource.
func (a *PipelineArgs) Name(suffix string) string {
	return fmt.Sprintf("%s-%s-%s", a.Prefix, a.Environment, suffix)
}

// RefreshRole is the database role the refresh schedule runs as: the prefix
// (hyphens as underscores, so it is also a tag-safe value) and _refresh.
func (a *PipelineArgs) RefreshRole() string { return glueName(a.Prefix) + "_refresh" }

// AllTags returns the tags every taggable resource carries.
func (a *PipelineArgs) AllTags() pulumi.StringMap {
	tags := pulumi.StringMap{
		"haina:project":     pulumi.String("haina"),
		"haina:environment": pulumi.String(string(a.Environment)),
	}
	for k, v := range a.Tags {
		tags[k] = pulumi.String(v)
	}
	return tags
}
