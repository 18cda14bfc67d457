package policy

import "fmt"

// Violation codes are stable: findings consumers match on them.
const (
	CodeLevelBelowPolicy      = "MFA_LEVEL_BELOW_POLICY"
	CodeRequiredNotEnabled    = "REQUIRED_FACTOR_NOT_ENABLED"
	CodeForbiddenEnabled      = "FORBIDDEN_FACTOR_ENABLED"
	CodeNoActiveFactor        = "NO_ACTIVE_FACTOR"
	CodeUserPreferenceNotTOTP = "USER_PREFERRED_FACTOR_NOT_TOTP"
	CodeUserForbiddenEnabled  = "USER_FORBIDDEN_FACTOR_ENABLED"
)

// A Rule is one kind of violation: its code, how its findings read, and
// what the README says of it (TestReadmeRulesTable keeps the two in step).
type Rule struct {
	Code      string // stable: findings consumers match on it
	Scope     string // "pool" or "user": what the violation is found on
	PerFactor bool   // each violation names the factor it concerns
	Meaning   string // README "meaning" column
	Corrected string // README "corrected how" column

	text func(s subject) string
	// reason says why the plan leaves a violation in place; nil for a rule
	// whose violations are always corrected.
	reason func(s subject) string
}

// subject is what a violation's text and reason speak of.
type subject struct {
	policy  Policy
	level   Level   // the pool's level as observed
	factor  Factor  // the factor at issue; for a user's preference, the preferred one
	planned PoolMFA // what the plan writes; reasons only
}

// noFactorToEnable is why a level cannot be raised: Cognito needs a factor.
const noFactorToEnable = "raising MFA needs a factor, and no factor the policy allows can be enabled by the enforcer"

// Rules lists every kind of violation, in the README's order.
var Rules = []Rule{
	{
		Code: CodeLevelBelowPolicy, Scope: "pool",
		Meaning:   "level below the policy's minimum",
		Corrected: "raised, adding TOTP if no factor would be active",
		text: func(s subject) string {
			return fmt.Sprintf("MFA is %s; the policy requires at least %s", s.level, s.policy.MFAConfiguration)
		},
		reason: func(subject) string { return noFactorToEnable },
	},
	{
		Code: CodeRequiredNotEnabled, Scope: "pool", PerFactor: true,
		Meaning: "a required factor is not active",
		Corrected: "TOTP is enabled. SMS and email cannot be created: they need an SNS role, or the Essentials tier and SES, " +
			"that only the pool owner can provide; reported as not auto-correctable with the reason",
		text: func(s subject) string {
			return fmt.Sprintf("%s MFA is required by the policy but not active", factorNames[s.factor])
		},
		reason: func(s subject) string {
			switch s.factor {
			case SMS:
				return "SMS MFA needs an SNS caller role and SMS settings that only the pool owner can provide"
			case Email:
				return "email MFA needs the Essentials tier or higher and an SES sending configuration that only the pool owner can provide"
			}
			// Required TOTP is always added; only a policy Load refuses (required at OFF) gets here.
			return "the enforcer cannot make this change"
		},
	},
	{
		Code: CodeForbiddenEnabled, Scope: "pool", PerFactor: true,
		Meaning: "a forbidden factor is active",
		Corrected: "At ON: disabled; if it was the only factor, TOTP is enabled in the same write. " +
			"At OPTIONAL: kept and reported as not auto-correctable, because users whose only factor it is would be left " +
			"signing in with a password alone; the sign-in trigger turns it off for each user who also has TOTP, " +
			"and raising `mfaConfiguration` to ON gets it removed. " +
			"If TOTP is forbidden too, the factor is always kept (MFA is never turned off) and reported",
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
	},
	{
		Code: CodeNoActiveFactor, Scope: "pool",
		Meaning:   "OPTIONAL/ON with no factor (Cognito refuses this today)",
		Corrected: "TOTP enabled",
		text: func(s subject) string {
			return fmt.Sprintf("MFA is %s but no factor is enabled", s.level)
		},
		reason: func(subject) string { return noFactorToEnable },
	},
	{
		Code: CodeUserPreferenceNotTOTP, Scope: "user",
		Meaning:   "`users.preferSoftwareToken` and a user who has TOTP prefers another factor or none",
		Corrected: "TOTP made the user's preferred factor at sign-in",
		text: func(s subject) string {
			if s.factor == "" {
				return "the user prefers no MFA factor; the policy prefers TOTP"
			}
			return fmt.Sprintf("the user prefers %s MFA; the policy prefers TOTP", factorNames[s.factor])
		},
	},
	{
		Code: CodeUserForbiddenEnabled, Scope: "user", PerFactor: true,
		Meaning:   "a user who has TOTP also has a forbidden factor",
		Corrected: "disabled for that user at sign-in (never a user's last factor)",
		text: func(s subject) string {
			return fmt.Sprintf("the user has %s MFA enabled, which the policy forbids", factorNames[s.factor])
		},
	},
}

var factorNames = map[Factor]string{SoftwareToken: "TOTP (software token)", SMS: "SMS", Email: "email"}

// ruleOf returns the rule with the code; every code constant has one.
func ruleOf(code string) Rule {
	for _, r := range Rules {
		if r.Code == code {
			return r
		}
	}
	panic("policy: no rule for code " + code)
}

// violation is r's violation about s. Its correctability is final only for
// rules that are always corrected; Evaluate decides the others.
func (r Rule) violation(s subject) Violation {
	v := Violation{Code: r.Code, Text: r.text(s), Correctable: r.reason == nil}
	if r.PerFactor {
		v.Factor = s.factor
	}
	return v
}
