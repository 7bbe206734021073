package tests

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/require"
)

var stacks = []string{"staging", "production"}

// evaluate runs the real program on a stack's real config, with overrides
// (a "" value deletes a key).
// update rewrites the golden files in tests/testdata (graph, CDC SQL) from the code.
var update = flag.Bool("update", false, "rewrite the golden files in tests/testdata from the code")

func evaluate(t testing.TB, stack string, overrides map[string]string) *harness.Graph {
	t.Helper()
	g, err := evaluateErr(t, stack, overrides)
	require.NoError(t, err)
	return g
}

func evaluateErr(t testing.TB, stack string, overrides map[string]string) (*harness.Graph, error) {
	t.Helper()
	cfg, err := harness.StackConfig(stack)
	require.NoError(t, err)
	for k, v := range overrides {
		if v == "" {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	return harness.Run(stack, cfg, harness.Program)
}

// in returns a resource's inputs as plain Go values.
func in(r harness.Resource) map[string]any { return r.Inputs.Mappable() }

// out returns a resource's state (inputs plus what the fake cloud computed).
func out(r harness.Resource) map[string]any { return r.State.Mappable() }

func one(t testing.TB, g *harness.Graph, token, name string) harness.Resource {
	t.Helper()
	r, err := g.One(token, name)
	require.NoError(t, err)
	return r
}

type policy struct {
	Statement []struct {
		Sid       string
		Effect    string
		Principal map[string][]string
		Action    []string
		Resource  []string
		Condition map[string]map[string][]string
	}
}

func parsePolicy(t testing.TB, text any) policy {
	t.Helper()
	s, ok := text.(string)
	require.True(t, ok, "policy is not a string: %v", text)
	var p policy
	require.NoError(t, json.Unmarshal([]byte(s), &p), s)
	return p
}

// statement returns the statement with a Sid, failing if absent.
func statement(t testing.TB, p policy, sid string) (actions, resources []string) {
	t.Helper()
	for _, s := range p.Statement {
		if s.Sid == sid {
			require.Equal(t, "Allow", s.Effect)
			return s.Action, s.Resource
		}
	}
	t.Fatalf("no statement %q in %+v", sid, p)
	return nil, nil
}

// allPolicies returns every IAM policy document among the graph's inputs.
func allPolicies(t testing.TB, g *harness.Graph) map[string]policy {
	out := map[string]policy{}
	for _, r := range g.Resources {
		for _, key := range []string{"policy", "assumeRolePolicy"} {
			if v, ok := in(r)[key]; ok {
				if s, ok := v.(string); ok && strings.Contains(s, "Statement") {
					out[r.Type+"::"+r.Name+"::"+key] = parsePolicy(t, s)
				}
			}
		}
	}
	return out
}
