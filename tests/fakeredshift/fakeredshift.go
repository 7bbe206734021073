// Package fakeredshift is a fake Redshift Data API on 127.0.0.1: it speaks the
// service's JSON protocol to the real aws-sdk-go-v2 client, records every SQL
// text it receives, and runs nothing. Tests decide how statements end.
package fakeredshift

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Server is the fake endpoint.
type Server struct {
	*httptest.Server

	mu sync.Mutex
	// Fail returns a Redshift error for a statement that should fail ("" = success).
	Fail func(sql string) string
	// Rows returns how many rows a single statement returns (the existence checks).
	Rows func(sql string) int64
	// Hang keeps statements running forever (to test timeouts).
	Hang bool
	// PendingPolls is how many DescribeStatement calls see STARTED before the end.
	PendingPolls int

	statements map[string]*statement
	// Log is every batch and single statement received, in order.
	Log []Call
	// Cancelled lists cancelled statement ids.
	Cancelled []string
	next      int
}

// Call is one submission: a batch (Batch true) or a single statement.
type Call struct {
	Batch         bool
	Sqls          []string
	WorkgroupName string
	Database      string
	SecretArn     string
}

type statement struct {
	id     string
	sqls   []string
	polls  int
	status string
	failAt int
	errMsg string
	rows   int64
	batch  bool
}

// Start serves the fake on 127.0.0.1; Close stops it.
func Start() *Server {
	s := &Server{statements: map[string]*statement{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Calls returns a copy of the log.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.Log...)
}

// AllSQL returns every SQL text received, in order.
func (s *Server) AllSQL() []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Sqls...)
	}
	return out
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "RedshiftData.")
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	str := func(k string) string { v, _ := in[k].(string); return v }
	switch op {
	case "BatchExecuteStatement", "ExecuteStatement":
		c := Call{Batch: op == "BatchExecuteStatement", WorkgroupName: str("WorkgroupName"), Database: str("Database"), SecretArn: str("SecretArn")}
		if c.Batch {
			for _, q := range in["Sqls"].([]any) {
				c.Sqls = append(c.Sqls, q.(string))
			}
		} else {
			c.Sqls = []string{str("Sql")}
		}
		if c.WorkgroupName == "" || c.Database == "" || len(c.Sqls) == 0 {
			fail(w, "ValidationException", "WorkgroupName, Database and SQL are required")
			return
		}
		s.Log = append(s.Log, c)
		s.next++
		st := &statement{id: fmt.Sprintf("00000000-0000-0000-0000-%012d", s.next), sqls: c.Sqls, status: "STARTED", failAt: -1, batch: c.Batch}
		for i, q := range c.Sqls {
			if s.Fail != nil {
				if msg := s.Fail(q); msg != "" {
					st.failAt, st.errMsg = i, msg
					break
				}
			}
		}
		if !c.Batch && s.Rows != nil {
			st.rows = s.Rows(c.Sqls[0])
		}
		s.statements[st.id] = st
		reply(w, map[string]any{"Id": st.id, "Database": c.Database, "WorkgroupName": c.WorkgroupName})
	case "DescribeStatement":
		st, ok := s.statements[str("Id")]
		if !ok {
			fail(w, "ResourceNotFoundException", "Query does not exist.")
			return
		}
		st.polls++
		if st.status == "STARTED" && !s.Hang && st.polls > s.PendingPolls {
			st.status = "FINISHED"
			if st.failAt >= 0 {
				st.status = "FAILED"
			}
		}
		out := map[string]any{"Id": st.id, "Status": st.status, "QueryString": strings.Join(st.sqls, "; "), "ResultRows": st.rows}
		if st.status == "FAILED" {
			out["Error"] = st.errMsg
		}
		if st.batch {
			var subs []any
			for i, q := range st.sqls {
				sub := map[string]any{"Id": fmt.Sprintf("%s:%d", st.id, i+1), "QueryString": q, "Status": subStatus(st, i)}
				if st.status == "FAILED" && i == st.failAt {
					sub["Error"] = st.errMsg
				}
				subs = append(subs, sub)
			}
			out["SubStatements"] = subs
		}
		reply(w, out)
	case "CancelStatement":
		st, ok := s.statements[str("Id")]
		if !ok {
			fail(w, "ResourceNotFoundException", "Query does not exist.")
			return
		}
		st.status = "ABORTED"
		s.Cancelled = append(s.Cancelled, st.id)
		reply(w, map[string]any{"Status": true})
	default:
		fail(w, "UnknownOperationException", op)
	}
}

// subStatus mirrors Redshift: statements before the failing one finished, the
// failing one failed, the rest were aborted with the transaction.
func subStatus(st *statement, i int) string {
	switch st.status {
	case "FINISHED":
		return "FINISHED"
	case "FAILED":
		switch {
		case i < st.failAt:
			return "FINISHED"
		case i == st.failAt:
			return "FAILED"
		}
		return "ABORTED"
	}
	return st.status
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
