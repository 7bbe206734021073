package components

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// LambdaArchive is a Go command built for provided.al2023 on arm64 and zipped
// as "bootstrap".
//
// Path is in a directory private to the process that built it (os.MkdirTemp:
// a random name, mode 0700), the file itself written once with O_EXCL, mode
// 0600: no other user of the machine can put, replace or link a file there,
// and no planted symlink is followed. The engine and the aws provider, which
// read the file after the program hands it over (the engine hashes it —
// SHA-256 of the file's bytes, recorded in the state as the code archive's
// hash — and the provider uploads it), run as the same user. SHA256 is
// checked against the file (Verify) every time the archive is handed out.
type LambdaArchive struct {
	Path string
	// SHA256 is the base64 SHA-256 of the zip (Lambda's source code hash).
	SHA256 string
}

var (
	archivesMu sync.Mutex
	archives   = map[string]*LambdaArchive{}
)

// zipEpoch is the fixed timestamp of the archive entry.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// privatePrefix names the private directories of built artifacts in $TMPDIR.
const privatePrefix = "haina-artifact-"

// staleAfter is when a private directory of an earlier run is swept: the
// engine read its files long ago.
const staleAfter = 24 * time.Hour

// BuildLambdaArchive builds the Go package pkg (an import path in this
// module's build list) reproducibly: CGO off, linux/arm64, -trimpath, no VCS
// stamp, stripped, no build id; zipped with a fixed timestamp and mode. The
// same source and Go toolchain give the same bytes on any machine, so a second
// `pulumi up` sees no change (the engine compares archives by hash, not path).
// The build uses only the module cache (GOPROXY=off): program evaluation never
// touches the network. One build per process and package; the archive is
// verified against its digest each time it is returned.
func BuildLambdaArchive(pkg string) (*LambdaArchive, error) {
	archivesMu.Lock()
	defer archivesMu.Unlock()
	a, ok := archives[pkg]
	if !ok {
		var err error
		if a, err = RebuildLambdaArchive(pkg); err != nil {
			return nil, err
		}
		archives[pkg] = a
	}
	if err := a.Verify(); err != nil {
		return nil, err
	}
	return a, nil
}

// archiveOrBuild is a caller's prebuilt archive (checked against its digest),
// or pkg built from haina's module.
func archiveOrBuild(prebuilt *LambdaArchive, pkg string) (*LambdaArchive, error) {
	if prebuilt == nil {
		return BuildLambdaArchive(pkg)
	}
	if err := prebuilt.Verify(); err != nil {
		return nil, err
	}
	return prebuilt, nil
}

// ModulePath is haina's Go module.
const ModulePath = "github.com/haina-data/haina"

// ModuleDir is the directory of haina's module as the Go command of the
// current directory sees it: the checkout when haina is the main module, the
// target of a replace, or the module cache. The Lambdas are built there.
func ModuleDir() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ModulePath)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		msg := ""
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			msg = strings.TrimSpace(string(exit.Stderr))
		}
		return "", fmt.Errorf("finding %s to build its Lambdas (`go list -m %s`): %v %s; run `go mod download` in your module",
			ModulePath, ModulePath, err, msg)
	}
	return dir, nil
}

// RebuildLambdaArchive builds like BuildLambdaArchive, without its per-process
// memo, in a private directory of its own.
func RebuildLambdaArchive(pkg string) (*LambdaArchive, error) {
	dir, err := privateDir()
	if err != nil {
		return nil, err
	}
	module, err := ModuleDir()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=", "-o", bin, pkg)
	// In haina's own module, with its go.mod and go.sum: a program importing the
	// components builds the function with haina's dependencies, not its own.
	cmd.Dir = module
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("building the Lambda %s in %s (needs Go and haina's dependencies in the module cache: "+
			"run `go mod download` there once): %v\n%s", pkg, module, err, out)
	}
	exe, err := readRegular(bin)
	_ = os.Remove(bin)
	if err != nil {
		return nil, err
	}
	zipped, err := zipBootstrap(exe)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zipped)
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+".zip")
	if err := writeExclusive(path, zipped); err != nil {
		return nil, err
	}
	a := &LambdaArchive{Path: path, SHA256: base64.StdEncoding.EncodeToString(sum[:])}
	if err := a.Verify(); err != nil {
		return nil, err
	}
	return a, nil
}

// Verify re-reads the archive: it must be a regular file (not a symlink)
// whose SHA-256 is SHA256.
func (a *LambdaArchive) Verify() error {
	b, err := readRegular(a.Path)
	if err != nil {
		return fmt.Errorf("the Lambda archive: %w", err)
	}
	sum := sha256.Sum256(b)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != a.SHA256 {
		return fmt.Errorf("the Lambda archive %s changed after it was built (SHA-256 %s, built as %s): refusing to deploy it", a.Path, got, a.SHA256)
	}
	return nil
}

// privateDir makes a new directory only this user can enter (0700, a random
// name, so nothing can be planted in it beforehand) and sweeps those of
// earlier runs.
func privateDir() (string, error) {
	sweepStale(os.TempDir())
	dir, err := os.MkdirTemp("", privatePrefix)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	// Windows has no mode bits (its temp directory is per user already).
	if !fi.IsDir() || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
		return "", fmt.Errorf("%s: not a private directory (mode %s)", dir, fi.Mode())
	}
	return dir, nil
}

// sweepStale removes private directories (haina-artifact-*, 0700, not
// symlinks) older than staleAfter: the engine read their files in the run
// that made them. Failures are ignored: another user's cannot be removed.
func sweepStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), privatePrefix) || e.Type()&os.ModeSymlink != 0 || !e.IsDir() {
			continue
		}
		fi, err := e.Info()
		if err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) || time.Since(fi.ModTime()) < staleAfter {
			continue
		}
		_ = os.RemoveAll(filepath.Join(parent, e.Name())) // never follows symlinks
	}
}

// writeExclusive writes a new file (O_EXCL: never an existing file or a
// symlink's target), readable only by this user.
func writeExclusive(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readRegular reads a regular file, refusing a symlink (or a path swapped
// between the check and the open).
func readRegular(path string) ([]byte, error) {
	before, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (mode %s): refusing to read it", path, before.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(before, opened) {
		return nil, errors.New(path + " was replaced while being opened: refusing to read it")
	}
	return io.ReadAll(f)
}

// privateCopy writes b into a new private directory as name and returns its
// path: what the engine reads later is these bytes, whatever becomes of the
// file they came from.
func privateCopy(name string, b []byte) (string, error) {
	dir, err := privateDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := writeExclusive(path, b); err != nil {
		return "", err
	}
	return path, nil
}

// zipBootstrap zips one executable named bootstrap, deterministically.
func zipBootstrap(exe []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(exe); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
