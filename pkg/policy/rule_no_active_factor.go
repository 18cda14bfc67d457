package policy

import "fmt"

// CodeNoActiveFactor: MFA is OPTIONAL or ON with no factor.
const CodeNoActiveFactor = "NO_ACTIVE_FACTOR"

var noActiveFactor = Rule{
	Code: CodeNoActiveFactor, Scope: "pool", Severity: "HIGH",
	Meaning:   "OPTIONAL/ON with no factor (Cognito refuses this today)",
	Corrected: "TOTP enabled",
	// Cognito refuses this combination, so it is only seen if that changes.
	find: func(j judged, _ Factor) bool { return j.mfa.Level != LevelOff && !j.mfa.anyEnabled() },
	// MFA at OPTIONAL or ON needs a factor; TOTP is the one the enforcer
	// can add. Where the policy forbids it too, the plan keeps the
	// forbidden factors rather than turn MFA off, and a pool that was OFF
	// stays as observed: its level cannot be raised without a factor.
	stage: stageSafety,
	plan: func(j judged, d *PoolMFA) {
		if d.Level == LevelOff || d.anyEnabled() {
			return
		}
		if j.policy.Factors.SoftwareToken != Forbidden {
			d.SoftwareToken = true
			return
		}
		keep := j.observed.Clone()
		planStage(j, &keep, stageShape)
		if j.observed.Level != LevelOff {
			keep.Level = d.Level
		}
		*d = keep
	},
	text: func(s subject) string {
		return fmt.Sprintf("MFA is %s but no factor is enabled", s.level)
	},
	reason: func(subject) string { return noFactorToEnable },
}
