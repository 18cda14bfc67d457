package policy

import "fmt"

// CodeRequiredNotEnabled: a factor the policy requires is not active.
const CodeRequiredNotEnabled = "REQUIRED_FACTOR_NOT_ENABLED"

var requiredNotEnabled = Rule{
	Code: CodeRequiredNotEnabled, Scope: "pool", PerFactor: true, Severity: "MEDIUM",
	Meaning: "a required factor is not active",
	Corrected: "TOTP is enabled. SMS and email cannot be created: they need an SNS role, or the Essentials tier and SES, " +
		"that only the pool owner can provide; reported as not auto-correctable with the reason",
	find: func(j judged, f Factor) bool { return j.policy.Factors.Of(f) == Required && !j.mfa.Active(f) },
	// Nothing is active at OFF, so nothing is required (policy load refuses
	// required factors with OFF). TOTP is the one factor the enforcer can
	// enable.
	stage: stageFactors,
	plan: func(j judged, d *PoolMFA) {
		if d.Level != LevelOff && j.policy.Factors.SoftwareToken == Required {
			d.SoftwareToken = true
		}
	},
	text: func(s subject) string {
		return fmt.Sprintf("%s MFA is required by the policy but not active", factorNames[s.factor])
	},
	reason: func(s subject) string {
		switch s.factor {
		case SMS:
			return "SMS MFA needs an SNS caller role and SMS settings that only the pool owner can provide"
		case Email:
			why := "email MFA needs the Essentials tier or higher and an SES sending configuration that only the pool owner can provide"
			if s.limits.Tier == TierLite {
				why += "; the pool's plan is LITE"
			}
			return why
		}
		// Required TOTP is always added; only a policy Load refuses (required at OFF) gets here.
		return "the enforcer cannot make this change"
	},
}
