package policy

import "fmt"

// Violation codes are stable: findings consumers match on them.
const (
	CodeLevelBelowPolicy      = "MFA_LEVEL_BELOW_POLICY"
	CodeRequiredNotEnabled    = "REQUIRED_FACTOR_NOT_ENABLED"
	CodeForbiddenEnabled      = "FORBIDDEN_FACTOR_ENABLED"
	CodeNoActiveFactor        = "NO_ACTIVE_FACTOR"
	CodePasskeyVerification   = "PASSKEY_USER_VERIFICATION_NOT_REQUIRED"
	CodePasskeySingleFactor   = "PASSKEY_NOT_MULTI_FACTOR"
	CodeOTPFirstFactor        = "OTP_FIRST_FACTOR_BLOCKS_MFA_ON"
	CodePasskeyFirstFactor    = "PASSKEY_FIRST_FACTOR_BLOCKS_MFA_ON"
	CodeCoverageBelowPolicy   = "MFA_COVERAGE_BELOW_POLICY"
	CodeUserPreferenceNotTOTP = "USER_PREFERRED_FACTOR_NOT_TOTP"
	CodeUserForbiddenEnabled  = "USER_FORBIDDEN_FACTOR_ENABLED"
)

// A Rule is one kind of violation: its code, how its findings read, and
// what docs/policy.md says of it (TestRulesTableDoc keeps the two in step).
type Rule struct {
	Code      string // stable: findings consumers match on it
	Scope     string // "pool" or "user": what the violation is found on
	PerFactor bool   // each violation names the factor it concerns
	Meaning   string // docs/policy.md "meaning" column
	Corrected string // docs/policy.md "corrected how" column
	Severity  string // in Security Hub: LOW, MEDIUM or HIGH

	text func(s subject) string
	// reason says why the plan leaves a violation in place; nil for a rule
	// whose violations are always corrected.
	reason func(s subject) string
}

// subject is what a violation's text and reason speak of.
type subject struct {
	policy   Policy
	level    Level    // the pool's level as observed
	factor   Factor   // the factor at issue; for a user's preference, the preferred one
	planned  PoolMFA  // what the plan writes; reasons only
	limits   Limits   // the pool's sign-in policy and plan, as far as they were read
	coverage Coverage // the pool's users with MFA among those active
}

// noFactorToEnable is why a level cannot be raised: Cognito needs a factor.
const noFactorToEnable = "raising MFA needs a factor, and no factor the policy allows can be enabled by the enforcer"

// Rules lists every kind of violation, in the order of docs/policy.md.
var Rules = []Rule{
	{
		Code: CodeLevelBelowPolicy, Scope: "pool", Severity: "HIGH",
		Meaning: "level below the policy's minimum",
		Corrected: "raised, adding TOTP if no factor would be active; only to OPTIONAL where the pool's first sign-in factors " +
			"rule ON out (see the first-factor codes below)",
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
	},
	{
		Code: CodeRequiredNotEnabled, Scope: "pool", PerFactor: true, Severity: "MEDIUM",
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
				why := "email MFA needs the Essentials tier or higher and an SES sending configuration that only the pool owner can provide"
				if s.limits.Tier == TierLite {
					why += "; the pool's plan is LITE"
				}
				return why
			}
			// Required TOTP is always added; only a policy Load refuses (required at OFF) gets here.
			return "the enforcer cannot make this change"
		},
	},
	{
		Code: CodeForbiddenEnabled, Scope: "pool", PerFactor: true, Severity: "MEDIUM",
		Meaning: "a forbidden factor is active",
		Corrected: "At ON: disabled; if it was the only factor, TOTP is enabled in the same write. " +
			"At OPTIONAL: kept and reported as not auto-correctable, because users whose only factor it is would be left " +
			"signing in with a password alone; the sign-in check turns it off for each user who also has TOTP, " +
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
		Code: CodeNoActiveFactor, Scope: "pool", Severity: "HIGH",
		Meaning:   "OPTIONAL/ON with no factor (Cognito refuses this today)",
		Corrected: "TOTP enabled",
		text: func(s subject) string {
			return fmt.Sprintf("MFA is %s but no factor is enabled", s.level)
		},
		reason: func(subject) string { return noFactorToEnable },
	},
	{
		Code: CodePasskeyVerification, Scope: "pool", Severity: "LOW",
		Meaning: "`passkeys.userVerification` is `required` and the pool's passkeys only prefer user verification",
		Corrected: "set to `required` in the pool's WebAuthn configuration, in the same write as any other correction, " +
			"its relying party kept. Not on a Lite pool (passkey settings need Essentials): reported with the plan",
		text: func(subject) string {
			return "passkeys do not require user verification; the policy requires it"
		},
		reason: func(s subject) string { return passkeysNotInPlan(s.limits.Tier) },
	},
	{
		Code: CodePasskeySingleFactor, Scope: "pool", Severity: "MEDIUM",
		Meaning: "`passkeys.factorConfiguration` is `multi-factor` and the pool's passkeys are a single factor",
		Corrected: "`FactorConfiguration` set to `MULTI_FACTOR_WITH_USER_VERIFICATION` in the pool's WebAuthn configuration, " +
			"its relying party kept. Not on a Lite pool: reported with the plan",
		text: func(subject) string {
			return "passkeys are a single factor; the policy requires them to be multi-factor (MULTI_FACTOR_WITH_USER_VERIFICATION)"
		},
		reason: func(s subject) string { return passkeysNotInPlan(s.limits.Tier) },
	},
	{
		Code: CodeOTPFirstFactor, Scope: "pool", Severity: "HIGH",
		Meaning: "the policy requires ON and the pool allows `EMAIL_OTP` or `SMS_OTP` as a first sign-in factor, " +
			"with which Cognito refuses ON",
		Corrected: "not auto-correctable: first factors change only through UpdateUserPool, which the enforcer never calls " +
			"(it resets every setting left out). MFA is raised to OPTIONAL in one write, the strongest level Cognito accepts; " +
			"the text and reason name the first factors to remove",
		text: func(s subject) string {
			otp := s.limits.otpFirstFactors()
			verb := "is an allowed first sign-in factor"
			if len(otp) > 1 {
				verb = "are allowed first sign-in factors"
			}
			return fmt.Sprintf("MFA cannot be ON while %s %s", joinFirstFactors(otp), verb)
		},
		reason: func(s subject) string {
			return fmt.Sprintf("Cognito accepts MFA ON only with PASSWORD and WEB_AUTHN as first factors: remove %s from the pool's "+
				"sign-in policy (Policies.SignInPolicy.AllowedFirstAuthFactors). The enforcer does not call UpdateUserPool, "+
				"which resets every setting left out; until then MFA can be OPTIONAL at most", joinFirstFactors(s.limits.otpFirstFactors()))
		},
	},
	{
		Code: CodePasskeyFirstFactor, Scope: "pool", Severity: "HIGH",
		Meaning: "the policy requires ON and the pool allows `WEB_AUTHN` as a first sign-in factor with single-factor passkeys, " +
			"with which Cognito refuses ON",
		Corrected: "with `passkeys.factorConfiguration` `multi-factor`, `MULTI_FACTOR_WITH_USER_VERIFICATION` is set in the same write as ON. " +
			"Otherwise, or when the pool has no WebAuthn configuration (the enforcer never creates one) or is on the Lite plan, " +
			"MFA is raised to OPTIONAL and the reason says why",
		text: func(subject) string {
			return "MFA cannot be ON while WEB_AUTHN is an allowed first sign-in factor and passkeys are a single factor"
		},
		reason: func(s subject) string {
			const until = "; until then MFA can be OPTIONAL at most"
			switch {
			case s.planned.WebAuthn == nil:
				return "Cognito accepts MFA ON with WEB_AUTHN as a first factor only with multi-factor passkeys, and the pool has no " +
					"WebAuthn configuration to make multi-factor: the enforcer never creates one (it cannot know the relying party). " +
					"Configure passkeys (SetUserPoolMfaConfig) or remove WEB_AUTHN from the pool's first factors" + until
			case s.limits.Tier == TierLite:
				return passkeysNotInPlan(s.limits.Tier) + until
			}
			return "Cognito accepts MFA ON with WEB_AUTHN as a first factor only with multi-factor passkeys " +
				"(MULTI_FACTOR_WITH_USER_VERIFICATION): set passkeys.factorConfiguration to multi-factor to have the enforcer " +
				"set it in the same write as ON, or remove WEB_AUTHN from the pool's first factors" + until
		},
	},
	{
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
	},
	{
		Code: CodeUserPreferenceNotTOTP, Scope: "user", Severity: "LOW",
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
		Code: CodeUserForbiddenEnabled, Scope: "user", PerFactor: true, Severity: "MEDIUM",
		Meaning:   "a user who has TOTP also has a forbidden factor",
		Corrected: "disabled for that user at sign-in (never a user's last factor)",
		text: func(s subject) string {
			return fmt.Sprintf("the user has %s MFA enabled, which the policy forbids", factorNames[s.factor])
		},
	},
}

// passkeysNotInPlan is why passkey settings are left alone on a pool.
func passkeysNotInPlan(t Tier) string {
	return fmt.Sprintf("passkey settings need the Essentials feature plan or higher; the pool's plan is %s", t)
}

var factorNames = map[Factor]string{SoftwareToken: "TOTP (software token)", SMS: "SMS", Email: "email"}

// ruleOf returns the rule with the code; every code constant has one.
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
