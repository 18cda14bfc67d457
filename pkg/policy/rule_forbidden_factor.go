package policy

import "fmt"

// CodeForbiddenEnabled: a factor the policy forbids is active.
const CodeForbiddenEnabled = "FORBIDDEN_FACTOR_ENABLED"

var forbiddenEnabled = Rule{
	Code: CodeForbiddenEnabled, Scope: "pool", PerFactor: true, Severity: "MEDIUM",
	Meaning: "a forbidden factor is active",
	Corrected: "At ON: disabled; if it was the only factor, TOTP is enabled in the same write. " +
		"At OPTIONAL: kept and reported as not auto-correctable, because users whose only factor it is would be left " +
		"signing in with a password alone; the sign-in check turns it off for each user who also has TOTP, " +
		"and raising `mfaConfiguration` to ON gets it removed. " +
		"If TOTP is forbidden too, the factor is always kept (MFA is never turned off) and reported",
	find: func(j judged, f Factor) bool { return j.policy.Factors.Of(f) == Forbidden && j.mfa.Active(f) },
	// Nothing is active at OFF, so nothing is forbidden there.
	stage: stageFactors,
	plan: func(j judged, d *PoolMFA) {
		if d.Level == LevelOff {
			return
		}
		for _, f := range AllFactors {
			if j.policy.Factors.Of(f) == Forbidden && !keptAtOptional(j.observed, *d, f) {
				d.disable(f)
			}
		}
	},
	text: func(s subject) string {
		return fmt.Sprintf("%s MFA is forbidden by the policy but enabled", factorNames[s.factor])
	},
	reason: func(s subject) string {
		if s.planned.Level != LevelOptional {
			return "removing it would leave MFA with no factor, and the policy forbids TOTP, the only factor the enforcer can enable"
		}
		// Kept at OPTIONAL (see keptAtOptional).
		name := factorNames[s.factor]
		why := fmt.Sprintf("at OPTIONAL, removing it would leave users whose only MFA factor is %s signing in with a password alone", name)
		if s.policy.Factors.SoftwareToken != Forbidden {
			why += fmt.Sprintf("; the sign-in trigger, where attached, turns %s off for each user who also has TOTP", name)
		}
		return why + "; raise mfaConfiguration to ON to have it removed from the pool"
	},
}

// keptAtOptional reports whether c, at OPTIONAL, must keep factor f because
// observed has it active: users whose only factor it is would otherwise
// sign in with a password alone. At ON every user must use a remaining
// factor, and at OFF nobody uses f, so removing it loses no one's MFA.
func keptAtOptional(observed, c PoolMFA, f Factor) bool {
	return c.Level == LevelOptional && observed.Active(f)
}
