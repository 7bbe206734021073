package iameval

import (
	"fmt"
	"strings"
)

// glob matches s against a pattern where * is any run of characters (also
// empty) and ? is exactly one character, as IAM's Action, Resource,
// StringLike and ArnLike elements do. No other character is special
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards,
// reference_policies_elements_condition_operators.html#Conditions_String).
func glob(pattern, s string) bool {
	// Iterative matcher with single-star backtracking: linear for IAM-sized inputs.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// MatchAction reports whether a policy's action pattern covers an action.
// Actions are "service:Name"; the match is case-insensitive and takes the *
// and ? wildcards ("IAM JSON policy elements: Action",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func MatchAction(pattern, action string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(action))
}

// MatchResource reports whether a policy's resource pattern covers a
// request's resource ARN: case-sensitive, * and ? wildcards. "*" alone matches
// everything. Otherwise, as for ArnLike, each of the six colon-separated ARN
// components is matched on its own, the last one (the resource part) taking
// the rest of the ARN, colons included ("IAM JSON policy elements: Resource",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
// and the ARN operators in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
func MatchResource(pattern, resource string) bool {
	if pattern == "*" {
		return true
	}
	return matchARN(pattern, resource)
}

// matchARN compares two ARNs component by component with wildcards: "each of
// the six colon-delimited components of the ARN is checked separately"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
func matchARN(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		// Not ARN-shaped: IAM refuses such a Resource pattern, and a request
		// resource "*" (an action without a resource type) is only covered by
		// a policy "*". Only an identical string matches; wildcards cannot
		// reach across the missing components.
		return pattern == arn
	}
	for i := range pp {
		if !glob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// checkNoVariables refuses policy variables ("IAM policy elements: Variables
// and tags", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html) (${aws:username} and the like):
// this evaluator does not substitute them, and treating them as literal text
// could hide a grant or a deny.
func checkNoVariables(where string, vals ...string) error {
	for _, v := range vals {
		if strings.Contains(v, "${") {
			return fmt.Errorf("%s: policy variables are not supported (%q)", where, v)
		}
	}
	return nil
}
