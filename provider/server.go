// Package provider is haina's own Pulumi resource provider: SQL objects on
// Redshift (Data API) and Aurora MySQL (RDS Data API), database users whose
// generated password goes straight to Secrets Manager, and the MSK Connect
// plugin archive built at deploy time — each with a real
// create/read/update/delete lifecycle. It implements the provider gRPC
// service on sdk/v3 directly.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/haina-data/haina/pluginarchive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Name is the provider's package name; Version its version.
const Name = "haina"

var Version = "0.1.0"

// Config is the provider's configuration (the explicit provider resource's inputs).
type Config struct {
	Region  string `json:"region"`
	Profile string `json:"profile,omitempty"`
	// AssumeRoleArn (with SessionName, ExternalID) is the role the aws provider
	// assumes (aws:assumeRole): haina's calls run as the same principal.
	AssumeRoleArn string `json:"assumeRoleArn,omitempty"`
	SessionName   string `json:"sessionName,omitempty"`
	ExternalID    string `json:"externalId,omitempty"`
	// DataAPIEndpoint overrides the Redshift Data API endpoint (tests; AWS_ENDPOINT_URL_REDSHIFT_DATA works too).
	DataAPIEndpoint string `json:"dataApiEndpoint,omitempty"`
}

// Server serves the provider gRPC service.
type Server struct {
	pulumirpc.UnimplementedResourceProviderServer

	// NewDataAPI and NewRDSDataAPI build the clients from the configuration; tests replace them.
	NewDataAPI    func(context.Context, Config) (DataAPI, error)
	NewRDSDataAPI func(context.Context, Config) (RDSDataAPI, error)
	// NewSecrets writes generated passwords; NewObjectStore uploads plugin archives.
	NewSecrets     func(context.Context, Config) (SecretsAPI, error)
	NewObjectStore func(context.Context, Config) (ObjectStore, error)
	// NewLogs sets log groups' retention and key (LogGroupSettings).
	NewLogs func(context.Context, Config) (LogsAPI, error)
	// NewIntegrations reads and modifies zero-ETL integrations' data filters
	// (IntegrationDataFilter).
	NewIntegrations func(context.Context, Config) (IntegrationsAPI, error)
	// Fetcher downloads plugin files (its zero value is the real HTTPS client).
	Fetcher pluginarchive.Fetcher
	// Runner settings (poll backoff); the API is filled at Configure.
	PollRunner Runner
	// Log receives what a user should know that is not an error (an object
	// adopted instead of created). Nil: a line on stderr, which the engine
	// shows; cmd/pulumi-resource-haina may set it to its HostClient's Log.
	Log func(ctx context.Context, urn, msg string)

	mu        sync.Mutex
	lifecycle *Lifecycle // Redshift
	mysql     *Lifecycle
	plugins   *PluginLifecycle
	logs      LogsAPI
	// integrations: see NewIntegrations.
	integrations IntegrationsAPI
	cancel       context.CancelFunc
	ctx          context.Context
}

// NewServer returns a provider that talks to AWS.
func NewServer() *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		NewDataAPI: newAWSDataAPI, NewRDSDataAPI: newAWSRDSDataAPI, NewSecrets: newAWSSecrets, NewObjectStore: newAWSObjectStore, NewLogs: newAWSLogs,
		NewIntegrations: newAWSIntegrations,
		ctx:             ctx, cancel: cancel,
	}
}

func newAWSSecrets(ctx context.Context, c Config) (SecretsAPI, error) {
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

func newAWSObjectStore(ctx context.Context, c Config) (ObjectStore, error) {
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom S3 endpoint (an S3-compatible store, a test double) wants path-style addressing.
		o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	}), nil
}

func newAWSRDSDataAPI(ctx context.Context, c Config) (RDSDataAPI, error) {
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return rdsdata.NewFromConfig(cfg), nil
}

// loadAWSConfig is the standard credential chain of the machine running `pulumi up`, in the provider's region.
func loadAWSConfig(ctx context.Context, c Config) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region)}
	if c.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if c.AssumeRoleArn != "" {
		session := c.SessionName
		if session == "" {
			session = "haina-provider"
		}
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.AssumeRoleArn,
			func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = session
				if c.ExternalID != "" {
					o.ExternalID = aws.String(c.ExternalID)
				}
			}))
	}
	return cfg, nil
}

func newAWSDataAPI(ctx context.Context, c Config) (DataAPI, error) {
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return redshiftdata.NewFromConfig(cfg, func(o *redshiftdata.Options) {
		if c.DataAPIEndpoint != "" {
			o.BaseEndpoint = aws.String(c.DataAPIEndpoint)
		}
	}), nil
}

var marshal = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, marshal)
}

func (s *Server) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (s *Server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schemaJSON}, nil
}

func (s *Server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if v, ok := news["region"]; ok && v.IsString() && v.StringValue() == "" {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "region", Reason: "region must not be empty"})
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func (s *Server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if olds.DeepEquals(news) {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME}, nil
}

func (s *Server) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	var c Config
	if args := req.GetArgs(); args != nil {
		pm, err := unmarshal(args)
		if err != nil {
			return nil, err
		}
		get := func(k string) string {
			if v, ok := pm[resource.PropertyKey(k)]; ok {
				if v.IsSecret() {
					v = v.SecretValue().Element
				}
				if v.IsString() {
					return v.StringValue()
				}
			}
			return ""
		}
		c = Config{Region: get("region"), Profile: get("profile"), DataAPIEndpoint: get("dataApiEndpoint")}
	} else {
		vars := req.GetVariables()
		c = Config{Region: vars["haina:config:region"], Profile: vars["haina:config:profile"], DataAPIEndpoint: vars["haina:config:dataApiEndpoint"]}
	}
	api, err := s.NewDataAPI(ctx, c)
	if err != nil {
		return nil, err
	}
	r := s.PollRunner
	r.API = api
	var secrets SecretsAPI
	if s.NewSecrets != nil {
		if secrets, err = s.NewSecrets(ctx, c); err != nil {
			return nil, err
		}
	}
	var mysql *Lifecycle
	if s.NewRDSDataAPI != nil {
		rds, err := s.NewRDSDataAPI(ctx, c)
		if err != nil {
			return nil, err
		}
		mysql = &Lifecycle{Runner: &MySQLRunner{API: rds}, Secrets: secrets}
	}
	var plugins *PluginLifecycle
	if s.NewObjectStore != nil {
		store, err := s.NewObjectStore(ctx, c)
		if err != nil {
			return nil, err
		}
		plugins = &PluginLifecycle{Fetcher: s.Fetcher, Store: store}
	}
	var logs LogsAPI
	if s.NewLogs != nil {
		if logs, err = s.NewLogs(ctx, c); err != nil {
			return nil, err
		}
	}
	var integrations IntegrationsAPI
	if s.NewIntegrations != nil {
		if integrations, err = s.NewIntegrations(ctx, c); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.lifecycle, s.mysql, s.plugins, s.logs, s.integrations = &Lifecycle{Runner: &r, Secrets: secrets}, mysql, plugins, logs, integrations
	s.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (s *Server) life(typ string) (*Lifecycle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lifecycle
	if typ == MySQLSqlObjectType {
		l = s.mysql
	}
	if l == nil {
		return nil, status.Error(codes.FailedPrecondition, "haina provider is not configured for "+typ)
	}
	return l, nil
}

// opContext ends when the engine cancels the provider.
func (s *Server) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.ctx == nil {
		return context.WithCancel(ctx)
	}
	merged, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return merged, func() { stop(); cancel() }
}

// object decodes a request's properties into a SqlObject, listing unknown
// ones. The outputs in a state (passwordVersion) are not inputs: left out.
func object(props *structpb.Struct) (SqlObject, []string, error) {
	pm, err := unmarshal(props)
	if err != nil {
		return SqlObject{}, nil, err
	}
	delete(pm, PasswordVersionKey)
	return decodeSqlObject(pm)
}

// passwordVersion is the passwordVersion output in a state ("" when none).
func passwordVersion(props *structpb.Struct) string {
	if v, ok := props.GetFields()[PasswordVersionKey]; ok {
		return v.GetStringValue()
	}
	return ""
}

// sqlState is an object's state: its inputs and, with a generated password,
// the version of that password.
func sqlState(o SqlObject, version string) (*structpb.Struct, error) {
	pm := o.encode()
	if version != "" {
		pm[PasswordVersionKey] = resource.NewStringProperty(version)
	}
	return plugin.MarshalProperties(pm, marshal)
}

// previewState is what a preview promises: the inputs as given, the password's
// version kept or, when the step sets a new password, unknown.
func previewState(news *structpb.Struct, version string, unknownVersion bool) (*structpb.Struct, error) {
	if version == "" && !unknownVersion {
		return news, nil // no generated password: the inputs as they came
	}
	pm, err := unmarshal(news)
	if err != nil {
		return nil, err
	}
	delete(pm, PasswordVersionKey)
	switch {
	case unknownVersion:
		pm[PasswordVersionKey] = resource.MakeComputed(resource.NewStringProperty(""))
	case version != "":
		pm[PasswordVersionKey] = resource.NewStringProperty(version)
	}
	return plugin.MarshalProperties(pm, marshal)
}

// setsPassword: the object has (or may have, while unknown) a generated password.
func setsPassword(o SqlObject, unknown []string) bool {
	return o.PasswordSecretArn != "" || contains(unknown, "passwordSecretArn")
}

// withLifecycle runs f with the lifecycle of the URN's type and a context the engine can cancel.
func (s *Server) withLifecycle(ctx context.Context, urn string, f func(context.Context, *Lifecycle) error) error {
	l, err := s.life(resource.URN(urn).Type().String())
	if err != nil {
		return err
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	return f(ctx, l)
}

func (s *Server) log(ctx context.Context, urn, msg string) {
	if s.Log != nil {
		s.Log(ctx, urn, msg)
		return
	}
	fmt.Fprintf(os.Stderr, "haina: %s: %s\n", resource.URN(urn).Name(), msg)
}

// resourceKind is one resource type's lifecycle, one method per gRPC step
// (like pulumi-go-provider's infer resources): the Server's gRPC methods only
// look the kind up by the URN's type and hand the request on.
type resourceKind interface {
	Check(context.Context, *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error)
	Diff(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error)
	Create(context.Context, *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error)
	Read(context.Context, *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error)
	Update(context.Context, *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error)
	Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error)
}

// kind is the dispatch table: the lifecycle of the URN's resource type.
func (s *Server) kind(urn string) (resourceKind, error) {
	switch t := resource.URN(urn).Type().String(); t {
	case RedshiftSqlObjectType, MySQLSqlObjectType:
		return sqlKind{s}, nil
	case PluginArchiveType:
		return pluginKind{s}, nil
	case LogGroupSettingsType:
		return logGroupKind{s}, nil
	case IntegrationDataFilterType:
		return integrationFilterKind{s}, nil
	default:
		return nil, status.Errorf(codes.InvalidArgument, "haina provider: unknown resource type %s", t)
	}
}

func (s *Server) Check(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	k, err := s.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return k.Check(ctx, req)
}

func (s *Server) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	k, err := s.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return k.Diff(ctx, req)
}

func (s *Server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	k, err := s.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return k.Create(ctx, req)
}

func (s *Server) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	k, err := s.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return k.Read(ctx, req)
}

func (s *Server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	k, err := s.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return k.Update(ctx, req)
}

func (s *Server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	k, err := s.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return k.Delete(ctx, req)
}

// sqlKind is the lifecycle of SQL objects (Redshift and MySQL alike; the
// URN's type picks the runner).
type sqlKind struct{ s *Server }

func (k sqlKind) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	o, unknown, err := object(req.GetNews())
	if err != nil {
		return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	var failures []*pulumirpc.CheckFailure
	for _, f := range o.check(resource.URN(req.GetUrn()).Type().String(), unknown) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: strings.Fields(f)[0], Reason: f})
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func (k sqlKind) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, _, err := object(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, unknown, err := object(req.GetNews())
	if err != nil {
		return nil, err
	}
	p, err := diff(olds, news, unknown)
	if err != nil {
		return nil, err
	}
	if len(p.Changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	// Names are fixed, so the old object must go before the new one is created.
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: p.Changed, Replaces: p.Replace, DeleteBeforeReplace: true,
	}, nil
}

func (k sqlKind) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	o, unknown, err := object(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := previewState(req.GetProperties(), "", setsPassword(o, unknown))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: props}, nil
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("creating %s: inputs still unknown: %s", o.describe(), strings.Join(unknown, ", "))
	}
	var version string
	if err := k.s.withLifecycle(ctx, req.GetUrn(), func(ctx context.Context, l *Lifecycle) (err error) {
		withLog := *l
		withLog.Notify = func(ctx context.Context, _ SqlObject, msg string) { k.s.log(ctx, req.GetUrn(), msg) }
		version, err = withLog.Create(ctx, o)
		return err
	}); err != nil {
		return nil, err
	}
	props, err := sqlState(o, version)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: o.ID(), Properties: props}, nil
}

func (k sqlKind) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	o, _, err := object(req.GetProperties())
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := k.s.withLifecycle(ctx, req.GetUrn(), func(ctx context.Context, l *Lifecycle) (err error) {
		exists, err = l.Read(ctx, o)
		return err
	}); err != nil {
		return nil, err
	}
	if !exists {
		return &pulumirpc.ReadResponse{}, nil // gone: the engine drops it, the next up recreates it
	}
	inputs := req.GetInputs()
	if inputs == nil {
		inputs = req.GetProperties()
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

func (k sqlKind) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, _, err := object(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, unknown, err := object(req.GetNews())
	if err != nil {
		return nil, err
	}
	oldVersion := passwordVersion(req.GetOlds())
	if req.GetPreview() {
		p, err := diff(olds, news, unknown)
		if err != nil {
			return nil, err
		}
		props, err := previewState(req.GetNews(), oldVersion, p.Rotate)
		if err != nil {
			return nil, err
		}
		return &pulumirpc.UpdateResponse{Properties: props}, nil
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("updating %s: inputs still unknown: %s", news.describe(), strings.Join(unknown, ", "))
	}
	var version string
	if err := k.s.withLifecycle(ctx, req.GetUrn(), func(ctx context.Context, l *Lifecycle) (err error) {
		withLog := *l
		withLog.Notify = func(ctx context.Context, _ SqlObject, msg string) { k.s.log(ctx, req.GetUrn(), msg) }
		version, err = withLog.Update(ctx, olds, news)
		return err
	}); err != nil {
		return nil, err
	}
	if version == "" {
		version = oldVersion // the password did not change
	}
	props, err := sqlState(news, version)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (k sqlKind) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	o, _, err := object(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := k.s.withLifecycle(ctx, req.GetUrn(), func(ctx context.Context, l *Lifecycle) error { return l.Delete(ctx, o) }); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	if s.cancel != nil {
		s.cancel()
	}
	return &emptypb.Empty{}, nil
}

// schemaJSON describes the provider for `pulumi package get-schema`; programs
// register the resource directly (components.SqlObject), so no SDK is generated.
const schemaJSON = `{
  "name": "haina",
  "version": "0.1.0",
  "config": {"variables": {"region": {"type": "string"}, "profile": {"type": "string"}, "dataApiEndpoint": {"type": "string"}}},
  "provider": {"inputProperties": {"region": {"type": "string"}, "profile": {"type": "string"}, "dataApiEndpoint": {"type": "string"}}},
  "resources": {
    "haina:redshift:SqlObject": {
      "description": "A SQL object on Redshift, run through the Data API with a create/read/update/delete lifecycle.",
      "inputProperties": {
        "workgroupName": {"type": "string"}, "clusterIdentifier": {"type": "string", "description": "A provisioned cluster, in place of workgroupName."}, "database": {"type": "string"}, "secretArn": {"type": "string"},
        "kind": {"type": "string"}, "objectName": {"type": "string"}, "definition": {"type": "string"},
        "create": {"type": "array", "items": {"type": "string"}}, "update": {"type": "array", "items": {"type": "string"}},
        "drop": {"type": "array", "items": {"type": "string"}}, "exists": {"type": "string"},
        "holdsData": {"type": "boolean"}, "allowDataLoss": {"type": "boolean"}, "guardDelete": {"type": "boolean"},
        "timeoutSeconds": {"type": "integer"},
        "basedOn": {"type": "array", "items": {"type": "string"}, "description": "Names of the objects this one is built on: a change that replaces one of them replaces this one first."},
        "nonTransactional": {"type": "boolean", "description": "Run each statement on its own, outside a transaction (COPY JOB, CREATE DATABASE)."}
      },
      "requiredInputs": ["database", "kind", "objectName", "create", "drop", "exists"]
    },
    "haina:mysql:SqlObject": {
      "description": "A SQL object on Aurora MySQL, run through the RDS Data API with a create/read/update/delete lifecycle.",
      "inputProperties": {
        "resourceArn": {"type": "string"}, "database": {"type": "string"}, "secretArn": {"type": "string"},
        "kind": {"type": "string"}, "objectName": {"type": "string"}, "definition": {"type": "string"},
        "create": {"type": "array", "items": {"type": "string"}}, "update": {"type": "array", "items": {"type": "string"}},
        "drop": {"type": "array", "items": {"type": "string"}}, "exists": {"type": "string"},
        "holdsData": {"type": "boolean"}, "allowDataLoss": {"type": "boolean"}, "guardDelete": {"type": "boolean"},
        "timeoutSeconds": {"type": "integer"},
        "basedOn": {"type": "array", "items": {"type": "string"}, "description": "Names of the objects this one is built on: a change that replaces one of them replaces this one first."},
        "passwordSecretArn": {"type": "string"}, "passwordUsername": {"type": "string"}, "rotation": {"type": "string"}
      },
      "properties": {
        "passwordVersion": {"type": "string", "description": "The secret's version id (AWSCURRENT) of the password the provider last set; never the password."}
      },
      "requiredInputs": ["resourceArn", "secretArn", "database", "kind", "objectName", "create", "drop", "exists"]
    },
    "haina:msk:PluginArchive": {
      "description": "An MSK Connect plugin ZIP: pinned files downloaded at deploy time, verified, assembled deterministically and uploaded to S3.",
      "inputProperties": {
        "bucket": {"type": "string"}, "key": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}}
      },
      "properties": {
        "sha256": {"type": "object", "additionalProperties": {"type": "string"}},
        "archiveSha256": {"type": "string"}, "size": {"type": "integer"}
      },
      "requiredInputs": ["bucket", "key", "sources"]
    },
    "haina:logs:LogGroupSettings": {
      "description": "A log group's retention and KMS key, set whether the group exists yet or an AWS service made it (Redshift's audit-log groups); delete deletes the group unless retainOnDelete.",
      "inputProperties": {"logGroupName": {"type": "string"}, "retentionInDays": {"type": "integer"}, "kmsKeyArn": {"type": "string"}, "retainOnDelete": {"type": "boolean"}},
      "properties": {"adopted": {"type": "boolean"}},
      "requiredInputs": ["logGroupName", "retentionInDays"]
    },
    "haina:rds:IntegrationDataFilter": {
      "description": "A zero-ETL integration's data filter, modified in place (rds:ModifyIntegration) when the table list changes; delete leaves the integration as it is.",
      "inputProperties": {"integrationArn": {"type": "string"}, "dataFilter": {"type": "string"}},
      "properties": {"integrationArn": {"type": "string"}, "dataFilter": {"type": "string"}},
      "requiredInputs": ["integrationArn", "dataFilter"]
    }
  }
}`

// checkWith is a kind's Check: the inputs decoded by from (an error is the
// one failure), then the kind's rules.
func checkWith[T any](news *structpb.Struct, from func(*structpb.Struct) (T, []string, error), rules func(T, []string) []string) *pulumirpc.CheckResponse {
	v, unknown, err := from(news)
	if err != nil {
		return &pulumirpc.CheckResponse{Inputs: news, Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}
	}
	return checkResponse(news, rules(v, unknown))
}

// diffWith is a kind's Diff: olds and news decoded by from, then fields
// names the inputs that changed and those of them that replace the resource.
func diffWith[T any](req *pulumirpc.DiffRequest, from func(*structpb.Struct) (T, []string, error),
	fields func(olds, news T, unknown []string) (changed, replace []string)) (*pulumirpc.DiffResponse, error) {
	olds, _, err := from(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, unknown, err := from(req.GetNews())
	if err != nil {
		return nil, err
	}
	changed, replace := fields(olds, news, unknown)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replace}, nil
}

// checkResponse returns the inputs with the failures a kind's check found,
// each naming its property by its first word ("bucket is required").
func checkResponse(news *structpb.Struct, failures []string) *pulumirpc.CheckResponse {
	var out []*pulumirpc.CheckFailure
	for _, f := range failures {
		out = append(out, &pulumirpc.CheckFailure{Property: strings.Fields(f)[0], Reason: f})
	}
	return &pulumirpc.CheckResponse{Inputs: news, Failures: out}
}
