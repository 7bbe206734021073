package components

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// LambdaArchive is a Go command built for provided.al2023 on arm64 and zipped
// as "bootstrap".
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

// BuildLambdaArchive builds the Go package pkg (an import path in this
// module's build list) reproducibly: CGO off, linux/arm64, -trimpath, no VCS
// stamp, stripped, no build id; zipped with a fixed timestamp and mode. The
// same source and Go toolchain give the same bytes on any machine, so a second
// `pulumi up` sees no change. The build uses only the module cache
// (GOPROXY=off): program evaluation never touches the network. One build per
// process and package.
func BuildLambdaArchive(pkg string) (*LambdaArchive, error) {
	archivesMu.Lock()
	defer archivesMu.Unlock()
	if a, ok := archives[pkg]; ok {
		return a, nil
	}
	a, err := RebuildLambdaArchive(pkg)
	if err != nil {
		return nil, err
	}
	archives[pkg] = a
	return a, nil
}

// RebuildLambdaArchive builds like BuildLambdaArchive, without its per-process memo.
func RebuildLambdaArchive(pkg string) (*LambdaArchive, error) {
	dir, err := os.MkdirTemp("", "haina-lambda-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the Lambda %s (needs Go and the module cache; run `go mod download` once): %v\n%s", pkg, err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	zipped, err := zipBootstrap(exe)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zipped)
	// The path is named by content: a changed binary gets a new file, an unchanged one the same.
	outDir := filepath.Join(os.TempDir(), "haina-lambda")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(outDir, hex.EncodeToString(sum[:8])+".zip")
	if err := os.WriteFile(path, zipped, 0o644); err != nil {
		return nil, err
	}
	return &LambdaArchive{Path: path, SHA256: base64.StdEncoding.EncodeToString(sum[:])}, nil
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
