package sql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Column is a target-table column: a Redshift identifier and a canonical type.
type Column struct {
	Name string
	Type string // canonical, e.g. DECIMAL(12,2), VARCHAR(100)
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
	"CHAR(n), VARCHAR(n) (TEXT = VARCHAR(256), VARCHAR(MAX)), DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ, SUPER"

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
			return "", "", fmt.Errorf("%q: CHAR takes one length, 1 to 4096 bytes", s)
		}
		if a != "" {
			n = num(a)
		}
		if n < 1 || n > 4096 {
			return "", "", fmt.Errorf("%q: CHAR length is 1 to 4096 bytes", s)
		}
		return fmt.Sprintf("CHAR(%d)", n), FamilyText, nil
	case "VARCHAR", "CHARACTER VARYING", "NVARCHAR":
		if b != "" {
			return "", "", fmt.Errorf("%q: VARCHAR takes one length, 1 to 65535 bytes or MAX", s)
		}
		switch {
		case a == "":
			return "VARCHAR(256)", FamilyText, nil
		case a == "MAX":
			return "VARCHAR(MAX)", FamilyText, nil
		case num(a) < 1 || num(a) > 65535:
			return "", "", fmt.Errorf("%q: VARCHAR length is 1 to 65535 bytes or MAX", s)
		}
		return fmt.Sprintf("VARCHAR(%d)", num(a)), FamilyText, nil
	}
	if unsupported[base] {
		return "", "", fmt.Errorf("%q is a Redshift type haina cannot fill from Debezium's JSON; supported: %s", s, SupportedTypes)
	}
	return "", "", fmt.Errorf("%q is not a Redshift type; supported: %s", s, SupportedTypes)
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
	return Column{Name: name, Type: canon, Family: fam}, nil
}
