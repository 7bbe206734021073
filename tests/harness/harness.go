// Package harness runs haina's real program under Pulumi mocks with the real
// stack files, and records every resource the program registers.
package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"gopkg.in/yaml.v3"
)

// Resource is one registration the program made.
type Resource struct {
	Type   string
	Name   string
	URN    string
	Custom bool
	ID     string
	Inputs resource.PropertyMap
	// State is what the fake cloud returned: inputs plus computed fields.
	State        resource.PropertyMap
	Parent       string
	Dependencies []string
	Protect      bool
	// Provider is the explicit provider reference ("urn::id"), if any.
	Provider            string
	DeleteBeforeReplace bool
	// IgnoreChanges are the input paths the engine does not diff; a change to
	// one of ReplaceOnChanges replaces the resource.
	IgnoreChanges    []string
	ReplaceOnChanges []string
	// Aliases are the earlier identities the resource answers to (a parent it had before).
	Aliases []Alias
}

// Alias is an earlier identity: a whole URN, or a name and type under another
// parent (ParentURN empty and NoParent false: the current parent).
type Alias struct {
	URN                   string
	Name, Type, ParentURN string
	NoParent              bool
}

// Graph is everything one evaluation registered, in registration order.
type Graph struct {
	Resources []Resource
	// Outputs are the pipeline's resolved outputs (the stack outputs).
	Outputs map[string]any
	// Pipeline is the component the program built.
	Pipeline *components.Pipeline
}

type mocks struct {
	cloud fakeaws.Cloud
	mu    sync.Mutex
	res   []Resource
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Dependencies = append([]string(nil), rpc.GetDependencies()...)
		sort.Strings(r.Dependencies)
		r.Protect = rpc.GetProtect()
		r.Provider = rpc.GetProvider()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		for _, a := range rpc.GetAliases() {
			if spec := a.GetSpec(); spec != nil {
				r.Aliases = append(r.Aliases, Alias{Name: spec.GetName(), Type: spec.GetType(), ParentURN: spec.GetParentUrn(), NoParent: spec.GetNoParent()})
			} else {
				r.Aliases = append(r.Aliases, Alias{URN: a.GetUrn()})
			}
		}
	}
	var state resource.PropertyMap
	if args.Custom {
		r.ID, state = m.cloud.Create(args.TypeToken, args.Name, args.Inputs)
	} else {
		state = args.Inputs
	}
	r.State = state
	r.URN = urnOf(r)
	m.mu.Lock()
	m.res = append(m.res, r)
	m.mu.Unlock()
	return r.ID, state, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return m.cloud.Invoke(args.Token, args.Args)
}

// urnOf mirrors the mock monitor's URN scheme well enough to match parents.
func urnOf(r Resource) string { return r.Type + "::" + r.Name }

// Run evaluates program for stack with the given config (see StackConfig).
func Run(stack string, config map[string]string, program func(ctx *pulumi.Context) (*components.Pipeline, error)) (*Graph, error) {
	m := &mocks{cloud: fakeaws.Cloud{Region: config["aws:region"]}}
	g := &Graph{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		p, err := program(ctx)
		if err != nil {
			return err
		}
		g.Pipeline = p
		g.Outputs = map[string]any{}
		for k, v := range p.Outputs {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			g.Outputs[k] = res.Value
		}
		return nil
	}, pulumi.WithMocks("haina", stack, m), func(ri *pulumi.RunInfo) { ri.Config = config })
	m.mu.Lock()
	defer m.mu.Unlock()
	g.Resources = m.res
	return g, err
}

// Program is what main.go runs, returning the pipeline for inspection.
func Program(ctx *pulumi.Context) (*components.Pipeline, error) {
	args, err := components.LoadPipelineArgs(ctx)
	if err != nil {
		return nil, err
	}
	return components.NewPipeline(ctx, "haina", args)
}

// RepoRoot finds the directory holding go.mod, walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// StackConfig reads the config the engine would give the program for stack:
// Pulumi.yaml defaults, overlaid by Pulumi.<stack>.yaml. Structured values are
// passed as JSON, as the engine does.
func StackConfig(stack string) (map[string]string, error) {
	own, err := StackFile(stack)
	if err != nil {
		return nil, err
	}
	return StackConfigWith(stack, own)
}

// StackConfigWith is StackConfig with own in place of the stack file's config section.
func StackConfigWith(stack string, own map[string]any) (map[string]string, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	var project struct {
		Name   string `yaml:"name"`
		Config map[string]struct {
			Default any `yaml:"default"`
		} `yaml:"config"`
	}
	if err := readYAML(filepath.Join(root, "Pulumi.yaml"), &project); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var required []string
	for k, v := range project.Config {
		if v.Default == nil {
			required = append(required, k)
			continue
		}
		if !strings.Contains(k, ":") {
			k = project.Name + ":" + k
		}
		s, err := configString(v.Default)
		if err != nil {
			return nil, fmt.Errorf("Pulumi.yaml config %s: %w", k, err)
		}
		out[k] = s
	}
	for k, v := range own {
		if m, ok := v.(map[string]any); ok {
			if _, secure := m["secure"]; secure {
				return nil, fmt.Errorf("Pulumi.%s.yaml %s: secrets are not expected in haina's stack files", stack, k)
			}
		}
		s, err := configString(v)
		if err != nil {
			return nil, fmt.Errorf("Pulumi.%s.yaml %s: %w", stack, k, err)
		}
		out[k] = s
	}
	// As the engine does: a declared key without a default must be set by the stack.
	for _, k := range required {
		if _, ok := out[project.Name+":"+k]; !ok {
			return nil, fmt.Errorf("stack %s is missing configuration value %s, declared in Pulumi.yaml without a default", stack, k)
		}
	}
	return out, nil
}

// StackFile is the config section of Pulumi.<stack>.yaml as written (nil
// when the stack has no file).
func StackFile(stack string) (map[string]any, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	var st struct {
		Config map[string]any `yaml:"config"`
	}
	// A stack without a file simply has no config of its own, as with the engine.
	if err := readYAML(filepath.Join(root, "Pulumi."+stack+".yaml"), &st); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return st.Config, nil
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func configString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool, int, float64:
		return fmt.Sprint(t), nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// ByType counts custom resources by type token.
func (g *Graph) ByType() map[string]int {
	out := map[string]int{}
	for _, r := range g.Resources {
		out[r.Type]++
	}
	return out
}

// OfType returns the resources of one type.
func (g *Graph) OfType(token string) []Resource {
	var out []Resource
	for _, r := range g.Resources {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// One returns the single resource of a type and name.
func (g *Graph) One(token, name string) (Resource, error) {
	for _, r := range g.Resources {
		if r.Type == token && r.Name == name {
			return r, nil
		}
	}
	return Resource{}, fmt.Errorf("no %s named %s", token, name)
}

// Find returns the resource with a URN as the SDK reports it in parents and dependencies.
func (g *Graph) Find(urn string) (Resource, bool) {
	for _, r := range g.Resources {
		if strings.HasSuffix(urn, "::"+r.Name) && strings.Contains(urn, r.Type) {
			return r, true
		}
	}
	return Resource{}, false
}

// Fingerprint is a canonical JSON of every resource's type, name, parent,
// dependencies, protect flag and inputs: equal fingerprints, equal programs.
func (g *Graph) Fingerprint() (string, error) {
	type entry struct {
		Type, Name, Parent string
		Deps               []string
		Protect            bool
		Inputs             map[string]any
	}
	entries := make([]entry, 0, len(g.Resources))
	for _, r := range g.Resources {
		entries = append(entries, entry{r.Type, r.Name, r.Parent, r.Dependencies, r.Protect, r.Inputs.Mappable()})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Type != entries[j].Type {
			return entries[i].Type < entries[j].Type
		}
		return entries[i].Name < entries[j].Name
	})
	b, err := json.MarshalIndent(entries, "", " ")
	return string(b), err
}

// LoadArgs is what LoadPipelineArgs makes of config for stack, declaring nothing.
func LoadArgs(stack string, config map[string]string) (*components.PipelineArgs, error) {
	var args *components.PipelineArgs
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		args, err = components.LoadPipelineArgs(ctx)
		return err
	}, pulumi.WithMocks("haina", stack, &mocks{cloud: fakeaws.Cloud{Region: config["aws:region"]}}),
		func(ri *pulumi.RunInfo) { ri.Config = config })
	return args, err
}
