package policy

import "fmt"

// CodeOTPFirstFactor: one-time passwords as first factors keep the pool
// from the ON the policy requires.
const CodeOTPFirstFactor = "OTP_FIRST_FACTOR_BLOCKS_MFA_ON"

var otpFirstFactor = Rule{
	Code: CodeOTPFirstFactor, Scope: "pool", Severity: "HIGH",
	Meaning: "the policy requires ON and the pool allows `EMAIL_OTP` or `SMS_OTP` as a first sign-in factor, " +
		"with which Cognito refuses ON",
	Corrected: "not auto-correctable: first factors change only through UpdateUserPool, which the enforcer never calls " +
		"(it resets every setting left out). MFA is raised to OPTIONAL in one write, the strongest level Cognito accepts; " +
		"the text and reason name the first factors to remove",
	refusesOn: otpFirstRefusesOn,
	find:      func(j judged, _ Factor) bool { return belowRequiredOn(j) && otpFirstRefusesOn(j.limits, j.mfa) },
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
}

// otpFirstRefusesOn: Cognito refuses ON with a one-time password as a
// first factor.
func otpFirstRefusesOn(lim Limits, _ PoolMFA) bool { return len(lim.otpFirstFactors()) > 0 }
