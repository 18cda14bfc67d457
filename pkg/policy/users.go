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

// PlanUser decides a user's MFA settings. It changes a user only when the
// user has TOTP: TOTP becomes preferred (when the policy prefers it) and
// forbidden factors are disabled. It never removes a user's last factor and
// never enables a factor the user has not set up. A user with passkey MFA
// thus always keeps TOTP, the other factor Cognito requires beside it. It
// returns the desired state and the violations that state corrects; none
// means no change.
func PlanUser(p Policy, u UserMFA) (UserMFA, []Violation) {
	if !slices.Contains(u.Enabled, SoftwareToken) {
		return u, nil
	}
	var vs []Violation
	want := UserMFA{Preferred: u.Preferred, PasskeyMFA: u.PasskeyMFA}
	for _, f := range u.Enabled {
		if f != SoftwareToken && p.Factors.Of(f) == Forbidden {
			vs = append(vs, ruleOf(CodeUserForbiddenEnabled).violation(subject{policy: p, factor: f}))
			continue
		}
		want.Enabled = append(want.Enabled, f)
	}
	if !slices.Contains(want.Enabled, want.Preferred) {
		want.Preferred = "" // a disabled factor cannot stay preferred
	}
	if p.Users.PreferSoftwareToken && want.Preferred != SoftwareToken {
		vs = append(vs, ruleOf(CodeUserPreferenceNotTOTP).violation(subject{policy: p, factor: u.Preferred}))
		want.Preferred = SoftwareToken
	} else if want.Preferred == "" && len(want.Enabled) < len(u.Enabled) {
		want.Preferred = SoftwareToken // the removed factor was preferred: keep one preferred
	}
	if len(vs) == 0 {
		return u, nil
	}
	return want, vs
}
