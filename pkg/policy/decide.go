package policy

// Decision is what the policy makes of one observed pool state within the
// pool's limits, computed once per read: the violations, the plan, and
// what to write (the plan and its fallbacks, strongest first); and, for a
// pool whose adaptive authentication counts as MFA ON, the same of its
// risk configuration.
type Decision struct {
	Observed PoolMFA
	// Violations are observed's that an MFA write corrects or nothing does,
	// each correctable when the plan corrects it.
	Violations []Violation
	Plan       PoolMFA
	// Corrections lists what to write, strongest first: the plan, then
	// Fallbacks. None when observed complies or nothing can be corrected.
	Corrections []PoolMFA
	// Risk is the decision on the risk configuration; Adaptive what the
	// policy made of adaptive authentication (nil where not relevant).
	Risk     RiskDecision
	Adaptive *AdaptiveJudgement

	policy Policy
	limits Limits
}

// Decide judges observed against p for a pool with lim. It plans once.
func Decide(p Policy, observed PoolMFA, lim Limits) Decision {
	d := Decision{Observed: observed, Plan: Plan(p, observed, lim), policy: p, limits: lim}
	d.Violations = d.Assess(d.Plan, "")
	if len(d.Violations) > 0 && !Equal(d.Plan, observed) {
		d.Corrections = append([]PoolMFA{d.Plan}, Fallbacks(observed, d.Plan, lim)...)
	}
	d.Risk, d.Adaptive = decideRisk(p, observed, lim), JudgeAdaptive(p, observed, lim)
	return d
}

// Equivalent names the control the pool counts as MFA ON by ("" for none).
func (d Decision) Equivalent() string {
	if d.Adaptive != nil && d.Adaptive.Accepted {
		return Equivalent
	}
	return ""
}

// Assess lists the decision's violations, each correctable when achieved
// (what Cognito stored) no longer has it. One that achieved keeps carries
// its rule's reason when the plan keeps it too, and otherwise why: what
// stood between the plan and achieved (a refusal, say).
func (d Decision) Assess(achieved PoolMFA, why string) []Violation {
	p, lim := d.policy, d.limits
	vs := checkMFA(p, d.Observed, lim)
	if len(vs) == 0 {
		return nil
	}
	keys := func(c PoolMFA) map[string]bool {
		m := map[string]bool{}
		for _, v := range checkMFA(p, c, lim) {
			m[v.key()] = true
		}
		return m
	}
	keptByPlan, kept := keys(d.Plan), keys(achieved)
	for i := range vs {
		switch {
		case !kept[vs[i].key()]:
			vs[i].Correctable = true
		case keptByPlan[vs[i].key()]:
			vs[i].Reason = ruleOf(vs[i].Code).reason(subject{policy: p, factor: vs[i].Factor, planned: d.Plan, limits: lim})
		default:
			vs[i].Reason = why
		}
	}
	return vs
}

// checkMFA is check without the violations a risk write corrects.
func checkMFA(p Policy, c PoolMFA, lim Limits) []Violation {
	var out []Violation
	for _, v := range check(p, c, lim) {
		if ruleOf(v.Code).writes == writesMFA {
			out = append(out, v)
		}
	}
	return out
}

// Policy is the policy the decision was made by.
func (d Decision) Policy() Policy { return d.policy }

// Limits are the pool limits the decision was made within.
func (d Decision) Limits() Limits { return d.limits }

// Evaluate lists the violations of observed against p for a pool with
// lim. A violation is correctable when the planned configuration no longer
// has it.
func Evaluate(p Policy, observed PoolMFA, lim Limits) []Violation {
	return Decide(p, observed, lim).Violations
}

// Assess lists the violations of observed against p, each correctable when
// achieved no longer has it (Decision.Assess).
func Assess(p Policy, observed, achieved PoolMFA, lim Limits, why string) []Violation {
	return Decide(p, observed, lim).Assess(achieved, why)
}

// Fallbacks lists weaker corrections to try, strongest first, when Cognito
// refuses the full plan: forbidden factors kept, then ON lowered to
// OPTIONAL, then each of these without the passkey changes. At OPTIONAL
// every factor active in observed stays, as in Plan. Each is strictly
// stronger than observed and never weaker than it anywhere; none is one
// Cognito is known to refuse for a pool with lim.
func Fallbacks(observed, desired PoolMFA, lim Limits) []PoolMFA {
	keepAll := func(c PoolMFA) PoolMFA {
		keep := c.Clone()
		for _, f := range AllFactors {
			if observed.Enabled(f) && !keep.Enabled(f) {
				restore(&keep, observed, f)
			}
		}
		return keep
	}
	steps := []PoolMFA{desired, keepAll(desired)}
	if desired.Level == LevelOn && observed.Level != LevelOn {
		atOptional := desired.Clone()
		atOptional.Level = LevelOptional
		for _, f := range AllFactors {
			if keptAtOptional(observed, atOptional, f) && !atOptional.Enabled(f) {
				restore(&atOptional, observed, f)
			}
		}
		steps = append(steps, atOptional, keepAll(atOptional))
	}
	var variants []PoolMFA
	for _, v := range steps {
		// Each step, then the same without the passkey changes (which the
		// pool's plan may refuse).
		withoutPasskeys := v.Clone()
		withoutPasskeys.WebAuthn = observed.Clone().WebAuthn
		variants = append(variants, v, withoutPasskeys)
	}
	var out []PoolMFA
	seen := []PoolMFA{observed, desired}
	for _, v := range variants {
		if v.Level != LevelOff && !v.anyEnabled() || lim.refuses(v) || containsConfig(seen, v) {
			continue
		}
		seen = append(seen, v)
		out = append(out, v)
	}
	return out
}

func restore(c *PoolMFA, from PoolMFA, f Factor) {
	switch f {
	case SoftwareToken:
		c.SoftwareToken = from.SoftwareToken
	case SMS:
		c.SMS = from.Clone().SMS
	case Email:
		c.Email = from.Clone().Email
	}
}

func containsConfig(list []PoolMFA, c PoolMFA) bool {
	for _, x := range list {
		if Equal(x, c) {
			return true
		}
	}
	return false
}
