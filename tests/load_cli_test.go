package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/haina-data/haina/tests/kinesalite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The load generator as a user runs it: the built command, standard AWS
// configuration from the environment, AWS_ENDPOINT_URL pointing at kinesalite.
func TestLoadGeneratorAgainstKinesalite(t *testing.T) {
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "haina-load")
	build := exec.Command("go", "build", "-o", bin, "./cmd/haina-load")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ep := kinesalite.Start(t)
	c := kinesalite.Client(ep)
	name := kinesalite.Name(t)

	run := func(stdin string, args ...string) (map[string]any, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+ep, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local",
			"AWS_SECRET_ACCESS_KEY=local", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var summary map[string]any
		_ = json.Unmarshal([]byte(stdout.String()), &summary)
		return summary, stderr.String(), err
	}

	summary, _, err := run("", "--stream", name, "--create-shards", "2", "--count", "3000", "--quiet")
	require.NoError(t, err)
	assert.Equal(t, 3000.0, summary["sent"])
	assert.Equal(t, 0.0, summary["failed"])

	lines := `{"id":1}` + "\n\n" + `{"id":2}` + "\n" + strings.Repeat("x", 1<<20) + "\n" + `{"id":3}`
	summary, _, err = run(lines, "--stream", name, "--file", "-", "--quiet")
	require.NoError(t, err)
	assert.Equal(t, 3.0, summary["sent"], "blank lines skipped")
	assert.Equal(t, 1.0, summary["rejectedOversize"], "the 1 MiB line with its key is too big")
	assert.Len(t, kinesalite.ReadAll(t, c, name), 3003)

	summary, _, err = run("", "--stream", "no-such-stream", "--count", "10", "--quiet")
	require.Error(t, err, "an unrecoverable failure exits non-zero")
	assert.Equal(t, 1, err.(*exec.ExitError).ExitCode())
	assert.Contains(t, summary["error"], "ResourceNotFoundException")

	_, stderr, err := run("", "--stream", name)
	require.Error(t, err)
	assert.Equal(t, 2, err.(*exec.ExitError).ExitCode())
	assert.Contains(t, stderr, "give --count, --duration or --file, or the run never ends")
}
