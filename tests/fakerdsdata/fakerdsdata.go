// Package fakerdsdata is a fake RDS Data API on 127.0.0.1: it speaks the
// service's REST-JSON protocol to the real aws-sdk-go-v2 client, records every
// statement with its transaction, and runs nothing.
package fakerdsdata

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Server is the fake endpoint.
type Server struct {
	*httptest.Server

	mu sync.Mutex
	// Fail returns the database's error for a statement that should fail ("" = success).
	Fail func(sql string) string
	// Rows returns how many rows a statement outside a transaction returns.
	Rows func(sql string) int
	// Log is every statement, in order, with the transaction it ran in ("" outside one).
	Log []Statement
	// Committed and RolledBack list transaction ids.
	Committed, RolledBack []string
	next                  int
}

// Statement is one executed statement.
type Statement struct {
	SQL, Transaction, ResourceArn, SecretArn, Database string
}

// Start serves the fake; Close stops it.
func Start() *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Statements returns a copy of the log.
func (s *Server) Statements() []Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Statement(nil), s.Log...)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, "BadRequestException", err.Error())
		return
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	if str("resourceArn") == "" || str("secretArn") == "" {
		fail(w, "BadRequestException", "resourceArn and secretArn are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/BeginTransaction":
		s.next++
		reply(w, map[string]any{"transactionId": fmt.Sprintf("tx-%d", s.next)})
	case "/Execute":
		st := Statement{SQL: str("sql"), Transaction: str("transactionId"), ResourceArn: str("resourceArn"), SecretArn: str("secretArn"), Database: str("database")}
		s.Log = append(s.Log, st)
		if s.Fail != nil {
			if msg := s.Fail(st.SQL); msg != "" {
				fail(w, "DatabaseErrorException", msg)
				return
			}
		}
		records := []any{}
		if s.Rows != nil && st.Transaction == "" {
			for range s.Rows(st.SQL) {
				records = append(records, []any{map[string]any{"longValue": 1}})
			}
		}
		reply(w, map[string]any{"numberOfRecordsUpdated": 0, "records": records})
	case "/CommitTransaction":
		s.Committed = append(s.Committed, str("transactionId"))
		reply(w, map[string]any{"transactionStatus": "Transaction Committed"})
	case "/RollbackTransaction":
		s.RolledBack = append(s.RolledBack, str("transactionId"))
		reply(w, map[string]any{"transactionStatus": "Rollback Complete"})
	default:
		fail(w, "NotFoundException", r.URL.Path)
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
