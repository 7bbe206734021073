package iameval

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Context is the request context: condition key → values. Keys are matched
// case-insensitively, as AWS does for condition key names ("Condition key
// names are not case-sensitive", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
type Context map[string][]string

// lookup finds a key's values, case-insensitively
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
func (c Context) lookup(key string) []string {
	if v, ok := c[key]; ok {
		return v
	}
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// operator (see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
// is a parsed condition operator: an optional set qualifier, a base
// operator and an optional IfExists.
type operator struct {
	set      string // "", "ForAnyValue" or "ForAllValues"
	base     string
	ifExists bool
	negated  bool
	match    func(policy, request string) (bool, error)
}

// baseOperators are the operators this evaluator implements, each with how a
// policy value matches a request value. Negated operators are listed with the
// positive match they negate. See "IAM JSON policy elements: Condition
// operators",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html.
var baseOperators = map[string]struct {
	negated bool
	match   func(policy, request string) (bool, error)
}{
	"StringEquals":              {false, func(p, r string) (bool, error) { return p == r, nil }},
	"StringNotEquals":           {true, func(p, r string) (bool, error) { return p == r, nil }},
	"StringEqualsIgnoreCase":    {false, func(p, r string) (bool, error) { return strings.EqualFold(p, r), nil }},
	"StringNotEqualsIgnoreCase": {true, func(p, r string) (bool, error) { return strings.EqualFold(p, r), nil }},
	"StringLike":                {false, func(p, r string) (bool, error) { return glob(p, r), nil }},
	"StringNotLike":             {true, func(p, r string) (bool, error) { return glob(p, r), nil }},
	// ArnEquals and ArnLike behave the same: each ARN component is compared on
	// its own, with wildcards (the doc's "Amazon Resource Name (ARN) condition operators").
	"ArnEquals":                {false, func(p, r string) (bool, error) { return matchARN(p, r), nil }},
	"ArnLike":                  {false, func(p, r string) (bool, error) { return matchARN(p, r), nil }},
	"ArnNotEquals":             {true, func(p, r string) (bool, error) { return matchARN(p, r), nil }},
	"ArnNotLike":               {true, func(p, r string) (bool, error) { return matchARN(p, r), nil }},
	"Bool":                     {false, matchBool},
	"NumericEquals":            {false, numeric(func(p, r float64) bool { return r == p })},
	"NumericNotEquals":         {true, numeric(func(p, r float64) bool { return r == p })},
	"NumericLessThan":          {false, numeric(func(p, r float64) bool { return r < p })},
	"NumericLessThanEquals":    {false, numeric(func(p, r float64) bool { return r <= p })},
	"NumericGreaterThan":       {false, numeric(func(p, r float64) bool { return r > p })},
	"NumericGreaterThanEquals": {false, numeric(func(p, r float64) bool { return r >= p })},
}

// matchBool is the Bool operator: "true" or "false", compared without case
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean).
func matchBool(p, r string) (bool, error) {
	if !strings.EqualFold(p, "true") && !strings.EqualFold(p, "false") {
		return false, fmt.Errorf("Bool condition value %q is neither true nor false", p)
	}
	return strings.EqualFold(p, r), nil
}

// numeric builds a Numeric… operator; a request value that is not a number
// does not match (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric).
func numeric(cmp func(p, r float64) bool) func(p, r string) (bool, error) {
	return func(p, r string) (bool, error) {
		pf, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return false, fmt.Errorf("numeric condition value %q: %w", p, err)
		}
		rf, err := strconv.ParseFloat(r, 64)
		if err != nil {
			// AWS: a request value that is not a number does not match.
			return false, nil
		}
		return cmp(pf, rf), nil
	}
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts; an
// operator this evaluator does not implement (Date…, IpAddress, BinaryEquals,
// a typo) is an error, never a silent match.
func parseOperator(name string) (operator, error) {
	op := operator{}
	rest := name
	for _, q := range []string{"ForAnyValue", "ForAllValues"} {
		if strings.HasPrefix(rest, q+":") {
			op.set, rest = q, strings.TrimPrefix(rest, q+":")
		}
	}
	if rest == "Null" {
		if op.set != "" {
			return op, fmt.Errorf("condition operator %q: Null takes no set qualifier", name)
		}
		op.base = "Null"
		return op, nil
	}
	if strings.HasSuffix(rest, "IfExists") {
		op.ifExists, rest = true, strings.TrimSuffix(rest, "IfExists")
	}
	b, ok := baseOperators[rest]
	if !ok {
		return op, fmt.Errorf("unsupported condition operator %q", name)
	}
	op.base, op.negated, op.match = rest, b.negated, b.match
	return op, nil
}

// evalCondition evaluates a statement's Condition block against a request
// context. Operators are ANDed, keys within an operator are ANDed, and a
// key's values are ORed (for a negated operator: the request value must
// match none of them). A key missing from the context makes a condition
// false, except for negated operators (true), …IfExists (true), ForAllValues
// (true) and Null (tests presence) — all as the IAM condition-operator and
// condition-element docs state
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
// reference_policies_condition-single-vs-multi-valued-context-keys.html).
// A multi-valued context key used without ForAnyValue/ForAllValues is an error.
func evalCondition(cond map[string]map[string][]string, ctx Context) (bool, error) {
	for _, opName := range sortedKeys(cond) {
		op, err := parseOperator(opName)
		if err != nil {
			return false, err
		}
		for _, key := range sortedKeys(cond[opName]) {
			if err := checkNoVariables("condition "+opName+" key", key); err != nil {
				return false, err
			}
			want, ok := substitute(cond[opName][key], ctx)
			if !ok {
				return false, nil
			}
			ok, err := evalKey(op, key, want, ctx.lookup(key))
			if err != nil {
				return false, fmt.Errorf("condition %s %s: %w", opName, key, err)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// evalKey evaluates one operator on one key: missing keys, …IfExists, Null,
// and the ForAnyValue/ForAllValues set operators as
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html and
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html describe.
func evalKey(op operator, key string, want, got []string) (bool, error) {
	if op.base == "Null" {
		if len(want) != 1 {
			return false, fmt.Errorf("Null takes one value")
		}
		switch strings.ToLower(want[0]) {
		case "true":
			return len(got) == 0, nil
		case "false":
			return len(got) > 0, nil
		}
		return false, fmt.Errorf("Null value %q is neither true nor false", want[0])
	}
	if len(got) == 0 {
		switch {
		case op.ifExists:
			return true, nil
		case op.set == "ForAllValues":
			return true, nil
		case op.set == "ForAnyValue":
			return false, nil
		}
		return op.negated, nil
	}
	// one reports whether a single request value satisfies the operator.
	one := func(v string) (bool, error) {
		any := false
		for _, w := range want {
			m, err := op.match(w, v)
			if err != nil {
				return false, err
			}
			if m {
				any = true
				break
			}
		}
		if op.negated {
			return !any, nil
		}
		return any, nil
	}
	switch op.set {
	case "":
		if len(got) > 1 {
			return false, fmt.Errorf("context key %s has %d values: a multivalued key needs ForAnyValue or ForAllValues", key, len(got))
		}
		return one(got[0])
	case "ForAnyValue":
		for _, v := range got {
			ok, err := one(v)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	default: // ForAllValues
		for _, v := range got {
			ok, err := one(v)
			if err != nil || !ok {
				return ok, err
			}
		}
		return true, nil
	}
}

var reVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// substitute replaces policy variables in condition values with the
// request's values ("IAM policy elements: Variables and tags",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
// ${key} takes the key's one value, ${*} ${?} ${$} are the literal
// characters, and a key missing from the request makes the condition fail
// (ok false), as AWS treats a variable it cannot resolve. A key with several
// values or a default (${key, 'x'}) is not modelled: an error would be
// safer, so such a value is left unresolved and fails the condition.
func substitute(vals []string, ctx Context) ([]string, bool) {
	out := make([]string, len(vals))
	ok := true
	for i, v := range vals {
		out[i] = reVariable.ReplaceAllStringFunc(v, func(m string) string {
			k := reVariable.FindStringSubmatch(m)[1]
			switch k {
			case "*", "?", "$":
				return k
			}
			got := ctx.lookup(k)
			if len(got) != 1 {
				ok = false
				return m
			}
			return got[0]
		})
	}
	return out, ok
}
