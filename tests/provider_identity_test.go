package tests

import (
	"context"
	"testing"

	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/provider/providertest"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// haina's provider takes the identity the aws provider is configured with, so
// its SQL and uploads run as the same principal as the rest of the deploy.
func TestHainaProviderTakesTheAWSIdentity(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{
		"aws:profile":    "deploy",
		"aws:assumeRole": `{"roleArn":"arn:aws:iam::123456789012:role/deployer","sessionName":"ci","externalId":"x-1"}`,
	})
	p := in(one(t, g, "pulumi:providers:haina", "haina-sql"))
	assert.Equal(t, "deploy", p["profile"])
	assert.Equal(t, "arn:aws:iam::123456789012:role/deployer", p["assumeRoleArn"])
	assert.Equal(t, "ci", p["sessionName"])
	assert.Equal(t, "x-1", p["externalId"])
	// The provider accepts the inputs (its config is decoded strictly).
	s := provider.NewServer()
	resp, err := s.CheckConfig(context.Background(), &pulumirpc.CheckRequest{News: providertest.Props(t, map[string]any{
		"region": "us-east-1", "profile": "deploy", "assumeRoleArn": "arn:aws:iam::123456789012:role/deployer", "sessionName": "ci", "externalId": "x-1"})})
	require.NoError(t, err)
	assert.Empty(t, resp.GetFailures())
	_, err = evaluateErr(t, "staging", map[string]string{"aws:assumeRole": `{"sessionName":"ci"}`})
	assert.ErrorContains(t, err, "aws:assumeRole")
}
