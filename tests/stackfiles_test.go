package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stack file says only how the stack differs from its environment's
// defaults (components/config.go): every entry, taken out alone, changes what
// the program is given. A restated default hides which values are choices and
// goes stale when the default changes. haina:environment stays: it names the
// defaults the file overlays (it would otherwise come from the stack's name).
func TestStackFilesRestateNoDefaults(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			file, err := harness.StackFile(stack)
			require.NoError(t, err)
			cfg, err := harness.StackConfigWith(stack, file)
			require.NoError(t, err)
			want, err := harness.LoadArgs(stack, cfg)
			require.NoError(t, err)

			var restated []string
			for _, path := range leaves(file, nil) {
				if strings.Join(path, ".") == "haina:environment" {
					continue
				}
				cfg, err := harness.StackConfigWith(stack, without(file, path))
				if err != nil {
					continue // required: not a default
				}
				got, err := harness.LoadArgs(stack, cfg)
				if err == nil && assert.ObjectsAreEqual(want, got) {
					restated = append(restated, strings.Join(path, "."))
				}
			}
			sort.Strings(restated)
			assert.Empty(t, restated, "Pulumi.%s.yaml restates defaults; remove them", stack)
		})
	}
}

// leaves lists the paths to every value in m that is not a map (a list is one value).
func leaves(m map[string]any, prefix []string) [][]string {
	var out [][]string
	for k, v := range m {
		p := append(append([]string(nil), prefix...), k)
		if sub, ok := v.(map[string]any); ok {
			out = append(out, leaves(sub, p)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// without is a deep copy of m without the value at path (and without maps left empty).
func without(m map[string]any, path []string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != path[0] {
			out[k] = v
			continue
		}
		if len(path) == 1 {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if rest := without(sub, path[1:]); len(rest) > 0 {
				out[k] = rest
			}
		}
	}
	return out
}
