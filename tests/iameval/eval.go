package iameval

import (
	"fmt"
	"strings"
)

// Decision is the outcome of an evaluation.
type Decision int

const (
	// ImplicitDeny: no statement allows the request (the default).
	ImplicitDeny Decision = iota
	// Allow: some statement allows it and none denies it.
	Allow
	// ExplicitDeny: a Deny statement applies; it overrides every Allow.
	ExplicitDeny
)

// String names the decision as "The difference between explicit and implicit
// denies" does (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html).
func (d Decision) String() string {
	return [...]string{"implicit deny", "allow", "explicit deny"}[d]
}

// Caller is who makes the request: an IAM role (Kind "AWS", ID the role ARN,
// Account its account) or an AWS service principal (Kind "Service", ID such as
// "firehose.amazonaws.com").
type Caller struct {
	Kind    string
	ID      string
	Account string
}

// Request is one API call to authorize.
type Request struct {
	Caller   Caller
	Action   string
	Resource string
	Context  Context
}

// Match names a statement that applied to a request.
type Match struct {
	Policy string
	Index  int
	Sid    string
}

// String names the statement by its Sid ("IAM JSON policy elements: Sid",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html) or its index.
func (m Match) String() string {
	if m.Sid != "" {
		return fmt.Sprintf("%s#%s", m.Policy, m.Sid)
	}
	return fmt.Sprintf("%s#%d", m.Policy, m.Index)
}

// Result is a decision and the statements that led to it.
type Result struct {
	Decision Decision
	Allows   []Match
	Denies   []Match
}

// Allowed reports whether the request is allowed (not an explicit or
// implicit deny: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
func (r Result) Allowed() bool { return r.Decision == Allow }

// Evaluate decides a request made by a role, within one account, from the
// role's identity-based policies and, optionally, the resource's
// resource-based policy, following "Policy evaluation logic"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// reference_policies_evaluation-logic_policy-eval-denyallow.html and
// reference_policies_evaluation-logic_policy-eval-basics.html):
//
//  1. an explicit Deny in any applicable policy wins;
//  2. otherwise an Allow in the identity policies, or in the resource policy
//     for this principal, allows (same account: either suffices);
//  3. otherwise the request is implicitly denied.
//
// A resource-policy Allow whose principal is the caller's account (its ID or
// root ARN) delegates to the account's identity policies rather than granting
// to the role itself, so it does not allow on its own; a Deny naming the
// account applies to all its principals. Organizations SCPs/RCPs, permissions
// boundaries and session policies are not modelled: haina uses none.
// Any statement the evaluator cannot evaluate makes the whole evaluation an
// error (never an Allow).
func Evaluate(req Request, identity []*Policy, resource *Policy) (Result, error) {
	var res Result
	if err := checkNoVariables("request", req.Action, req.Resource); err != nil {
		return res, err
	}
	for _, p := range identity {
		for i, s := range p.Statements {
			if s.Principal != nil || s.NotPrincipal != nil {
				return res, fmt.Errorf("%s: identity policy statement %d has a Principal", p.Name, i)
			}
			if !s.HasResource && !s.HasNotResource {
				return res, fmt.Errorf("%s: identity policy statement %d has no Resource", p.Name, i)
			}
			ok, err := applies(s, req, false)
			if err != nil {
				return res, fmt.Errorf("%s statement %d (%s): %w", p.Name, i, s.Sid, err)
			}
			if ok {
				res.add(s, Match{p.Name, i, s.Sid})
			}
		}
	}
	if resource != nil {
		for i, s := range resource.Statements {
			if s.Principal == nil && s.NotPrincipal == nil {
				return res, fmt.Errorf("%s: resource policy statement %d has no Principal", resource.Name, i)
			}
			ok, err := applies(s, req, true)
			if err != nil {
				return res, fmt.Errorf("%s statement %d (%s): %w", resource.Name, i, s.Sid, err)
			}
			if ok {
				res.add(s, Match{resource.Name, i, s.Sid})
			}
		}
	}
	switch {
	case len(res.Denies) > 0:
		res.Decision = ExplicitDeny
	case len(res.Allows) > 0:
		res.Decision = Allow
	}
	return res, nil
}

// add records an applicable statement by its effect
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
func (r *Result) add(s Statement, m Match) {
	if s.Effect == "Deny" {
		r.Denies = append(r.Denies, m)
	} else {
		r.Allows = append(r.Allows, m)
	}
}

// EvaluateTrust decides whether an AWS service principal may call
// sts:AssumeRole on a role, from the role's trust policy (the role's
// resource-based policy) alone, with the request context the service sends
// (aws:SourceAccount, aws:SourceArn, sts:ExternalId…). See "Policy
// evaluation logic" and "IAM JSON policy elements: Principal"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services).
// A trust policy may not have Resource or NotResource (IAM refuses it).
func EvaluateTrust(trust *Policy, service, roleArn string, ctx Context) (Result, error) {
	for i, s := range trust.Statements {
		if s.HasResource || s.HasNotResource {
			return Result{}, fmt.Errorf("%s: trust policy statement %d has a Resource", trust.Name, i)
		}
	}
	return Evaluate(Request{
		Caller: Caller{Kind: "Service", ID: service}, Action: "sts:AssumeRole", Resource: roleArn, Context: ctx,
	}, nil, trust)
}

// EvaluateResourcePolicy decides a request a service principal makes on a
// resource whose resource-based policy is the only grant (an S3 bucket
// policy admitting redshift.amazonaws.com, a KMS key policy admitting
// logs.<region>.amazonaws.com, …): the same logic as Evaluate with no
// identity policies.
func EvaluateResourcePolicy(policy *Policy, service, action, resource string, ctx Context) (Result, error) {
	return Evaluate(Request{Caller: Caller{Kind: "Service", ID: service}, Action: action, Resource: resource, Context: ctx}, nil, policy)
}

// applies reports whether a statement matches a request: action, resource,
// principal (resource policies) and condition — all must match for a
// statement to apply ("Processing the request context",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-reqcontext).
func applies(s Statement, req Request, resourcePolicy bool) (bool, error) {
	var texts []string
	for _, l := range [][]string{s.Action, s.NotAction, s.Resource, s.NotResource} {
		texts = append(texts, l...)
	}
	if err := checkNoVariables("statement "+s.Sid, texts...); err != nil {
		return false, err
	}
	if s.HasNotAction {
		if anyMatch(s.NotAction, req.Action, MatchAction) {
			return false, nil
		}
	} else if !anyMatch(s.Action, req.Action, MatchAction) {
		return false, nil
	}
	switch {
	case s.HasResource:
		if !anyMatch(s.Resource, req.Resource, MatchResource) {
			return false, nil
		}
	case s.HasNotResource:
		if anyMatch(s.NotResource, req.Resource, MatchResource) {
			return false, nil
		}
	}
	if resourcePolicy {
		deny := s.Effect == "Deny"
		if s.Principal != nil && !principalMatches(s.Principal, req.Caller, deny) {
			return false, nil
		}
		if s.NotPrincipal != nil && principalMatches(s.NotPrincipal, req.Caller, true) {
			return false, nil
		}
	}
	if len(s.Condition) == 0 {
		return true, nil
	}
	return evalCondition(s.Condition, req.Context)
}

// anyMatch: the values of Action/Resource are ORed
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func anyMatch(patterns []string, v string, match func(p, v string) bool) bool {
	for _, p := range patterns {
		if match(p, v) {
			return true
		}
	}
	return false
}

// principalMatches ("IAM JSON policy elements: Principal",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html): "*" (or {"AWS": "*"}) is everyone; a service principal
// matches exactly; a role ARN matches itself; an account (ID or root ARN)
// matches its principals only for Deny (for Allow it delegates to the
// account's identity policies, see Evaluate).
func principalMatches(p *Principal, c Caller, deny bool) bool {
	if p.All {
		return true
	}
	for _, id := range p.IDs["AWS"] {
		if id == "*" {
			return true
		}
	}
	switch c.Kind {
	case "Service":
		for _, id := range p.IDs["Service"] {
			if id == c.ID {
				return true
			}
		}
	case "AWS":
		for _, id := range p.IDs["AWS"] {
			if id == c.ID {
				return true
			}
			if deny && c.Account != "" && (id == c.Account || id == "arn:aws:iam::"+c.Account+":root") {
				return true
			}
		}
	}
	return false
}

// WithoutAction (a mutation for the evaluation logic of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) returns copies of policies in which no Allow statement names
// action in its Action list any more (an exact, case-insensitive name;
// wildcard patterns are left in place). Statements left with no action are
// dropped, and policies left with no statement are dropped. Used by
// mutation checks: if a call is still allowed afterwards, a wildcard grants
// it by accident.
func WithoutAction(policies []*Policy, action string) []*Policy {
	var out []*Policy
	for _, p := range policies {
		c := p.Clone()
		var kept []Statement
		for _, s := range c.Statements {
			if s.Effect == "Allow" && !s.HasNotAction {
				var acts []string
				for _, a := range s.Action {
					if !strings.EqualFold(a, action) {
						acts = append(acts, a)
					}
				}
				if len(acts) == 0 {
					continue
				}
				s.Action = acts
			}
			kept = append(kept, s)
		}
		if len(kept) == 0 {
			continue
		}
		c.Statements = kept
		out = append(out, c)
	}
	return out
}

// EvaluateKMS decides a request on a KMS key from the caller's identity
// policies and the key policy, as KMS does: "Unless the key policy explicitly
// allows it, you cannot use IAM policies to allow access to a KMS key. Without
// permission from the key policy, IAM policies that allow permissions have no
// effect" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
// So the request is allowed when nothing denies it and either a key-policy
// statement allows the caller itself, or an identity policy allows it and a
// key-policy statement allows the caller's account (its root ARN or ID) for
// this very request — action and conditions included ("Allows access to the
// AWS account and enables IAM policies",
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
// A nil key policy stands for the default one (the account may use IAM for
// every action): identity policies alone decide.
func EvaluateKMS(req Request, identity []*Policy, key *Policy) (Result, error) {
	res, err := Evaluate(req, identity, key)
	if err != nil || key == nil || res.Decision != Allow {
		return res, err
	}
	if own, err := Evaluate(req, nil, key); err != nil || own.Allowed() {
		return res, err // the key policy names the caller itself
	}
	for i, s := range key.Statements {
		if s.Effect != "Allow" || s.Principal == nil || !namesAccount(s.Principal, req.Caller.Account) {
			continue
		}
		ok, err := applies(s, req, false) // action, resource and condition; the principal is the account
		if err != nil {
			return res, fmt.Errorf("%s statement %d (%s): %w", key.Name, i, s.Sid, err)
		}
		if ok {
			res.Allows = append(res.Allows, Match{key.Name, i, s.Sid})
			return res, nil
		}
	}
	res.Decision = ImplicitDeny
	return res, nil
}

// namesAccount reports whether a principal names an account as a whole
// (its ID or root ARN), which in a key policy enables IAM policies.
func namesAccount(p *Principal, account string) bool {
	if account == "" {
		return false
	}
	for _, id := range p.IDs["AWS"] {
		if id == account || id == "arn:aws:iam::"+account+":root" {
			return true
		}
	}
	return false
}
