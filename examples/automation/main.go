// Command automation deploys a haina stack from Go code with the Automation
// API (package deploy): preview, then up, then print the outputs.
//
//	cd examples/automation && go run . -stack staging -dir ../.. -backend file://$HOME/.pulumi-haina
//
// It is a module of its own (go.mod with a replace to this checkout), as your
// program would be: it imports github.com/haina-data/haina like any dependency.
//
// It needs the Pulumi CLI on $PATH, AWS credentials, haina's provider in ./bin
// (see README) and PULUMI_CONFIG_PASSPHRASE for the passphrase secrets provider.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"

	"github.com/haina-data/haina/deploy"
)

func main() {
	stack := flag.String("stack", "staging", "stack to deploy")
	dir := flag.String("dir", "../..", "haina checkout holding Pulumi.yaml")
	backend := flag.String("backend", "", "backend URL (empty: the CLI's current login)")
	destroy := flag.Bool("destroy", false, "destroy the stack instead of deploying it")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *stack, *dir, *backend, *destroy); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stack, dir, backend string, destroy bool) error {
	// The passphrase encrypts the stack's secrets: an empty one protects nothing.
	if os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" {
		return errors.New("set PULUMI_CONFIG_PASSPHRASE: the passphrase secrets provider encrypts the stack's secrets with it")
	}
	// Ctrl-C cancels ctx: the step lets the CLI finish the operations it started
	// (deploy.Options.GracePeriod), so the stack is not left locked.
	s, err := deploy.Open(ctx, deploy.Options{
		Stack: stack, WorkDir: dir, BackendURL: backend, SecretsProvider: "passphrase",
		Env: deploy.Passphrase(""), Progress: os.Stdout,
	})
	if err != nil {
		return err
	}
	if destroy {
		return s.Destroy(ctx)
	}
	changes, err := s.Preview(ctx)
	if err != nil {
		return err
	}
	fmt.Println("planned:", changes)
	outputs, err := s.Up(ctx)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s = %v\n", k, outputs[k])
	}
	return nil
}
