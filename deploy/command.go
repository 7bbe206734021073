package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// DefaultGracePeriod is how long a cancelled step may take to finish the
// operations already under way. An MSK cluster takes about 30 minutes to
// create; stopping the CLI in the middle leaves the stack locked, with pending
// operations and resources outside the state.
const DefaultGracePeriod = 45 * time.Minute

// gracefulCommand runs the Pulumi CLI like the Automation API's own command
// does, except when the context ends: the SDK interrupts the CLI and kills it
// 10 seconds later, whatever it is doing. This one interrupts it once — the
// CLI then starts nothing new and waits for the operations in flight — and
// only after the grace period interrupts it again and, 30 seconds later, kills it.
type gracefulCommand struct {
	bin     string // the pulumi binary
	version auto.PulumiCommand
	grace   time.Duration
	// signal delivers an interrupt (replaceable in tests).
	signal func(*os.Process, os.Signal) error
}

func newGracefulCommand(root string, grace time.Duration) (*gracefulCommand, error) {
	var opts *auto.PulumiCommandOptions
	bin := "pulumi"
	if root != "" {
		opts = &auto.PulumiCommandOptions{Root: root}
		bin = filepath.Join(root, "bin", "pulumi")
	} else if p, err := exec.LookPath("pulumi"); err == nil {
		bin = p
	}
	v, err := auto.NewPulumiCommand(opts)
	if err != nil {
		return nil, err
	}
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	return &gracefulCommand{bin: bin, version: v, grace: grace, signal: (*os.Process).Signal}, nil
}

func (c *gracefulCommand) Version() semver.Version { return c.version.Version() }

func (c *gracefulCommand) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer,
	additionalEnv []string, args ...string) (string, string, int, error) {
	if err := ctx.Err(); err != nil {
		return "", "", -2, err // cancelled before it started: nothing to interrupt
	}
	// Like the Automation API's own command: never prompt (the flag goes first:
	// after a "--" it would be an argument).
	flags := args
	if i := slices.Index(args, "--"); i >= 0 {
		flags = args[:i]
	}
	if !slices.Contains(flags, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	// The process does not die with ctx: the watcher below decides when it stops.
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = workdir
	env := append(append(os.Environ(), additionalEnv...), "PULUMI_AUTOMATION_API=true")
	if filepath.IsAbs(c.bin) {
		env = withPath(env, filepath.Dir(c.bin)) // plugins and language hosts beside the CLI
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(additionalOutput, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(additionalErrorOutput, &stderr)...)
	cmd.Stdin = stdin
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", "", -2, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = c.stop(cmd.Process, done)
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		code = -2
	}
	if ctx.Err() != nil {
		// The step was cancelled, whatever the CLI's exit status after it stopped.
		err = errors.Join(ctx.Err(), err)
	}
	return stdout.String(), stderr.String(), code, err
}

// stop interrupts the CLI once and waits for it to finish what it started;
// past the grace period it interrupts again and, finally, kills it.
func (c *gracefulCommand) stop(p *os.Process, done <-chan error) error {
	_ = c.signal(p, os.Interrupt)
	select {
	case err := <-done:
		return err
	case <-time.After(c.grace):
	}
	_ = c.signal(p, os.Interrupt) // the CLI's second interrupt stops waiting
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
	}
	killGroup(p) // the CLI and the plugins it started
	return <-done
}

func withPath(env []string, dir string) []string {
	out := append([]string(nil), env...)
	for i, e := range out {
		if len(e) >= 5 && strings.EqualFold(e[:5], "PATH=") {
			out[i] = "PATH=" + dir + string(os.PathListSeparator) + e[5:]
			return out
		}
	}
	return append(out, "PATH="+dir)
}
