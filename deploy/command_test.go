package deploy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCLI writes a stand-in for the pulumi binary: a shell script.
func fakeCLI(t *testing.T, script string) *gracefulCommand {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pulumi")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"+script), 0o755))
	return &gracefulCommand{bin: bin, grace: time.Minute, signal: (*os.Process).Signal}
}

// A cancelled step lets the CLI finish what it started: one interrupt, then it
// waits — longer than the 10 seconds after which the Automation API's own
// command kills the CLI (an MSK create in flight would be cut off there).
func TestCancelledStepLetsTheCLIFinish(t *testing.T) {
	c := fakeCLI(t, `trap 'echo interrupted; sleep 11; echo finished; exit 0' INT
echo started
while :; do sleep 0.1; done
`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	start := time.Now()
	out, _, code, err := c.Run(ctx, t.TempDir(), nil, nil, nil, nil, "up")
	assert.ErrorIs(t, err, context.Canceled, "the step reports the cancellation")
	assert.Equal(t, 0, code, "the CLI exited on its own")
	assert.Equal(t, "started\ninterrupted\nfinished\n", out, "it was interrupted once and finished its work")
	assert.Greater(t, time.Since(start), 10*time.Second)
}

// Past the grace period the CLI is interrupted a second time (it then stops waiting).
func TestGracePeriodEndsWithASecondInterrupt(t *testing.T) {
	c := fakeCLI(t, `n=0
trap 'n=$((n+1)); echo "interrupt $n"; if [ $n -ge 2 ]; then exit 7; fi' INT
while :; do sleep 0.1; done
`)
	c.grace = 500 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	out, _, code, err := c.Run(ctx, t.TempDir(), nil, nil, nil, nil, "up")
	require.Error(t, err)
	assert.Equal(t, 7, code)
	assert.Equal(t, "interrupt 1\ninterrupt 2\n", out)
}

func TestUncancelledRunPassesArgsEnvAndOutput(t *testing.T) {
	c := fakeCLI(t, `echo "$@ $PULUMI_AUTOMATION_API $EXTRA"; echo oops >&2; exit 2`)
	out, errOut, code, err := c.Run(context.Background(), t.TempDir(), nil, nil, nil, []string{"EXTRA=x"}, "preview", "--json")
	require.Error(t, err)
	assert.Equal(t, 2, code)
	assert.Equal(t, "--non-interactive preview --json true x\n", out)
	assert.Equal(t, "oops\n", errOut)
}

// A cancel is reported as one even when the interrupted CLI exits non-zero,
// and a step cancelled before it starts never starts the CLI.
func TestCancelIsReportedWhateverTheExitStatus(t *testing.T) {
	c := fakeCLI(t, `trap 'exit 255' INT
while :; do sleep 0.1; done
`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	_, _, code, err := c.Run(ctx, t.TempDir(), nil, nil, nil, nil, "up")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 255, code)

	marker := filepath.Join(t.TempDir(), "ran")
	c = fakeCLI(t, `touch `+marker)
	_, _, _, err = c.Run(ctx, t.TempDir(), nil, nil, nil, nil, "up")
	assert.ErrorIs(t, err, context.Canceled)
	assert.NoFileExists(t, marker)
}
