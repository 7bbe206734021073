package tests

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/haina-data/haina/pluginarchive"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// releaseServer serves small stand-ins of the plugin's release files on
// 127.0.0.1, over TLS (the fetcher takes https only; its Client trusts this server).
type releaseServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func startReleases(t testing.TB) *releaseServer {
	t.Helper()
	r := &releaseServer{files: map[string][]byte{}, hits: map[string]int{}}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits[req.URL.Path]++
		b, ok := r.files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *releaseServer) put(path string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = b
}

func tarGz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "debezium-connector-mysql/", Typeflag: tar.TypeDir, Mode: 0o755}))
	for _, n := range names {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(files[n]))}))
		_, err := tw.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

func hexSum(h interface{ Sum([]byte) []byte }) string { return hex.EncodeToString(h.Sum(nil)) }

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// pluginRelease publishes a Debezium tarball (with a Maven-style .sha1), the
// IAM auth jar (with a .sha256 "digest  file" line) and the config providers
// jar (no checksum), and returns sources pointing at them.
func pluginRelease(t testing.TB, r *releaseServer, connector map[string]string) []pluginarchive.Source {
	t.Helper()
	if connector == nil {
		connector = map[string]string{
			"debezium-connector-mysql/debezium-connector-mysql-9.9.9.Final.jar": "connector classes",
			"debezium-connector-mysql/debezium-core-9.9.9.Final.jar":            "core classes",
			"debezium-connector-mysql/LICENSE.txt":                              "Apache-2.0",
		}
	}
	tgz := tarGz(t, connector)
	s1 := sha1.New()
	s1.Write(tgz)
	r.put("/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz", tgz)
	r.put("/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz.sha1", []byte(hexSum(s1)))
	iam := []byte("iam auth classes")
	r.put("/aws/aws-msk-iam-auth-9.9.9-all.jar", iam)
	r.put("/aws/aws-msk-iam-auth-9.9.9-all.jar.sha256", []byte(sha256Hex(iam)+"  aws-msk-iam-auth-9.9.9-all.jar\n"))
	r.put("/aws-samples/msk-config-providers-9.9.9-all.jar", []byte("config provider classes"))
	return []pluginarchive.Source{
		{Name: "debezium-connector-mysql", Version: "9.9.9.Final", Format: pluginarchive.FormatTarGz,
			URL:         r.URL + "/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz",
			ChecksumURL: r.URL + "/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz.sha1"},
		{Name: "aws-msk-iam-auth", Version: "9.9.9", Format: pluginarchive.FormatJar, Dir: pluginarchive.PluginDir,
			URL: r.URL + "/aws/aws-msk-iam-auth-9.9.9-all.jar", ChecksumURL: r.URL + "/aws/aws-msk-iam-auth-9.9.9-all.jar.sha256"},
		{Name: "msk-config-providers", Version: "9.9.9", Format: pluginarchive.FormatJar, Dir: pluginarchive.PluginDir,
			URL: r.URL + "/aws-samples/msk-config-providers-9.9.9-all.jar"},
	}
}

func fetchAll(t testing.TB, sources []pluginarchive.Source) ([]pluginarchive.Fetched, error) {
	t.Helper()
	var out []pluginarchive.Fetched
	for _, s := range sources {
		f, err := pluginarchive.Fetcher{Client: trustingClient(t)}.Fetch(context.Background(), s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func zipEntries(t testing.TB, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name+" "+f.Mode().String()+" "+f.Modified.UTC().Format("2006-01-02"))
	}
	return names
}

func TestPluginAssemblyIsDeterministicAndComplete(t *testing.T) {
	r := startReleases(t)
	sources := pluginRelease(t, r, nil)
	files, err := fetchAll(t, sources)
	require.NoError(t, err)
	a, err := pluginarchive.Assemble(files)
	require.NoError(t, err)
	// Fetched again, in a different order: the same bytes.
	again, err := fetchAll(t, []pluginarchive.Source{sources[2], sources[0], sources[1]})
	require.NoError(t, err)
	b, err := pluginarchive.Assemble(again)
	require.NoError(t, err)
	assert.Equal(t, sha256Hex(a), sha256Hex(b))
	assert.Equal(t, []string{
		"debezium-connector-mysql/LICENSE.txt -rw-r--r-- 1980-01-01",
		"debezium-connector-mysql/aws-msk-iam-auth-9.9.9-all.jar -rw-r--r-- 1980-01-01",
		"debezium-connector-mysql/debezium-connector-mysql-9.9.9.Final.jar -rw-r--r-- 1980-01-01",
		"debezium-connector-mysql/debezium-core-9.9.9.Final.jar -rw-r--r-- 1980-01-01",
		"debezium-connector-mysql/msk-config-providers-9.9.9-all.jar -rw-r--r-- 1980-01-01",
	}, zipEntries(t, a))
	assert.Equal(t, sha256Hex([]byte("iam auth classes")), files[1].Sha256)
}

func TestPluginChecksumMismatchIsOneClearError(t *testing.T) {
	r := startReleases(t)
	sources := pluginRelease(t, r, nil)
	r.put("/aws/aws-msk-iam-auth-9.9.9-all.jar", []byte("tampered"))
	_, err := fetchAll(t, sources)
	require.Error(t, err)
	assert.True(t, errors.Is(err, pluginarchive.ErrChecksum))
	assert.Contains(t, err.Error(), "checksum mismatch: aws-msk-iam-auth 9.9.9 from "+r.URL+"/aws/aws-msk-iam-auth-9.9.9-all.jar has digest "+sha256Hex([]byte("tampered")))
	assert.Contains(t, err.Error(), "but its publisher lists "+sha256Hex([]byte("iam auth classes")))
	assert.Contains(t, err.Error(), "nothing was uploaded")

	// Maven's SHA-1 beside the tarball is checked too.
	r2 := startReleases(t)
	sources = pluginRelease(t, r2, nil)
	r2.put("/maven2/debezium-connector-mysql-9.9.9.Final-plugin.tar.gz.sha1", []byte(strings.Repeat("0", 40)))
	_, err = fetchAll(t, sources)
	require.ErrorIs(t, err, pluginarchive.ErrChecksum)
	assert.Contains(t, err.Error(), "debezium-connector-mysql 9.9.9.Final")
}

func TestPluginPinIsEnforced(t *testing.T) {
	r := startReleases(t)
	sources := pluginRelease(t, r, nil)
	sources[2].Sha256 = strings.Repeat("ab", 32)
	_, err := fetchAll(t, sources)
	require.ErrorIs(t, err, pluginarchive.ErrChecksum)
	assert.Contains(t, err.Error(), "msk-config-providers 9.9.9 from "+r.URL+"/aws-samples/msk-config-providers-9.9.9-all.jar has sha256 "+
		sha256Hex([]byte("config provider classes"))+" but it is pinned to "+strings.Repeat("ab", 32))
	sources[2].Sha256 = strings.ToUpper(sha256Hex([]byte("config provider classes")))
	_, err = fetchAll(t, sources)
	assert.NoError(t, err, "a correct pin (any case) passes")
}

func TestPluginWithoutTheConnectorJarIsRefused(t *testing.T) {
	r := startReleases(t)
	sources := pluginRelease(t, r, map[string]string{"debezium-connector-mysql/debezium-core-9.9.9.Final.jar": "core only"})
	files, err := fetchAll(t, sources)
	require.NoError(t, err)
	_, err = pluginarchive.Assemble(files)
	require.EqualError(t, err, "the archive lacks the Debezium MySQL connector jar (debezium-connector-mysql-<version>.jar)")
}

func TestPluginCheckOfAUsersArchive(t *testing.T) {
	assert.EqualError(t, pluginarchive.Check([]byte("not a zip at all")),
		"not a ZIP archive (zip: not a valid zip file); MSK Connect takes a ZIP of jars")
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	_, err := w.Create("plugin/debezium-connector-mysql-2.7.3.Final.jar")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.EqualError(t, pluginarchive.Check(buf.Bytes()), "the archive lacks the MSK IAM auth jar (aws-msk-iam-auth-<version>-all.jar) and "+
		"the MSK config providers jar (msk-config-providers-<version>-all.jar) that resolves ${secretsmanager:…}")
}

func TestPluginDownloadsOnlyOverHTTPS(t *testing.T) {
	for _, u := range []string{"http://repo1.maven.org/x.jar", "http://127.0.0.1:8080/x.jar"} {
		_, err := pluginarchive.Fetcher{}.Fetch(context.Background(), pluginarchive.Source{Name: "x", URL: u})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "only https URLs are fetched", "not even to loopback: tests use TLS servers")
	}
}

func TestPluginUnsafePathsAndMissingFilesFail(t *testing.T) {
	r := startReleases(t)
	sources := pluginRelease(t, r, map[string]string{"../../etc/evil.jar": "x"})
	files, err := fetchAll(t, sources)
	require.NoError(t, err)
	_, err = pluginarchive.Assemble(files)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unsafe path "../../etc/evil.jar"`)

	sources[1].URL = r.URL + "/aws/missing.jar"
	_, err = fetchAll(t, sources)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "downloading aws-msk-iam-auth 9.9.9: GET "+r.URL+"/aws/missing.jar: 404 Not Found")
}

func TestPluginKeyAndMirror(t *testing.T) {
	k := pluginarchive.Key("msk-connect/plugins/", pluginarchive.DebeziumMySQL)
	assert.Regexp(t, `^msk-connect/plugins/debezium-connector-mysql-2\.7\.3\.Final_aws-msk-iam-auth-2\.3\.5_msk-config-providers-0\.4\.0-[0-9a-f]{12}\.zip$`, k)
	mirrored := make([]pluginarchive.Source, len(pluginarchive.DebeziumMySQL))
	for i, s := range pluginarchive.DebeziumMySQL {
		var err error
		mirrored[i], err = pluginarchive.WithBaseURL(s, "https://artifacts.example.com/remote/")
		require.NoError(t, err)
	}
	assert.Equal(t, "https://artifacts.example.com/remote/maven2/io/debezium/debezium-connector-mysql/2.7.3.Final/debezium-connector-mysql-2.7.3.Final-plugin.tar.gz.sha1", mirrored[0].ChecksumURL)
	assert.Equal(t, "https://artifacts.example.com/remote/aws/aws-msk-iam-auth/releases/download/v2.3.5/aws-msk-iam-auth-2.3.5-all.jar", mirrored[1].URL)
	assert.Equal(t, k, pluginarchive.Key("msk-connect/plugins/", mirrored), "a mirror is not a new plugin")
	pinned := append([]pluginarchive.Source(nil), pluginarchive.DebeziumMySQL...)
	pinned[2].Sha256 = strings.Repeat("ab", 32)
	assert.Equal(t, k, pluginarchive.Key("msk-connect/plugins/", pinned), "a pin verifies; it is not a new plugin")
	newer := append([]pluginarchive.Source(nil), pluginarchive.DebeziumMySQL...)
	newer[0].Version, newer[0].URL = "2.7.4.Final", strings.ReplaceAll(newer[0].URL, "2.7.3", "2.7.4")
	assert.NotEqual(t, k, pluginarchive.Key("msk-connect/plugins/", newer), "a new version is a new object")
}

func TestPluginRedirectsStayOnHTTPSAndTheHost(t *testing.T) {
	r := startReleases(t)
	client := trustingClient(t)
	redirect := httptest.NewTLSServer(http.RedirectHandler("http://127.0.0.1/evil.jar", http.StatusFound))
	t.Cleanup(redirect.Close)
	_, err := pluginarchive.Fetcher{Client: client}.Fetch(context.Background(), pluginarchive.Source{Name: "x", URL: redirect.URL + "/x.jar"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redirected to http://127.0.0.1/evil.jar: only https on 127.0.0.1 (or its release CDN) is followed")
	// Another host, even over https, is refused: a release host hands its files
	// only to its own release CDN.
	away := httptest.NewTLSServer(http.RedirectHandler("https://evil.example.com/x.jar", http.StatusFound))
	t.Cleanup(away.Close)
	_, err = pluginarchive.Fetcher{Client: client}.Fetch(context.Background(), pluginarchive.Source{Name: "x", URL: away.URL + "/x.jar"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redirected to https://evil.example.com/x.jar")
	// A redirect on the same host, over https, is followed.
	r.put("/final.jar", []byte("ok"))
	hop := httptest.NewTLSServer(http.RedirectHandler(r.URL+"/final.jar", http.StatusFound))
	t.Cleanup(hop.Close)
	f, err := pluginarchive.Fetcher{Client: client}.Fetch(context.Background(), pluginarchive.Source{Name: "x", URL: hop.URL + "/x.jar"})
	require.NoError(t, err)
	assert.Equal(t, "ok", string(f.Data))
}

// trustingClient trusts every TLS test server of this process (they share httptest's certificate).
func trustingClient(t testing.TB) *http.Client {
	t.Helper()
	s := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(s.Close)
	return s.Client()
}
