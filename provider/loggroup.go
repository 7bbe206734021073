package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// LogGroupSettingsType is the token of a log group's retention and key, for
// a group an AWS service writes to and may have created itself.
const LogGroupSettingsType = "haina:logs:LogGroupSettings"

// LogsAPI is the part of CloudWatch Logs the settings use.
type LogsAPI interface {
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(context.Context, *cloudwatchlogs.PutRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	AssociateKmsKey(context.Context, *cloudwatchlogs.AssociateKmsKeyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.AssociateKmsKeyOutput, error)
	DisassociateKmsKey(context.Context, *cloudwatchlogs.DisassociateKmsKeyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DisassociateKmsKeyOutput, error)
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	DeleteLogGroup(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
}

// LogGroupSettings gives a log group a retention and a key whether or not it
// exists yet. Redshift creates its audit-log groups itself, never expiring,
// the first time it exports; if the group already exists it writes there
// ("Audit logging for Amazon Redshift Serverless",
// https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-audit-logging.html:
// "To change the log-retention period, use … the Amazon CloudWatch Logs API").
// A plain aws.cloudwatch.LogGroup would fail on a stack whose warehouse has
// already exported (ResourceAlreadyExistsException): this adopts the group
// instead. Deleting it deletes the group with its logs, unless
// RetainOnDelete (production: the audit logs outlive the stack and expire
// under the retention set here). A staging destroy deletes them: its logs key
// goes too, and would leave them unreadable.
type LogGroupSettings struct {
	LogGroupName    string `json:"logGroupName"`
	RetentionInDays int    `json:"retentionInDays"`
	// KmsKeyArn encrypts what the group receives from now on ("" : none).
	KmsKeyArn string `json:"kmsKeyArn,omitempty"`
	// RetainOnDelete leaves the group and its logs when this is deleted.
	RetainOnDelete bool `json:"retainOnDelete,omitempty"`
	// Adopted (output): the group existed when this was created.
	Adopted bool `json:"adopted,omitempty"`
}

var logGroupInputKeys = []string{"logGroupName", "retentionInDays", "kmsKeyArn", "retainOnDelete"}

// RetentionDays are the values CloudWatch Logs accepts (PutRetentionPolicy,
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html);
// haina's config checks use the same list.
var RetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func logGroupFrom(props *structpb.Struct) (LogGroupSettings, []string, error) {
	pm, err := unmarshal(props)
	if err != nil {
		return LogGroupSettings{}, nil, err
	}
	var g LogGroupSettings
	unknown, err := decodeStrict(pm, &g, LogGroupSettingsType)
	return g, unknown, err
}

func (g LogGroupSettings) check(unknown []string) []string {
	var failures []string
	if g.LogGroupName == "" && !contains(unknown, "logGroupName") {
		failures = append(failures, "logGroupName is required")
	}
	if !slices.Contains(RetentionDays, g.RetentionInDays) && !contains(unknown, "retentionInDays") {
		failures = append(failures, fmt.Sprintf("retentionInDays %d is not a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, … 3653)", g.RetentionInDays))
	}
	return failures
}

// LogGroupLifecycle sets, reads and leaves log groups' settings.
type LogGroupLifecycle struct{ API LogsAPI }

// Create makes the group with its key, or adopts the one the service made,
// then sets its retention and key.
func (l LogGroupLifecycle) Create(ctx context.Context, g LogGroupSettings) (LogGroupSettings, error) {
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g.LogGroupName)}
	if g.KmsKeyArn != "" {
		in.KmsKeyId = aws.String(g.KmsKeyArn)
	}
	_, err := l.API.CreateLogGroup(ctx, in)
	var exists *cwltypes.ResourceAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		g.Adopted = true
		if g.KmsKeyArn != "" {
			if _, err := l.API.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: aws.String(g.LogGroupName), KmsKeyId: aws.String(g.KmsKeyArn)}); err != nil {
				return g, fmt.Errorf("log group %s exists: encrypting it with %s: %w", g.LogGroupName, g.KmsKeyArn, err)
			}
		}
	case err != nil:
		return g, fmt.Errorf("creating log group %s: %w", g.LogGroupName, err)
	}
	if _, err := l.API.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String(g.LogGroupName), RetentionInDays: aws.Int32(int32(g.RetentionInDays))}); err != nil {
		return g, fmt.Errorf("log group %s: setting its retention to %d days: %w", g.LogGroupName, g.RetentionInDays, err)
	}
	return g, nil
}

// Read finds the group; ok is false when it is gone. The returned settings
// are what CloudWatch Logs holds (drift shows on refresh).
func (l LogGroupLifecycle) Read(ctx context.Context, g LogGroupSettings) (LogGroupSettings, bool, error) {
	out, err := l.API.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(g.LogGroupName)})
	if err != nil {
		return g, false, fmt.Errorf("describing log group %s: %w", g.LogGroupName, err)
	}
	for _, lg := range out.LogGroups {
		if aws.ToString(lg.LogGroupName) == g.LogGroupName {
			g.RetentionInDays = int(aws.ToInt32(lg.RetentionInDays))
			g.KmsKeyArn = aws.ToString(lg.KmsKeyId)
			return g, true, nil
		}
	}
	return g, false, nil
}

// Delete deletes the group and its logs, unless RetainOnDelete; a group
// already gone is fine.
func (l LogGroupLifecycle) Delete(ctx context.Context, g LogGroupSettings) error {
	if g.RetainOnDelete {
		return nil
	}
	_, err := l.API.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(g.LogGroupName)})
	var gone *cwltypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("deleting log group %s: %w", g.LogGroupName, err)
	}
	return nil
}

// Update sets the retention and the key (associating a new one, or
// disassociating it when none is wanted).
func (l LogGroupLifecycle) Update(ctx context.Context, olds, news LogGroupSettings) (LogGroupSettings, error) {
	news.Adopted = olds.Adopted
	if olds.RetentionInDays != news.RetentionInDays {
		if _, err := l.API.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(news.LogGroupName), RetentionInDays: aws.Int32(int32(news.RetentionInDays))}); err != nil {
			return olds, fmt.Errorf("log group %s: setting its retention to %d days: %w", news.LogGroupName, news.RetentionInDays, err)
		}
	}
	switch {
	case olds.KmsKeyArn == news.KmsKeyArn:
	case news.KmsKeyArn == "":
		if _, err := l.API.DisassociateKmsKey(ctx, &cloudwatchlogs.DisassociateKmsKeyInput{LogGroupName: aws.String(news.LogGroupName)}); err != nil {
			return olds, fmt.Errorf("log group %s: removing its key: %w", news.LogGroupName, err)
		}
	default:
		if _, err := l.API.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: aws.String(news.LogGroupName), KmsKeyId: aws.String(news.KmsKeyArn)}); err != nil {
			return olds, fmt.Errorf("log group %s: encrypting it with %s: %w", news.LogGroupName, news.KmsKeyArn, err)
		}
	}
	return news, nil
}

type logGroupKind struct{ s *Server }

func (k logGroupKind) with(ctx context.Context, f func(context.Context, LogGroupLifecycle) error) error {
	k.s.mu.Lock()
	api := k.s.logs
	k.s.mu.Unlock()
	if api == nil {
		return status.Error(codes.FailedPrecondition, "haina provider is not configured for "+LogGroupSettingsType)
	}
	ctx, cancel := k.s.opContext(ctx)
	defer cancel()
	return f(ctx, LogGroupLifecycle{API: api})
}

func (g LogGroupSettings) props() (*structpb.Struct, error) {
	return plugin.MarshalProperties(encodeJSON(g), marshal)
}

func (k logGroupKind) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return checkWith(req.GetNews(), logGroupFrom, LogGroupSettings.check), nil
}

// Diff: another group is another resource; retention and key change in place.
func (k logGroupKind) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diffWith(req, logGroupFrom, logGroupDiff)
}

func logGroupDiff(olds, news LogGroupSettings, unknown []string) (changed, replace []string) {
	if olds.LogGroupName != news.LogGroupName || contains(unknown, "logGroupName") {
		changed, replace = append(changed, "logGroupName"), append(replace, "logGroupName")
	}
	if olds.RetentionInDays != news.RetentionInDays || contains(unknown, "retentionInDays") {
		changed = append(changed, "retentionInDays")
	}
	if olds.KmsKeyArn != news.KmsKeyArn || contains(unknown, "kmsKeyArn") {
		changed = append(changed, "kmsKeyArn")
	}
	if olds.RetainOnDelete != news.RetainOnDelete {
		changed = append(changed, "retainOnDelete") // a rule for the delete: nothing to do now
	}
	return changed, replace
}

func (k logGroupKind) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	g, unknown, err := logGroupFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("log group settings: inputs still unknown: %s", strings.Join(unknown, ", "))
	}
	if err := k.with(ctx, func(ctx context.Context, l LogGroupLifecycle) (err error) {
		g, err = l.Create(ctx, g)
		return err
	}); err != nil {
		return nil, err
	}
	if g.Adopted {
		k.s.log(ctx, req.GetUrn(), fmt.Sprintf("log group %s already existed (the service created it): adopted, its retention set to %d days", g.LogGroupName, g.RetentionInDays))
	}
	props, err := g.props()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: g.LogGroupName, Properties: props}, nil
}

func (k logGroupKind) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	g, _, err := logGroupFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if g.LogGroupName == "" {
		g.LogGroupName = req.GetId()
	}
	var found bool
	if err := k.with(ctx, func(ctx context.Context, l LogGroupLifecycle) (err error) {
		g, found, err = l.Read(ctx, g)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return &pulumirpc.ReadResponse{}, nil
	}
	props, err := g.props()
	if err != nil {
		return nil, err
	}
	pm := resource.PropertyMap{}
	for _, key := range logGroupInputKeys {
		if v, ok := encodeJSON(g)[resource.PropertyKey(key)]; ok {
			pm[resource.PropertyKey(key)] = v
		}
	}
	inputs, err := plugin.MarshalProperties(pm, marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: inputs}, nil
}

func (k logGroupKind) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, _, err := logGroupFrom(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, _, err := logGroupFrom(req.GetNews())
	if err != nil {
		return nil, err
	}
	if !req.GetPreview() {
		if err := k.with(ctx, func(ctx context.Context, l LogGroupLifecycle) (err error) {
			news, err = l.Update(ctx, olds, news)
			return err
		}); err != nil {
			return nil, err
		}
	}
	props, err := news.props()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (k logGroupKind) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	g, _, err := logGroupFrom(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := k.with(ctx, func(ctx context.Context, l LogGroupLifecycle) error { return l.Delete(ctx, g) }); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func newAWSLogs(ctx context.Context, c Config) (LogsAPI, error) {
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return cloudwatchlogs.NewFromConfig(cfg), nil
}
