package policy

import "fmt"

// CodeLevelBelowPolicy: the pool's MFA level is below the policy's.
const CodeLevelBelowPolicy = "MFA_LEVEL_BELOW_POLICY"

var levelBelowPolicy = Rule{
	Code: CodeLevelBelowPolicy, Scope: "pool", Severity: "HIGH",
	Meaning: "level below the policy's minimum",
	Corrected: "raised, adding TOTP if no factor would be active; only to OPTIONAL where the pool's first sign-in factors " +
		"rule ON out (see the first-factor codes below)",
	find: func(j judged, _ Factor) bool {
		return j.mfa.Level.Rank() < j.policy.MFAConfiguration.Rank() && !j.equivalentOn()
	},
	// Raised to the policy's level, or to the highest Cognito accepts for
	// the pool; never lowered, and left as it is where an equivalent the
	// policy accepts counts as ON.
	stage: stageLevel,
	plan: func(j judged, d *PoolMFA) {
		if j.equivalentOn() {
			return
		}
		if target := j.limits.highestLevel(j.policy.MFAConfiguration, *d); d.Level.Rank() < target.Rank() {
			d.Level = target
		}
	},
	text: func(s subject) string {
		return fmt.Sprintf("MFA is %s; the policy requires at least %s", s.level, s.policy.MFAConfiguration)
	},
	reason: func(s subject) string {
		if s.planned.Level == LevelOptional && !s.limits.acceptsOn(s.planned) {
			return "Cognito refuses MFA ON with this pool's first sign-in factors; OPTIONAL is the strongest level it accepts, " +
				"and the first-factor violation says what to change"
		}
		return noFactorToEnable
	},
}
