package provider

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/haina-data/haina/tests/fakelogs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func logsFake(t *testing.T) (*fakelogs.Server, LogGroupLifecycle) {
	fake := fakelogs.Start()
	t.Cleanup(fake.Close)
	api := cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	return fake, LogGroupLifecycle{API: api}
}

const redshiftGroup = "/aws/redshift/haina-staging/useractivitylog"
const logsKey = "arn:aws:kms:us-east-1:123456789012:key/logs"

// A group that does not exist yet is created with its key and retention, so
// Redshift exports into it from the start.
func TestLogGroupSettingsCreateANewGroup(t *testing.T) {
	fake, l := logsFake(t)
	g, err := l.Create(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup, RetentionInDays: 30, KmsKeyArn: logsKey})
	require.NoError(t, err)
	assert.False(t, g.Adopted)
	assert.Equal(t, []fakelogs.Group{{Name: redshiftGroup, Retention: 30, KmsKeyID: logsKey}}, fake.Groups())
}

// A group Redshift already made (never expiring, no key) — a stack whose
// warehouse exported before this existed — is adopted, not refused: a plain
// log group resource would fail with ResourceAlreadyExistsException.
func TestLogGroupSettingsAdoptWhatTheServiceMade(t *testing.T) {
	fake, l := logsFake(t)
	fake.Seed(redshiftGroup)
	g, err := l.Create(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup, RetentionInDays: 365, KmsKeyArn: logsKey})
	require.NoError(t, err)
	assert.True(t, g.Adopted)
	assert.Equal(t, []fakelogs.Group{{Name: redshiftGroup, Retention: 365, KmsKeyID: logsKey}}, fake.Groups())

	got, found, err := l.Read(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup})
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, 365, got.RetentionInDays)
	assert.Equal(t, logsKey, got.KmsKeyArn)

	next, err := l.Update(context.Background(), g, LogGroupSettings{LogGroupName: redshiftGroup, RetentionInDays: 90})
	require.NoError(t, err)
	assert.True(t, next.Adopted)
	assert.Equal(t, []fakelogs.Group{{Name: redshiftGroup, Retention: 90}}, fake.Groups(), "retention changed, key removed")

	_, found, err = l.Read(context.Background(), LogGroupSettings{LogGroupName: "/aws/redshift/haina-staging/userlog"})
	require.NoError(t, err)
	assert.False(t, found, "a prefix of another group is not the group")
}

// A key CloudWatch Logs may not use for the group fails with the service's
// error, naming the group; a retention it does not accept is refused at check.
func TestLogGroupSettingsRefusals(t *testing.T) {
	fake, l := logsFake(t)
	fake.KeyUsable = func(key, group string) error { return errors.New("the key policy does not allow " + group) }
	_, err := l.Create(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup, RetentionInDays: 30, KmsKeyArn: logsKey})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "creating log group "+redshiftGroup)
	assert.Contains(t, err.Error(), "AccessDeniedException")
	assert.Empty(t, fake.Groups())
	assert.Equal(t, []string{"retentionInDays 31 is not a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, … 3653)"},
		LogGroupSettings{LogGroupName: redshiftGroup, RetentionInDays: 31}.check(nil))
	assert.Equal(t, []string{"logGroupName is required"}, LogGroupSettings{RetentionInDays: 30}.check(nil))
}

// Delete: a retained group stays with its logs (production); otherwise the
// group goes (staging: its key goes too); one already gone is fine.
func TestLogGroupSettingsDelete(t *testing.T) {
	fake, l := logsFake(t)
	fake.Seed(redshiftGroup)
	require.NoError(t, l.Delete(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup, RetainOnDelete: true}))
	assert.Len(t, fake.Groups(), 1)
	require.NoError(t, l.Delete(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup}))
	assert.Empty(t, fake.Groups())
	require.NoError(t, l.Delete(context.Background(), LogGroupSettings{LogGroupName: redshiftGroup}), "already gone")
}
