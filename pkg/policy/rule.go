package policy

import (
	"fmt"
	"slices"
)

// A Rule is one kind of violation, written in a file of its own
// (rule_<name>.go): its stable code, its severity, how its findings read,
// its row in docs/policy.md, the check that finds it and its step of the
// plan that corrects it. A new rule is a new file and a line in Rules.
type Rule struct {
	Code      string // stable: findings consumers match on it
	Scope     string // "pool" or "user": what the violation is found on
	PerFactor bool   // each violation names the factor it concerns
	Meaning   string // docs/policy.md "meaning" column
	Corrected string // docs/policy.md "corrected how" column
	Severity  string // in Security Hub: LOW, MEDIUM or HIGH

	// find reports whether the judged configuration breaks a pool rule
	// (for factor f, for a rule per factor). nil: found elsewhere (user
	// and coverage rules).
	find func(j judged, f Factor) bool
	// findAll lists what the judged configuration breaks the rule for, for
	// a rule whose violations are about more than a factor (an app client
	// and a risk level); used instead of find.
	findAll func(j judged) []subject
	// plan moves the planned configuration d toward the policy, at its
	// stage of Plan; nil: the rule is corrected by no pool write.
	plan  func(j judged, d *PoolMFA)
	stage stage
	// countsAsOn reports that the judged pool counts as MFA ON without
	// being ON: an equivalent the policy accepts (adaptive authentication).
	countsAsOn func(j judged) bool
	// writes is what corrects the rule's violations: the MFA
	// configuration, or the pool's risk configuration.
	writes writes
	// refusesOn reports that Cognito refuses MFA ON for c in a pool with
	// lim: a rule about what keeps a pool below ON (its first factors).
	refusesOn func(lim Limits, c PoolMFA) bool
	// planUser moves a user's desired settings want (from before) toward
	// the policy and returns the violations it corrects: user rules.
	planUser func(r Rule, p Policy, before UserMFA, want *UserMFA) []Violation

	text func(s subject) string
	// reason says why the plan leaves a violation in place; nil for a rule
	// whose violations are always corrected.
	reason func(s subject) string
}

// Rules lists every rule, in the order of docs/policy.md. Checks run in
// this order (a run of per-factor rules factor by factor), so findings list
// their violations in it; plan steps run by stage, then in this order.
// (The list is written in init only because the rules' steps read it.)
var Rules []Rule

func init() {
	Rules = []Rule{
		levelBelowPolicy,
		noActiveFactor,
		requiredNotEnabled,
		forbiddenEnabled,
		passkeyVerification,
		passkeySingleFactor,
		otpFirstFactor,
		passkeyFirstFactor,
		adaptiveBelowPolicy,
		coverageBelowPolicy,
		userForbiddenEnabled,
		userPreferenceNotTOTP,
	}
}

// writes is the configuration a rule's corrections are written to.
type writes int

const (
	writesMFA  writes = iota // SetUserPoolMfaConfig
	writesRisk               // SetRiskConfiguration
)

// equivalentOn reports whether a rule accepts the judged pool as MFA ON
// without its being ON.
func (j judged) equivalentOn() bool {
	for i := range Rules {
		if f := Rules[i].countsAsOn; f != nil && f(j) {
			return true
		}
	}
	return false
}

// stage orders the steps of a plan: the passkey settings first (whether
// Cognito accepts ON depends on them), then the level, then the factors,
// then what keeps MFA working (a factor at OPTIONAL or ON).
type stage int

const (
	stageShape stage = iota
	stageLevel
	stageFactors
	stageSafety
	stages
)

// judged is what a pool rule looks at: the policy, a configuration (the
// observed one, a planned one, what Cognito stored) and the pool's limits.
// Plan steps also see observed, the configuration the plan starts from.
type judged struct {
	policy   Policy
	mfa      PoolMFA
	observed PoolMFA
	limits   Limits
}

// subject is what a violation's text and reason speak of.
type subject struct {
	policy   Policy
	level    Level    // the pool's level as observed
	factor   Factor   // the factor at issue; for a user's preference, the preferred one
	planned  PoolMFA  // what the plan writes; reasons only
	limits   Limits   // the pool's sign-in policy and plan, as far as they were read
	coverage Coverage // the pool's users with MFA among those active
	// An adaptive authentication violation's app client ("" for the pool),
	// risk level, action and the policy's minimum.
	client          string
	riskLevel       string
	action, minimum string
}

// check lists the violations of c against p for a pool with lim, without
// correctability.
func check(p Policy, c PoolMFA, lim Limits) []Violation {
	j := judged{policy: p, mfa: c, observed: c, limits: lim}
	var vs []Violation
	add := func(r *Rule, f Factor) {
		vs = append(vs, r.violation(subject{policy: p, level: c.Level, factor: f, limits: lim}))
	}
	for i := 0; i < len(Rules); {
		if r := &Rules[i]; r.findAll != nil {
			for _, sub := range r.findAll(j) {
				vs = append(vs, r.violation(sub))
			}
			i++
			continue
		}
		if r := &Rules[i]; r.find == nil || !r.PerFactor {
			if r.find != nil && r.find(j, "") {
				add(r, "")
			}
			i++
			continue
		}
		run := i // a run of per-factor rules: factor by factor
		for i < len(Rules) && Rules[i].find != nil && Rules[i].PerFactor {
			i++
		}
		for _, f := range AllFactors {
			for k := run; k < i; k++ {
				if Rules[k].find(j, f) {
					add(&Rules[k], f)
				}
			}
		}
	}
	return vs
}

// Plan returns the configuration that brings observed in line with p while
// only strengthening it and carrying every setting p does not govern, as
// far as Cognito accepts for a pool with lim: each rule's plan step, stage
// by stage. At OPTIONAL it never removes a factor users may rely on
// (keptAtOptional).
func Plan(p Policy, observed PoolMFA, lim Limits) PoolMFA {
	d := observed.Clone()
	j := judged{policy: p, mfa: observed, observed: observed, limits: lim}
	for s := range stages {
		planStage(j, &d, s)
	}
	return d
}

// planStage applies the plan steps of one stage to d.
func planStage(j judged, d *PoolMFA, s stage) {
	for i := range Rules {
		if r := &Rules[i]; r.plan != nil && r.stage == s {
			r.plan(j, d)
		}
	}
}

// acceptsOn reports whether Cognito accepts c at ON for a pool with lim:
// no rule says it refuses it.
func (l Limits) acceptsOn(c PoolMFA) bool {
	for i := range Rules {
		if f := Rules[i].refusesOn; f != nil && f(l, c) {
			return false
		}
	}
	return true
}

// PlanUser decides a user's MFA settings. It changes a user only when the
// user has TOTP, each user rule in turn. It never removes a user's last
// factor and never enables a factor the user has not set up. A user with
// passkey MFA thus always keeps TOTP, the other factor Cognito requires
// beside it. It returns the desired state and the violations that state
// corrects; none means no change.
func PlanUser(p Policy, u UserMFA) (UserMFA, []Violation) {
	if !u.has(SoftwareToken) {
		return u, nil
	}
	want := UserMFA{Enabled: slices.Clone(u.Enabled), Preferred: u.Preferred, PasskeyMFA: u.PasskeyMFA}
	var vs []Violation
	for _, r := range Rules {
		if r.planUser != nil {
			vs = append(vs, r.planUser(r, p, u, &want)...)
		}
	}
	if len(vs) == 0 {
		return u, nil
	}
	if want.Preferred == "" && len(want.Enabled) < len(u.Enabled) {
		want.Preferred = SoftwareToken // a removed factor was preferred: keep one preferred
	}
	return want, vs
}

// ruleOf returns the rule with the code; every code constant has one.
func ruleOf(code string) *Rule {
	for i := range Rules {
		if Rules[i].Code == code {
			return &Rules[i]
		}
	}
	panic("policy: no rule for code " + code)
}

// SeverityOf is the Security Hub severity of a violation code; MEDIUM for
// a code the table does not hold.
func SeverityOf(code string) string {
	for _, r := range Rules {
		if r.Code == code {
			return r.Severity
		}
	}
	return "MEDIUM"
}

// violation is r's violation about s. Its correctability is final only for
// rules that are always corrected; Decide settles the others.
func (r *Rule) violation(s subject) Violation {
	v := Violation{Code: r.Code, Text: r.text(s), Correctable: r.reason == nil, Client: s.client, RiskLevel: s.riskLevel}
	if r.PerFactor {
		v.Factor = s.factor
	}
	return v
}

// noFactorToEnable is why a level cannot be raised: Cognito needs a factor.
const noFactorToEnable = "raising MFA needs a factor, and no factor the policy allows can be enabled by the enforcer"

var factorNames = map[Factor]string{SoftwareToken: "TOTP (software token)", SMS: "SMS", Email: "email"}

func percent(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }
