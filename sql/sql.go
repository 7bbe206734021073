// Package sql renders haina's SQL objects from the templates beside it. Names
// from config only ever enter SQL through ident (a validated, quoted
// identifier) or literal (a quoted string); nothing is spliced raw.
package sql

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

//go:embed *.sql.tmpl
var files embed.FS

// Object is one rendered SQL object: what the provider's SqlObject runs.
type Object struct {
	Kind       string
	Name       string // the quoted, qualified name
	Definition string // changes force a replacement
	Create     []string
	Update     []string
	Drop       []string
	Exists     string
}

// Script is the object as a reviewer reads it: kind and name, then each
// section (definition, create, update, drop, exists), every statement ending
// in ";". The golden files and `haina plan` print objects this way.
func (o Object) Script() string {
	var b strings.Builder
	b.WriteString("-- kind: " + o.Kind + "\n-- name: " + o.Name + "\n")
	section := func(title string, stmts []string) {
		b.WriteString("\n-- " + title + "\n")
		for _, s := range stmts {
			b.WriteString(s + ";\n")
		}
	}
	if o.Definition != "" {
		b.WriteString("\n-- definition (a change replaces the object)\n" + o.Definition + "\n")
	}
	section("create (one transaction)", o.Create)
	section("update (one transaction)", o.Update)
	section("drop", o.Drop)
	section("exists", []string{o.Exists})
	return b.String()
}

var funcs = template.FuncMap{
	"ident":      identFunc,
	"mysqlIdent": MySQLIdent,
	"literal":    Literal,
	"inc":        func(i int) int { return i + 1 },
	"list":       func(v ...any) []any { return v },
	// dict passes several values to a nested template.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"yesno": func(b bool) string {
		if b {
			return "YES"
		}
		return "NO"
	},
}

// Template files, one per kind of object.
const (
	Schema           = "schema.sql.tmpl"
	KinesisSchema    = "kinesis_schema.sql.tmpl"
	KinesisLandingMV = "kinesis_landing_mv.sql.tmpl"
	EventsView       = "events_view.sql.tmpl"
	RollupMV         = "rollup_mv.sql.tmpl"
	Examples         = "examples.sql.tmpl"
	AthenaEvents     = "athena_events.sql.tmpl"
	AthenaFlowLogs   = "athena_flowlogs.sql.tmpl"
	TargetTable      = "target_table.sql.tmpl"
	CopyJob          = "copy_job.sql.tmpl"
	RefreshProcedure = "refresh_procedure.sql.tmpl"
	// MySQL (RDS Data API) objects.
	MySQLBinlogRetention = "mysql_binlog_retention.sql.tmpl"
	MySQLDemoSchema      = "mysql_demo_schema.sql.tmpl"
	MySQLDebeziumUser    = "mysql_debezium_user.sql.tmpl"
	// Change data capture on Redshift.
	MSKSchema       = "msk_schema.sql.tmpl"
	CDCLandingMV    = "cdc_landing_mv.sql.tmpl"
	CDCTargetTable  = "cdc_target_table.sql.tmpl"
	CDCOffsetsTable = "cdc_offsets_table.sql.tmpl"
	CDCRunsTable    = "cdc_runs_table.sql.tmpl"
	CDCRejectsTable = "cdc_rejects_table.sql.tmpl"
	// DBRole is a database role a schedule runs as (the CDC apply, the refresh).
	DBRole            = "db_role.sql.tmpl"
	DBUser            = "db_user.sql.tmpl"
	CDCApplyProcedure = "cdc_apply_procedure.sql.tmpl"
	CDCExamples       = "cdc_examples.sql.tmpl"
	// Change data capture through a zero-ETL integration.
	ZeroETLDatabase = "zero_etl_database.sql.tmpl"
	ZeroETLExamples = "zero_etl_examples.sql.tmpl"
)

// IdentError is an identifier that cannot enter SQL.
type IdentError struct{ Reason string }

func (e *IdentError) Error() string { return e.Reason }

func identFunc(s string) (string, error) { return Ident(s) }

// Ident validates a Redshift identifier and returns it double-quoted, so its
// case and punctuation (stream names such as "app.Events-1") are kept.
func Ident(s string) (string, error) {
	if err := CheckIdent(s); err != nil {
		return "", &IdentError{err.Error()}
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, nil
}

// MySQLIdent validates an identifier and returns it backtick-quoted, as MySQL
// quotes names (double quotes are strings unless ANSI_QUOTES is on).
func MySQLIdent(s string) (string, error) {
	if err := CheckIdent(s); err != nil {
		return "", &IdentError{err.Error()}
	}
	if strings.ContainsRune(s, '`') || len(s) > 64 {
		return "", &IdentError{fmt.Sprintf("identifier %q: MySQL allows 64 characters and no backtick", s)}
	}
	return "`" + s + "`", nil
}

// CheckIdent reports why s cannot be a Redshift identifier: empty, longer than
// 127 bytes, not UTF-8, or holding a control character, a double quote or $$.
func CheckIdent(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("identifier is empty")
	case len(s) > 127:
		return fmt.Errorf("identifier %q is %d bytes; Redshift allows 127", s, len(s))
	case !utf8.ValidString(s):
		return fmt.Errorf("identifier %q is not valid UTF-8", s)
	case strings.ContainsRune(s, '"'):
		return fmt.Errorf("identifier %q contains a double quote", s)
	case strings.Contains(s, "$$"):
		return fmt.Errorf("identifier %q contains $$, which would end a procedure body", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("identifier %q contains a control character", s)
		}
	}
	return nil
}

// Literal returns s as a Redshift string literal (quotes and backslashes escaped).
func Literal(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

var statementEnd = regexp.MustCompile(`;\s*(\n|$)`)

// Render renders one object template with data. An invalid identifier in
// data is an error naming the template and the identifier.
func Render(file string, data any) (Object, error) {
	obj, err := renderFile(file, data)
	var ie *IdentError
	if errors.As(err, &ie) {
		return Object{}, fmt.Errorf("%s: %w", file, ie)
	}
	return obj, err
}

// Each file defines the same section names, so each is parsed on its own.
var perFile = map[string]*template.Template{}

func init() {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		// missingkey=error: a key a caller forgot fails the render instead of writing "<no value>" into SQL.
		perFile[e.Name()] = template.Must(template.New(e.Name()).Funcs(funcs).Option("missingkey=error").ParseFS(files, e.Name()))
	}
}

func renderFile(file string, data any) (Object, error) {
	t, ok := perFile[file]
	if !ok {
		return Object{}, fmt.Errorf("no SQL template %s", file)
	}
	text := func(name string) (string, error) {
		if t.Lookup(name) == nil {
			return "", nil
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return tidy(b.String()), nil
	}
	var obj Object
	var err error
	var create, update, drop string
	for _, s := range []struct {
		name string
		dst  *string
	}{{"kind", &obj.Kind}, {"name", &obj.Name}, {"definition", &obj.Definition}, {"create", &create},
		{"update", &update}, {"drop", &drop}, {"exists", &obj.Exists}} {
		if *s.dst, err = text(s.name); err != nil {
			return Object{}, err
		}
	}
	obj.Create, obj.Update, obj.Drop = statements(create), statements(update), statements(drop)
	return obj, nil
}

// tidy trims each line's trailing space and drops blank lines.
func tidy(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// statements splits a section on statement-ending semicolons. Literals never
// hold a newline (identifiers reject control characters), so a ";" at the end
// of a line ends a statement, except inside a $$-quoted procedure body.
func statements(s string) []string {
	var out []string
	var cur strings.Builder
	inBody := false
	for _, line := range strings.SplitAfter(s, "\n") {
		inBody = inBody != (strings.Count(line, "$$")%2 == 1)
		cur.WriteString(line)
		if !inBody && statementEnd.MatchString(line) {
			if p := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")); p != "" {
				out = append(out, p)
			}
			cur.Reset()
		}
	}
	if p := strings.TrimSpace(cur.String()); p != "" {
		out = append(out, p)
	}
	return out
}

// Section renders one named section of a template file, such as the CALL
// statement of an apply procedure.
func Section(file, section string, data any) (string, error) {
	t, ok := perFile[file]
	if !ok || t.Lookup(section) == nil {
		return "", fmt.Errorf("no section %s in SQL template %s", section, file)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, section, data); err != nil {
		var ie *IdentError
		if errors.As(err, &ie) {
			return "", fmt.Errorf("%s: %w", file, ie)
		}
		return "", err
	}
	return tidy(b.String()), nil
}

// Queries renders every section of a template file of standalone queries,
// keyed by section name.
func Queries(file string, data any) (map[string]string, error) {
	t, ok := perFile[file]
	if !ok {
		return nil, fmt.Errorf("no SQL template %s", file)
	}
	out := map[string]string{}
	for _, sub := range t.Templates() {
		if sub.Name() == file {
			continue
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, sub.Name(), data); err != nil {
			var ie *IdentError
			if errors.As(err, &ie) {
				return nil, fmt.Errorf("%s: %w", file, ie)
			}
			return nil, err
		}
		out[sub.Name()] = tidy(b.String())
	}
	return out, nil
}
