package tests

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGraphGolden keeps what a user's stack holds stable: every resource's real
// URN (the parent chain decides it, so a component added or removed shows up
// here), its protect flag and options, and a digest of its inputs. A refactor
// must leave these files unchanged, which is what makes an existing stack's
// next `up` a no-op. A change that means to alter the stacks regenerates them
// with `go test ./tests -run TestGraphGolden -update` and the diff shows, per
// resource, what changed.
func TestGraphGolden(t *testing.T) {
	for _, v := range graphVariants {
		t.Run(v.name, func(t *testing.T) {
			got := graphLines(t, evaluate(t, v.stack, v.config), v.stack)
			path := filepath.Join("testdata", "graph", v.name+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), got, "the %s stack's resources changed; if intended, run with -update and explain the change", v.name)
		})
	}
}

// graphVariants are both stack files as they are, and the parts they leave
// off turned on, so every component's URNs are pinned.
var graphVariants = []struct {
	name, stack string
	config      map[string]string
}{
	{"staging", "staging", nil},
	{"production", "production", nil},
	{"staging-redshift-copy-job", "staging", map[string]string{"haina:redshiftDelivery": `{"enabled":true}`}},
	{"staging-redshift-direct", "staging", map[string]string{
		"haina:redshiftDelivery": `{"enabled":true,"mode":"direct"}`,
		"haina:network":          `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0123456789abcdef0","subnet-0123456789abcdef1","subnet-0123456789abcdef2"]}`,
		"haina:warehouse":        `{"publiclyAccessible":true}`,
	}},
	{"production-log-shipper", "production", map[string]string{"haina:logShipper": `{"enabled":true,"subnetId":"subnet-0123456789abcdef9"}`}},
	{"production-provisioned", "production", map[string]string{"haina:warehouse": `{"kind":"provisioned","nodeCount":2}`, "haina:ingestion": `{"refresh":"auto"}`}},
	{"production-zero-etl", "production", map[string]string{"haina:cdc": `{"enabled":true,"mode":"zero-etl","zeroEtl":{"tables":["shop.customers","shop.orders"]}}`}},
}

// graphLines renders one line per resource, sorted by URN:
// URN, protect, delete-before-replace, ignore/replace-on changes, inputs digest, aliases.
func graphLines(t *testing.T, g *harness.Graph, stack string) string {
	var lines []string
	for _, e := range graphEntries(t, g, stack) {
		line := e.urn + " " + e.rest
		if len(e.aliases) > 0 {
			line += " aliases=" + strings.Join(e.aliases, ",")
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

type graphEntry struct {
	urn, rest string
	aliases   []string
	// formers are every URN the engine lets the resource answer to: its
	// aliases and, inherited, its name under each former URN of its parent.
	formers []string
}

func graphEntries(t *testing.T, g *harness.Graph, stack string) []graphEntry {
	byMockURN := map[string]harness.Resource{}
	for _, r := range g.Resources {
		byMockURN[r.URN] = r
	}
	var qualified func(r harness.Resource) string
	qualified = func(r harness.Resource) string {
		parent, ok := findByRealOrMockURN(byMockURN, r.Parent)
		if !ok || parent.Type == "pulumi:pulumi:Stack" {
			return r.Type
		}
		return qualified(parent) + "$" + r.Type
	}
	var formers func(r harness.Resource) []string
	formers = func(r harness.Resource) []string {
		var out []string
		for _, a := range r.Aliases {
			out = append(out, aliasURN(byMockURN, qualified, r, a, stack))
		}
		if parent, ok := findByRealOrMockURN(byMockURN, r.Parent); ok && parent.Type != "pulumi:pulumi:Stack" {
			for _, pf := range formers(parent) {
				out = append(out, fmt.Sprintf("urn:pulumi:%s::haina::%s$%s::%s", stack, urnType(pf), r.Type, r.Name))
			}
		}
		return out
	}
	var entries []graphEntry
	for _, r := range g.Resources {
		if r.Type == "pulumi:pulumi:Stack" {
			continue
		}
		e := graphEntry{
			urn: fmt.Sprintf("urn:pulumi:%s::haina::%s::%s", stack, qualified(r), r.Name),
			rest: fmt.Sprintf("protect=%t dbr=%t ignore=%s replaceOn=%s inputs=%s",
				r.Protect, r.DeleteBeforeReplace, strings.Join(r.IgnoreChanges, ","), strings.Join(r.ReplaceOnChanges, ","),
				inputsDigest(t, r.Inputs)),
			formers: formers(r),
		}
		for _, a := range r.Aliases {
			e.aliases = append(e.aliases, aliasURN(byMockURN, qualified, r, a, stack))
		}
		entries = append(entries, e)
	}
	return entries
}

// aliasURN is the URN an alias names: the resource's type under the alias's
// parent (or its own parent), with the alias's name (or its own).
func aliasURN(byMockURN map[string]harness.Resource, qualified func(harness.Resource) string, r harness.Resource, a harness.Alias, stack string) string {
	if a.URN != "" {
		return a.URN
	}
	typ, name := r.Type, r.Name
	if a.Name != "" {
		name = a.Name
	}
	if a.Type != "" {
		typ = a.Type
	}
	parentURN := a.ParentURN
	if parentURN == "" && !a.NoParent {
		parentURN = r.Parent
	}
	if parent, ok := findByRealOrMockURN(byMockURN, parentURN); ok && !a.NoParent && parent.Type != "pulumi:pulumi:Stack" {
		typ = qualified(parent) + "$" + typ
	}
	return fmt.Sprintf("urn:pulumi:%s::haina::%s::%s", stack, typ, name)
}

// findByRealOrMockURN finds a parent by the URN the mock monitor gave it; the
// mocks name a resource by its own type and name, which is unique in haina.
func findByRealOrMockURN(byMockURN map[string]harness.Resource, urn string) (harness.Resource, bool) {
	if urn == "" {
		return harness.Resource{}, false
	}
	// urn:pulumi:<stack>::<project>::<type>::<name>
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return harness.Resource{}, false
	}
	typ := parts[len(parts)-2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	r, ok := byMockURN[typ+"::"+parts[len(parts)-1]]
	return r, ok
}

// inputsDigest is a short sha256 of the inputs' canonical JSON (map keys
// sorted by encoding/json). Archives are named by their content hash so a
// temporary build path does not count as a change.
func inputsDigest(t *testing.T, in resource.PropertyMap) string {
	b, err := json.Marshal(canonical(resource.NewObjectProperty(in)))
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum[:8])
}

func canonical(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return map[string]any{"secret": canonical(v.SecretValue().Element)}
	case v.IsComputed() || v.IsOutput():
		return "<unknown>"
	case v.IsArchive():
		return map[string]any{"archive": v.ArchiveValue().Hash}
	case v.IsAsset():
		return map[string]any{"asset": v.AssetValue().Hash}
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = canonical(e)
		}
		return m
	case v.IsArray():
		var out []any
		for _, e := range v.ArrayValue() {
			out = append(out, canonical(e))
		}
		return out
	case v.IsResourceReference():
		return map[string]any{"ref": string(v.ResourceReferenceValue().URN)}
	default:
		return v.V
	}
}

// retiredOnPurpose are resources an earlier release declared that today's
// program removes on purpose (URN pattern → why): an upgrade deletes them.
var retiredOnPurpose = map[*regexp.Regexp]string{
	// The apply schedule component and its children (group, role, policy, one schedule per table).
	regexp.MustCompile(`haina:scheduler:SqlSchedule(\$[^:]+:[^:]+:[^:]+)?::haina-apply`): "the CDC apply runs in the one scheduled call of haina:ingestion.refresh",
}

// TestUpgradeKeepsEveryResource: for each graph in testdata/graph/upgrade
// (a variant as an earlier release declared it), today's program declares
// every resource again, under the same URN or under an alias to it (the
// engine also carries a parent's alias to its children), with the same
// options (protection, replacement settings), unless retiredOnPurpose says
// why it goes. The engine then moves each resource in the state instead of
// deleting and creating it; what its inputs changed to is the golden graph's
// diff (TestGraphGolden), reviewed there.
func TestUpgradeKeepsEveryResource(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "graph", "upgrade", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	variants := map[string]int{}
	for i, v := range graphVariants {
		variants[v.name] = i
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			i, ok := variants[name]
			require.True(t, ok, "no graph variant %s", name)
			v := graphVariants[i]
			g := evaluate(t, v.stack, v.config)
			now := map[string]string{} // every URN a resource answers to → its options and inputs
			for _, e := range graphEntries(t, g, v.stack) {
				now[e.urn] = e.rest
				for _, f := range e.formers {
					now[f] = e.rest
				}
			}
			before, err := os.ReadFile(file)
			require.NoError(t, err)
			options := func(rest string) string { o, _, _ := strings.Cut(rest, " inputs="); return o }
		lines:
			for _, line := range strings.Split(strings.TrimSpace(string(before)), "\n") {
				urn, rest, _ := strings.Cut(line, " ")
				got, ok := now[urn]
				if !ok {
					for pattern := range retiredOnPurpose {
						if pattern.MatchString(urn) {
							continue lines
						}
					}
				}
				if assert.True(t, ok, "%s is no longer declared nor aliased: an upgrade would delete it", urn) {
					assert.Equal(t, options(rest), options(got), "%s: options changed", urn)
				}
			}
		})
	}
}

// urnType is the qualified type of a URN (parent types joined with $).
func urnType(urn string) string {
	parts := strings.Split(urn, "::")
	return parts[len(parts)-2]
}
