package policy

// Decision is what the policy makes of one observed pool state within the
// pool's limits, computed once per read: the violations, the plan, and
// what to write (the plan and its fallbacks, strongest first).
type Decision struct {
	Observed PoolMFA
	// Violations are observed's, each correctable when the plan corrects it.
	Violations []Violation
	Plan       PoolMFA
	// Corrections lists what to write, strongest first: the plan, then
	// Fallbacks. None when observed complies or nothing can be corrected.
	Corrections []PoolMFA

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
	return d
}

// Assess lists the decision's violations, each correctable when achieved
// (what Cognito stored) no longer has it. One that achieved keeps carries
// its rule's reason when the plan keeps it too, and otherwise why: what
// stood between the plan and achieved (a refusal, say).
func (d Decision) Assess(achieved PoolMFA, why string) []Violation {
	p, lim := d.policy, d.limits
	vs := check(p, d.Observed, lim)
	if len(vs) == 0 {
		return nil
	}
	keys := func(c PoolMFA) map[string]bool {
		m := map[string]bool{}
		for _, v := range check(p, c, lim) {
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

// Policy is the policy the decision was made by.
func (d Decision) Policy() Policy { return d.policy }

// Limits are the pool limits the decision was made within.
func (d Decision) Limits() Limits { return d.limits }
