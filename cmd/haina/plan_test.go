package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `haina plan` needs no AWS account and no Pulumi CLI: both stacks, as text
// and as JSON, from the checkout's stack files.
func TestPlanCommandBothStacks(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	t.Cleanup(func() { os.Chdir(wd) }) // plan works from the checkout's directory
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	for _, stack := range []string{"staging", "production"} {
		var out, errOut bytes.Buffer
		code := run([]string{"plan", "--stack", stack, "--dir", root}, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		assert.Contains(t, out.String(), "haina plan: stack "+stack)
		assert.Contains(t, out.String(), "Monthly cost estimate (USD, us-east-1 list prices)")

		out.Reset()
		code = run([]string{"plan", "--stack", stack, "--dir", root, "--json", "--events-per-second", "50", "--changes-per-second", "2"}, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		var r struct {
			Stack string
			Cost  struct {
				IdleMonthly, LoadMonthly float64
				Load                     struct{ EventsPerSecond, ChangesPerSecond float64 }
			}
		}
		require.NoError(t, json.Unmarshal(out.Bytes(), &r))
		assert.Equal(t, stack, r.Stack)
		assert.Equal(t, 50.0, r.Cost.Load.EventsPerSecond)
		assert.Greater(t, r.Cost.LoadMonthly, r.Cost.IdleMonthly, "a load costs more than idle")
	}
	var errOut bytes.Buffer
	assert.Equal(t, 2, run([]string{"plan", "--stack", "staging", "--dir", root, "--events-per-second", "-1"}, &bytes.Buffer{}, &errOut))
	assert.True(t, strings.Contains(errOut.String(), "--events-per-second and --changes-per-second must be 0 or more"), errOut.String())
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"plan", "--stack", "staging", "--dir", root, "--changes-per-second", "NaN"}, &bytes.Buffer{}, &errOut), "NaN is not a load")
}

// --set prices a change before it is made: auto refresh keeps production's
// Serverless warehouse awake while data flows.
func TestPlanCommandPricesAChange(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	t.Cleanup(func() { os.Chdir(wd) })
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	total := func(args ...string) float64 {
		var out, errOut bytes.Buffer
		code := run(append([]string{"plan", "--stack", "production", "--dir", root, "--json", "--events-per-second", "10"}, args...), &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		var r struct{ Cost struct{ LoadMonthly float64 } }
		require.NoError(t, json.Unmarshal(out.Bytes(), &r))
		return r.Cost.LoadMonthly
	}
	scheduled, auto := total(), total("--set", `haina:ingestion={"refresh":"auto"}`)
	assert.InDelta(t, 8*730*0.375-8*730/2*0.375, auto-scheduled, 1, "awake all month instead of half of it, at 8 RPU")
	var errOut bytes.Buffer
	assert.Equal(t, 2, run([]string{"plan", "--stack", "production", "--dir", root, "--set", "refresh=auto"}, &bytes.Buffer{}, &errOut))
	assert.Contains(t, errOut.String(), "want namespace:key=value")
}
