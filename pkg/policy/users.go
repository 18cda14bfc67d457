package policy

import "slices"

// userFactorNames maps each governed factor to Cognito's name for it in a
// user's settings (AdminGetUser UserMFASettingList, PreferredMfaSetting).
var userFactorNames = map[Factor]string{SoftwareToken: "SOFTWARE_TOKEN_MFA", SMS: "SMS_MFA", Email: "EMAIL_OTP"}

// CognitoUserName returns Cognito's name for f in a user's MFA settings.
func (f Factor) CognitoUserName() string { return userFactorNames[f] }

// UserFactor returns the factor Cognito calls name in a user's settings;
// false for a factor the policy does not govern.
func UserFactor(name string) (Factor, bool) {
	for f, n := range userFactorNames {
		if n == name {
			return f, true
		}
	}
	return "", false
}

// UserMFA is a user's MFA state: the governed factors the user has enabled
// and the preferred one ("" for none), and whether passkey MFA is on. The
// enforcer never changes passkey MFA: Cognito allows it only beside another
// factor, and it has no preference.
type UserMFA struct {
	Enabled    []Factor `json:"enabled"`
	Preferred  Factor   `json:"preferred,omitempty"`
	PasskeyMFA bool     `json:"passkeyMfa,omitempty"`
}

// UserRulesEnabled reports whether any user-level rule applies: only then
// does the sign-in check read users for them.
func (p Policy) UserRulesEnabled() bool {
	for _, prof := range p.Profiles {
		if prof.UserRulesEnabled() {
			return true
		}
	}
	return p.Users.PreferSoftwareToken || p.Factors.SMS == Forbidden || p.Factors.Email == Forbidden
}

// has reports whether the user has f enabled.
func (u UserMFA) has(f Factor) bool { return slices.Contains(u.Enabled, f) }
