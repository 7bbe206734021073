// Package pluginarchive downloads, verifies and assembles the MSK Connect
// plugin ZIP (Debezium MySQL with what it needs on MSK), and checks archives
// users bring. Assembly is deterministic: the same files give the same bytes.
package pluginarchive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// Format is how a source file is packaged.
type Format string

const (
	FormatTarGz Format = "tar.gz" // every regular file goes in, at its path in the archive
	FormatZip   Format = "zip"    // likewise
	FormatJar   Format = "jar"    // goes in as Dir/<file name>
)

// Source is one file of the plugin and where it comes from.
type Source struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Format  Format `json:"format"`
	URL     string `json:"url"`
	// ChecksumURL is the digest the publisher puts beside the file (SHA-1,
	// SHA-256 or SHA-512 by its length); empty where there is none.
	ChecksumURL string `json:"checksumUrl,omitempty"`
	// Sha256 pins the file; empty: not pinned.
	Sha256 string `json:"sha256,omitempty"`
	// Dir is the folder a jar goes in.
	Dir string `json:"dir,omitempty"`
}

// Requirement is a jar a plugin archive must hold.
type Requirement struct{ Prefix, What string }

// Fetched is a downloaded, verified file.
type Fetched struct {
	Source Source
	Data   []byte
	Sha256 string
}

// Fetcher downloads sources over HTTPS only; tests give it a Client that
// trusts their own TLS server.
type Fetcher struct {
	Client *http.Client
	// MaxBytes bounds one download (default 512 MiB).
	MaxBytes int64
}

// ErrChecksum marks a file whose digest is not the published or pinned one.
var ErrChecksum = errors.New("checksum mismatch")

// Fetch downloads s and verifies it against its published checksum and its pin.
func (f Fetcher) Fetch(ctx context.Context, s Source) (Fetched, error) {
	data, err := f.get(ctx, s.URL)
	if err != nil {
		return Fetched{}, fmt.Errorf("downloading %s %s: %w", s.Name, s.Version, err)
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if s.ChecksumURL != "" {
		published, err := f.getLimited(ctx, s.ChecksumURL, 4096)
		if err != nil {
			return Fetched{}, fmt.Errorf("downloading the published checksum of %s %s: %w", s.Name, s.Version, err)
		}
		want, h, err := parseDigest(published)
		if err != nil {
			return Fetched{}, fmt.Errorf("reading the published checksum of %s %s (%s): %w", s.Name, s.Version, s.ChecksumURL, err)
		}
		h.Write(data)
		if have := hex.EncodeToString(h.Sum(nil)); have != want {
			return Fetched{}, fmt.Errorf("%w: %s %s from %s has digest %s but its publisher lists %s (%s); nothing was uploaded",
				ErrChecksum, s.Name, s.Version, s.URL, have, want, s.ChecksumURL)
		}
	}
	if s.Sha256 != "" && !strings.EqualFold(s.Sha256, got) {
		return Fetched{}, fmt.Errorf("%w: %s %s from %s has sha256 %s but it is pinned to %s; nothing was uploaded",
			ErrChecksum, s.Name, s.Version, s.URL, got, strings.ToLower(s.Sha256))
	}
	return Fetched{Source: s, Data: data, Sha256: got}, nil
}

// parseDigest reads "<hex>" or "<hex>  <file>" and picks the hash by length.
func parseDigest(b []byte) (string, hash.Hash, error) {
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return "", nil, errors.New("empty")
	}
	d := strings.ToLower(fields[0])
	if _, err := hex.DecodeString(d); err != nil {
		return "", nil, fmt.Errorf("not a hex digest: %q", abbreviate(fields[0]))
	}
	switch len(d) {
	case 40:
		return d, sha1.New(), nil
	case 64:
		return d, sha256.New(), nil
	case 128:
		return d, sha512.New(), nil
	}
	return "", nil, fmt.Errorf("a %d-digit digest is not SHA-1, SHA-256 or SHA-512", len(d))
}

func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// allowed: https only.
func allowed(u *url.URL) bool { return u.Scheme == "https" }

// releaseCDNs are the hosts a release host hands its downloads to: GitHub's
// release assets redirect to its object storage. Any other host's redirect
// must stay on the host that was asked (a mirror, Maven Central).
var releaseCDNs = map[string][]string{
	"github.com": {"objects.githubusercontent.com", "release-assets.githubusercontent.com"},
}

// redirectAllowed: https, and the same host as the first request or that host's release CDN.
func redirectAllowed(first, next *url.URL) bool {
	if !allowed(next) {
		return false
	}
	if next.Hostname() == first.Hostname() {
		return true
	}
	for _, h := range releaseCDNs[first.Hostname()] {
		if next.Hostname() == h {
			return true
		}
	}
	return false
}

func (f Fetcher) get(ctx context.Context, raw string) ([]byte, error) {
	limit := f.MaxBytes
	if limit <= 0 {
		limit = 512 << 20
	}
	return f.getLimited(ctx, raw, limit)
}

func (f Fetcher) getLimited(ctx context.Context, raw string, limit int64) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if !allowed(u) {
		return nil, fmt.Errorf("%s: only https URLs are fetched", raw)
	}
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	// A redirect (GitHub releases redirect to their CDN) must stay on https and
	// on the host asked, or its release CDN.
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !redirectAllowed(u, req.URL) {
			return fmt.Errorf("redirected to %s: only https on %s (or its release CDN) is followed", req.URL, u.Hostname())
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	client = &c
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", raw, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", raw, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", raw, limit)
	}
	return data, nil
}

// epoch is every entry's timestamp: the ZIP depends on content only.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// maxEntry bounds one extracted file and maxTotal all of them (a hostile archive cannot fill memory).
const (
	maxEntry = 256 << 20
	maxTotal = 1 << 30
)

// Assemble builds one ZIP of the files: entries sorted by path, stored (jars
// are compressed already), fixed timestamps and modes. It then checks the
// result holds the required jars.
func Assemble(files []Fetched) ([]byte, error) {
	entries := map[string][]byte{}
	var total int
	add := func(from, name string, data []byte) error {
		if total += len(data); total > maxTotal {
			return fmt.Errorf("%s: the plugin's files exceed %d bytes", from, maxTotal)
		}
		clean := path.Clean(strings.TrimPrefix(name, "./"))
		if clean == "." || strings.HasPrefix(clean, "/") || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("%s: unsafe path %q in the archive", from, name)
		}
		if _, dup := entries[clean]; dup {
			return fmt.Errorf("%s: %s is in the plugin twice", from, clean)
		}
		entries[clean] = data
		return nil
	}
	for _, f := range files {
		from := f.Source.Name + " " + f.Source.Version
		var err error
		switch f.Source.Format {
		case FormatJar:
			err = add(from, path.Join(f.Source.Dir, path.Base(f.Source.URL)), f.Data)
		case FormatTarGz:
			err = eachTarFile(f.Data, func(name string, data []byte) error { return add(from, name, data) })
		case FormatZip:
			err = eachZipFile(f.Data, func(name string, data []byte) error { return add(from, name, data) })
		default:
			err = fmt.Errorf("format %q is not tar.gz, zip or jar", f.Source.Format)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Store, Modified: epoch}
		h.SetMode(0o644)
		fw, err := w.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(entries[n]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := Check(buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func eachTarFile(data []byte, f func(string, []byte) error) error {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a gzip archive: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the tar archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue // directories; links are not followed
		}
		b, err := readBounded(tr, h.Name)
		if err != nil {
			return err
		}
		if err := f(h.Name, b); err != nil {
			return err
		}
	}
}

func eachZipFile(data []byte, f func(string, []byte) error) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("not a ZIP archive: %w", err)
	}
	for _, e := range zr.File {
		if !e.Mode().IsRegular() {
			continue
		}
		r, err := e.Open()
		if err != nil {
			return err
		}
		b, err := readBounded(r, e.Name)
		r.Close()
		if err != nil {
			return err
		}
		if err := f(e.Name, b); err != nil {
			return err
		}
	}
	return nil
}

func readBounded(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxEntry+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > maxEntry {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxEntry)
	}
	return b, nil
}

// Check reports whether data is a ZIP holding every required jar; the error
// names what is missing.
func Check(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("not a ZIP archive (%v); MSK Connect takes a ZIP of jars", err)
	}
	var jars []string
	for _, e := range zr.File {
		if base := path.Base(e.Name); strings.HasSuffix(base, ".jar") && e.Mode().IsRegular() {
			jars = append(jars, base)
		}
	}
	var missing []string
	for _, r := range Required {
		found := false
		for _, j := range jars {
			if strings.HasPrefix(j, r.Prefix) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, r.What)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the archive lacks %s", strings.Join(missing, " and "))
	}
	return nil
}

// Key is the object key of the assembled plugin: it changes exactly when what
// goes into the archive changes (names, versions, formats, folders, file
// names), so a new version never overwrites an old object. Pins only verify:
// adding one changes neither the key nor the plugin.
func Key(prefix string, sources []Source) string {
	h := sha256.New()
	var label []string
	for _, s := range sources {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", s.Name, s.Version, s.Format, s.Dir, path.Base(s.URL))
		label = append(label, s.Name+"-"+s.Version)
	}
	return fmt.Sprintf("%s%s-%s.zip", prefix, strings.Join(label, "_"), hex.EncodeToString(h.Sum(nil))[:12])
}

// WithBaseURL points a source at a mirror: the scheme and host of its URLs
// are replaced by base (its path is kept in front of theirs).
func WithBaseURL(s Source, base string) (Source, error) {
	if base == "" {
		return s, nil
	}
	b, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil {
		return s, err
	}
	rebase := func(raw string) (string, error) {
		if raw == "" {
			return "", nil
		}
		u, err := url.Parse(raw)
		if err != nil {
			return "", err
		}
		m := *b
		m.Path = b.Path + u.Path
		return m.String(), nil
	}
	if s.URL, err = rebase(s.URL); err != nil {
		return s, err
	}
	s.ChecksumURL, err = rebase(s.ChecksumURL)
	return s, err
}
