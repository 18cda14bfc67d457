package fakes

import "slices"

// SetRequest is what Cognito looks at when it validates a
// SetUserPoolMfaConfig request: the level and blocks sent, and the pool's
// sign-in policy and feature plan.
type SetRequest struct {
	Level                                        string
	TOTPBlock, TOTPEnabled, SMSBlock, EmailBlock bool
	WebAuthnBlock                                bool
	WebAuthnFactor                               string   // FactorConfiguration sent; "" reads as SINGLE_FACTOR
	FirstFactors                                 []string // the pool's AllowedFirstAuthFactors
	Tier                                         string   // the pool's UserPoolTier
}

// Exceptions SetRefusal answers with.
const (
	InvalidParameter   = "InvalidParameterException"
	FeatureUnavailable = "FeatureUnavailableInTierException"
)

// SetRefusal is Cognito's answer to a SetUserPoolMfaConfig request: the
// exception and its message, or "" when Cognito accepts it. Both fakes use
// it, and the test bed's moto launcher applies the same rules, so they
// refuse what Cognito refuses, in its words (see the notes on Cognito's MFA
// behaviour, "Passwordless, passkeys, plans").
func SetRefusal(r SetRequest) (exception, message string) {
	switch {
	case r.Level != "OFF" && r.Level != "ON" && r.Level != "OPTIONAL":
		return InvalidParameter, "MfaConfiguration must be OFF, ON or OPTIONAL"
	case r.Level != "OFF" && !r.TOTPEnabled && !r.SMSBlock && !r.EmailBlock && r.WebAuthnBlock:
		return InvalidParameter, "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must be enabled."
	case r.Level != "OFF" && !r.TOTPEnabled && !r.SMSBlock && !r.EmailBlock:
		return InvalidParameter, "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
	case r.Level == "OFF" && (r.TOTPBlock || r.SMSBlock || r.EmailBlock):
		return InvalidParameter, "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
	case r.Level == "ON" && (slices.Contains(r.FirstFactors, "EMAIL_OTP") || slices.Contains(r.FirstFactors, "SMS_OTP")):
		return InvalidParameter, "Only PASSWORD and WEB_AUTHN (if configured) can be enabled as an auth factor if MFA is enabled"
	case r.Level == "ON" && slices.Contains(r.FirstFactors, "WEB_AUTHN") && r.WebAuthnFactor != "MULTI_FACTOR_WITH_USER_VERIFICATION":
		return InvalidParameter, "Cannot set WebAuthn factor configuration to SINGLE_FACTOR if MFA is required and WebAuthn is an allowed first auth factor"
	case r.Tier == "LITE" && (r.EmailBlock || r.WebAuthnFactor == "MULTI_FACTOR_WITH_USER_VERIFICATION"):
		// Email MFA and passkey MFA need Essentials. The wording is the one
		// Cognito uses for features a plan lacks (UpdateUserPool).
		return FeatureUnavailable, "The following features need to be disabled for the LITE pricing tier configured: Email MFA or Passkey MFA"
	}
	return "", ""
}
