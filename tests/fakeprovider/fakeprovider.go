// Package fakeprovider serves fake "aws" and "random" resource providers to the
// real Pulumi engine. Every resource is accepted; state is the inputs plus what
// fakeaws computes, so ids and ARNs are deterministic and a second `up` is a
// true no-op. Nothing leaves the process.
package fakeprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/haina-data/haina/kafkatopics"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/haina-data/haina/tests/iameval"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Versions are the plugin versions the SDKs in go.mod ask the engine for.
var Versions = map[string]string{"aws": "6.83.4", "random": "4.21.2"}

// Server is one fake provider.
type Server struct {
	pulumirpc.UnimplementedResourceProviderServer
	Name string

	mu    sync.Mutex
	cloud fakeaws.Cloud
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}

func (s *Server) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Versions[s.Name]}, nil
}

func (s *Server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, s.Name, Versions[s.Name])}, nil
}

func (s *Server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *Server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	region := req.GetVariables()["aws:config:region"]
	if args := req.GetArgs(); args != nil {
		if v, ok := args.GetFields()["region"]; ok && v.GetStringValue() != "" {
			region = v.GetStringValue()
		}
	}
	s.mu.Lock()
	s.cloud = fakeaws.Cloud{Region: region}
	s.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (s *Server) cl() fakeaws.Cloud {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cloud
}

func (s *Server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *Server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOldInputs(), opts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, k := range olds.Diff(news).ChangedKeys() {
		changed = append(changed, string(k))
	}
	if len(changed) == 0 && !news.ContainsUnknowns() {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	var replaces []string
	if keep, ok := updatable[resource.URN(req.GetUrn()).Type().String()]; ok {
		for _, k := range changed {
			if !keep[k] {
				replaces = append(replaces, k)
			}
		}
	}
	// The order of a replacement (delete first or not) is the program's
	// resource option; the engine applies it.
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replaces}, nil
}

// updatable lists, for the types whose replacement a test relies on, the only
// inputs the real provider changes in place; any other changed input replaces
// the resource (every other type updates in place here).
var updatable = map[string]map[string]bool{
	// aws_rds_integration: every attribute but tags is RequiresReplace
	// (terraform-provider-aws internal/service/rds/integration.go, which
	// pulumi-aws 6.83.4 wraps).
	"aws:rds/integration:Integration": {"tags": true, "tagsAll": true},
}

func (s *Server) state(urn string, props *structpb.Struct) (string, *structpb.Struct, error) {
	inputs, err := plugin.UnmarshalProperties(props, opts)
	if err != nil {
		return "", nil, err
	}
	u := resource.URN(urn)
	id, state := s.cl().Create(u.Type().String(), u.Name(), inputs)
	out, err := plugin.MarshalProperties(state, opts)
	return id, out, err
}

func (s *Server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	id, out, err := s.state(req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		id = ""
	} else {
		if err := checkLogGroupKey(req.GetUrn(), out); err != nil {
			return nil, err
		}
		if err := checkIntegration(req.GetUrn(), out); err != nil {
			return nil, err
		}
		if err := invoke(ctx, req.GetUrn(), kafkatopics.ActionCreate, out); err != nil {
			return nil, err
		}
		if err := record(req.GetUrn(), out); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// CloudDirEnv names a directory where the fake provider keeps what exists in
// the fake cloud (one file per resource, its type and state), so the other
// fakes can see it: the fake Redshift refuses a streaming view over a stream
// that was never created.
const CloudDirEnv = "HAINA_FAKE_CLOUD_DIR"

// Existing is one resource the fake cloud holds.
type Existing struct {
	Type  string         `json:"type"`
	URN   string         `json:"urn"`
	State map[string]any `json:"state"`
	// Created is when it was created or last updated (Unix nanoseconds): the order things happened in.
	Created int64 `json:"created"`
	// First is when it was created, kept across updates.
	First int64 `json:"first"`
}

// KafkaEnv names the bootstrap address of a Kafka protocol server (the
// e2e test's in-process kfake cluster) standing in for the MSK brokers.
const KafkaEnv = "HAINA_FAKE_KAFKA"

// invoke runs what an aws.lambda.Invocation of haina's topics function runs,
// for real: the function's handler (package kafkatopics) against the fake
// Kafka, with the lifecycle key a CRUD invocation adds ("tf": {"action": …}).
// A handler error fails the step, as a function error fails the invocation.
func invoke(ctx context.Context, urn, action string, props *structpb.Struct) error {
	if resource.URN(urn).Type().String() != "aws:lambda/invocation:Invocation" {
		return nil
	}
	bootstrap := os.Getenv(KafkaEnv)
	if bootstrap == "" {
		return fmt.Errorf("fakeprovider: %s is not set: there is no Kafka for the invocation %s to reach", KafkaEnv, urn)
	}
	pm, err := plugin.UnmarshalProperties(props, opts)
	if err != nil {
		return err
	}
	input, _ := pm["input"].V.(string)
	var req kafkatopics.Request
	if err := json.Unmarshal([]byte(input), &req); err != nil {
		return fmt.Errorf("invocation %s: input is not the topics function's request: %w", urn, err)
	}
	// The brokers MSK names are the fake cluster's address here.
	req.Bootstrap, req.TF = strings.Split(bootstrap, ","), &kafkatopics.Lifecycle{Action: action}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = kafkatopics.Handle(ctx, req, func(b []string) (*kadm.Client, error) {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b...))
		if err != nil {
			return nil, err
		}
		return kadm.NewClient(cl), nil
	})
	if err != nil {
		return fmt.Errorf("invoking the topics function: %w", err)
	}
	return nil
}

// checkLogGroupKey refuses what CloudWatch Logs refuses: a log group whose
// KMS key does not exist, or whose key policy does not let the regional logs
// service use it with the group's ARN as encryption context
// (CreateLogGroup/AssociateKmsKey, "Encrypt log data in CloudWatch Logs using
// AWS KMS", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
// Only with CloudDirEnv set: the keys created so far are there.
func checkLogGroupKey(urn string, state *structpb.Struct) error {
	dir := os.Getenv(CloudDirEnv)
	if dir == "" || resource.URN(urn).Type().String() != "aws:cloudwatch/logGroup:LogGroup" {
		return nil
	}
	props, err := plugin.UnmarshalProperties(state, opts)
	if err != nil {
		return err
	}
	m := props.Mappable()
	keyArn, _ := m["kmsKeyId"].(string)
	if keyArn == "" {
		return nil
	}
	group, _ := m["arn"].(string)
	return KeyAllowsLogGroup(dir, keyArn, group)
}

// KeyAllowsLogGroup is CloudWatch Logs' check of a key for a group: the key
// exists in the fake cloud (dir) and its policy lets the regional logs service
// use it with the group's ARN as encryption context. The fake CloudWatch Logs
// endpoint of haina's provider uses it too.
func KeyAllowsLogGroup(dir, keyArn, group string) error {
	keys, err := Resources(dir, "aws:kms/key:Key")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.State["arn"] != keyArn {
			continue
		}
		policy, _ := k.State["policy"].(string)
		kp, err := iameval.Parse("key", policy)
		if err != nil {
			return err
		}
		region := strings.Split(keyArn, ":")[3]
		r, err := iameval.EvaluateKMS(iameval.Request{
			Caller: iameval.Caller{Kind: "Service", ID: "logs." + region + ".amazonaws.com"}, Action: "kms:GenerateDataKey", Resource: keyArn,
			Context: iameval.Context{"kms:EncryptionContext:aws:logs:arn": {group}}}, nil, kp)
		if err != nil {
			return err
		}
		if !r.Allowed() {
			return fmt.Errorf("AccessDeniedException: the specified KMS key does not exist or is not allowed to be used with LogGroup ARN %s", group)
		}
		return nil
	}
	return fmt.Errorf("ResourceNotFoundException: KMS key %s does not exist (log group %s)", keyArn, group)
}

func cloudFile(dir, urn string) string {
	sum := sha256.Sum256([]byte(urn))
	return filepath.Join(dir, hex.EncodeToString(sum[:8])+".json")
}

// record notes a created resource in CloudDirEnv, if set.
func record(urn string, state *structpb.Struct) error {
	dir := os.Getenv(CloudDirEnv)
	if dir == "" {
		return nil
	}
	props, err := plugin.UnmarshalProperties(state, opts)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	e := Existing{Type: resource.URN(urn).Type().String(), URN: urn, State: props.Mappable(), Created: now, First: now}
	if b, err := os.ReadFile(cloudFile(dir, urn)); err == nil {
		var was Existing
		if json.Unmarshal(b, &was) == nil && was.First != 0 {
			e.First = was.First // an update: the resource was created earlier
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return os.WriteFile(cloudFile(dir, urn), b, 0o644)
}

// Resources lists what the fake cloud in dir holds of a type.
func Resources(dir, typ string) ([]Existing, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Existing
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // deleted while listing
		}
		var e Existing
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *Server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	_, out, err := s.state(req.GetUrn(), req.GetNews())
	if err != nil {
		return nil, err
	}
	if !req.GetPreview() {
		if err := checkLogGroupKey(req.GetUrn(), out); err != nil {
			return nil, err
		}
		if err := invoke(context.Background(), req.GetUrn(), kafkatopics.ActionUpdate, out); err != nil {
			return nil, err
		}
		if err := record(req.GetUrn(), out); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (s *Server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if err := checkDeleteWithIntegration(req.GetUrn(), req.GetProperties()); err != nil {
		return nil, err
	}
	if err := invoke(ctx, req.GetUrn(), kafkatopics.ActionDelete, req.GetProperties()); err != nil {
		return nil, err
	}
	if dir := os.Getenv(CloudDirEnv); dir != "" {
		if err := os.Remove(cloudFile(dir, req.GetUrn())); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func (s *Server) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := plugin.UnmarshalProperties(req.GetArgs(), opts)
	if err != nil {
		return nil, err
	}
	out, err := s.cl().Invoke(req.GetTok(), args)
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	ret, err := plugin.MarshalProperties(out, opts)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
