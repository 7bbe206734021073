// Command haina deploys a haina stack in one command:
//
//	go run ./cmd/haina up --stack staging
//
// It checks the prerequisites (the Pulumi CLI, AWS credentials, the Go module
// cache) and says in one sentence what is missing, builds haina's provider
// into bin/ (Pulumi.yaml looks for it there), opens or creates the stack on the
// CLI's current backend (or --backend), takes the secrets passphrase from
// PULUMI_CONFIG_PASSPHRASE or asks for it, streams the engine's progress and
// prints the outputs. preview, destroy and outputs work the same way. Ctrl-C
// stops a step gracefully (package deploy). The exit code says whether it worked.
//
//	go run ./cmd/haina plan --stack staging [--json] [--events-per-second N …]
//
// needs none of that: it evaluates the program offline (package plan) and
// prints the resources, the SQL and the monthly cost estimate.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/haina-data/haina/cost"
	"github.com/haina-data/haina/deploy"
	"github.com/haina-data/haina/plan"
	"golang.org/x/term"
)

const usage = `usage: haina <up|preview|destroy|outputs|plan> --stack <staging|production|…> [flags]

  plan      offline, no AWS account: the resources, the SQL and the monthly cost estimate
            (--json; a load with --events-per-second, --event-bytes, --changes-per-second;
            a change with --set 'haina:ingestion={"refresh":"auto"}', repeatable)
  up        deploy the stack (creates it when it is new) and print its outputs
  preview   show what an up would change
  destroy   delete the stack's resources (production: lift protection first, see docs/design.md)
  outputs   print the stack's outputs

flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it returns the exit code (0 worked, 1 the step failed, 2 bad usage or a missing prerequisite).
func run(argv []string, stdout, stderr io.Writer) int {
	if len(argv) == 0 || strings.HasPrefix(argv[0], "-") {
		fmt.Fprint(stderr, usage)
		return 2
	}
	verb := argv[0]
	fs := flag.NewFlagSet("haina "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "the stack: staging, production, or one with haina:environment set")
	dir := fs.String("dir", ".", "the haina checkout (Pulumi.yaml, Pulumi.<stack>.yaml)")
	backend := fs.String("backend", "", "state backend, e.g. file://~/.pulumi-haina or s3://bucket (empty: the CLI's current login)")
	secrets := fs.String("secrets-provider", "passphrase", "passphrase, or awskms://alias/…, …")
	pulumiRoot := fs.String("pulumi-root", "", "a directory holding bin/pulumi (empty: pulumi on PATH)")
	pulumiHome := fs.String("pulumi-home", "", "PULUMI_HOME for plugins and credentials (empty: ~/.pulumi)")
	asJSON := fs.Bool("json", false, "plan: print one JSON object")
	eps := fs.Float64("events-per-second", 0, "plan: events a second into the stream, on top of the stack's own producer")
	eventBytes := fs.Int("event-bytes", plan.EventBytes(), "plan: bytes per event")
	cps := fs.Float64("changes-per-second", 0, "plan: row changes a second in the CDC source database")
	var sets setFlags
	fs.Var(&sets, "set", "plan: a config key=value on top of the stack file (repeatable), e.g. 'haina:warehouse={\"kind\":\"provisioned\"}'")
	if err := fs.Parse(argv[1:]); err != nil {
		return 2
	}
	switch verb {
	case "up", "preview", "destroy", "outputs", "plan":
	default:
		fmt.Fprintf(stderr, "haina: unknown command %q\n%s", verb, usage)
		return 2
	}
	if *stack == "" {
		fmt.Fprintln(stderr, "haina: --stack is required (staging or production)")
		return 2
	}
	root, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "haina:", err)
		return 2
	}

	if verb == "plan" {
		return runPlan(root, *stack, sets, cost.Load{EventsPerSecond: *eps, EventBytes: *eventBytes, ChangesPerSecond: *cps}, *asJSON, stdout, stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if msg := prerequisites(ctx, root, *pulumiRoot, *backend); msg != "" {
		fmt.Fprintln(stderr, "haina:", msg)
		return 2
	}
	env := map[string]string{}
	if *secrets == "passphrase" {
		p, err := passphrase(stderr)
		if err != nil {
			fmt.Fprintln(stderr, "haina:", err)
			return 2
		}
		env["PULUMI_CONFIG_PASSPHRASE"] = p
	}
	if verb == "up" || verb == "preview" {
		// Pulumi.yaml finds haina's provider in bin/: build it (a no-op when it is current).
		fmt.Fprintln(stderr, "haina: building haina's provider into bin/")
		build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(root, "bin", "pulumi-resource-haina"),
			"github.com/haina-data/haina/cmd/pulumi-resource-haina")
		build.Dir, build.Stdout, build.Stderr = sourceDir(root), stderr, stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(stderr, "haina: building haina's provider failed; run `go mod download` in", root, "once and try again")
			return 1
		}
	}

	s, err := deploy.Open(ctx, deploy.Options{
		Stack: *stack, WorkDir: root, BackendURL: *backend, SecretsProvider: *secrets,
		PulumiRoot: *pulumiRoot, PulumiHome: *pulumiHome, Env: env, Progress: stdout,
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var outputs map[string]any
	switch verb {
	case "up":
		outputs, err = s.Up(ctx)
	case "preview":
		var changes map[string]int
		if changes, err = s.Preview(ctx); err == nil {
			fmt.Fprintln(stdout, summary(changes))
		}
	case "destroy":
		err = s.Destroy(ctx)
	case "outputs":
		outputs, err = s.Outputs(ctx)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if outputs != nil {
		printOutputs(stdout, outputs)
	}
	return 0
}

// setFlags are --set key=value pairs.
type setFlags map[string]string

func (s *setFlags) String() string { return fmt.Sprint(map[string]string(*s)) }

func (s *setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !strings.Contains(k, ":") {
		return fmt.Errorf("%q: want namespace:key=value, e.g. haina:ingestion={\"refresh\":\"auto\"}", v)
	}
	if *s == nil {
		*s = setFlags{}
	}
	(*s)[k] = val
	return nil
}

// runPlan evaluates the stack offline (package plan) and prints the report.
func runPlan(root, stack string, sets setFlags, load cost.Load, asJSON bool, stdout, stderr io.Writer) int {
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(load.EventsPerSecond) || bad(load.ChangesPerSecond) || load.EventBytes < 1 {
		fmt.Fprintln(stderr, "haina plan: --events-per-second and --changes-per-second must be 0 or more (finite numbers), --event-bytes at least 1")
		return 2
	}
	if _, err := os.Stat(filepath.Join(root, "Pulumi.yaml")); err != nil {
		fmt.Fprintf(stderr, "haina plan: no Pulumi.yaml in %s: run haina from a haina checkout, or give --dir\n", root)
		return 2
	}
	// The program reads Pulumi.yaml and the stack file from the checkout it runs in.
	if err := os.Chdir(root); err != nil {
		fmt.Fprintln(stderr, "haina plan:", err)
		return 2
	}
	r, err := plan.BuildWith(stack, sets, load)
	if err != nil {
		fmt.Fprintln(stderr, "haina plan:", err)
		return 1
	}
	if asJSON {
		err = r.WriteJSON(stdout)
	} else {
		err = r.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "haina plan:", err)
		return 1
	}
	return 0
}

// prerequisites names what is missing, in one sentence, or returns "".
func prerequisites(ctx context.Context, root, pulumiRoot, backend string) string {
	if _, err := os.Stat(filepath.Join(root, "Pulumi.yaml")); err != nil {
		return fmt.Sprintf("no Pulumi.yaml in %s: run haina from a haina checkout, or give --dir", root)
	}
	cli := "pulumi"
	if pulumiRoot != "" {
		cli = filepath.Join(pulumiRoot, "bin", "pulumi")
	}
	if _, err := exec.LookPath(cli); err != nil {
		return "the Pulumi CLI is not installed: see https://www.pulumi.com/docs/install/ (or give --pulumi-root)"
	}
	if _, err := exec.LookPath("go"); err != nil {
		return "Go is not installed: haina builds its provider and Lambdas with it (https://go.dev/dl/)"
	}
	// What a deploy builds: the provider and the two Lambdas, offline.
	list := exec.CommandContext(ctx, "go", "list", "-deps", "github.com/haina-data/haina/cmd/pulumi-resource-haina",
		"github.com/haina-data/haina/cmd/producer-lambda", "github.com/haina-data/haina/cmd/topics-lambda")
	list.Dir = sourceDir(root)
	list.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if err := list.Run(); err != nil {
		return "haina's Go modules are not in the module cache: run `go mod download` in " + list.Dir + " once"
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err == nil {
		_, err = cfg.Credentials.Retrieve(ctx)
	}
	if err != nil {
		return "no AWS credentials found: run `aws configure` (or `aws sso login`), or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	}
	if backend == "" {
		who := exec.CommandContext(ctx, cli, "whoami", "--non-interactive")
		who.Env = os.Environ()
		if err := who.Run(); err != nil {
			return "the Pulumi CLI is not logged in to a backend: run `pulumi login` (e.g. `pulumi login --local`), or give --backend file://~/.pulumi-haina"
		}
	}
	return ""
}

// sourceDir is where haina's Go module is: the project directory when it is a
// checkout, otherwise the current directory (a project directory holding only
// the Pulumi files, run from inside a checkout).
func sourceDir(root string) string {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
		return root
	}
	wd, _ := os.Getwd()
	return wd
}

// passphrase is PULUMI_CONFIG_PASSPHRASE, or asked for on the terminal.
func passphrase(stderr io.Writer) (string, error) {
	if p := os.Getenv("PULUMI_CONFIG_PASSPHRASE"); p != "" {
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("set PULUMI_CONFIG_PASSPHRASE: it encrypts the stack's secrets (or use --secrets-provider awskms://…)")
	}
	fmt.Fprint(stderr, "Passphrase for the stack's secrets: ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", errors.New("an empty passphrase protects nothing")
	}
	return string(b), nil
}

func summary(changes map[string]int) string {
	var ops []string
	for op, n := range changes {
		ops = append(ops, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(ops)
	return "preview: " + strings.Join(ops, ", ")
}

func printOutputs(w io.Writer, outputs map[string]any) {
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "Outputs:")
	for _, k := range keys {
		v := outputs[k]
		if s, ok := v.(string); ok {
			fmt.Fprintf(w, "  %s: %s\n", k, s)
			continue
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "  %s: %s\n", k, b)
	}
}
