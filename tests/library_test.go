package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/require"
)

// importerMain is a program in a module of its own that imports haina's
// components (with a replace to this checkout, as an Automation API user's
// module would) and builds both stacks under Pulumi's mocks. Building the
// Lambdas must work with nothing but the import: they are built in haina's
// module, with its go.mod and go.sum, not in the importer's.
const importerMain = `package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type mocks struct{ cloud fakeaws.Cloud }

func (m mocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if !a.Custom {
		return "", a.Inputs, nil
	}
	id, state := m.cloud.Create(a.TypeToken, a.Name, a.Inputs)
	return id, state, nil
}

func (m mocks) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) { return m.cloud.Invoke(a.Token, a.Args) }

func main() {
	var configs map[string]map[string]string
	b, err := os.ReadFile(os.Args[1])
	if err == nil {
		err = json.Unmarshal(b, &configs)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	for _, stack := range []string{"staging", "production"} {
		cfg := configs[stack]
		var functions int
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			args, err := components.LoadPipelineArgs(ctx)
			if err != nil {
				return err
			}
			p, err := components.NewPipeline(ctx, "haina", args)
			if err != nil {
				return err
			}
			if p.Producer != nil {
				functions++
			}
			if p.Topics != nil {
				functions++
			}
			return nil
		}, pulumi.WithMocks("haina", stack, mocks{fakeaws.Cloud{Region: cfg["aws:region"]}}), func(ri *pulumi.RunInfo) { ri.Config = cfg })
		if err != nil {
			fmt.Println(stack, "failed:", err)
			os.Exit(1)
		}
		fmt.Printf("%s: built %d functions\n", stack, functions)
	}
}
`

func TestComponentsAsALibraryFromAnotherModule(t *testing.T) {
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	dir := t.TempDir()
	goMod := "module example.com/importer\n\ngo 1.26.6\n\nrequire github.com/haina-data/haina v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/haina-data/haina => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(importerMain), 0o644))

	configs := map[string]map[string]string{}
	for _, stack := range stacks {
		if configs[stack], err = harness.StackConfig(stack); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(configs)
	require.NoError(t, err)
	cfgPath := filepath.Join(dir, "configs.json")
	require.NoError(t, os.WriteFile(cfgPath, b, 0o644))

	// Offline: everything comes from the module cache, as a user's evaluation must.
	env := append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off", "GOSUMDB=off")
	// The importer's go.sum lists what its own packages need, as `go mod tidy`
	// writes it (-e: the test dependencies of dependencies are not in the module
	// cache): not the Lambdas' dependencies, which a build in the importer's
	// module would need.
	tidy := exec.Command("go", "mod", "tidy", "-e")
	tidy.Dir, tidy.Env = dir, env
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy -e in the importer: %v\n%s", err, out)
	}
	gosum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	require.NoError(t, err)
	require.NotContains(t, string(gosum), "github.com/aws/aws-lambda-go v", "the importer's go.sum lacks the Lambdas' dependencies")
	run := exec.Command("go", "run", ".", cfgPath)
	run.Dir, run.Env = dir, env
	out, err := run.CombinedOutput()
	require.NoError(t, err, "the importer's program: %s", out)
	for _, want := range []string{"staging: built 2 functions", "production: built 2 functions"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("want %q in the importer's output:\n%s", want, out)
		}
	}
}

// examples/automation is a module of its own that imports haina through a
// replace: it builds offline with its own go.mod and go.sum.
func TestAutomationExampleBuildsAsItsOwnModule(t *testing.T) {
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "automation"), ".")
	build.Dir = filepath.Join(root, "examples", "automation")
	build.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
