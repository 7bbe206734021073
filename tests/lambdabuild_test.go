package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haina-data/haina/components"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The archive is built in a directory only this user can enter, with a
// random name, and written as a new file only this user can read: another
// user of a shared host cannot swap the function's code (the old path,
// $TMPDIR/haina-lambda/<sha>.zip, was predictable and world-writable-adjacent).
func TestLambdaArchiveIsBuiltInAPrivateDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	a, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	dir := filepath.Dir(a.Path)
	assert.Equal(t, tmp, filepath.Dir(dir))
	assert.NotEqual(t, "haina-lambda", filepath.Base(dir), "not the shared, predictable directory")
	di, err := os.Lstat(dir)
	require.NoError(t, err)
	assert.True(t, di.IsDir())
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm(), "the directory is private")
	fi, err := os.Lstat(a.Path)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the archive is readable by this user only")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only the archive is left (the binary is removed)")
	require.NoError(t, a.Verify())

	b, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	assert.NotEqual(t, filepath.Dir(a.Path), filepath.Dir(b.Path), "each build has a directory of its own")
	assert.Equal(t, a.SHA256, b.SHA256)
}

// A symlink planted where the old build wrote its archive is never followed:
// the file it points to stays untouched.
func TestLambdaArchiveIgnoresAPlantedSymlink(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	a, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	sum, err := base64.StdEncoding.DecodeString(a.SHA256)
	require.NoError(t, err)
	shared := filepath.Join(tmp, "haina-lambda")
	require.NoError(t, os.MkdirAll(shared, 0o777))
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	require.NoError(t, os.Symlink(victim, filepath.Join(shared, hex.EncodeToString(sum[:8])+".zip")))

	b, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(got), "the symlink's target was not written")
	assert.False(t, strings.HasPrefix(b.Path, shared+string(filepath.Separator)))
}

// Verify (run whenever BuildLambdaArchive hands the archive out) refuses a
// file whose bytes no longer match SourceCodeHash, and a symlink in its place.
func TestLambdaArchiveVerifyRefusesASwappedFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	a, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	orig, err := os.ReadFile(a.Path)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(a.Path, append(bytes.Clone(orig), 0), 0o600))
	err = a.Verify()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "changed after it was built")

	other := filepath.Join(t.TempDir(), "other.zip")
	require.NoError(t, os.WriteFile(other, orig, 0o600))
	require.NoError(t, os.Remove(a.Path))
	require.NoError(t, os.Symlink(other, a.Path))
	err = a.Verify()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a regular file")
}

// A user's plugin archive is read once: checked, hashed, and copied into a
// private file, which is what the engine uploads. Changing the user's file
// afterwards changes nothing of what is deployed under the checked digest.
func TestLocalPluginArchiveIsUploadedFromAPrivateCopy(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	good := writeZip(t, "debezium-connector-mysql/debezium-connector-mysql-2.7.3.Final.jar", "debezium-connector-mysql/aws-msk-iam-auth-2.3.5-all.jar",
		"debezium-connector-mysql/msk-config-providers-0.4.0-all.jar")
	want, err := os.ReadFile(good)
	require.NoError(t, err)
	g := evaluate(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"plugin":{"archive":"` + good + `"}}`})
	obj := one(t, g, "aws:s3/bucketObjectv2:BucketObjectv2", "haina-connector-plugin")
	src := obj.Inputs["source"]
	require.True(t, src.IsAsset(), "the source is a file asset")
	path := src.AssetValue().Path
	assert.NotEqual(t, good, path, "not the user's file, which could change before the engine reads it")

	require.NoError(t, os.WriteFile(good, []byte("swapped after the check"), 0o644))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, got, "the private copy holds the checked bytes")
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Lstat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	sum, err := components.FileSha256(path)
	require.NoError(t, err)
	assert.Equal(t, "msk-connect/plugins/local-"+sum[:16]+".zip", in(obj)["key"], "the key is the copy's digest")
}

// Each run leaves its private directory for the engine to read after the
// program; a later build sweeps those older than a day, never following a
// symlink and leaving recent ones (another run's, still being read) alone.
func TestLambdaArchiveBuildSweepsStaleDirectories(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stale, fresh := filepath.Join(tmp, "haina-artifact-stale"), filepath.Join(tmp, "haina-artifact-fresh")
	for _, d := range []string{stale, fresh} {
		require.NoError(t, os.Mkdir(d, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, "x.zip"), []byte("zip"), 0o600))
	}
	old := time.Now().Add(-48 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	elsewhere := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "keep"), []byte("keep"), 0o600))
	link := filepath.Join(tmp, "haina-artifact-link")
	require.NoError(t, os.Symlink(elsewhere, link))

	_, err := components.RebuildLambdaArchive(components.ProducerPackage)
	require.NoError(t, err)
	assert.NoDirExists(t, stale)
	assert.DirExists(t, fresh)
	assert.FileExists(t, filepath.Join(elsewhere, "keep"), "a symlink is never followed")
}
