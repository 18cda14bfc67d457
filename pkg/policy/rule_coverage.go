package policy

import "fmt"

// CodeCoverageBelowPolicy: too few of the pool's active users have MFA.
const CodeCoverageBelowPolicy = "MFA_COVERAGE_BELOW_POLICY"

var coverageBelowPolicy = Rule{
	Code: CodeCoverageBelowPolicy, Scope: "pool", Severity: "MEDIUM",
	Meaning: "`users.minimumCoverage` is set and, of the pool's users seen signing in within `users.coverageWindowDays`, " +
		"a smaller share has an MFA factor (from the coverage ledger; the finding's `coverage` has the numbers)",
	Corrected: "not auto-correctable: the enforcer cannot enrol users. MFA ON makes every user set up a factor at their next " +
		"sign-in; at OPTIONAL, enrolment prompts in the application raise it",
	text: func(s subject) string {
		c := s.coverage
		return fmt.Sprintf("%d of %d users active in the last %d days have an MFA factor (%s); the policy requires at least %s",
			c.WithMFA, c.ActiveUsers, c.WindowDays, percent(*c.Ratio), percent(s.policy.Users.MinimumCoverage))
	},
	reason: func(s subject) string {
		if s.level == LevelOn {
			return "the enforcer cannot enrol users; the pool requires MFA, so users without a factor set one up at their next sign-in " +
				"and coverage rises as they return"
		}
		return "the enforcer cannot enrol users; to raise coverage, set the pool's MFA to ON (every user sets up a factor at the " +
			"next sign-in) or prompt users to enrol in the application"
	},
}

// EvaluateCoverage lists the coverage violation of a pool whose observed
// coverage is c and MFA level is level: one when p sets a minimum and the
// share of active users with MFA is below it. A pool nobody signed in to
// has no share and no violation. Never auto-correctable: the enforcer
// cannot enrol users.
func EvaluateCoverage(p Policy, level Level, c Coverage) []Violation {
	if p.Users.MinimumCoverage <= 0 || c.Ratio == nil || *c.Ratio >= p.Users.MinimumCoverage {
		return nil
	}
	s := subject{policy: p, level: level, coverage: c}
	v := coverageBelowPolicy.violation(s)
	v.Reason = coverageBelowPolicy.reason(s)
	return []Violation{v}
}
