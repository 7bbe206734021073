// Package deploy drives haina stacks from Go code through the Pulumi
// Automation API: typed Up, Preview, Destroy and Outputs for an environment,
// running the same program as main.go (components.Program) in-process. It
// needs the Pulumi CLI (on $PATH, or Options.PulumiCommand) and haina's
// provider binary where the project's Pulumi.yaml points (bin/).
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/haina-data/haina/components"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Options select the stack and how the CLI runs.
type Options struct {
	// Stack is the stack name (staging, production, or any with haina:environment set).
	Stack string
	// WorkDir holds Pulumi.yaml and Pulumi.<stack>.yaml (a haina checkout).
	WorkDir string
	// BackendURL, e.g. file:///var/pulumi or s3://bucket; empty: the CLI's current login.
	BackendURL string
	// SecretsProvider, e.g. "passphrase" or "awskms://alias/haina"; empty: the backend's default.
	SecretsProvider string
	// PulumiHome isolates plugins and credentials; empty: ~/.pulumi.
	PulumiHome string
	// PulumiRoot is a directory holding bin/pulumi (the CLI to use); empty:
	// pulumi on $PATH.
	PulumiRoot string
	// GracePeriod is how long a cancelled step may take to finish what it
	// started (default DefaultGracePeriod): when the context ends, the CLI is
	// interrupted once and left to complete its operations in flight, so the
	// stack is not left locked with pending operations.
	GracePeriod time.Duration
	// PulumiCommand replaces the CLI entirely (and with it the graceful stop:
	// the Automation API's own command kills the CLI 10 s after a cancel).
	PulumiCommand auto.PulumiCommand
	// Env is passed to the CLI and the plugins (e.g. PULUMI_CONFIG_PASSPHRASE, AWS_PROFILE).
	Env map[string]string
	// Config is set on the stack before each operation (key → value, e.g. "haina:protect": "false").
	Config map[string]string
	// Progress receives the engine's progress output; nil: discarded.
	Progress io.Writer
}

// Stack is an opened haina stack.
type Stack struct {
	opts  Options
	stack auto.Stack
}

// Error says which step failed.
type Error struct {
	Stack, Step string
	Err         error
}

func (e *Error) Error() string { return fmt.Sprintf("haina %s: %s: %v", e.Stack, e.Step, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Open selects (or creates) the stack with the inline program.
func Open(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Stack == "" || opts.WorkDir == "" {
		return nil, &Error{opts.Stack, "open", errors.New("Stack and WorkDir are required")}
	}
	proj, err := workspace.LoadProject(opts.WorkDir + "/Pulumi.yaml")
	if err != nil {
		return nil, &Error{opts.Stack, "open", err}
	}
	if opts.BackendURL != "" {
		proj.Backend = &workspace.ProjectBackend{URL: opts.BackendURL}
	}
	wsOpts := []auto.LocalWorkspaceOption{auto.WorkDir(opts.WorkDir), auto.Project(*proj)}
	if opts.PulumiHome != "" {
		wsOpts = append(wsOpts, auto.PulumiHome(opts.PulumiHome))
	}
	cli := opts.PulumiCommand
	if cli == nil {
		g, err := newGracefulCommand(opts.PulumiRoot, opts.GracePeriod)
		if err != nil {
			return nil, &Error{opts.Stack, "open", err}
		}
		cli = g
	}
	wsOpts = append(wsOpts, auto.Pulumi(cli))
	if opts.SecretsProvider != "" {
		wsOpts = append(wsOpts, auto.SecretsProvider(opts.SecretsProvider))
	}
	if len(opts.Env) > 0 {
		wsOpts = append(wsOpts, auto.EnvVars(opts.Env))
	}
	st, err := auto.UpsertStackInlineSource(ctx, opts.Stack, proj.Name.String(), components.Program, wsOpts...)
	if err != nil {
		return nil, &Error{opts.Stack, "open", err}
	}
	s := &Stack{opts: opts, stack: st}
	if len(opts.Config) > 0 {
		cm := auto.ConfigMap{}
		for k, v := range opts.Config {
			cm[k] = auto.ConfigValue{Value: v}
		}
		if err := st.SetAllConfig(ctx, cm); err != nil {
			return nil, &Error{opts.Stack, "config", err}
		}
	}
	return s, nil
}

func (s *Stack) progress() io.Writer {
	if s.opts.Progress == nil {
		return io.Discard
	}
	return s.opts.Progress
}

// Up deploys the stack and returns its outputs.
func (s *Stack) Up(ctx context.Context) (map[string]any, error) {
	res, err := s.stack.Up(ctx, optup.ProgressStreams(s.progress()), optup.ErrorProgressStreams(s.progress()))
	if err != nil {
		return nil, &Error{s.opts.Stack, "up", err}
	}
	return plain(res.Outputs), nil
}

// Preview returns the planned operations by kind ("same", "create", "update", …).
func (s *Stack) Preview(ctx context.Context) (map[string]int, error) {
	res, err := s.stack.Preview(ctx, optpreview.ProgressStreams(s.progress()), optpreview.ErrorProgressStreams(s.progress()))
	if err != nil {
		return nil, &Error{s.opts.Stack, "preview", err}
	}
	out := map[string]int{}
	for op, n := range res.ChangeSummary {
		out[string(op)] = n
	}
	return out, nil
}

// Destroy deletes every resource of the stack. Protected resources stop it:
// lift protection first (Config "haina:protect": "false", then Up). While the
// destroy guard is protected, Destroy first checks that the guard depends on
// every resource in the state: one created by an up that did not finish (failed,
// cancelled, --target) is outside it, and a refused destroy would delete it.
func (s *Stack) Destroy(ctx context.Context) error {
	state, err := s.Export(ctx)
	if err != nil {
		return err
	}
	if outside, err := GuardGaps(state); err != nil {
		return &Error{s.opts.Stack, "destroy", err}
	} else if len(outside) > 0 {
		return &Error{s.opts.Stack, "destroy", fmt.Errorf("the destroy guard is protected but does not cover %d resource(s) "+
			"created by an up that did not finish, which this refused destroy would delete: %s. Run up to completion first",
			len(outside), strings.Join(outside, ", "))}
	}
	if _, err := s.stack.Destroy(ctx, optdestroy.ProgressStreams(s.progress()), optdestroy.ErrorProgressStreams(s.progress())); err != nil {
		return &Error{s.opts.Stack, "destroy", err}
	}
	return nil
}

// DestroyTargets deletes the resources named by URN and every resource that
// depends on them, as `pulumi destroy --target … --target-dependents` does:
// e.g. a zero-ETL integration and its destination database before the
// integration is made again (docs/runbooks.md#zero-etl-replace-integration).
func (s *Stack) DestroyTargets(ctx context.Context, urns ...string) error {
	if len(urns) == 0 {
		return &Error{s.opts.Stack, "destroy", fmt.Errorf("no target: name at least one resource URN")}
	}
	if _, err := s.stack.Destroy(ctx, optdestroy.Target(urns), optdestroy.TargetDependents(),
		optdestroy.ProgressStreams(s.progress()), optdestroy.ErrorProgressStreams(s.progress())); err != nil {
		return &Error{s.opts.Stack, "destroy", err}
	}
	return nil
}

// Outputs returns the stack outputs of the last update (secrets included as values).
func (s *Stack) Outputs(ctx context.Context) (map[string]any, error) {
	out, err := s.stack.Outputs(ctx)
	if err != nil {
		return nil, &Error{s.opts.Stack, "outputs", err}
	}
	return plain(out), nil
}

// SetConfig sets one config value on the stack; a key with a path into a
// structured value ("haina:ingestion.allowDataLoss") is set inside it, as
// `pulumi config set --path` does (e.g. to lift protection for a teardown).
func (s *Stack) SetConfig(ctx context.Context, key, value string) error {
	if err := s.stack.SetConfigWithOptions(ctx, key, auto.ConfigValue{Value: value}, &auto.ConfigOptions{Path: isPath(key)}); err != nil {
		return &Error{s.opts.Stack, "config " + key, err}
	}
	return nil
}

// RemoveConfig removes one config value; a key with a path removes that part
// of a structured value, as `pulumi config rm --path` does (e.g. the Debezium
// keys when a stack switches to haina:cdc.mode zero-etl).
func (s *Stack) RemoveConfig(ctx context.Context, key string) error {
	if err := s.stack.RemoveConfigWithOptions(ctx, key, &auto.ConfigOptions{Path: isPath(key)}); err != nil {
		return &Error{s.opts.Stack, "config rm " + key, err}
	}
	return nil
}

// isPath: a key whose name (after the namespace) holds a dot is a path into a structured value.
func isPath(key string) bool {
	name := key
	if _, after, ok := strings.Cut(key, ":"); ok {
		name = after
	}
	return strings.Contains(name, ".")
}

// Export returns the stack's state (the deployment JSON, as `pulumi stack export` prints it).
func (s *Stack) Export(ctx context.Context) ([]byte, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return nil, &Error{s.opts.Stack, "export", err}
	}
	return dep.Deployment, nil
}

// Resources counts the stack's resources by type token from its state.
func (s *Stack) Resources(ctx context.Context) (map[string]int, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return nil, &Error{s.opts.Stack, "export", err}
	}
	var state apitype.DeploymentV3
	if err := json.Unmarshal(dep.Deployment, &state); err != nil {
		return nil, &Error{s.opts.Stack, "export", err}
	}
	out := map[string]int{}
	for _, r := range state.Resources {
		out[string(r.Type)]++
	}
	return out, nil
}

func plain(m auto.OutputMap) map[string]any {
	out := map[string]any{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = m[k].Value
	}
	return out
}

// Passphrase returns the environment for the passphrase secrets provider:
// PULUMI_CONFIG_PASSPHRASE from the process when set, otherwise fallback.
func Passphrase(fallback string) map[string]string {
	if p, ok := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE"); ok {
		return map[string]string{"PULUMI_CONFIG_PASSPHRASE": p}
	}
	return map[string]string{"PULUMI_CONFIG_PASSPHRASE": fallback}
}

// GuardGaps lists the resources a refused destroy would delete although the
// stack's destroy guard is protected: those the guard's recorded dependencies
// miss (created after the guard last registered). Empty when there is no
// protected guard (nothing to keep) or it covers everything.
func GuardGaps(deployment []byte) ([]string, error) {
	var state apitype.DeploymentV3
	if err := json.Unmarshal(deployment, &state); err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	var guard *apitype.ResourceV3
	for i, r := range state.Resources {
		if string(r.Type) == "aws:ssm/parameter:Parameter" && strings.HasSuffix(string(r.URN), "-destroy-guard") {
			guard = &state.Resources[i]
		}
	}
	if guard == nil || !guard.Protect {
		return nil, nil
	}
	covered := map[string]bool{}
	for _, d := range guard.Dependencies {
		covered[string(d)] = true
	}
	var outside []string
	for _, r := range state.Resources {
		if !r.Custom || r.URN == guard.URN || strings.HasPrefix(string(r.Type), "pulumi:providers:") || covered[string(r.URN)] {
			continue
		}
		outside = append(outside, string(r.URN))
	}
	sort.Strings(outside)
	return outside, nil
}
