// Package iameval is a small evaluator of AWS IAM policies: enough of the
// policy language and of AWS's evaluation logic to decide whether the calls an
// AWS service makes with one of haina's roles are allowed, and whether a
// role's trust policy admits the service. It fails loudly (an error) on
// anything it does not understand, so an unsupported construct can never
// turn into a silent Allow.
//
// References:
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
package iameval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	// Name identifies the policy in results (e.g. "aws:iam/rolePolicy:RolePolicy::haina-apply").
	Name       string
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement. Exactly one of Action/NotAction is set; at most
// one of Resource/NotResource and of Principal/NotPrincipal.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"

	Principal    *Principal
	NotPrincipal *Principal

	Action       []string
	NotAction    []string
	HasNotAction bool

	Resource       []string
	NotResource    []string
	HasResource    bool
	HasNotResource bool

	// Condition is operator → key → values, as written.
	Condition map[string]map[string][]string
}

// Principal is the Principal element: "*" (All) or a map of kind
// ("AWS", "Service", "Federated", "CanonicalUser") to identifiers.
type Principal struct {
	All bool
	IDs map[string][]string
}

// strictly decodes JSON: unknown fields are errors (a misspelt "Conditon"
// must not silently drop a condition). The elements a policy may have:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html.
func strictly(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return dec.Decode(v)
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	ID        string          `json:"Id"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          string          `json:"Sid"`
	Effect       string          `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Action       json.RawMessage `json:"Action"`
	NotAction    json.RawMessage `json:"NotAction"`
	Resource     json.RawMessage `json:"Resource"`
	NotResource  json.RawMessage `json:"NotResource"`
	Condition    json.RawMessage `json:"Condition"`
}

// Parse reads a policy document: Version, Id, and Statement as one object or
// a list; Action/NotAction, Resource/NotResource, Principal/NotPrincipal and
// condition values as a string or a list of strings (condition values may
// also be JSON booleans or numbers, as AWS accepts). See
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
// and reference_policies_grammar.html. Anything else is an error.
func Parse(name, doc string) (*Policy, error) {
	var rp rawPolicy
	if err := strictly(json.RawMessage(doc), &rp); err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	switch rp.Version {
	case "2012-10-17", "2008-10-17":
	case "":
		// AWS defaults to 2008-10-17; policy variables are then plain text. We
		// accept it (nothing here uses variables), but say so in errors below.
	default:
		return nil, fmt.Errorf("policy %s: unknown Version %q", name, rp.Version)
	}
	p := &Policy{Name: name, Version: rp.Version, ID: rp.ID}
	raws, err := objectOrList(rp.Statement)
	if err != nil {
		return nil, fmt.Errorf("policy %s: Statement: %w", name, err)
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("policy %s: no Statement", name)
	}
	for i, raw := range raws {
		s, err := parseStatement(raw)
		if err != nil {
			return nil, fmt.Errorf("policy %s: statement %d: %w", name, i, err)
		}
		// Variables are substituted only under Version 2012-10-17; under the
		// older version they are plain text ("IAM policy elements: Variables
		// and tags", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
		if rp.Version != "2012-10-17" {
			for _, kv := range s.Condition {
				for k, vals := range kv {
					if err := checkNoVariables("condition "+k+" under Version "+rp.Version, vals...); err != nil {
						return nil, fmt.Errorf("policy %s: statement %d: %w", name, i, err)
					}
				}
			}
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// objectOrList splits a JSON value that is one object or a list of objects
// (Statement: "a single statement or an array of statements",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html).
func objectOrList(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("missing")
	}
	if raw[0] == '{' {
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("neither an object nor a list: %w", err)
	}
	for _, r := range list {
		if b := bytes.TrimSpace(r); len(b) == 0 || b[0] != '{' {
			return nil, fmt.Errorf("list element is not an object: %s", r)
		}
	}
	return list, nil
}

// stringOrList reads "x" or ["x", "y"]. present is false when raw is absent
// (the grammar's <action_string_list>, <resource_string_list>,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
func stringOrList(raw json.RawMessage) (vals []string, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true, nil
	}
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil, true, fmt.Errorf("neither a string nor a list of strings: %s", raw)
	}
	if len(vals) == 0 {
		return nil, true, fmt.Errorf("empty list")
	}
	return vals, true, nil
}

// scalarOrList reads condition values: strings, booleans and numbers (as their
// JSON text), alone or in a list (<condition_value_list>,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
func scalarOrList(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	scalar := func(x any) (string, error) {
		switch t := x.(type) {
		case string:
			return t, nil
		case bool:
			return fmt.Sprint(t), nil
		case json.Number:
			return t.String(), nil
		}
		return "", fmt.Errorf("condition value %v is not a string, boolean or number", x)
	}
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return nil, fmt.Errorf("empty condition value list")
		}
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, err := scalar(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// parsePrincipal reads Principal/NotPrincipal: "*" or {"AWS"|"Service"|
// "Federated"|"CanonicalUser": id or [ids]} ("IAM JSON policy elements:
// Principal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func parsePrincipal(raw json.RawMessage) (*Principal, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("principal string must be \"*\", got %q", star)
		}
		return &Principal{All: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("principal: %w", err)
	}
	p := &Principal{IDs: map[string][]string{}}
	for kind, v := range m {
		switch kind {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, fmt.Errorf("unknown principal kind %q", kind)
		}
		ids, _, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("principal %s: %w", kind, err)
		}
		p.IDs[kind] = ids
	}
	return p, nil
}

// parseStatement reads one statement and checks the grammar's exclusions
// (Action xor NotAction, not both Resource and NotResource, Effect Allow|Deny):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html, reference_policies_elements_effect.html.
func parseStatement(raw json.RawMessage) (Statement, error) {
	var rs rawStatement
	if err := strictly(raw, &rs); err != nil {
		return Statement{}, err
	}
	s := Statement{Sid: rs.Sid, Effect: rs.Effect}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return s, fmt.Errorf("Effect must be Allow or Deny, got %q", s.Effect)
	}
	var err error
	if s.Principal, err = parsePrincipal(rs.Principal); err != nil {
		return s, err
	}
	if s.NotPrincipal, err = parsePrincipal(rs.NotPrincipal); err != nil {
		return s, err
	}
	if s.Principal != nil && s.NotPrincipal != nil {
		return s, fmt.Errorf("both Principal and NotPrincipal")
	}
	var hasAction bool
	if s.Action, hasAction, err = stringOrList(rs.Action); err != nil {
		return s, fmt.Errorf("Action: %w", err)
	}
	if s.NotAction, s.HasNotAction, err = stringOrList(rs.NotAction); err != nil {
		return s, fmt.Errorf("NotAction: %w", err)
	}
	if hasAction == s.HasNotAction {
		return s, fmt.Errorf("exactly one of Action and NotAction is required")
	}
	for _, a := range append(append([]string(nil), s.Action...), s.NotAction...) {
		if a != "*" && !strings.Contains(a, ":") {
			return s, fmt.Errorf("action %q has no service prefix", a)
		}
	}
	if s.Resource, s.HasResource, err = stringOrList(rs.Resource); err != nil {
		return s, fmt.Errorf("Resource: %w", err)
	}
	if s.NotResource, s.HasNotResource, err = stringOrList(rs.NotResource); err != nil {
		return s, fmt.Errorf("NotResource: %w", err)
	}
	if s.HasResource && s.HasNotResource {
		return s, fmt.Errorf("both Resource and NotResource")
	}
	if c := bytes.TrimSpace(rs.Condition); len(c) > 0 {
		var ops map[string]map[string]json.RawMessage
		if err := json.Unmarshal(c, &ops); err != nil {
			return s, fmt.Errorf("Condition must map operators to {key: values}: %w", err)
		}
		s.Condition = map[string]map[string][]string{}
		for op, kv := range ops {
			s.Condition[op] = map[string][]string{}
			for k, v := range kv {
				vals, err := scalarOrList(v)
				if err != nil {
					return s, fmt.Errorf("Condition %s %s: %w", op, k, err)
				}
				s.Condition[op][k] = vals
			}
		}
	}
	return s, nil
}

// Clone returns a deep copy (for mutation tests), through the document form of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html.
func (p *Policy) Clone() *Policy {
	b, err := json.Marshal(p.doc())
	if err != nil {
		panic(err) // strings only
	}
	c, err := Parse(p.Name, string(b))
	if err != nil {
		panic(fmt.Sprintf("iameval: re-parsing a policy it wrote: %v", err))
	}
	c.Version, c.ID = p.Version, p.ID
	return c
}

// JSON renders the policy back into a document (lists for every multi-valued
// element; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
func (p *Policy) JSON() string {
	b, err := json.Marshal(p.doc())
	if err != nil {
		panic(err)
	}
	return string(b)
}

// doc is the policy as JSON-ready maps, per
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html.
func (p *Policy) doc() map[string]any {
	var stmts []map[string]any
	for _, s := range p.Statements {
		m := map[string]any{"Effect": s.Effect}
		if s.Sid != "" {
			m["Sid"] = s.Sid
		}
		pr := func(x *Principal) any {
			if x.All {
				return "*"
			}
			return x.IDs
		}
		if s.Principal != nil {
			m["Principal"] = pr(s.Principal)
		}
		if s.NotPrincipal != nil {
			m["NotPrincipal"] = pr(s.NotPrincipal)
		}
		if s.HasNotAction {
			m["NotAction"] = s.NotAction
		} else {
			m["Action"] = s.Action
		}
		if s.HasResource {
			m["Resource"] = s.Resource
		}
		if s.HasNotResource {
			m["NotResource"] = s.NotResource
		}
		if s.Condition != nil {
			m["Condition"] = s.Condition
		}
		stmts = append(stmts, m)
	}
	out := map[string]any{"Statement": stmts}
	if p.Version != "" {
		out["Version"] = p.Version
	}
	if p.ID != "" {
		out["Id"] = p.ID
	}
	return out
}

// sortedKeys returns a map's keys in order: deterministic evaluation and
// messages (the order of condition operators and keys has no meaning,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
