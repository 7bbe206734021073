// Package fakelogs is a CloudWatch Logs endpoint for haina's provider in
// tests: the log-group calls LogGroupSettings makes, with the rules AWS
// documents for them (each with its page), on 127.0.0.1.
package fakelogs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Group is a log group as the fake holds it.
type Group struct {
	Name      string
	Retention int // days; 0: never expires (a group a service created)
	KmsKeyID  string
}

// Server is the fake endpoint. KeyUsable, when set, decides whether
// CloudWatch Logs may use a key for a group (its key policy); nil allows any.
type Server struct {
	URL       string
	KeyUsable func(keyArn, groupArn string) error
	Region    string
	Account   string

	mu     sync.Mutex
	groups map[string]*Group
	srv    *httptest.Server
}

// Start serves on 127.0.0.1 until Close.
func Start() *Server {
	s := &Server{groups: map[string]*Group{}, Region: "us-east-1", Account: "123456789012"}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Seed adds a group as an AWS service creates it: no retention, no key
// (Redshift's audit logs: "The log group uses the default log-retention
// period of Never Expire", https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-audit-logging.html).
func (s *Server) Seed(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[name] = &Group{Name: name}
}

// Groups returns the groups, sorted by name.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Group
	for _, g := range s.groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// retention days CloudWatch Logs accepts (PutRetentionPolicy,
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
var retention = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true, 180: true,
	365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

// A log group name: 1–512 characters of a-z, A-Z, 0-9, '_', '-', '/', '.', '#'
// (CreateLogGroup, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
var reName = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)

func (s *Server) groupArn(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.Region, s.Account, name)
}

func fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	var in struct {
		LogGroupName, KmsKeyId, LogGroupNamePrefix string
		RetentionInDays                            int
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[in.LogGroupName]
	missing := func() bool {
		if g == nil {
			fail(w, "ResourceNotFoundException", "The specified log group does not exist.")
			return true
		}
		return false
	}
	// Encrypting with a key the logs service may not use for this group fails
	// (AssociateKmsKey and CreateLogGroup, "Encrypt log data in CloudWatch
	// Logs using AWS KMS", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
	keyRefused := func(key string) bool {
		if key == "" || s.KeyUsable == nil {
			return false
		}
		if err := s.KeyUsable(key, s.groupArn(in.LogGroupName)); err != nil {
			fail(w, "AccessDeniedException", err.Error())
			return true
		}
		return false
	}
	switch op {
	case "CreateLogGroup":
		switch {
		case !reName.MatchString(in.LogGroupName):
			fail(w, "InvalidParameterException", fmt.Sprintf("log group name %q: 1-512 of [.-_/#A-Za-z0-9]", in.LogGroupName))
		case g != nil:
			fail(w, "ResourceAlreadyExistsException", "The specified log group already exists")
		case keyRefused(in.KmsKeyId):
		default:
			s.groups[in.LogGroupName] = &Group{Name: in.LogGroupName, KmsKeyID: in.KmsKeyId}
			reply(w, map[string]any{})
		}
	case "PutRetentionPolicy":
		switch {
		case missing():
		case !retention[in.RetentionInDays]:
			fail(w, "InvalidParameterException", fmt.Sprintf("retentionInDays %d is not one of the allowed values", in.RetentionInDays))
		default:
			g.Retention = in.RetentionInDays
			reply(w, map[string]any{})
		}
	case "AssociateKmsKey":
		if !missing() && !keyRefused(in.KmsKeyId) {
			g.KmsKeyID = in.KmsKeyId
			reply(w, map[string]any{})
		}
	case "DeleteLogGroup":
		if !missing() {
			delete(s.groups, in.LogGroupName)
			reply(w, map[string]any{})
		}
	case "DisassociateKmsKey":
		if !missing() {
			g.KmsKeyID = ""
			reply(w, map[string]any{})
		}
	case "DescribeLogGroups":
		var out []map[string]any
		for _, name := range sortedNames(s.groups) {
			if strings.HasPrefix(name, in.LogGroupNamePrefix) {
				gr := s.groups[name]
				m := map[string]any{"logGroupName": name, "arn": s.groupArn(name) + ":*"}
				if gr.Retention > 0 {
					m["retentionInDays"] = gr.Retention
				}
				if gr.KmsKeyID != "" {
					m["kmsKeyId"] = gr.KmsKeyID
				}
				out = append(out, m)
			}
		}
		reply(w, map[string]any{"logGroups": out})
	default:
		fail(w, "UnknownOperationException", "fakelogs does not implement "+op)
	}
}

func sortedNames(m map[string]*Group) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
