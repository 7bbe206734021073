package fakeredshift

import (
	"fmt"
	"strings"
	"unicode"
)

// tokKind is the kind of one SQL token.
type tokKind int

const (
	tWord   tokKind = iota // an unquoted word: keyword or identifier, folded to lower case
	tQuoted                // a "quoted identifier", case kept ("" unescaped)
	tString                // a 'string literal' ('' and \\ unescaped)
	tNumber
	tBody  // a $$-quoted body
	tPunct // ( ) , . ; = and the like
)

type token struct {
	kind tokKind
	text string // the value: folded word, unescaped identifier or literal, punctuation
}

// lex splits one SQL statement into tokens, dropping comments. Unquoted words
// fold to lower case (PostgreSQL and Redshift identifier rules); quoted ones
// keep their case, as on a workgroup with enable_case_sensitive_identifier
// true (which haina sets).
func lex(sql string) ([]token, error) {
	var out []token
	rs := []rune(sql)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '-' && i+1 < len(rs) && rs[i+1] == '-':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '/' && i+1 < len(rs) && rs[i+1] == '*':
			end := strings.Index(string(rs[i+2:]), "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += 2 + len([]rune(string(rs[i+2:])[:end])) + 2
		case r == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(rs) {
					return nil, fmt.Errorf("unterminated quoted identifier")
				}
				if rs[i] == '"' {
					if i+1 < len(rs) && rs[i+1] == '"' {
						b.WriteRune('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			out = append(out, token{tQuoted, b.String()})
		case r == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(rs) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if rs[i] == '\\' && i+1 < len(rs) {
					b.WriteRune(rs[i+1])
					i += 2
					continue
				}
				if rs[i] == '\'' {
					if i+1 < len(rs) && rs[i+1] == '\'' {
						b.WriteRune('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			out = append(out, token{tString, b.String()})
		case r == '$' && i+1 < len(rs) && rs[i+1] == '$':
			rest := string(rs[i+2:])
			end := strings.Index(rest, "$$")
			if end < 0 {
				return nil, fmt.Errorf("unterminated $$ body")
			}
			out = append(out, token{tBody, rest[:end]})
			i += 2 + len([]rune(rest[:end])) + 2
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '$') {
				j++
			}
			out = append(out, token{tWord, strings.ToLower(string(rs[i:j]))})
			i = j
		case unicode.IsDigit(r):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			out = append(out, token{tNumber, string(rs[i:j])})
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "::", "<>", ">=", "<=", "!=", "||":
				out = append(out, token{tPunct, two})
				i += 2
				continue
			}
			out = append(out, token{tPunct, string(r)})
			i++
		}
	}
	// A trailing semicolon ends the statement.
	for len(out) > 0 && out[len(out)-1].kind == tPunct && out[len(out)-1].text == ";" {
		out = out[:len(out)-1]
	}
	return out, nil
}

// parser walks the tokens of one statement.
type parser struct {
	toks []token
	pos  int
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

func (p *parser) peek(off int) token {
	if p.pos+off < len(p.toks) {
		return p.toks[p.pos+off]
	}
	return token{kind: tPunct, text: ""}
}

// isKw reports whether the next tokens are these keywords.
func (p *parser) isKw(words ...string) bool {
	for i, w := range words {
		t := p.peek(i)
		if t.kind != tWord || t.text != w {
			return false
		}
	}
	return true
}

// kw consumes the keywords if they come next.
func (p *parser) kw(words ...string) bool {
	if !p.isKw(words...) {
		return false
	}
	p.pos += len(words)
	return true
}

func (p *parser) isPunct(s string) bool {
	t := p.peek(0)
	return t.kind == tPunct && t.text == s
}

func (p *parser) punct(s string) bool {
	if !p.isPunct(s) {
		return false
	}
	p.pos++
	return true
}

// ident consumes one identifier (a word or a quoted identifier).
func (p *parser) ident() (string, bool) {
	t := p.peek(0)
	if t.kind == tWord || t.kind == tQuoted {
		p.pos++
		return t.text, true
	}
	return "", false
}

// name is a schema-qualified object name.
type name struct{ schema, name string }

// String is the name as PostgreSQL prints it in messages: schema.name.
func (n name) String() string { return n.schema + "." + n.name }

// qname consumes [schema.]name; an unqualified name is in public (the default
// search_path, "$user", public).
func (p *parser) qname() (name, bool) {
	a, ok := p.ident()
	if !ok {
		return name{}, false
	}
	if p.isPunct(".") {
		p.pos++
		b, ok := p.ident()
		if !ok {
			return name{}, false
		}
		return name{a, b}, true
	}
	return name{"public", a}, true
}

// skipParens consumes a balanced ( … ) group if one comes next.
func (p *parser) skipParens() bool {
	if !p.isPunct("(") {
		return false
	}
	depth := 0
	for !p.done() {
		t := p.toks[p.pos]
		p.pos++
		if t.kind == tPunct && t.text == "(" {
			depth++
		} else if t.kind == tPunct && t.text == ")" {
			depth--
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

// clauseWords end a FROM item's alias position.
var clauseWords = map[string]bool{
	"where": true, "join": true, "inner": true, "left": true, "right": true, "full": true, "cross": true,
	"natural": true, "on": true, "using": true, "group": true, "order": true, "limit": true, "having": true,
	"union": true, "intersect": true, "except": true, "minus": true, "window": true, "qualify": true,
	"offset": true, "outer": true, "with": true,
}

// relationRefs returns the relations a query reads: the names after FROM and
// JOIN (and after commas in a FROM list) at the query's own level or in a
// subquery, never inside an expression such as EXTRACT(x FROM y). Names of
// the query's own CTEs and function calls in FROM are left out.
func relationRefs(toks []token) []name {
	ctes := map[string]bool{}
	for i := 0; i+2 < len(toks); i++ {
		prev := token{}
		if i > 0 {
			prev = toks[i-1]
		}
		if (toks[i].kind == tWord || toks[i].kind == tQuoted) && toks[i+1].kind == tWord && toks[i+1].text == "as" &&
			toks[i+2].kind == tPunct && toks[i+2].text == "(" &&
			((prev.kind == tWord && (prev.text == "with" || prev.text == "recursive")) || (prev.kind == tPunct && prev.text == ",")) {
			ctes[toks[i].text] = true
		}
	}
	var out []name
	query := []bool{true} // per open paren: is it a subquery?
	p := &parser{toks: toks}
	for !p.done() {
		t := p.toks[p.pos]
		switch {
		case t.kind == tPunct && t.text == "(":
			next := p.peek(1)
			query = append(query, next.kind == tWord && (next.text == "select" || next.text == "with"))
			p.pos++
		case t.kind == tPunct && t.text == ")":
			if len(query) > 1 {
				query = query[:len(query)-1]
			}
			p.pos++
		case t.kind == tWord && (t.text == "from" || t.text == "join") && query[len(query)-1]:
			p.pos++
			for {
				if p.isPunct("(") || p.isKw("lateral") {
					break
				}
				start := p.pos
				n, ok := p.qname()
				if !ok {
					break
				}
				if p.isPunct("(") { // a function in FROM
					p.pos = start + 1
					break
				}
				if qualified := p.pos-start > 1; qualified || !ctes[n.name] {
					out = append(out, n)
				}
				// An alias, then maybe another item of a FROM list.
				if p.kw("as") {
					p.ident()
				} else if a := p.peek(0); a.kind == tQuoted || (a.kind == tWord && !clauseWords[a.text]) {
					p.pos++
				}
				if t.text == "from" && p.punct(",") {
					continue
				}
				break
			}
		default:
			p.pos++
		}
	}
	return out
}
