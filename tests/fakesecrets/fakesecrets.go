// Package fakesecrets is a fake Secrets Manager on 127.0.0.1 for the real
// aws-sdk-go-v2 client (JSON 1.1 protocol): PutSecretValue and GetSecretValue.
package fakesecrets

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Server is the fake endpoint.
type Server struct {
	*httptest.Server

	mu     sync.Mutex
	values map[string]string
	// Puts counts PutSecretValue calls; Fail, when set, fails them with this message.
	Puts int
	Fail string
}

// Start serves the fake; Close stops it.
func Start() *Server {
	s := &Server{values: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Value returns a secret's current string.
func (s *Server) Value(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[id]
	return v, ok
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, "InvalidRequestException", err.Error())
		return
	}
	id, _ := in["SecretId"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.") {
	case "PutSecretValue":
		s.Puts++
		if s.Fail != "" {
			fail(w, "AccessDeniedException", s.Fail)
			return
		}
		v, _ := in["SecretString"].(string)
		s.values[id] = v
		reply(w, map[string]any{"ARN": id, "VersionId": "v1", "VersionStages": []string{"AWSCURRENT"}})
	case "GetSecretValue":
		v, ok := s.values[id]
		if !ok {
			fail(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value.")
			return
		}
		reply(w, map[string]any{"ARN": id, "SecretString": v})
	default:
		fail(w, "InvalidRequestException", "not faked: "+r.Header.Get("X-Amz-Target"))
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
