// Package fakereleases serves small stand-ins of the connector plugin's
// release files on 127.0.0.1, over TLS (haina downloads over https only), at
// the paths of their official URLs, with the checksums their publishers put
// beside them: haina:cdc.plugin.baseUrl points the deploy-time download here,
// and CertFile gives the certificate a client must trust (SSL_CERT_FILE).
package fakereleases

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/haina-data/haina/pluginarchive"
)

// Server serves the files.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	// Sha256 is each source's sha256 by name (what the provider should record).
	Sha256 map[string]string
	// Gets counts requests by path.
	Gets map[string]int
}

// Start serves stand-ins of every source in pluginarchive.DebeziumMySQL.
func Start() *Server {
	s := &Server{files: map[string][]byte{}, Sha256: map[string]string{}, Gets: map[string]int{}}
	for _, src := range pluginarchive.DebeziumMySQL {
		var body []byte
		name := path.Base(mustPath(src.URL))
		if src.Format == pluginarchive.FormatTarGz {
			body = tarGz(map[string]string{
				src.Name + "/" + src.Name + "-" + src.Version + ".jar": "connector classes",
				src.Name + "/debezium-core-" + src.Version + ".jar":    "core classes",
			})
		} else {
			body = []byte("classes of " + name)
		}
		s.files[mustPath(src.URL)] = body
		sum := sha256.Sum256(body)
		s.Sha256[src.Name] = hex.EncodeToString(sum[:])
		if src.ChecksumURL != "" {
			var digest string
			if strings.HasSuffix(src.ChecksumURL, ".sha1") {
				h := sha1.Sum(body)
				digest = hex.EncodeToString(h[:])
			} else {
				digest = hex.EncodeToString(sum[:]) + "  " + name
			}
			s.files[mustPath(src.ChecksumURL)] = []byte(digest + "\n")
		}
	}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.Gets[r.URL.Path]++
		b, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	return s
}

// Downloads is how many files were fetched (checksums included).
func (s *Server) Downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.Gets {
		n += c
	}
	return n
}

func mustPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u.Path
}

func tarGz(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range sortedKeys(files) {
		_ = tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))})
		_, _ = tw.Write([]byte(files[n]))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CertFile writes the server's certificate as PEM into dir and returns its
// path: SSL_CERT_FILE for a process that should trust this server.
func (s *Server) CertFile(dir string) (string, error) {
	path := filepath.Join(dir, "fakereleases.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	return path, os.WriteFile(path, b, 0o644)
}
