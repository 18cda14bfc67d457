package policy

import "slices"

// CodePasskeyFirstFactor: single-factor passkeys as a first factor keep
// the pool from the ON the policy requires.
const CodePasskeyFirstFactor = "PASSKEY_FIRST_FACTOR_BLOCKS_MFA_ON"

var passkeyFirstFactor = Rule{
	Code: CodePasskeyFirstFactor, Scope: "pool", Severity: "HIGH",
	Meaning: "the policy requires ON and the pool allows `WEB_AUTHN` as a first sign-in factor with single-factor passkeys, " +
		"with which Cognito refuses ON",
	Corrected: "with `passkeys.factorConfiguration` `multi-factor`, `MULTI_FACTOR_WITH_USER_VERIFICATION` is set in the same write as ON. " +
		"Otherwise, or when the pool has no WebAuthn configuration (the enforcer never creates one) or is on the Lite plan, " +
		"MFA is raised to OPTIONAL and the reason says why",
	refusesOn: passkeyFirstRefusesOn,
	find:      func(j judged, _ Factor) bool { return belowRequiredOn(j) && passkeyFirstRefusesOn(j.limits, j.mfa) },
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
}

// passkeyFirstRefusesOn: Cognito refuses ON with WEB_AUTHN as a first
// factor unless passkeys are multi-factor.
func passkeyFirstRefusesOn(lim Limits, c PoolMFA) bool {
	return slices.Contains(lim.FirstFactors, FirstPasskey) && !passkeysMultiFactor(c)
}
