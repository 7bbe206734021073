// Package fakesecrets is a fake Secrets Manager on 127.0.0.1 for the real
// aws-sdk-go-v2 client (JSON 1.1 protocol): PutSecretValue, GetSecretValue,
// DescribeSecret and UpdateSecretVersionStage, with versions and staging labels
// as Secrets Manager keeps them:
//
//   - PutSecretValue creates a version (its VersionId is the ClientRequestToken,
//     or a generated one) with the labels in VersionStages, AWSCURRENT when none
//     is given; the first version of a secret always gets AWSCURRENT too. A label
//     given moves from the version that had it; AWSCURRENT moving leaves
//     AWSPREVIOUS on the version it left. The same token with the same value is
//     a no-op; with another value, an error (a version never changes).
//   - GetSecretValue reads by VersionId and/or VersionStage (AWSCURRENT by default).
//   - UpdateSecretVersionStage moves a label (MoveToVersionId) and/or removes it
//     (RemoveFromVersionId); a label attached elsewhere moves only when
//     RemoveFromVersionId names where it is, and AWSCURRENT is never just removed.
//
// A secret is any SecretId: one never written has no versions (the engine's
// fake provider, not this fake, creates the secret resource).
package fakesecrets

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
)

// Stages Secrets Manager gives meaning to.
const (
	Current  = "AWSCURRENT"
	Pending  = "AWSPENDING"
	Previous = "AWSPREVIOUS"
)

// Version is one version of a secret.
type Version struct {
	ID     string
	Value  string
	Stages []string
}

type secret struct {
	versions []*Version // in creation order
}

func (s *secret) byID(id string) *Version {
	for _, v := range s.versions {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (s *secret) byStage(stage string) *Version {
	for _, v := range s.versions {
		if has(v.Stages, stage) {
			return v
		}
	}
	return nil
}

// Server is the fake endpoint.
type Server struct {
	*httptest.Server

	mu      sync.Mutex
	secrets map[string]*secret
	// Puts counts PutSecretValue calls; Fail, when set, fails them with this message.
	Puts int
	Fail string
	// FailAction, when set, fails any action (PutSecretValue, GetSecretValue,
	// DescribeSecret, UpdateSecretVersionStage) for which it returns a message.
	FailAction func(action string, in map[string]any) string
	// Calls lists the actions called, in order.
	Calls []string
}

// Start serves the fake; Close stops it.
func Start() *Server {
	s := &Server{secrets: map[string]*secret{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Value returns a secret's current (AWSCURRENT) string.
func (s *Server) Value(id string) (string, bool) {
	v, ok := s.Stage(id, Current)
	if !ok {
		return "", false
	}
	return v.Value, true
}

// Stage returns the version of a secret that has the staging label.
func (s *Server) Stage(id, stage string) (Version, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[id]
	if sec == nil {
		return Version{}, false
	}
	v := sec.byStage(stage)
	if v == nil {
		return Version{}, false
	}
	return Version{ID: v.ID, Value: v.Value, Stages: append([]string(nil), v.Stages...)}, true
}

// Versions returns a secret's versions, in creation order.
func (s *Server) Versions(id string) []Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Version
	if sec := s.secrets[id]; sec != nil {
		for _, v := range sec.versions {
			out = append(out, Version{ID: v.ID, Value: v.Value, Stages: append([]string(nil), v.Stages...)})
		}
	}
	return out
}

// Put writes a version directly (a test's setup), as PutSecretValue would.
func (s *Server) Put(id, versionID, value string, stages ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, code, msg := s.put(id, versionID, value, stages)
	if code != "" {
		return &apiError{code, msg}
	}
	return nil
}

type apiError struct{ code, msg string }

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func without(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// attach moves a label to v from wherever it is; AWSCURRENT leaves AWSPREVIOUS behind.
func (sec *secret) attach(v *Version, stage string) {
	if has(v.Stages, stage) {
		return
	}
	for _, o := range sec.versions {
		if o != v && has(o.Stages, stage) {
			o.Stages = without(o.Stages, stage)
			if stage == Current {
				for _, p := range sec.versions {
					p.Stages = without(p.Stages, Previous)
				}
				o.Stages = append(o.Stages, Previous)
			}
		}
	}
	v.Stages = without(v.Stages, Previous)
	v.Stages = append(v.Stages, stage)
	sort.Strings(v.Stages)
}

func (s *Server) put(id, token, value string, stages []string) (*Version, string, string) {
	sec := s.secrets[id]
	if sec == nil {
		sec = &secret{}
		s.secrets[id] = sec
	}
	if token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		token = hex.EncodeToString(b)
	}
	if v := sec.byID(token); v != nil {
		if v.Value != value {
			return nil, "ResourceExistsException", "You can't modify an existing version, you can only create a new version."
		}
		return v, "", ""
	}
	if len(stages) == 0 {
		stages = []string{Current}
	}
	v := &Version{ID: token, Value: value}
	first := len(sec.versions) == 0
	sec.versions = append(sec.versions, v)
	if first && !has(stages, Current) {
		stages = append(stages, Current) // the first version is always current
	}
	for _, st := range stages {
		sec.attach(v, st)
	}
	return v, "", ""
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, "InvalidRequestException", err.Error())
		return
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	id := str("SecretId")
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls = append(s.Calls, action)
	if s.FailAction != nil {
		if msg := s.FailAction(action, in); msg != "" {
			fail(w, "AccessDeniedException", msg)
			return
		}
	}
	sec := s.secrets[id]
	switch action {
	case "PutSecretValue":
		s.Puts++
		if s.Fail != "" {
			fail(w, "AccessDeniedException", s.Fail)
			return
		}
		var stages []string
		if list, ok := in["VersionStages"].([]any); ok {
			for _, st := range list {
				if v, ok := st.(string); ok {
					stages = append(stages, v)
				}
			}
		}
		v, code, msg := s.put(id, str("ClientRequestToken"), str("SecretString"), stages)
		if code != "" {
			fail(w, code, msg)
			return
		}
		reply(w, map[string]any{"ARN": id, "VersionId": v.ID, "VersionStages": v.Stages})
	case "GetSecretValue":
		versionID, stage := str("VersionId"), str("VersionStage")
		if versionID == "" && stage == "" {
			stage = Current
		}
		var v *Version
		if sec != nil {
			if versionID != "" {
				v = sec.byID(versionID)
				if v != nil && stage != "" && !has(v.Stages, stage) {
					v = nil
				}
			} else {
				v = sec.byStage(stage)
			}
		}
		if v == nil {
			fail(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+stage)
			return
		}
		reply(w, map[string]any{"ARN": id, "SecretString": v.Value, "VersionId": v.ID, "VersionStages": v.Stages})
	case "DescribeSecret":
		stages := map[string][]string{}
		if sec != nil {
			for _, v := range sec.versions {
				if len(v.Stages) > 0 { // as AWS lists them: versions without labels are deprecated
					stages[v.ID] = v.Stages
				}
			}
		}
		reply(w, map[string]any{"ARN": id, "Name": id, "VersionIdsToStages": stages})
	case "UpdateSecretVersionStage":
		stage, move, remove := str("VersionStage"), str("MoveToVersionId"), str("RemoveFromVersionId")
		if sec == nil {
			fail(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		holder := sec.byStage(stage)
		if remove != "" && (holder == nil || holder.ID != remove) {
			fail(w, "InvalidParameterException", "The parameter RemoveFromVersionId doesn't match the version that has the staging label "+stage+".")
			return
		}
		if move == "" {
			if remove == "" || stage == Current {
				fail(w, "InvalidParameterException", "You can't remove the staging label AWSCURRENT without moving it to another version.")
				return
			}
			holder.Stages = without(holder.Stages, stage)
			reply(w, map[string]any{"ARN": id, "Name": id})
			return
		}
		target := sec.byID(move)
		if target == nil {
			fail(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret version: "+move)
			return
		}
		if holder != nil && holder != target && remove == "" {
			fail(w, "InvalidParameterException", "The staging label "+stage+" is currently attached to version "+holder.ID+
				", but you didn't specify the RemoveFromVersionId parameter.")
			return
		}
		sec.attach(target, stage)
		reply(w, map[string]any{"ARN": id, "Name": id})
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
