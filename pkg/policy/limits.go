package policy

import (
	"fmt"
	"strings"
)

// FirstFactor is a way a pool lets users start signing in (its sign-in
// policy's AllowedFirstAuthFactors), in Cognito's words.
type FirstFactor string

const (
	FirstPassword FirstFactor = "PASSWORD"
	FirstEmailOTP FirstFactor = "EMAIL_OTP"
	FirstSMSOTP   FirstFactor = "SMS_OTP"
	FirstPasskey  FirstFactor = "WEB_AUTHN"
)

// Tier is a pool's feature plan (UserPoolTier).
type Tier string

const (
	TierLite       Tier = "LITE"
	TierEssentials Tier = "ESSENTIALS"
	TierPlus       Tier = "PLUS"
)

// Cognito's values in a WebAuthn configuration.
const (
	userVerificationRequired = "required"
	multiFactor              = "MULTI_FACTOR_WITH_USER_VERIFICATION"
)

// Limits is what the rules see of a pool besides its MFA configuration:
// what Cognito's acceptance of an MFA write depends on (the sign-in
// policy, the feature plan), the threat protection mode and, where it was
// read, the risk configuration. The zero value, for a pool whose settings
// were not read, predicts nothing and accepts no equivalent.
type Limits struct {
	FirstFactors     []FirstFactor
	Tier             Tier
	ThreatProtection ThreatProtection
	Risk             *Risk // nil: not read
}

// otpFirstFactors lists the one-time-password first factors, with which
// Cognito refuses MFA ON.
func (l Limits) otpFirstFactors() []FirstFactor {
	var out []FirstFactor
	for _, f := range l.FirstFactors {
		if f == FirstEmailOTP || f == FirstSMSOTP {
			out = append(out, f)
		}
	}
	return out
}

// refuses reports a configuration Cognito is known to refuse for this pool.
func (l Limits) refuses(c PoolMFA) bool {
	return c.Level == LevelOn && !l.acceptsOn(c)
}

// highestLevel is want, or OPTIONAL where Cognito refuses c at ON.
func (l Limits) highestLevel(want Level, c PoolMFA) Level {
	if want == LevelOn && !l.acceptsOn(c) {
		return LevelOptional
	}
	return want
}

func passkeysMultiFactor(c PoolMFA) bool {
	return c.WebAuthn != nil && c.WebAuthn.FactorConfiguration == multiFactor
}

// passkeysWritable reports whether the passkey policy may tighten c's
// WebAuthn configuration: an existing one (the enforcer never creates one:
// it cannot know the relying party), on a pool that is not on the Lite
// plan (passkey settings need Essentials).
func passkeysWritable(lim Limits, c *PoolMFA) bool {
	return c.WebAuthn != nil && lim.Tier != TierLite
}

// belowRequiredOn reports whether the policy requires ON of a pool that is
// not ON: where the first-factor rules apply.
func belowRequiredOn(j judged) bool {
	return j.policy.MFAConfiguration == LevelOn && j.mfa.Level != LevelOn && !j.equivalentOn()
}

// passkeysNotInPlan is why passkey settings are left alone on a pool.
func passkeysNotInPlan(t Tier) string {
	return fmt.Sprintf("passkey settings need the Essentials feature plan or higher; the pool's plan is %s", t)
}

// NeedsLimits reports whether the plan for observed depends on the pool's
// sign-in policy and feature plan: only when it raises MFA to ON, which
// Cognito refuses for some first factors. A compliant pool never needs
// them, so it costs one read.
func NeedsLimits(p Policy, observed PoolMFA) bool {
	return observed.Level != LevelOn && Plan(p, observed, Limits{}).Level == LevelOn
}

func joinFirstFactors(fs []FirstFactor) string { return strings.Join(names(fs...), " and ") }
