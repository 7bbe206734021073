package sql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Column is a target-table column: a Redshift identifier and its type.
type Column struct {
	Name string
	// Type is the Redshift type the templates render, e.g. DECIMAL(12,2),
	// VARCHAR(400) for a column declared VARCHAR(100) (see RedshiftType).
	Type string
	// Declared is the type as configured, canonical, e.g. VARCHAR(100): lengths
	// of CHAR and VARCHAR count characters, as in MySQL.
	Declared string
	// Bytes is the most bytes a text column holds in Redshift (0: not text).
	// The apply procedure fails a run rather than cut a longer value (R12).
	Bytes int
	// Family picks how a Debezium JSON value becomes this type (templates
	// cdc_apply_procedure.sql.tmpl, define "convert").
	Family string
	// Key: part of the primary key.
	Key bool
}

// The type families haina can convert Debezium's JSON into.
const (
	FamilyInteger   = "integer"
	FamilyDecimal   = "decimal"
	FamilyFloat     = "float"
	FamilyBoolean   = "boolean"
	FamilyText      = "text"
	FamilyDate      = "date"
	FamilyTime      = "time"
	FamilyTimestamp = "timestamp"
	FamilySuper     = "super"
)

// SupportedTypes lists the types a target column may have (for error messages).
const SupportedTypes = "SMALLINT, INTEGER, BIGINT, DECIMAL(p,s) (NUMERIC), REAL, DOUBLE PRECISION, BOOLEAN, " +
	"CHAR(n), VARCHAR(n) (n in characters, as in MySQL; TEXT = VARCHAR(256), VARCHAR(MAX)), DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ, SUPER"

// Lengths of text columns. A CHAR(n) or VARCHAR(n) column is declared as in
// MySQL, where n counts characters (utf8mb4: up to 4 bytes each; MySQL's
// CHAR holds 0 to 255 characters, its VARCHAR up to 65,535 bytes,
// https://dev.mysql.com/doc/refman/8.0/en/char.html). Redshift's lengths
// count bytes, its VARCHAR holds up to 65,535 and its CHAR single-byte
// characters only (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html).
const (
	// MaxCharLength is MySQL's longest CHAR, in characters.
	MaxCharLength = 255
	// MaxVarcharLength is the longest VARCHAR haina takes, in characters: MySQL's
	// 65,535-byte limit, reached by single-byte character sets.
	MaxVarcharLength = 65535
	// RedshiftMaxVarchar is Redshift's longest VARCHAR, in bytes (VARCHAR(MAX)).
	RedshiftMaxVarchar = 65535
	// BytesPerChar is the most bytes a character takes in UTF-8 (MySQL's
	// utf8mb4; Debezium's JSON and Redshift store UTF-8).
	BytesPerChar = 4
)

// Redshift types haina cannot fill from Debezium's JSON (VARBYTE arrives base64, GEOMETRY as WKB).
var unsupported = map[string]bool{"VARBYTE": true, "VARBINARY": true, "BINARY VARYING": true, "GEOMETRY": true,
	"GEOGRAPHY": true, "HLLSKETCH": true, "INTERVAL": true, "INTERVAL YEAR TO MONTH": true, "INTERVAL DAY TO SECOND": true}

var typeSyntax = regexp.MustCompile(`^([A-Z][A-Z0-9 ]*?)\s*(?:\(\s*([0-9]+|MAX)\s*(?:,\s*([0-9]+)\s*)?\))?$`)

// ColumnType validates a Redshift column type and returns its canonical
// spelling and family. Types enter SQL only in their canonical form.
func ColumnType(s string) (canonical, family string, err error) {
	t := strings.Join(strings.Fields(strings.ToUpper(s)), " ")
	m := typeSyntax.FindStringSubmatch(t)
	if m == nil {
		return "", "", fmt.Errorf("%q is not a Redshift type; supported: %s", s, SupportedTypes)
	}
	base, a, b := m[1], m[2], m[3]
	num := func(v string) int { n, _ := strconv.Atoi(v); return n }
	noArgs := func(canon, fam string) (string, string, error) {
		if a != "" {
			return "", "", fmt.Errorf("%q: %s takes no length or precision", s, base)
		}
		return canon, fam, nil
	}
	switch base {
	case "SMALLINT", "INT2":
		return noArgs("SMALLINT", FamilyInteger)
	case "INTEGER", "INT", "INT4":
		return noArgs("INTEGER", FamilyInteger)
	case "BIGINT", "INT8":
		return noArgs("BIGINT", FamilyInteger)
	case "REAL", "FLOAT4":
		return noArgs("REAL", FamilyFloat)
	case "DOUBLE PRECISION", "FLOAT8", "FLOAT":
		return noArgs("DOUBLE PRECISION", FamilyFloat)
	case "BOOLEAN", "BOOL":
		return noArgs("BOOLEAN", FamilyBoolean)
	case "DATE":
		return noArgs("DATE", FamilyDate)
	case "TIME", "TIME WITHOUT TIME ZONE":
		return noArgs("TIME", FamilyTime)
	case "TIMETZ", "TIME WITH TIME ZONE":
		return noArgs("TIMETZ", FamilyTime)
	case "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE":
		return noArgs("TIMESTAMP", FamilyTimestamp)
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return noArgs("TIMESTAMPTZ", FamilyTimestamp)
	case "SUPER":
		return noArgs("SUPER", FamilySuper)
	case "TEXT":
		return noArgs("VARCHAR(256)", FamilyText)
	case "DECIMAL", "NUMERIC":
		p, sc := 18, 0 // Redshift's defaults
		if a != "" {
			if a == "MAX" {
				return "", "", fmt.Errorf("%q: precision is 1 to 38", s)
			}
			p = num(a)
		}
		if b != "" {
			sc = num(b)
		}
		if p < 1 || p > 38 || sc > p {
			return "", "", fmt.Errorf("%q: DECIMAL precision is 1 to 38 and scale 0 to the precision", s)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", p, sc), FamilyDecimal, nil
	case "CHAR", "CHARACTER", "NCHAR", "BPCHAR":
		n := 1
		if a == "MAX" || b != "" {
			return "", "", fmt.Errorf("%q: CHAR takes one length, 1 to %d characters (MySQL's CHAR)", s, MaxCharLength)
		}
		if a != "" {
			n = num(a)
		}
		if n < 1 || n > MaxCharLength {
			return "", "", fmt.Errorf("%q: CHAR length is 1 to %d characters (MySQL's CHAR); a longer MySQL column is a VARCHAR", s, MaxCharLength)
		}
		return fmt.Sprintf("CHAR(%d)", n), FamilyText, nil
	case "VARCHAR", "CHARACTER VARYING", "NVARCHAR":
		if b != "" {
			return "", "", fmt.Errorf("%q: VARCHAR takes one length, 1 to %d characters or MAX", s, MaxVarcharLength)
		}
		switch {
		case a == "":
			return "VARCHAR(256)", FamilyText, nil
		case a == "MAX":
			return "VARCHAR(MAX)", FamilyText, nil
		case len(a) > 5 || num(a) < 1 || num(a) > MaxVarcharLength:
			return "", "", fmt.Errorf("%q: VARCHAR length is 1 to %d characters (MySQL's limit) or MAX", s, MaxVarcharLength)
		}
		return fmt.Sprintf("VARCHAR(%d)", num(a)), FamilyText, nil
	}
	if unsupported[base] {
		return "", "", fmt.Errorf("%q is a Redshift type haina cannot fill from Debezium's JSON; supported: %s", s, SupportedTypes)
	}
	return "", "", fmt.Errorf("%q is not a Redshift type; supported: %s", s, SupportedTypes)
}

// RedshiftType is the Redshift type of a column declared with the canonical
// type canonical, and for text the most bytes it holds. CHAR(n) and
// VARCHAR(n) count characters (MySQL), Redshift's lengths bytes: both become
// VARCHAR(4×n) so that any MySQL value fits (a Redshift CHAR holds single-byte
// characters only, so a MySQL CHAR is a Redshift VARCHAR, which keeps the
// value as Debezium sends it, unpadded). 4×n is capped
// at Redshift's 65,535 bytes: VARCHAR(n) for n up to 16,383 becomes
// VARCHAR(4×n), longer ones VARCHAR(65535). Those exist in MySQL only in
// character sets of fewer than 4 bytes a character (latin1: 1 byte in MySQL,
// up to 2 in UTF-8), so a value can still exceed 65,535 bytes: the apply run
// then fails, naming the table, rather than cutting it (R12).
func RedshiftType(canonical string) (typ string, bytes int) {
	var n int
	if canonical == "VARCHAR(MAX)" {
		return canonical, RedshiftMaxVarchar
	}
	if _, err := fmt.Sscanf(canonical, "VARCHAR(%d)", &n); err != nil {
		if _, err := fmt.Sscanf(canonical, "CHAR(%d)", &n); err != nil {
			return canonical, 0
		}
	}
	bytes = RedshiftMaxVarchar
	if n <= RedshiftMaxVarchar/BytesPerChar { // n*4 stays within 65,535 (and int)
		bytes = n * BytesPerChar
	}
	return fmt.Sprintf("VARCHAR(%d)", bytes), bytes
}

// NewColumn validates a column's name and type.
func NewColumn(name, typ string) (Column, error) {
	if err := CheckIdent(name); err != nil {
		return Column{}, err
	}
	canon, fam, err := ColumnType(typ)
	if err != nil {
		return Column{}, err
	}
	rs, bytes := RedshiftType(canon)
	return Column{Name: name, Type: rs, Declared: canon, Bytes: bytes, Family: fam}, nil
}
