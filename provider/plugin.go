package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/haina-data/haina/pluginarchive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// PluginArchiveType is the token of the MSK Connect plugin archive resource.
const PluginArchiveType = "haina:msk:PluginArchive"

// ObjectStore is the part of the S3 client the plugin archive uses.
type ObjectStore interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// PluginArchive downloads the plugin's files at deploy time, verifies them,
// assembles one deterministic ZIP and uploads it to Bucket/Key.
type PluginArchive struct {
	Bucket  string                 `json:"bucket"`
	Key     string                 `json:"key"`
	Sources []pluginarchive.Source `json:"sources"`
	// RequirePins refuses a download without a sha256 pin (production): a
	// checksum published beside a file comes from the same host as the file, and
	// msk-config-providers publishes none, yet that jar runs inside the connector
	// and resolves the database secret.
	RequirePins bool `json:"requirePins,omitempty"`
	// Outputs: the observed sha256 of each source (by name), of the ZIP, and its size.
	Sha256        map[string]string `json:"sha256,omitempty"`
	ArchiveSha256 string            `json:"archiveSha256,omitempty"`
	Size          int64             `json:"size,omitempty"`
}

// inputKeys are the properties a program sets; the rest are outputs.
var pluginInputKeys = []string{"bucket", "key", "sources", "requirePins"}

func decodePlugin(pm resource.PropertyMap) (PluginArchive, []string, error) {
	var p PluginArchive
	unknown, err := decodeStrict(pm, &p, PluginArchiveType)
	return p, unknown, err
}

func (p PluginArchive) encode() resource.PropertyMap { return encodeJSON(p) }

func (p PluginArchive) id() string { return "s3://" + p.Bucket + "/" + p.Key }

func (p PluginArchive) check(unknown []string) []string {
	var failures []string
	if p.Bucket == "" && !contains(unknown, "bucket") {
		failures = append(failures, "bucket is required")
	}
	if p.Key == "" && !contains(unknown, "key") {
		failures = append(failures, "key is required")
	}
	if !strings.HasSuffix(p.Key, ".zip") && !contains(unknown, "key") {
		failures = append(failures, "key must end in .zip")
	}
	if len(p.Sources) == 0 && !contains(unknown, "sources") {
		failures = append(failures, "sources needs at least one file")
	}
	if p.RequirePins && !contains(unknown, "sources") {
		var unpinned []string
		for _, s := range p.Sources {
			if s.Sha256 == "" {
				unpinned = append(unpinned, s.Name)
			}
		}
		if len(unpinned) > 0 {
			failures = append(failures, fmt.Sprintf("sources: %s not pinned, and this stack downloads pinned files only (production): "+
				"obtain each file's sha256 on a trusted machine (deploy staging and read its cdcPluginSha256 output, or download the "+
				"official release and hash it), review it, then pin it with `pulumi config set --path 'haina:cdc.plugin.sha256.<name>' <sha256>`",
				strings.Join(unpinned, ", ")))
		}
	}
	for i, s := range p.Sources {
		if s.Name == "" || s.URL == "" {
			failures = append(failures, fmt.Sprintf("sources[%d] needs a name and a url", i))
		}
		if s.Sha256 != "" {
			if b, err := hex.DecodeString(s.Sha256); err != nil || len(b) != sha256.Size {
				failures = append(failures, fmt.Sprintf("sources[%d] (%s): sha256 %q is not 64 hex digits", i, s.Name, s.Sha256))
			}
		}
	}
	return failures
}

// pluginDiff: a new bucket, key or content replaces the object (the key
// changes with the content, so the new object never overwrites the old); a
// URL (a mirror) or a pin changes nothing that was uploaded: an update.
func pluginDiff(olds, news PluginArchive, unknown []string) (changed, replace []string) {
	if olds.Bucket != news.Bucket || contains(unknown, "bucket") {
		changed = append(changed, "bucket")
	}
	if olds.Key != news.Key || contains(unknown, "key") {
		changed = append(changed, "key")
	}
	replace = append(replace, changed...)
	if olds.RequirePins != news.RequirePins {
		changed = append(changed, "requirePins") // a rule for the next download: nothing to redo
	}
	if contains(unknown, "sources") || !reflect.DeepEqual(olds.Sources, news.Sources) {
		changed = append(changed, "sources")
		if contains(unknown, "sources") || !sameContent(olds.Sources, news.Sources) {
			replace = append(replace, "sources")
		}
	}
	return changed, replace
}

func sameContent(a, b []pluginarchive.Source) bool {
	strip := func(in []pluginarchive.Source) []pluginarchive.Source {
		out := make([]pluginarchive.Source, len(in))
		for i, s := range in {
			s.URL, s.ChecksumURL, s.Sha256 = "", "", ""
			out[i] = s
		}
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

func samePins(a, b []pluginarchive.Source) bool {
	pins := func(in []pluginarchive.Source) map[string]string {
		m := map[string]string{}
		for _, s := range in {
			m[s.Name] = strings.ToLower(s.Sha256)
		}
		return m
	}
	return reflect.DeepEqual(pins(a), pins(b))
}

// PluginLifecycle builds, finds and removes plugin archives.
type PluginLifecycle struct {
	Fetcher pluginarchive.Fetcher
	Store   ObjectStore
}

// Create downloads and verifies every source, assembles the ZIP and uploads it.
func (l PluginLifecycle) Create(ctx context.Context, p PluginArchive) (PluginArchive, error) {
	var files []pluginarchive.Fetched
	sums := map[string]string{}
	for _, s := range p.Sources {
		f, err := l.Fetcher.Fetch(ctx, s)
		if err != nil {
			return p, err
		}
		files = append(files, f)
		sums[s.Name] = f.Sha256
	}
	zipped, err := pluginarchive.Assemble(files)
	if err != nil {
		return p, fmt.Errorf("assembling the plugin archive: %w; nothing was uploaded", err)
	}
	sum := sha256.Sum256(zipped)
	if _, err := l.Store.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.Bucket), Key: aws.String(p.Key), Body: bytes.NewReader(zipped),
		ContentType: aws.String("application/zip"), ContentLength: aws.Int64(int64(len(zipped))),
	}); err != nil {
		return p, fmt.Errorf("uploading the plugin archive to %s: %w", p.id(), err)
	}
	p.Sha256, p.ArchiveSha256, p.Size = sums, hex.EncodeToString(sum[:]), int64(len(zipped))
	return p, nil
}

// Verify downloads the sources again and checks them against their published
// checksums and pins (a new pin), uploading nothing; it returns the digests.
func (l PluginLifecycle) Verify(ctx context.Context, p PluginArchive) (map[string]string, error) {
	sums := map[string]string{}
	for _, s := range p.Sources {
		f, err := l.Fetcher.Fetch(ctx, s)
		if err != nil {
			return nil, err
		}
		sums[s.Name] = f.Sha256
	}
	return sums, nil
}

// Read reports whether the object is still there.
func (l PluginLifecycle) Read(ctx context.Context, p PluginArchive) (bool, error) {
	_, err := l.Store.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)})
	if err == nil {
		return true, nil
	}
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey") {
		return false, nil
	}
	return false, fmt.Errorf("looking up %s: %w", p.id(), err)
}

// Delete removes the object (MSK Connect copied it when the plugin was made).
func (l PluginLifecycle) Delete(ctx context.Context, p PluginArchive) error {
	if _, err := l.Store.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)}); err != nil {
		return fmt.Errorf("deleting %s: %w", p.id(), err)
	}
	return nil
}

// pluginKind is the plugin archive's lifecycle, one method per gRPC step; the
// Server dispatches to it by type (see kinds in server.go).
type pluginKind struct{ s *Server }

// withPlugins runs f with the plugin lifecycle and a context the engine can cancel.
func (k pluginKind) withPlugins(ctx context.Context, f func(context.Context, *PluginLifecycle) error) error {
	k.s.mu.Lock()
	l := k.s.plugins
	k.s.mu.Unlock()
	if l == nil {
		return status.Error(codes.FailedPrecondition, "haina provider is not configured for "+PluginArchiveType)
	}
	ctx, cancel := k.s.opContext(ctx)
	defer cancel()
	return f(ctx, l)
}

func pluginFrom(props *structpb.Struct) (PluginArchive, []string, error) {
	pm, err := unmarshal(props)
	if err != nil {
		return PluginArchive{}, nil, err
	}
	return decodePlugin(pm)
}

func (k pluginKind) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return checkWith(req.GetNews(), pluginFrom, PluginArchive.check), nil
}

// Diff: a replacement has a new key: create the new object, then delete the old.
func (k pluginKind) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diffWith(req, pluginFrom, pluginDiff)
}

func (k pluginKind) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	p, unknown, err := pluginFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("creating the plugin archive: inputs still unknown: %s", strings.Join(unknown, ", "))
	}
	if err := k.withPlugins(ctx, func(ctx context.Context, l *PluginLifecycle) (err error) {
		p, err = l.Create(ctx, p)
		return err
	}); err != nil {
		return nil, err
	}
	props, err := plugin.MarshalProperties(p.encode(), marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: p.id(), Properties: props}, nil
}

func (k pluginKind) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	p, _, err := pluginFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := k.withPlugins(ctx, func(ctx context.Context, l *PluginLifecycle) (err error) {
		exists, err = l.Read(ctx, p)
		return err
	}); err != nil {
		return nil, err
	}
	if !exists {
		return &pulumirpc.ReadResponse{}, nil // deleted behind Pulumi's back: the next up uploads it again
	}
	inputs := req.GetInputs()
	if inputs == nil {
		pm := resource.PropertyMap{}
		for _, k := range pluginInputKeys {
			if v, ok := p.encode()[resource.PropertyKey(k)]; ok {
				pm[resource.PropertyKey(k)] = v
			}
		}
		if inputs, err = plugin.MarshalProperties(pm, marshal); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

// Update records new URLs (a mirror) and verifies new pins; the object is unchanged.
func (k pluginKind) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, _, err := pluginFrom(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, unknown, err := pluginFrom(req.GetNews())
	if err != nil {
		return nil, err
	}
	if _, replace := pluginDiff(olds, news, unknown); len(replace) > 0 {
		return nil, fmt.Errorf("updating %s: %s cannot change in place", olds.id(), strings.Join(replace, ", "))
	}
	news.Sha256, news.ArchiveSha256, news.Size = olds.Sha256, olds.ArchiveSha256, olds.Size
	if !req.GetPreview() && !samePins(olds.Sources, news.Sources) {
		if err := k.withPlugins(ctx, func(ctx context.Context, l *PluginLifecycle) (err error) {
			news.Sha256, err = l.Verify(ctx, news)
			return err
		}); err != nil {
			return nil, err
		}
	}
	props, err := plugin.MarshalProperties(news.encode(), marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (k pluginKind) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	p, _, err := pluginFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := k.withPlugins(ctx, func(ctx context.Context, l *PluginLifecycle) error { return l.Delete(ctx, p) }); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
