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
// AWS removes from the destination what the new filter leaves out and
// replicates what it adds, resynchronizing the affected tables
// (zero-etl.filtering.html; a table is unavailable while it resyncs).
// Only Aurora MySQL sources can be modified (API_ModifyIntegration.html),
// which is all haina makes. pulumi-aws 6.83.4 replaces the
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

// integrationBusy are the states an integration passes through on its own
// (SDK IntegrationStatus values): before a modification the lifecycle waits
// them out. terraform-provider-aws's update waiter waits on modifying and
// syncing for active, as the lifecycle does after one.
var integrationBusy = map[rdstypes.IntegrationStatus]bool{
	rdstypes.IntegrationStatusCreating: true, rdstypes.IntegrationStatusModifying: true, rdstypes.IntegrationStatusSyncing: true}

// IntegrationFilterLifecycle reads and sets integrations' data filters.
type IntegrationFilterLifecycle struct {
	API IntegrationsAPI
	// Poll is the first wait between two looks at a busy integration (0: 2 s);
	// it doubles up to 30 s. Timeout bounds one wait (0: 30 minutes, as
	// terraform-provider-aws's update): an integration can stay syncing for
	// good (a required source parameter changed, AWS's troubleshooting page).
	Poll, Timeout time.Duration
}

// describe returns the integration; nil when it is gone.
func (l IntegrationFilterLifecycle) describe(ctx context.Context, arn string) (*rdstypes.Integration, error) {
	out, err := l.API.DescribeIntegrations(ctx, &rds.DescribeIntegrationsInput{IntegrationIdentifier: aws.String(arn)})
	if err != nil {
		var gone *rdstypes.IntegrationNotFoundFault
		if errors.As(err, &gone) {
			return nil, nil
		}
		return nil, fmt.Errorf("describing integration %s: %w", arn, err)
	}
	for _, i := range out.Integrations {
		if aws.ToString(i.IntegrationArn) == arn {
			return &i, nil
		}
	}
	return nil, nil
}

// integrationErrors is what AWS says is wrong with an integration.
func integrationErrors(i *rdstypes.Integration) string {
	var out []string
	for _, e := range i.Errors {
		out = append(out, aws.ToString(e.ErrorCode)+": "+aws.ToString(e.ErrorMessage))
	}
	if len(out) == 0 {
		return "no errors listed (aws rds describe-integrations --integration-identifier " + aws.ToString(i.IntegrationArn) + ")"
	}
	return strings.Join(out, "; ")
}

// wait looks at the integration until done says it is, within Timeout.
func (l IntegrationFilterLifecycle) wait(ctx context.Context, arn string, done func(*rdstypes.Integration) (bool, error)) (*rdstypes.Integration, error) {
	poll, timeout := l.Poll, l.Timeout
	if poll == 0 {
		poll = 2 * time.Second
	}
	if timeout == 0 {
		timeout = 30 * time.Minute
	}
	outer := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := rdstypes.IntegrationStatus("unknown")
	for {
		i, err := l.describe(ctx, arn)
		if err != nil {
			if ctx.Err() != nil && outer.Err() == nil {
				// The wait's own deadline, whichever call it cut short.
				return nil, fmt.Errorf("integration %s is still %s after %s: %w", arn, last, timeout, ctx.Err())
			}
			return nil, err
		}
		if i == nil {
			return nil, fmt.Errorf("integration %s does not exist", arn)
		}
		if ok, err := done(i); ok || err != nil {
			return i, err
		}
		last = i.Status
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("integration %s is still %s after %s: %w", arn, i.Status, timeout, ctx.Err())
		case <-time.After(poll):
		}
		poll = min(2*poll, 30*time.Second)
	}
}

// Apply makes the integration's filter f.DataFilter: nothing to do when it
// already is (the integration was just created with it). It waits for the
// integration to settle first (needs_attention may be what the new filter
// fixes, e.g. a table without a primary key left out), then for it to be
// active again with the new filter: needs_attention or failed after the
// change is an error naming what AWS reports.
func (l IntegrationFilterLifecycle) Apply(ctx context.Context, f IntegrationDataFilter) error {
	current, err := l.wait(ctx, f.IntegrationArn, func(i *rdstypes.Integration) (bool, error) {
		if i.Status == rdstypes.IntegrationStatusFailed {
			return false, fmt.Errorf("integration %s has failed: %s", f.IntegrationArn, integrationErrors(i))
		}
		return !integrationBusy[i.Status], nil
	})
	if err != nil {
		return err
	}
	if aws.ToString(current.DataFilter) == f.DataFilter {
		// The filter is already this one (just created, or an earlier run's
		// change): still needing attention is not a success to record.
		if current.Status == rdstypes.IntegrationStatusNeedsAttention {
			return fmt.Errorf("integration %s has the data filter %q but needs attention: %s; fix the source table or leave it "+
				"out of haina:cdc.zeroEtl.tables (docs/runbooks.md#zero-etl-failed-tables)", f.IntegrationArn, f.DataFilter, integrationErrors(current))
		}
		return nil
	}
	if _, err := l.API.ModifyIntegration(ctx, &rds.ModifyIntegrationInput{
		IntegrationIdentifier: aws.String(f.IntegrationArn), DataFilter: aws.String(f.DataFilter)}); err != nil {
		return fmt.Errorf("integration %s: setting its data filter to %q: %w", f.IntegrationArn, f.DataFilter, err)
	}
	_, err = l.wait(ctx, f.IntegrationArn, func(i *rdstypes.Integration) (bool, error) {
		switch i.Status {
		case rdstypes.IntegrationStatusFailed, rdstypes.IntegrationStatusNeedsAttention:
			return false, fmt.Errorf("integration %s is %s after its data filter became %q: %s; fix the source table or leave it "+
				"out of haina:cdc.zeroEtl.tables (docs/runbooks.md#zero-etl-failed-tables)", f.IntegrationArn, i.Status, f.DataFilter, integrationErrors(i))
		}
		// Right after the call AWS may still show the old filter as active.
		return i.Status == rdstypes.IntegrationStatusActive && aws.ToString(i.DataFilter) == f.DataFilter, nil
	})
	return err
}

// Read returns what AWS holds (drift shows on refresh); found is false when
// the integration is gone.
func (l IntegrationFilterLifecycle) Read(ctx context.Context, f IntegrationDataFilter) (IntegrationDataFilter, bool, error) {
	i, err := l.describe(ctx, f.IntegrationArn)
	if err != nil || i == nil {
		return f, false, err
	}
	f.DataFilter = aws.ToString(i.DataFilter)
	return f, true, nil
}

type integrationFilterKind struct{ s *Server }

func (k integrationFilterKind) with(ctx context.Context, f func(context.Context, IntegrationFilterLifecycle) error) error {
	k.s.mu.Lock()
	api := k.s.integrations
	k.s.mu.Unlock()
	if api == nil {
		return status.Error(codes.FailedPrecondition, "haina provider is not configured for "+IntegrationDataFilterType)
	}
	ctx, cancel := k.s.opContext(ctx)
	defer cancel()
	return f(ctx, IntegrationFilterLifecycle{API: api})
}

func (f IntegrationDataFilter) props() (*structpb.Struct, error) {
	return plugin.MarshalProperties(encodeJSON(f), marshal)
}

func (k integrationFilterKind) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return checkWith(req.GetNews(), integrationFilterFrom, IntegrationDataFilter.check), nil
}

// Diff: another integration is another resource; the filter changes in place.
func (k integrationFilterKind) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diffWith(req, integrationFilterFrom, func(olds, news IntegrationDataFilter, unknown []string) (changed, replace []string) {
		if olds.IntegrationArn != news.IntegrationArn || contains(unknown, "integrationArn") {
			changed, replace = append(changed, "integrationArn"), append(replace, "integrationArn")
		}
		if olds.DataFilter != news.DataFilter || contains(unknown, "dataFilter") {
			changed = append(changed, "dataFilter")
		}
		return changed, replace
	})
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
