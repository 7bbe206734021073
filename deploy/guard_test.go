package deploy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A resource created by an up that did not finish is outside the guard's
// recorded dependencies: Destroy refuses before the engine would delete it.
func TestGuardGaps(t *testing.T) {
	state := func(protect bool) []byte {
		return []byte(`{"resources": [
			{"urn": "urn:pulumi:p::haina::pulumi:pulumi:Stack::haina-p", "type": "pulumi:pulumi:Stack"},
			{"urn": "urn:pulumi:p::haina::pulumi:providers:aws::default", "type": "pulumi:providers:aws", "custom": true},
			{"urn": "urn:pulumi:p::haina::aws:kinesis/stream:Stream::s", "type": "aws:kinesis/stream:Stream", "custom": true},
			{"urn": "urn:pulumi:p::haina::aws:ec2/vpcEndpoint:VpcEndpoint::late", "type": "aws:ec2/vpcEndpoint:VpcEndpoint", "custom": true},
			{"urn": "urn:pulumi:p::haina::aws:ssm/parameter:Parameter::haina-destroy-guard", "type": "aws:ssm/parameter:Parameter",
			 "custom": true, "protect": ` + map[bool]string{true: "true", false: "false"}[protect] + `,
			 "dependencies": ["urn:pulumi:p::haina::aws:kinesis/stream:Stream::s"]}]}`)
	}
	gaps, err := GuardGaps(state(true))
	require.NoError(t, err)
	assert.Equal(t, []string{"urn:pulumi:p::haina::aws:ec2/vpcEndpoint:VpcEndpoint::late"}, gaps)
	gaps, err = GuardGaps(state(false))
	require.NoError(t, err)
	assert.Empty(t, gaps, "an unprotected guard (the teardown) keeps nothing")
}
