package policy

import "fmt"

// CodeUserForbiddenEnabled: a user who has TOTP also has a forbidden factor.
const CodeUserForbiddenEnabled = "USER_FORBIDDEN_FACTOR_ENABLED"

var userForbiddenEnabled = Rule{
	Code: CodeUserForbiddenEnabled, Scope: "user", PerFactor: true, Severity: "MEDIUM",
	Meaning:   "a user who has TOTP also has a forbidden factor",
	Corrected: "disabled for that user at sign-in (never a user's last factor)",
	// TOTP stays, so the user keeps a factor; a disabled factor cannot stay
	// preferred.
	planUser: func(r Rule, p Policy, _ UserMFA, want *UserMFA) []Violation {
		var vs []Violation
		var kept []Factor
		for _, f := range want.Enabled {
			if f != SoftwareToken && p.Factors.Of(f) == Forbidden {
				vs = append(vs, r.violation(subject{policy: p, factor: f}))
				continue
			}
			kept = append(kept, f)
		}
		want.Enabled = kept
		if !want.has(want.Preferred) {
			want.Preferred = ""
		}
		return vs
	},
	text: func(s subject) string {
		return fmt.Sprintf("the user has %s MFA enabled, which the policy forbids", factorNames[s.factor])
	},
}
