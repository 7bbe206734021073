package fakeredshift

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Catalog is a small model of a Redshift database's catalog: schemas (local
// and external), tables, views, materialized views, procedures, roles, COPY
// jobs and databases. It runs the statement forms haina renders (sql/*.tmpl)
// and refuses what real Redshift refuses, with Redshift's (PostgreSQL's)
// message where it is known. It keeps no rows: DELETE, COPY and CALL only
// check that their objects exist.
//
// A statement it does not understand fails with "fake Redshift does not
// understand: …", so an untested form is never silently accepted.
//
// Give it to a Server (s.Catalog = NewCatalog()) to run every statement the
// fake receives, or call Exec and Batch directly.
type Catalog struct {
	// StreamExists says whether a Kinesis stream exists, for a streaming MV
	// reading it through a FROM KINESIS external schema; nil: don't check.
	StreamExists func(name string) bool
	// TopicExists says whether a Kafka topic exists, for a streaming MV
	// reading it through a FROM MSK or FROM KAFKA external schema; nil: don't check.
	TopicExists func(topic string) bool
	// IntegrationExists says whether a zero-ETL integration exists (by its
	// id), for CREATE and DROP DATABASE of its destination; nil: don't check.
	IntegrationExists func(id string) bool

	mu sync.Mutex
	st state
}

// NewCatalog returns an empty database: only the public schema.
func NewCatalog() *Catalog {
	return &Catalog{st: state{
		schemas: map[string]schemaInfo{"public": {}},
		rels:    map[name]relation{},
		procs:   map[name]bool{},
		roles:   map[string]bool{},
		users:   map[string]bool{},
		jobs:    map[string]name{},
		dbs:     map[string]string{},
		selects: map[selectGrant]bool{}, roleGrants: map[[2]string]bool{}, usages: map[[2]string]bool{},
	}}
}

// Grants lists the grants in force, sorted: "SELECT ON s.t TO r" and "ROLE x TO r".
func (c *Catalog) Grants() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for g := range c.st.selects {
		out = append(out, "SELECT ON "+g.rel.String()+" TO "+g.role)
	}
	for g := range c.st.roleGrants {
		out = append(out, "ROLE "+g[1]+" TO "+g[0])
	}
	for g := range c.st.usages {
		out = append(out, "USAGE ON SCHEMA "+g[0]+" TO "+g[1])
	}
	sort.Strings(out)
	return out
}

const (
	kindTable = "table"
	kindView  = "view"
	kindMV    = "materialized view"
)

type schemaInfo struct {
	source string // "" for a local schema; KINESIS, MSK or KAFKA for an external one
}

type relation struct {
	kind        string
	reads       []name // the local relations it is defined on: it depends on them
	external    string // the external schema a streaming MV reads from
	autoRefresh bool
}

type state struct {
	schemas map[string]schemaInfo
	rels    map[name]relation
	procs   map[name]bool
	roles   map[string]bool
	users   map[string]bool
	jobs    map[string]name // COPY job → the table it loads
	dbs     map[string]string
	// selects: SELECT granted on a relation to a role; roleGrants: a role
	// (sys:monitor too) granted to a role. Dropping either side drops the grant.
	selects    map[selectGrant]bool
	roleGrants map[[2]string]bool
	usages     map[[2]string]bool // {schema, role}: USAGE on a schema
}

type selectGrant struct {
	rel  name
	role string
}

// systemRoles are Redshift's system-defined roles, which always exist
// ("Amazon Redshift system-defined roles",
// https://docs.aws.amazon.com/redshift/latest/dg/r_roles-default.html).
var systemRoles = map[string]bool{"sys:monitor": true, "sys:operator": true, "sys:dba": true, "sys:superuser": true, "sys:secadmin": true}

func (s state) clone() state {
	c := state{
		schemas: map[string]schemaInfo{}, rels: map[name]relation{}, procs: map[name]bool{},
		roles: map[string]bool{}, users: map[string]bool{}, jobs: map[string]name{}, dbs: map[string]string{},
		selects: map[selectGrant]bool{}, roleGrants: map[[2]string]bool{}, usages: map[[2]string]bool{},
	}
	for k, v := range s.usages {
		c.usages[k] = v
	}
	for k, v := range s.selects {
		c.selects[k] = v
	}
	for k, v := range s.roleGrants {
		c.roleGrants[k] = v
	}
	for k, v := range s.schemas {
		c.schemas[k] = v
	}
	for k, v := range s.rels {
		c.rels[k] = v // reads is never modified in place
	}
	for k, v := range s.procs {
		c.procs[k] = v
	}
	for k, v := range s.roles {
		c.roles[k] = v
	}
	for k, v := range s.users {
		c.users[k] = v
	}
	for k, v := range s.jobs {
		c.jobs[k] = v
	}
	for k, v := range s.dbs {
		c.dbs[k] = v
	}
	return c
}

// Exec runs one statement on its own, as ExecuteStatement does (autocommit,
// not in a transaction block), and returns the rows a query returned (the
// existence checks answer 1 or 0). On an error nothing changes.
func (c *Catalog) Exec(sql string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st.clone()
	rows, err := c.run(&st, sql, false)
	if err == nil {
		c.st = st
	}
	return rows, err
}

// Batch runs statements as one transaction, as BatchExecuteStatement does:
// all of them apply, or (on the first error, whose index it returns) none.
func (c *Catalog) Batch(sqls []string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st.clone()
	for i, q := range sqls {
		if _, err := c.run(&st, q, true); err != nil {
			return i, err
		}
	}
	c.st = st
	return -1, nil
}

// Objects lists every object, sorted, as "kind name" (the public schema,
// always there, is left out): empty when everything created was dropped.
func (c *Catalog) Objects() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for n, s := range c.st.schemas {
		switch {
		case n == "public":
		case s.source != "":
			out = append(out, fmt.Sprintf("external schema %s (FROM %s)", n, s.source))
		default:
			out = append(out, "schema "+n)
		}
	}
	for n, r := range c.st.rels {
		out = append(out, r.kind+" "+n.String())
	}
	for n := range c.st.procs {
		out = append(out, "procedure "+n.String()+"()")
	}
	for n := range c.st.roles {
		out = append(out, "role "+n)
	}
	for n := range c.st.users {
		out = append(out, "user "+n)
	}
	for j := range c.st.jobs {
		out = append(out, "copy job "+j)
	}
	for d := range c.st.dbs {
		out = append(out, "database "+d)
	}
	sort.Strings(out)
	return out
}

// redshiftError is a statement error as the Data API reports it in
// DescribeStatement's Error: "ERROR: " and the server's message.
func redshiftError(format string, args ...any) error {
	return fmt.Errorf("ERROR: "+format, args...)
}

// notUnderstood refuses a statement form the catalog does not model.
func notUnderstood(sql string) error {
	s := strings.Join(strings.Fields(sql), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80])
	}
	return fmt.Errorf("fake Redshift does not understand: %s", s)
}

// display is a relation's name as PostgreSQL's dependency messages print it:
// qualified unless it is in the search path (public).
func display(n name) string {
	if n.schema == "public" {
		return n.name
	}
	return n.String()
}

func (c *Catalog) run(st *state, sql string, inTx bool) (int64, error) {
	toks, err := lex(sql)
	if err != nil || len(toks) == 0 {
		return 0, notUnderstood(sql)
	}
	p := &parser{toks: toks}
	var h func() error
	switch {
	case p.kw("set"), p.kw("reset"):
		return 0, nil // session settings (enable_case_sensitive_identifier, …): no effect here
	case p.isKw("select"):
		return c.query(st, p, sql)
	case p.kw("create"):
		orReplace := p.kw("or", "replace")
		switch {
		case !orReplace && p.kw("schema"):
			h = func() error { return createSchema(st, p) }
		case !orReplace && p.kw("external", "schema"):
			h = func() error { return createExternalSchema(st, p) }
		case !orReplace && p.kw("materialized", "view"):
			h = func() error { return c.createMV(st, p) }
		case p.kw("view"):
			h = func() error { return createView(st, p, orReplace) }
		case !orReplace && p.kw("table"):
			h = func() error { return createTable(st, p) }
		case p.kw("procedure"):
			h = func() error { return createProcedure(st, p, orReplace) }
		case !orReplace && p.kw("role"):
			h = func() error { return createRole(st, p) }
		case !orReplace && p.kw("user"):
			h = func() error { return createUser(st, p) }
		case !orReplace && p.kw("database"):
			h = func() error { return c.createDatabase(st, p, inTx) }
		}
	case p.kw("drop"):
		switch {
		case p.kw("schema"):
			h = func() error { return dropSchema(st, p) }
		case p.kw("materialized", "view"):
			h = func() error { return dropRelation(st, p, kindMV) }
		case p.kw("view"):
			h = func() error { return dropRelation(st, p, kindView) }
		case p.kw("table"):
			h = func() error { return dropRelation(st, p, kindTable) }
		case p.kw("procedure"):
			h = func() error { return dropProcedure(st, p) }
		case p.kw("role"):
			h = func() error { return dropRole(st, p) }
		case p.kw("user"):
			h = func() error { return dropUser(st, p) }
		case p.kw("database"):
			h = func() error { return c.dropDatabase(st, p, inTx) }
		}
	case p.kw("alter", "materialized", "view"):
		h = func() error { return alterMV(st, p) }
	case p.kw("alter", "external", "schema"):
		h = func() error { return alterExternalSchema(st, p) }
	case p.kw("refresh", "materialized", "view"):
		h = func() error { return refreshMV(st, p) }
	case p.kw("delete", "from"):
		h = func() error { return deleteFrom(st, p) }
	case p.kw("grant", "role"):
		h = func() error { return grantRole(st, p) }
	case p.kw("grant"):
		h = func() error { return grant(st, p) }
	case p.kw("revoke"):
		h = func() error { return revoke(st, p) }
	case p.kw("call"):
		h = func() error { return call(st, p) }
	case p.kw("copy", "job", "drop"):
		h = func() error { return dropCopyJob(st, p, inTx) }
	case p.isKw("copy", "job"):
	case p.kw("copy"):
		h = func() error { return copyInto(st, p, inTx) }
	}
	if h == nil {
		return 0, notUnderstood(sql)
	}
	if err := h(); err != nil {
		if err == errSyntax {
			return 0, notUnderstood(sql)
		}
		return 0, err
	}
	return 0, nil
}

// errSyntax marks a statement whose shape the catalog does not know.
var errSyntax = fmt.Errorf("syntax")

// ---- schemas

func createSchema(st *state, p *parser) error {
	ifNotExists := p.kw("if", "not", "exists")
	n, ok := p.ident()
	if !ok {
		return errSyntax
	}
	// Rule 7: https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_SCHEMA.html
	// (IF NOT EXISTS: "If … the schema already exists, the command should make
	// no changes"); PostgreSQL's message without it.
	if _, exists := st.schemas[n]; exists {
		if ifNotExists {
			return nil
		}
		return redshiftError(`schema "%s" already exists`, n)
	}
	st.schemas[n] = schemaInfo{}
	return nil // AUTHORIZATION, QUOTA: not modelled
}

// createExternalSchema: CREATE EXTERNAL SCHEMA [IF NOT EXISTS] x FROM KINESIS|MSK|KAFKA …
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html).
// Other sources (DATA CATALOG, POSTGRES, …) are not understood.
func createExternalSchema(st *state, p *parser) error {
	ifNotExists := p.kw("if", "not", "exists")
	n, ok := p.ident()
	if !ok || !p.kw("from") {
		return errSyntax
	}
	var source string
	switch {
	case p.kw("kinesis"):
		source = "KINESIS"
	case p.kw("msk"):
		source = "MSK"
	case p.kw("kafka"):
		source = "KAFKA"
	default:
		return errSyntax
	}
	if _, exists := st.schemas[n]; exists { // rule 7
		if ifNotExists {
			return nil
		}
		return redshiftError(`schema "%s" already exists`, n)
	}
	st.schemas[n] = schemaInfo{source: source}
	return nil
}

// alterExternalSchema: ALTER EXTERNAL SCHEMA x [IAM_ROLE …] [AUTHENTICATION …]
// [URI '…']. "Only external schemas created from DATA CATALOG, KAFKA, or MSK
// can be altered" (https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_EXTERNAL_SCHEMA.html);
// the message for another source is approximate.
func alterExternalSchema(st *state, p *parser) error {
	n, ok := p.ident()
	if !ok || p.done() {
		return errSyntax
	}
	s, exists := st.schemas[n]
	switch {
	case !exists:
		return redshiftError(`schema "%s" does not exist`, n)
	case s.source != "KAFKA" && s.source != "MSK":
		return redshiftError(`ALTER EXTERNAL SCHEMA is not supported for schema "%s" (FROM %s)`, n, s.source)
	}
	return nil
}

// dropSchema: DROP SCHEMA [IF EXISTS] x [, …] [RESTRICT | CASCADE]. RESTRICT
// is the default: "Don't drop the schema if it contains any objects"
// (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_SCHEMA.html); the
// message is PostgreSQL's. The streaming MVs reading an external schema count
// as its objects (approximate: Redshift's exact behaviour there is not sourced).
func dropSchema(st *state, p *parser) error {
	names, ifExists, cascade, err := parseDrop(p, p.ident)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, ok := st.schemas[n]; !ok {
			if ifExists {
				continue
			}
			return redshiftError(`schema "%s" does not exist`, n) // rule 2
		}
		var rels []name
		for rn, r := range st.rels {
			if rn.schema == n || r.external == n {
				rels = append(rels, rn)
			}
		}
		var procs []name
		for pn := range st.procs {
			if pn.schema == n {
				procs = append(procs, pn)
			}
		}
		if len(rels)+len(procs) > 0 && !cascade {
			return redshiftError(`cannot drop schema %s because other objects depend on it`, n)
		}
		for _, rn := range rels {
			dropWithDependents(st, rn)
		}
		for _, pn := range procs {
			delete(st.procs, pn)
		}
		delete(st.schemas, n)
		for g := range st.usages {
			if g[0] == n {
				delete(st.usages, g)
			}
		}
	}
	return nil
}

// needSchema is rule 2: an object is created in a schema that exists (and is
// local). PostgreSQL's message: schema "x" does not exist.
func needSchema(st *state, n name) error {
	if s, ok := st.schemas[n.schema]; !ok || s.source != "" {
		return redshiftError(`schema "%s" does not exist`, n.schema)
	}
	return nil
}

// ---- relations

// readsFrom checks the relations a view or MV is defined on (rule 3,
// PostgreSQL's message: relation "s.n" does not exist) and returns the local
// ones, and the external schema and stream/topic of a streaming MV.
func (c *Catalog) readsFrom(st *state, refs []name, allowStream bool) (local []name, external, source string, err error) {
	for _, r := range refs {
		if s, ok := st.schemas[r.schema]; ok && s.source != "" {
			if !allowStream {
				return nil, "", "", errSyntax // a plain view over a stream: not modelled
			}
			// Rule 4: the stream or topic must exist. "you must have a Kinesis Data
			// Streams source available before configuring streaming ingestion"
			// (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html).
			// APPROXIMATE message: Redshift's exact text is not sourced.
			if s.source == "KINESIS" && c.StreamExists != nil && !c.StreamExists(r.name) {
				return nil, "", "", redshiftError(`Kinesis stream "%s" does not exist or is not accessible`, r.name)
			}
			if s.source != "KINESIS" && c.TopicExists != nil && !c.TopicExists(r.name) {
				return nil, "", "", redshiftError(`Kafka topic "%s" does not exist or is not accessible`, r.name)
			}
			if external != "" {
				// "Your streaming ingestion materialized view … can reference only one
				// stream" (same page). APPROXIMATE message.
				return nil, "", "", redshiftError(`a streaming materialized view can reference only one stream`)
			}
			external, source = r.schema, r.name
			continue
		}
		if _, ok := st.rels[r]; !ok {
			return nil, "", "", redshiftError(`relation "%s" does not exist`, r)
		}
		local = append(local, r)
	}
	if external != "" && len(local) > 0 {
		// Same page: the base streaming MV reads one stream; joins belong in MVs
		// defined on it. APPROXIMATE message.
		return nil, "", "", redshiftError(`a streaming materialized view can reference only one stream and no other relation`)
	}
	return local, external, source, nil
}

// autoRefreshOnMV is rule 1: "You can't use the AUTO REFRESH YES option when
// you define a materialized view on another materialized view"
// (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-create-sql-command.html,
// Limitations). Redshift's message, quoted in dbt-labs/dbt-redshift#668 and
// awsdocs/amazon-redshift-developer-guide#69.
func autoRefreshOnMV(st *state, reads []name) error {
	for _, r := range reads {
		if st.rels[r].kind == kindMV {
			return redshiftError("Auto-refresh is not supported for materialized views defined on other materialized views.")
		}
	}
	return nil
}

// createMV: CREATE MATERIALIZED VIEW s.n [BACKUP …] [DIST…] [SORTKEY …]
// [AUTO REFRESH YES|NO] AS query.
func (c *Catalog) createMV(st *state, p *parser) error {
	n, ok := p.qname()
	if !ok {
		return errSyntax
	}
	auto := false
	for {
		switch {
		case p.done():
			return errSyntax
		case p.kw("auto", "refresh"):
			switch {
			case p.kw("yes"):
				auto = true
			case p.kw("no"):
			default:
				return errSyntax
			}
			continue
		case p.isPunct("("):
			p.skipParens()
			continue
		case p.kw("as"):
		default:
			p.pos++
			continue
		}
		break
	}
	if err := needSchema(st, n); err != nil {
		return err
	}
	if _, exists := st.rels[n]; exists { // rule 7, PostgreSQL's message
		return redshiftError(`relation "%s" already exists`, n.name)
	}
	local, external, _, err := c.readsFrom(st, relationRefs(p.toks[p.pos:]), true)
	if err != nil {
		return err
	}
	if auto {
		if err := autoRefreshOnMV(st, local); err != nil {
			return err
		}
	}
	st.rels[n] = relation{kind: kindMV, reads: local, external: external, autoRefresh: auto}
	return nil
}

// alterMV: ALTER MATERIALIZED VIEW s.n AUTO REFRESH YES|NO
// (https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_MATERIALIZED_VIEW.html).
func alterMV(st *state, p *parser) error {
	n, ok := p.qname()
	if !ok || !p.kw("auto", "refresh") {
		return errSyntax
	}
	var auto bool
	switch {
	case p.kw("yes"):
		auto = true
	case p.kw("no"):
	default:
		return errSyntax
	}
	if !p.done() {
		return errSyntax
	}
	r, err := needMV(st, n)
	if err != nil {
		return err
	}
	if auto {
		if err := autoRefreshOnMV(st, r.reads); err != nil { // rule 1
			return err
		}
	}
	r.autoRefresh = auto
	st.rels[n] = r
	return nil
}

func needMV(st *state, n name) (relation, error) {
	r, ok := st.rels[n]
	if !ok {
		return r, redshiftError(`relation "%s" does not exist`, n) // rule 3
	}
	if r.kind != kindMV {
		return r, redshiftError(`"%s" is not a materialized view`, n) // PostgreSQL's message
	}
	return r, nil
}

// refreshMV: REFRESH MATERIALIZED VIEW s.n [CASCADE]
// (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-refresh-sql-command.html).
func refreshMV(st *state, p *parser) error {
	n, ok := p.qname()
	if !ok {
		return errSyntax
	}
	p.kw("cascade")
	if !p.done() {
		return errSyntax
	}
	_, err := needMV(st, n)
	return err
}

// createView: CREATE [OR REPLACE] VIEW s.n [(cols)] AS query [WITH NO SCHEMA
// BINDING]. A late-binding view checks nothing and depends on nothing
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html).
func createView(st *state, p *parser, orReplace bool) error {
	n, ok := p.qname()
	if !ok {
		return errSyntax
	}
	p.skipParens()
	if !p.kw("as") {
		return errSyntax
	}
	query := p.toks[p.pos:]
	lateBinding := false
	if k := len(query); k >= 4 {
		tail := &parser{toks: query[k-4:]}
		if tail.kw("with", "no", "schema", "binding") {
			lateBinding, query = true, query[:k-4]
		}
	}
	if err := needSchema(st, n); err != nil {
		return err
	}
	if old, exists := st.rels[n]; exists {
		if !orReplace {
			return redshiftError(`relation "%s" already exists`, n.name) // rule 7
		}
		if old.kind != kindView {
			return redshiftError(`"%s" is not a view`, n.name) // PostgreSQL's message
		}
	}
	var local []name
	if !lateBinding {
		var err error
		if local, _, _, err = (&Catalog{}).readsFrom(st, relationRefs(query), false); err != nil {
			return err
		}
	}
	st.rels[n] = relation{kind: kindView, reads: local}
	return nil
}

// createTable: CREATE TABLE [IF NOT EXISTS] s.n (…) [attributes]. CREATE TABLE
// AS and LIKE are not understood.
func createTable(st *state, p *parser) error {
	ifNotExists := p.kw("if", "not", "exists")
	n, ok := p.qname()
	if !ok || !p.skipParens() {
		return errSyntax
	}
	if err := needSchema(st, n); err != nil {
		return err
	}
	if _, exists := st.rels[n]; exists { // rule 7
		if ifNotExists {
			return nil
		}
		return redshiftError(`relation "%s" already exists`, n.name)
	}
	st.rels[n] = relation{kind: kindTable}
	return nil
}

// dependents returns every view and MV defined on n, directly or not.
func dependents(st *state, n name) []name {
	var out []name
	seen := map[name]bool{n: true}
	queue := []name{n}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for rn, r := range st.rels {
			if seen[rn] {
				continue
			}
			for _, d := range r.reads {
				if d == cur {
					seen[rn] = true
					out = append(out, rn)
					queue = append(queue, rn)
					break
				}
			}
		}
	}
	return out
}

func dropWithDependents(st *state, n name) {
	for _, d := range append(dependents(st, n), n) {
		delete(st.rels, d)
		// A relation's grants go with it: one created again has none.
		for g := range st.selects {
			if g.rel == d {
				delete(st.selects, g)
			}
		}
	}
}

// dropRelation: DROP TABLE | VIEW | MATERIALIZED VIEW [IF EXISTS] s.n [, …]
// [CASCADE | RESTRICT]. Rule 6: without CASCADE, a relation other views
// depend on is not dropped ("RESTRICT … is the default",
// https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_TABLE.html,
// r_DROP_VIEW.html, materialized-view-drop-sql-command.html); the message is
// PostgreSQL's, as Redshift prints it ("cannot drop materialized view
// parent_mv because other objects depend on it", dbt-labs/dbt-redshift#642).
// With CASCADE the dependents go too.
func dropRelation(st *state, p *parser, kind string) error {
	names, ifExists, cascade, err := parseDrop(p, p.qname)
	if err != nil {
		return err
	}
	for _, n := range names {
		r, ok := st.rels[n]
		if !ok {
			if ifExists {
				continue
			}
			return redshiftError(`%s "%s" does not exist`, kind, n.name) // PostgreSQL's message
		}
		if r.kind != kind {
			return redshiftError(`"%s" is not a %s`, n.name, kind) // PostgreSQL's message
		}
		if deps := dependents(st, n); len(deps) > 0 && !cascade {
			return redshiftError(`cannot drop %s %s because other objects depend on it`, kind, display(n))
		}
		dropWithDependents(st, n)
	}
	return nil
}

// parseDrop reads what follows DROP <kind>: [IF EXISTS] name [, name …]
// [CASCADE | RESTRICT], and nothing after it.
func parseDrop[T any](p *parser, one func() (T, bool)) (names []T, ifExists, cascade bool, err error) {
	ifExists = p.kw("if", "exists")
	for {
		n, ok := one()
		if !ok {
			return nil, false, false, errSyntax
		}
		names = append(names, n)
		if !p.punct(",") {
			break
		}
	}
	if cascade = p.kw("cascade"); !cascade {
		p.kw("restrict")
	}
	if !p.done() {
		return nil, false, false, errSyntax
	}
	return names, ifExists, cascade, nil
}

// deleteFrom: DELETE FROM s.t … — the table must exist (rule 3).
func deleteFrom(st *state, p *parser) error {
	n, ok := p.qname()
	if !ok {
		return errSyntax
	}
	r, exists := st.rels[n]
	if !exists {
		return redshiftError(`relation "%s" does not exist`, n)
	}
	if r.kind != kindTable {
		return redshiftError(`cannot delete from %s "%s"`, r.kind, n.name) // PostgreSQL's message
	}
	return nil
}

// ---- procedures, roles, grants

// createProcedure: CREATE [OR REPLACE] PROCEDURE s.p(args) … AS $$ … $$ …
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_PROCEDURE.html).
// The body is not checked (Redshift binds it when it runs). Overloads are not
// modelled: one procedure per name.
func createProcedure(st *state, p *parser, orReplace bool) error {
	n, ok := p.qname()
	if !ok || !p.skipParens() {
		return errSyntax
	}
	if err := needSchema(st, n); err != nil {
		return err
	}
	if st.procs[n] && !orReplace {
		// Rule 7; APPROXIMATE message (PostgreSQL says "function … already exists
		// with same argument types").
		return redshiftError(`procedure "%s" already exists with same argument types`, n.name)
	}
	st.procs[n] = true
	return nil
}

func needProcedure(st *state, n name) error {
	if !st.procs[n] {
		return redshiftError(`procedure %s() does not exist`, n) // PostgreSQL's message
	}
	return nil
}

// dropProcedure: DROP PROCEDURE [IF EXISTS] s.p(args).
func dropProcedure(st *state, p *parser) error {
	ifExists := p.kw("if", "exists")
	n, ok := p.qname()
	if !ok || !p.skipParens() || !p.done() {
		return errSyntax
	}
	if !st.procs[n] {
		if ifExists {
			return nil
		}
		return needProcedure(st, n)
	}
	delete(st.procs, n)
	return nil
}

// call: CALL s.p(args) — the procedure must exist; its body does not run.
func call(st *state, p *parser) error {
	n, ok := p.qname()
	if !ok || !p.skipParens() || !p.done() {
		return errSyntax
	}
	return needProcedure(st, n)
}

// createRole: CREATE ROLE r [EXTERNALID …]
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_ROLE.html).
func createRole(st *state, p *parser) error {
	n, ok := p.ident()
	if !ok {
		return errSyntax
	}
	if st.roles[n] {
		return redshiftError(`role "%s" already exists`, n) // rule 7, PostgreSQL's message
	}
	st.roles[n] = true
	return nil
}

// createUser: CREATE USER u PASSWORD DISABLE — a user that cannot sign in
// with a password, only with temporary credentials
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html).
func createUser(st *state, p *parser) error {
	n, ok := p.ident()
	if !ok || !p.kw("password", "disable") || !p.done() {
		return errSyntax
	}
	if st.users[n] {
		return redshiftError(`user "%s" already exists`, n)
	}
	st.users[n] = true
	return nil
}

// dropUser: DROP USER [IF EXISTS] u
// (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_USER.html).
func dropUser(st *state, p *parser) error {
	ifExists := p.kw("if", "exists")
	n, ok := p.ident()
	if !ok || !p.done() {
		return errSyntax
	}
	if !st.users[n] && !ifExists {
		return redshiftError(`user "%s" does not exist`, n)
	}
	delete(st.users, n)
	return nil
}

// grantRole: GRANT ROLE r TO u | TO ROLE r2 — the role and the grantee must
// exist; r may be a system role such as sys:monitor
// (https://docs.aws.amazon.com/redshift/latest/dg/r_GRANT.html, "Role-based access control").
func grantRole(st *state, p *parser) error {
	r, ok := roleName(p)
	if !ok || !p.kw("to") {
		return errSyntax
	}
	if !st.roles[r] && !systemRoles[r] {
		return redshiftError(`role "%s" does not exist`, r)
	}
	if p.kw("role") {
		to, ok := p.ident()
		if !ok || !p.done() {
			return errSyntax
		}
		if !st.roles[to] {
			return redshiftError(`role "%s" does not exist`, to)
		}
		st.roleGrants[[2]string{to, r}] = true
		return nil
	}
	u, ok := p.ident()
	if !ok || !p.done() {
		return errSyntax
	}
	if !st.users[u] {
		return redshiftError(`user "%s" does not exist`, u)
	}
	return nil
}

// roleName reads a role name: an identifier, or a system role written as
// AWS's pages write it, sys:monitor (no quotes).
func roleName(p *parser) (string, bool) {
	n, ok := p.ident()
	if ok && n == "sys" && p.punct(":") {
		rest, ok := p.ident()
		return n + ":" + rest, ok
	}
	return n, ok
}

// relations reads [TABLE] s.t [, …], each of which must exist (rule 3).
func relations(st *state, p *parser) ([]name, error) {
	p.kw("table")
	var rels []name
	for {
		n, ok := p.qname()
		if !ok {
			return nil, errSyntax
		}
		if _, exists := st.rels[n]; !exists {
			return nil, redshiftError(`relation "%s" does not exist`, n)
		}
		rels = append(rels, n)
		if !p.punct(",") {
			return rels, nil
		}
	}
}

// revoke: REVOKE ROLE r FROM ROLE r2 | REVOKE SELECT ON [TABLE] s.t [, …]
// FROM ROLE r (https://docs.aws.amazon.com/redshift/latest/dg/r_REVOKE.html).
// What is revoked must exist, as for GRANT.
func revoke(st *state, p *parser) error {
	if p.kw("role") {
		r, ok := roleName(p)
		if !ok || !p.kw("from", "role") {
			return errSyntax
		}
		from, ok := p.ident()
		if !ok || !p.done() {
			return errSyntax
		}
		if !st.roles[from] {
			return redshiftError(`role "%s" does not exist`, from)
		}
		delete(st.roleGrants, [2]string{from, r})
		return nil
	}
	if p.kw("usage", "on", "schema") {
		sc, ok := p.ident()
		if !ok || !p.kw("from", "role") {
			return errSyntax
		}
		r, ok := p.ident()
		if !ok || !p.done() {
			return errSyntax
		}
		if _, exists := st.schemas[sc]; !exists {
			return redshiftError(`schema "%s" does not exist`, sc)
		}
		if !st.roles[r] {
			return redshiftError(`role "%s" does not exist`, r)
		}
		delete(st.usages, [2]string{sc, r})
		return nil
	}
	if !p.kw("select", "on") {
		return errSyntax
	}
	rels, err := relations(st, p)
	if err != nil {
		return err
	}
	if !p.kw("from", "role") {
		return errSyntax
	}
	r, ok := p.ident()
	if !ok || !p.done() {
		return errSyntax
	}
	if !st.roles[r] {
		return redshiftError(`role "%s" does not exist`, r)
	}
	for _, n := range rels {
		delete(st.selects, selectGrant{n, r})
	}
	return nil
}

// dropRole: DROP ROLE r [FORCE | RESTRICT]
// (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_ROLE.html). What
// RESTRICT refuses (a role granted to users or roles) is not modelled.
func dropRole(st *state, p *parser) error {
	n, ok := p.ident()
	if !ok {
		return errSyntax
	}
	if !p.kw("force") {
		p.kw("restrict")
	}
	if !p.done() {
		return errSyntax
	}
	if !st.roles[n] {
		return redshiftError(`role "%s" does not exist`, n) // PostgreSQL's message
	}
	delete(st.roles, n)
	for g := range st.selects {
		if g.role == n {
			delete(st.selects, g)
		}
	}
	for g := range st.roleGrants {
		if g[0] == n || g[1] == n {
			delete(st.roleGrants, g)
		}
	}
	for g := range st.usages {
		if g[1] == n {
			delete(st.usages, g)
		}
	}
	return nil
}

// grant: GRANT privileges ON SCHEMA s [, …] | ON PROCEDURE s.p(args) |
// ON ALL TABLES IN SCHEMA s | ON [TABLE] s.t [, …] TO ROLE r | TO [GROUP] user.
// Each object must exist (rules 2, 3), and the role. Users are not modelled.
func grant(st *state, p *parser) error {
	selectOnly, usageOnly := p.isKw("select", "on"), p.isKw("usage", "on")
	for !p.done() && !p.isKw("on") {
		p.pos++
	}
	var granted []name
	if !p.kw("on") {
		return errSyntax
	}
	var schemas []string
	switch {
	case p.kw("schema"):
		for {
			s, ok := p.ident()
			if !ok {
				return errSyntax
			}
			if _, exists := st.schemas[s]; !exists {
				return redshiftError(`schema "%s" does not exist`, s)
			}
			schemas = append(schemas, s)
			if !p.punct(",") {
				break
			}
		}
	case p.kw("procedure"):
		n, ok := p.qname()
		if !ok || !p.skipParens() {
			return errSyntax
		}
		if err := needProcedure(st, n); err != nil {
			return err
		}
	case p.kw("all", "tables", "in", "schema"):
		s, ok := p.ident()
		if !ok {
			return errSyntax
		}
		if _, exists := st.schemas[s]; !exists {
			return redshiftError(`schema "%s" does not exist`, s)
		}
	default:
		var err error
		if granted, err = relations(st, p); err != nil {
			return err
		}
	}
	if !p.kw("to") {
		return errSyntax
	}
	if p.kw("role") {
		r, ok := p.ident()
		if !ok {
			return errSyntax
		}
		if !st.roles[r] {
			return redshiftError(`role "%s" does not exist`, r)
		}
		if selectOnly {
			for _, n := range granted {
				st.selects[selectGrant{n, r}] = true
			}
		}
		if usageOnly {
			for _, sc := range schemas {
				st.usages[[2]string{sc, r}] = true
			}
		}
	}
	return nil
}

// ---- COPY, COPY JOB, databases

// notInTransaction is rule 5: statements Redshift refuses inside a
// transaction block (a BatchExecuteStatement is one transaction). The wording
// is PostgreSQL's PreventInTransactionBlock message, which Redshift keeps for
// CREATE/DROP DATABASE ("You can't run … within a transaction block",
// https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_DATABASE.html and
// r_DROP_DATABASE.html). For COPY JOB (r_COPY-JOB.html, "COPY JOB") the
// exact text is APPROXIMATE.
func notInTransaction(inTx bool, command string) error {
	if inTx {
		return redshiftError("%s cannot run inside a transaction block", command)
	}
	return nil
}

// copyInto: COPY s.t [(cols)] FROM 's3://…' options [JOB CREATE j [AUTO ON|OFF]].
// The table must exist (rule 3). A COPY JOB must run outside a transaction
// block and name its IAM role: rule 5 (COPY JOB "does not accept IAM_ROLE
// default", r_COPY-JOB.html usage notes; the message is APPROXIMATE).
func copyInto(st *state, p *parser, inTx bool) error {
	n, ok := p.qname()
	if !ok {
		return errSyntax
	}
	p.skipParens()
	if !p.kw("from") || p.peek(0).kind != tString {
		return errSyntax
	}
	p.pos++
	defaultRole, job := false, ""
	for !p.done() {
		switch {
		case p.kw("iam_role", "default"):
			defaultRole = true
		case p.kw("job", "create"):
			j, ok := p.ident()
			if !ok {
				return errSyntax
			}
			job = j
			if p.kw("auto") && !p.kw("on") && !p.kw("off") {
				return errSyntax
			}
			if !p.done() {
				return errSyntax
			}
		default:
			p.pos++
		}
	}
	if job != "" {
		if err := notInTransaction(inTx, "COPY JOB CREATE"); err != nil {
			return err
		}
		if defaultRole {
			return redshiftError("IAM_ROLE default is not supported for COPY JOB; specify an IAM role ARN")
		}
	}
	if _, exists := st.rels[n]; !exists {
		return redshiftError(`relation "%s" does not exist`, n)
	}
	if job != "" {
		if _, exists := st.jobs[job]; exists {
			return redshiftError(`COPY JOB "%s" already exists`, job) // rule 7, APPROXIMATE
		}
		st.jobs[job] = n
	}
	return nil
}

// dropCopyJob: COPY JOB DROP j (outside a transaction block: rule 5).
func dropCopyJob(st *state, p *parser, inTx bool) error {
	j, ok := p.ident()
	if !ok || !p.done() {
		return errSyntax
	}
	if err := notInTransaction(inTx, "COPY JOB DROP"); err != nil {
		return err
	}
	if _, exists := st.jobs[j]; !exists {
		return redshiftError(`COPY JOB "%s" does not exist`, j) // APPROXIMATE
	}
	delete(st.jobs, j)
	return nil
}

// reIntegrationID: a zero-ETL integration's id is a UUID (the last part of its
// ARN; SVV_INTEGRATION's integration_id, https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_INTEGRATION.html).
var reIntegrationID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// createDatabase: CREATE DATABASE d [FROM INTEGRATION 'id' …]. The
// integration must exist (r_CREATE_DATABASE.html: "integration_id … of an
// existing zero-ETL integration").
func (c *Catalog) createDatabase(st *state, p *parser, inTx bool) error {
	d, ok := p.ident()
	if !ok {
		return errSyntax
	}
	id := ""
	if p.kw("from", "integration") {
		if p.peek(0).kind != tString {
			return errSyntax
		}
		id = p.peek(0).text
		p.pos++
		if p.kw("database") { // the source database: PostgreSQL sources only
			if _, ok := p.ident(); !ok {
				if p.peek(0).kind != tString {
					return errSyntax
				}
				p.pos++
			}
		}
		if !p.done() {
			return errSyntax // options (QUERY_ALL_STATES, …) are not modelled
		}
		if !reIntegrationID.MatchString(id) {
			return redshiftError(`invalid integration id "%s"`, id)
		}
	}
	if err := notInTransaction(inTx, "CREATE DATABASE"); err != nil {
		return err
	}
	if id != "" && c.IntegrationExists != nil && !c.IntegrationExists(id) {
		return redshiftError(`integration "%s" does not exist`, id)
	}
	if _, exists := st.dbs[d]; exists {
		return redshiftError(`database "%s" already exists`, d) // rule 7, PostgreSQL's message
	}
	st.dbs[d] = id
	return nil
}

// dropDatabase: DROP DATABASE d. A zero-ETL destination cannot be dropped
// while its integration exists ("You must first delete any integrations that
// are associated with a destination database before deleting the destination
// database", https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl.reqs-lims.html).
func (c *Catalog) dropDatabase(st *state, p *parser, inTx bool) error {
	d, ok := p.ident()
	if !ok || !p.done() {
		return errSyntax
	}
	if err := notInTransaction(inTx, "DROP DATABASE"); err != nil {
		return err
	}
	id, exists := st.dbs[d]
	if !exists {
		return redshiftError(`database "%s" does not exist`, d)
	}
	if id != "" && c.IntegrationExists != nil && c.IntegrationExists(id) {
		return redshiftError(`cannot drop database "%s": it is the destination of integration %s; delete the integration first`, d, id)
	}
	delete(st.dbs, d)
	return nil
}

// ---- existence queries

// query answers the existence checks haina's SQL objects use (sql/*.tmpl
// "exists"): SELECT 1 FROM <catalog view> [JOIN …] WHERE col = 'lit' AND …,
// one row when the object exists. Other queries are not understood.
func (c *Catalog) query(st *state, p *parser, sql string) (int64, error) {
	if !p.kw("select") || p.peek(0).kind != tNumber {
		return 0, notUnderstood(sql)
	}
	p.pos++
	if !p.kw("from") {
		return 0, notUnderstood(sql)
	}
	view, ok := p.ident()
	if !ok {
		return 0, notUnderstood(sql)
	}
	for !p.done() && !p.isKw("where") {
		p.pos++
	}
	if !p.kw("where") {
		return 0, notUnderstood(sql)
	}
	where := map[string]string{}
	for {
		trim := p.kw("trim")
		if trim && !p.punct("(") {
			return 0, notUnderstood(sql)
		}
		col, ok := p.ident()
		if ok && p.punct(".") { // alias.column
			col, ok = p.ident()
		}
		if !ok || (trim && !p.punct(")")) || !p.punct("=") || p.peek(0).kind != tString {
			return 0, notUnderstood(sql)
		}
		where[col] = p.peek(0).text
		p.pos++
		if p.done() {
			break
		}
		if !p.kw("and") {
			return 0, notUnderstood(sql)
		}
	}
	has := func(cols ...string) bool {
		if len(cols) != len(where) {
			return false
		}
		for _, k := range cols {
			if _, ok := where[k]; !ok {
				return false
			}
		}
		return true
	}
	found := false
	switch {
	case view == "svv_mv_info" && has("schema_name", "name"):
		r, ok := st.rels[name{where["schema_name"], where["name"]}]
		found = ok && r.kind == kindMV
	case view == "svv_tables" && (has("table_schema", "table_name", "table_type") || has("table_schema", "table_name")):
		r, ok := st.rels[name{where["table_schema"], where["table_name"]}]
		switch t, typed := where["table_type"]; {
		case !typed:
			found = ok
		case t == "VIEW":
			found = ok && r.kind == kindView
		case t == "BASE TABLE":
			found = ok && r.kind == kindTable
		default:
			return 0, notUnderstood(sql)
		}
	case view == "svv_external_schemas" && has("schemaname"):
		s, ok := st.schemas[where["schemaname"]]
		found = ok && s.source != ""
	case view == "pg_namespace" && has("nspname"):
		_, found = st.schemas[where["nspname"]]
	case view == "sys_copy_job" && has("job_name"):
		_, found = st.jobs[where["job_name"]]
	case view == "svv_roles" && has("role_name"):
		found = st.roles[where["role_name"]]
	case view == "svv_relation_privileges" && has("namespace_name", "relation_name", "identity_name", "privilege_type"):
		// Grants made explicitly (r_SVV_RELATION_PRIVILEGES.html); only SELECT is modelled.
		if where["privilege_type"] != "SELECT" {
			return 0, notUnderstood(sql)
		}
		found = st.selects[selectGrant{name{where["namespace_name"], where["relation_name"]}, where["identity_name"]}]
	case view == "pg_user" && has("usename"):
		found = st.users[where["usename"]]
	case view == "svv_redshift_databases" && has("database_name"):
		_, found = st.dbs[where["database_name"]]
	case view == "pg_proc_info" && has("nspname", "proname"):
		found = st.procs[name{where["nspname"], where["proname"]}]
	default:
		return 0, notUnderstood(sql)
	}
	if found {
		return 1, nil
	}
	return 0, nil
}
