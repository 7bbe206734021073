package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// IntegrationDataFilterType is the token of a zero-ETL integration's data
// filter, kept by haina's provider so a changed table list modifies the
// integration in place.
const IntegrationDataFilterType = "haina:rds:IntegrationDataFilter"

// IntegrationsAPI is the part of the RDS API the data filter uses.
type IntegrationsAPI interface {
	DescribeIntegrations(context.Context, *rds.DescribeIntegrationsInput, ...func(*rds.Options)) (*rds.DescribeIntegrationsOutput, error)
	ModifyIntegration(context.Context, *rds.ModifyIntegrationInput, ...func(*rds.Options)) (*rds.ModifyIntegrationOutput, error)
}

// IntegrationDataFilter is the data filter of an existing integration. AWS
// modifies a filter in place ("You can modify only the name, description,
// and data filtering options", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.modifying.html):
// tables added are replicated, tables left out are removed from the
// destination, the rest stay as they are. pulumi-aws 6.83.4 replaces the
// integration instead, and with it the destination database (a full reseed);
// the integration ignores later filter changes and this resource applies
// them. Deleting it changes nothing: the filter goes with its integration.
type IntegrationDataFilter struct {
	IntegrationArn string `json:"integrationArn"`
	DataFilter     string `json:"dataFilter"`
}

func integrationFilterFrom(props *structpb.Struct) (IntegrationDataFilter, []string, error) {
	pm, err := unmarshal(props)
	if err != nil {
		return IntegrationDataFilter{}, nil, err
	}
	var f IntegrationDataFilter
	unknown, err := decodeStrict(pm, &f, IntegrationDataFilterType)
	return f, unknown, err
}

func (f IntegrationDataFilter) check(unknown []string) []string {
	var failures []string
	if !strings.HasPrefix(f.IntegrationArn, "arn:") && !contains(unknown, "integrationArn") {
		failures = append(failures, fmt.Sprintf("integrationArn %q is not an integration's ARN", f.IntegrationArn))
	}
	if f.DataFilter == "" && !contains(unknown, "dataFilter") {
		failures = append(failures, "dataFilter is required (an integration haina declares always names its tables)")
	}
	return failures
}

// integrationBusy are the states in which RDS refuses a modification; the
// lifecycle waits them out (terraform-provider-aws's integration waiters use
// the same names).
var integrationBusy = map[string]bool{"creating": true, "modifying": true, "syncing": true}

// IntegrationFilterLifecycle reads and sets integrations' data filters.
type IntegrationFilterLifecycle struct {
	API IntegrationsAPI
	// Poll is the wait between two looks at a busy integration (0: 15 s).
	Poll time.Duration
}

// describe returns the integration's filter and status; found is false when
// the integration is gone.
func (l IntegrationFilterLifecycle) describe(ctx context.Context, arn string) (filter, state string, found bool, err error) {
	out, err := l.API.DescribeIntegrations(ctx, &rds.DescribeIntegrationsInput{IntegrationIdentifier: aws.String(arn)})
	if err != nil {
		var gone *rdstypes.IntegrationNotFoundFault
		if errors.As(err, &gone) {
			return "", "", false, nil
		}
		return "", "", false, fmt.Errorf("describing integration %s: %w", arn, err)
	}
	for _, i := range out.Integrations {
		if aws.ToString(i.IntegrationArn) == arn {
			return aws.ToString(i.DataFilter), string(i.Status), true, nil
		}
	}
	return "", "", false, nil
}

// settle waits until the integration can be modified (or is done being
// modified) and returns its filter.
func (l IntegrationFilterLifecycle) settle(ctx context.Context, arn string) (string, error) {
	poll := l.Poll
	if poll == 0 {
		poll = 15 * time.Second
	}
	for {
		filter, state, found, err := l.describe(ctx, arn)
		switch {
		case err != nil:
			return "", err
		case !found:
			return "", fmt.Errorf("integration %s does not exist", arn)
		case state == "failed":
			return "", fmt.Errorf("integration %s has failed (aws rds describe-integrations --integration-identifier %s names its errors)", arn, arn)
		case !integrationBusy[state]:
			return filter, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("integration %s is still %s: %w", arn, state, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// Apply makes the integration's filter f.DataFilter: nothing to do when it
// already is (the integration was just created with it).
func (l IntegrationFilterLifecycle) Apply(ctx context.Context, f IntegrationDataFilter) error {
	current, err := l.settle(ctx, f.IntegrationArn)
	if err != nil {
		return err
	}
	if current == f.DataFilter {
		return nil
	}
	if _, err := l.API.ModifyIntegration(ctx, &rds.ModifyIntegrationInput{
		IntegrationIdentifier: aws.String(f.IntegrationArn), DataFilter: aws.String(f.DataFilter)}); err != nil {
		return fmt.Errorf("integration %s: setting its data filter to %q: %w", f.IntegrationArn, f.DataFilter, err)
	}
	_, err = l.settle(ctx, f.IntegrationArn)
	return err
}

// Read returns what AWS holds (drift shows on refresh); found is false when
// the integration is gone.
func (l IntegrationFilterLifecycle) Read(ctx context.Context, f IntegrationDataFilter) (IntegrationDataFilter, bool, error) {
	filter, _, found, err := l.describe(ctx, f.IntegrationArn)
	f.DataFilter = filter
	return f, found, err
}

type integrationFilterKind struct{ s *Server }

func (k integrationFilterKind) with(ctx context.Context, f func(context.Context, IntegrationFilterLifecycle) error) error {
	k.s.mu.Lock()
	api, poll := k.s.integrations, k.s.IntegrationPoll
	k.s.mu.Unlock()
	if api == nil {
		return status.Error(codes.FailedPrecondition, "haina provider is not configured for "+IntegrationDataFilterType)
	}
	ctx, cancel := k.s.opContext(ctx)
	defer cancel()
	return f(ctx, IntegrationFilterLifecycle{API: api, Poll: poll})
}

func (f IntegrationDataFilter) props() (*structpb.Struct, error) {
	return plugin.MarshalProperties(encodeJSON(f), marshal)
}

func (k integrationFilterKind) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	f, unknown, err := integrationFilterFrom(req.GetNews())
	if err != nil {
		return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	return checkResponse(req.GetNews(), f.check(unknown)), nil
}

// Diff: another integration is another resource; the filter changes in place.
func (k integrationFilterKind) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, _, err := integrationFilterFrom(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, unknown, err := integrationFilterFrom(req.GetNews())
	if err != nil {
		return nil, err
	}
	var changed, replace []string
	if olds.IntegrationArn != news.IntegrationArn || contains(unknown, "integrationArn") {
		changed, replace = append(changed, "integrationArn"), append(replace, "integrationArn")
	}
	if olds.DataFilter != news.DataFilter || contains(unknown, "dataFilter") {
		changed = append(changed, "dataFilter")
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replace}, nil
}

func (k integrationFilterKind) apply(ctx context.Context, props *structpb.Struct, preview bool) (IntegrationDataFilter, *structpb.Struct, error) {
	f, unknown, err := integrationFilterFrom(props)
	if err != nil || preview {
		return f, props, err
	}
	if len(unknown) > 0 {
		return f, nil, fmt.Errorf("integration data filter: inputs still unknown: %s", strings.Join(unknown, ", "))
	}
	if err := k.with(ctx, func(ctx context.Context, l IntegrationFilterLifecycle) error { return l.Apply(ctx, f) }); err != nil {
		return f, nil, err
	}
	out, err := f.props()
	return f, out, err
}

func (k integrationFilterKind) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	f, props, err := k.apply(ctx, req.GetProperties(), req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: f.IntegrationArn, Properties: props}, nil
}

func (k integrationFilterKind) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	_, props, err := k.apply(ctx, req.GetNews(), req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (k integrationFilterKind) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	f, _, err := integrationFilterFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if f.IntegrationArn == "" {
		f.IntegrationArn = req.GetId()
	}
	var found bool
	if err := k.with(ctx, func(ctx context.Context, l IntegrationFilterLifecycle) (err error) {
		f, found, err = l.Read(ctx, f)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return &pulumirpc.ReadResponse{}, nil
	}
	props, err := f.props()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: props}, nil
}

// Delete leaves the integration as it is: its filter goes with it.
func (k integrationFilterKind) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func newAWSIntegrations(ctx context.Context, c Config) (IntegrationsAPI, error) {
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return rds.NewFromConfig(cfg), nil
}
