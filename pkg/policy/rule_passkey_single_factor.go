package policy

// CodePasskeySingleFactor: passkeys are a single factor where the policy
// wants them multi-factor.
const CodePasskeySingleFactor = "PASSKEY_NOT_MULTI_FACTOR"

var passkeySingleFactor = Rule{
	Code: CodePasskeySingleFactor, Scope: "pool", Severity: "MEDIUM",
	Meaning: "`passkeys.factorConfiguration` is `multi-factor` and the pool's passkeys are a single factor",
	Corrected: "`FactorConfiguration` set to `MULTI_FACTOR_WITH_USER_VERIFICATION` in the pool's WebAuthn configuration, " +
		"its relying party kept. Not on a Lite pool: reported with the plan",
	find: func(j judged, _ Factor) bool {
		return j.mfa.WebAuthn != nil && j.policy.Passkeys.FactorConfiguration == PasskeyMultiFactor && !passkeysMultiFactor(j.mfa)
	},
	stage: stageShape,
	plan: func(j judged, d *PoolMFA) {
		if passkeysWritable(j.limits, d) && j.policy.Passkeys.FactorConfiguration == PasskeyMultiFactor {
			d.WebAuthn.FactorConfiguration = multiFactor
		}
	},
	text: func(subject) string {
		return "passkeys are a single factor; the policy requires them to be multi-factor (MULTI_FACTOR_WITH_USER_VERIFICATION)"
	},
	reason: func(s subject) string { return passkeysNotInPlan(s.limits.Tier) },
}
