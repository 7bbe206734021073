// Package fakeredshift is a fake Redshift Data API on 127.0.0.1: it speaks the
// service's JSON protocol to the real aws-sdk-go-v2 client and records every
// SQL text it receives. By default it runs nothing and tests decide how
// statements end (Fail, Rows, Hang); with a Catalog it runs them against a
// small model of Redshift's catalog that refuses what Redshift refuses (see
// catalog.go). Transient and Refuse inject the failures a retry must survive;
// DescribeFail and CancelTooLate a statement that committed although its
// caller saw it fail.
package fakeredshift

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
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
	// Result returns a finished single statement's one value for
	// GetStatementResult (a number, a string, or nil for NULL); nil: no records.
	Result func(sql string) any
	// Hang keeps statements running forever (to test timeouts).
	Hang bool
	// PendingPolls is how many DescribeStatement calls see STARTED before the end.
	PendingPolls int
	// Catalog, when set, runs every statement when it finishes (the
	// DescribeStatement that ends it): a BatchExecuteStatement as one
	// transaction (all or nothing), an ExecuteStatement on its own (autocommit,
	// outside a transaction block). A refused statement ends FAILED with
	// Redshift's message, as a Fail does; Fail and Transient take precedence.
	// When Rows is nil, a single statement's ResultRows is what the catalog
	// returned (the existence checks: 1 or 0).
	Catalog *Catalog
	// Transient can fail the attempt-th submission (1, 2, …) of the same SQL
	// texts with a statement error such as SerializableIsolationViolation
	// (""= no failure). It is asked for each statement of a batch; the first
	// message fails that statement and the batch, nothing of it applies.
	Transient func(sql string, attempt int) string
	// Refuse can make the attempt-th BatchExecuteStatement or ExecuteStatement
	// call with the same SQL texts fail as an API error (HTTP 400 with the
	// error's code) before any statement is created: nil = accept. Note that
	// the AWS SDK itself retries ThrottlingException (3 attempts by default),
	// and each retry is an attempt here.
	Refuse func(sqls []string, attempt int) *APIError
	// DescribeFail can make a DescribeStatement call fail as an API error
	// after the fake has moved the statement on: a statement this call ends
	// is committed (or failed) all the same, only the caller does not see it
	// — "committed but looked failed". status is the statement's status after
	// the call (STARTED, FINISHED, FAILED, ABORTED); nil = never fail.
	DescribeFail func(id string, sqls []string, status string) *APIError
	// CancelTooLate makes a CancelStatement arrive just after the statement
	// ended: a running statement finishes first (it runs, as the
	// DescribeStatement that ends it would), and the cancel is refused, as
	// for any statement that already ended.
	CancelTooLate bool

	statements map[string]*statement
	// Log is every batch and single statement received, in order.
	Log []Call
	// Cancelled lists cancelled statement ids (a refused cancel is not listed).
	Cancelled []string
	next      int
	attempts  map[string]int
}

// APIError is a Data API error response: its __type code and message.
type APIError struct{ Code, Message string }

// Throttling is the Data API's throttling error (retried by the AWS SDK itself).
func Throttling() *APIError {
	return &APIError{"ThrottlingException", "Rate exceeded"}
}

// ActiveStatementsExceeded is the Data API's error when the workgroup runs
// too many statements; its message is the SDK's documented one
// (types.ActiveStatementsExceededException, aws-sdk-go-v2 redshiftdata).
func ActiveStatementsExceeded() *APIError {
	return &APIError{"ActiveStatementsExceededException", "The number of active statements exceeds the limit."}
}

// SerializableIsolationViolation is Redshift's error 1023, which a retry may
// get past (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html).
const SerializableIsolationViolation = "ERROR: 1023 DETAIL: Serializable isolation violation on table - 123456, " +
	"transactions forming the cycle are: 1001, 1002 (pid:4242)"

// FailFirst is a Transient hook failing the first n submissions of every
// statement containing substr with msg.
func FailFirst(substr string, n int, msg string) func(sql string, attempt int) string {
	return func(sql string, attempt int) string {
		if strings.Contains(sql, substr) && attempt <= n {
			return msg
		}
		return ""
	}
}

// InternalServerError is the Data API's error for a failure on its side.
func InternalServerError() *APIError {
	return &APIError{"InternalServerException", "The request processing has failed because of an unknown error."}
}

// FailDescribeOnceFinished is a DescribeFail hook: the first DescribeStatement
// that sees a statement containing substr FINISHED fails with e (once per
// statement), so the statement committed but its caller saw an error. Note
// that the AWS SDK itself retries some errors (InternalServerException,
// throttling): each retry is a DescribeStatement call here.
func FailDescribeOnceFinished(substr string, e *APIError) func(id string, sqls []string, status string) *APIError {
	var mu sync.Mutex
	failed := map[string]bool{}
	return func(id string, sqls []string, status string) *APIError {
		mu.Lock()
		defer mu.Unlock()
		if status != "FINISHED" || failed[id] || !strings.Contains(strings.Join(sqls, "\x00"), substr) {
			return nil
		}
		failed[id] = true
		return e
	}
}

// Call is one submission: a batch (Batch true) or a single statement.
type Call struct {
	Batch bool
	Sqls  []string
	// WorkgroupName (Serverless) or ClusterIdentifier (provisioned): one of them.
	WorkgroupName     string
	ClusterIdentifier string
	Database          string
	SecretArn         string
	// Parameters are ExecuteStatement's named parameters, name → value.
	Parameters map[string]string
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
	s := &Server{statements: map[string]*statement{}, attempts: map[string]int{}}
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
		c := Call{Batch: op == "BatchExecuteStatement", WorkgroupName: str("WorkgroupName"), ClusterIdentifier: str("ClusterIdentifier"),
			Database: str("Database"), SecretArn: str("SecretArn")}
		if c.Batch {
			for _, q := range in["Sqls"].([]any) {
				c.Sqls = append(c.Sqls, q.(string))
			}
		} else {
			c.Sqls = []string{str("Sql")}
		}
		// The Data API addresses a Serverless workgroup or a provisioned
		// cluster, never both (ExecuteStatement, "WorkgroupName … ClusterIdentifier",
		// https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ExecuteStatement.html).
		if (c.WorkgroupName == "") == (c.ClusterIdentifier == "") || c.Database == "" || len(c.Sqls) == 0 {
			fail(w, "ValidationException", "one of WorkgroupName or ClusterIdentifier, Database and SQL are required")
			return
		}
		if !c.Batch {
			var msg string
			if c.Parameters, msg = parameters(in["Parameters"], c.Sqls[0]); msg != "" {
				fail(w, "ValidationException", msg)
				return
			}
		}
		s.Log = append(s.Log, c)
		key := strings.Join(c.Sqls, "\x00")
		s.attempts[key]++
		attempt := s.attempts[key]
		if s.Refuse != nil {
			if e := s.Refuse(c.Sqls, attempt); e != nil {
				fail(w, e.Code, e.Message)
				return
			}
		}
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
		if st.failAt < 0 && s.Transient != nil {
			for i, q := range c.Sqls {
				if msg := s.Transient(q, attempt); msg != "" {
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
			s.finish(st)
		}
		if s.DescribeFail != nil {
			if e := s.DescribeFail(st.id, st.sqls, st.status); e != nil {
				fail(w, e.Code, e.Message)
				return
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
	case "GetStatementResult":
		// Records of Field unions ("Field", https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_Field.html);
		// only a FINISHED statement has a result.
		st, ok := s.statements[str("Id")]
		if !ok || st.status != "FINISHED" {
			fail(w, "ResourceNotFoundException", "Query does not exist or has no result.")
			return
		}
		var records []any
		if s.Result != nil {
			switch v := s.Result(st.sqls[0]).(type) {
			case nil:
				records = []any{[]any{map[string]any{"isNull": true}}}
			case int64:
				records = []any{[]any{map[string]any{"longValue": v}}}
			case float64:
				records = []any{[]any{map[string]any{"doubleValue": v}}}
			case string:
				records = []any{[]any{map[string]any{"stringValue": v}}}
			}
		}
		reply(w, map[string]any{"Records": records, "TotalNumRows": len(records)})
	case "CancelStatement":
		st, ok := s.statements[str("Id")]
		if !ok {
			fail(w, "ResourceNotFoundException", "Query does not exist.")
			return
		}
		if st.status == "STARTED" && s.CancelTooLate {
			s.finish(st)
		}
		if st.status != "STARTED" {
			// Redshift refuses too; the wording is the fake's.
			fail(w, "ValidationException", fmt.Sprintf("Could not cancel a query that is already in %s state.", st.status))
			return
		}
		st.status = "ABORTED"
		s.Cancelled = append(s.Cancelled, st.id)
		reply(w, map[string]any{"Status": true})
	default:
		fail(w, "UnknownOperationException", op)
	}
}

// finish ends a running statement: FINISHED, or FAILED when a hook or the
// catalog fails it.
func (s *Server) finish(st *statement) {
	st.status = "FINISHED"
	if st.failAt < 0 && s.Catalog != nil {
		s.runCatalog(st)
	}
	if st.failAt >= 0 {
		st.status = "FAILED"
	}
}

// runCatalog runs a finishing statement against the catalog.
func (s *Server) runCatalog(st *statement) {
	if st.batch {
		if i, err := s.Catalog.Batch(st.sqls); err != nil {
			st.failAt, st.errMsg = i, err.Error()
		}
		return
	}
	rows, err := s.Catalog.Exec(st.sqls[0])
	if err != nil {
		st.failAt, st.errMsg = 0, err.Error()
		return
	}
	if s.Rows == nil {
		st.rows = rows
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

// Named parameters (ExecuteStatement's Parameters, "SqlParameter":
// https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_SqlParameter.html):
// a name matches [0-9a-zA-Z_]+, a value has at least one character, and the
// SQL names each as :name. Whether the Data API or the engine refuses a
// parameter the SQL does not use, or a :name with no parameter, and with what
// words, is APPROXIMATE here: both are refused, since neither can run as meant.
var (
	reParamName = regexp.MustCompile(`^[0-9a-zA-Z_]+$`)
	// Quoted strings and identifiers are skipped ('…' with '' inside, "…").
	reQuoted   = regexp.MustCompile(`'(?:[^']|'')*'|"(?:[^"]|"")*"`)
	reParamUse = regexp.MustCompile(`(?:^|[^:]):([0-9a-zA-Z_]+)`)
)

func parameters(raw any, sql string) (map[string]string, string) {
	given := map[string]string{}
	list, _ := raw.([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		name, _ := m["name"].(string)
		value, _ := m["value"].(string)
		if !reParamName.MatchString(name) || value == "" {
			return nil, fmt.Sprintf("parameter %q: a name of [0-9a-zA-Z_]+ and a value of at least one character are required", name)
		}
		given[name] = value
	}
	used := map[string]bool{}
	for _, m := range reParamUse.FindAllStringSubmatch(reQuoted.ReplaceAllString(sql, "''"), -1) {
		used[m[1]] = true
		if _, ok := given[m[1]]; !ok {
			return nil, fmt.Sprintf("the SQL names :%s and no parameter gives it", m[1])
		}
	}
	for name := range given {
		if !used[name] {
			return nil, fmt.Sprintf("parameter %s is not used in the SQL", name)
		}
	}
	if len(given) == 0 {
		return nil, ""
	}
	return given, ""
}
