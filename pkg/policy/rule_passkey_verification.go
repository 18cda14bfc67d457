package policy

// CodePasskeyVerification: passkeys only prefer user verification.
const CodePasskeyVerification = "PASSKEY_USER_VERIFICATION_NOT_REQUIRED"

var passkeyVerification = Rule{
	Code: CodePasskeyVerification, Scope: "pool", Severity: "LOW",
	Meaning: "`passkeys.userVerification` is `required` and the pool's passkeys only prefer user verification",
	Corrected: "set to `required` in the pool's WebAuthn configuration, in the same write as any other correction, " +
		"its relying party kept. Not on a Lite pool (passkey settings need Essentials): reported with the plan",
	find: func(j judged, _ Factor) bool {
		return j.mfa.WebAuthn != nil && j.policy.Passkeys.UserVerification == VerificationRequired &&
			j.mfa.WebAuthn.UserVerification != userVerificationRequired
	},
	stage: stageShape,
	plan: func(j judged, d *PoolMFA) {
		if passkeysWritable(j.limits, d) && j.policy.Passkeys.UserVerification == VerificationRequired {
			d.WebAuthn.UserVerification = userVerificationRequired
		}
	},
	text: func(subject) string {
		return "passkeys do not require user verification; the policy requires it"
	},
	reason: func(s subject) string { return passkeysNotInPlan(s.limits.Tier) },
}
