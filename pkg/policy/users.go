package trigger

import (
	"slices"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Cognito's names for a user's MFA factors.
const (
	FactorSMS   = "SMS_MFA"
	FactorTOTP  = "SOFTWARE_TOKEN_MFA"
	FactorEmail = "EMAIL_OTP"
)

var policyFactor = map[string]policy.Factor{FactorSMS: policy.SMS, FactorTOTP: policy.SoftwareToken, FactorEmail: policy.Email}

// UserMFA is a user's MFA state as AdminGetUser reports it.
type UserMFA struct {
	Enabled   []string // UserMFASettingList
	Preferred string   // PreferredMfaSetting
}

// UserChange is the preference to set: the factors to leave enabled and
// the one to prefer. Factors missing from Enabled are disabled.
type UserChange struct {
	Enabled   []string
	Preferred string
	Reasons   []string
}

// UserRulesEnabled reports whether any user-level rule applies: only then
// does the trigger read users at all.
func UserRulesEnabled(p policy.Policy) bool {
	return p.Users.PreferSoftwareToken || p.Factors.SMS == policy.Forbidden || p.Factors.Email == policy.Forbidden
}

// PlanUser decides a user's MFA preference. It changes a user only when the
// user has TOTP: TOTP becomes preferred (when the policy prefers it) and
// forbidden factors are disabled. It never removes a user's last factor and
// never enables a factor the user has not set up. nil means no change.
func PlanUser(p policy.Policy, u UserMFA) *UserChange {
	if !slices.Contains(u.Enabled, FactorTOTP) {
		return nil
	}
	c := &UserChange{Preferred: u.Preferred}
	for _, f := range u.Enabled {
		if f != FactorTOTP && p.Factors.Of(policyFactor[f]) == policy.Forbidden {
			c.Reasons = append(c.Reasons, f+" is forbidden by the policy")
			continue
		}
		c.Enabled = append(c.Enabled, f)
	}
	if !slices.Contains(c.Enabled, c.Preferred) {
		c.Preferred = "" // a disabled factor cannot stay preferred
	}
	if p.Users.PreferSoftwareToken && c.Preferred != FactorTOTP {
		c.Preferred = FactorTOTP
		c.Reasons = append(c.Reasons, "the policy prefers TOTP")
	} else if c.Preferred == "" && len(c.Enabled) < len(u.Enabled) {
		c.Preferred = FactorTOTP // the removed factor was preferred: keep one preferred
	}
	if len(c.Reasons) == 0 {
		return nil
	}
	return c
}
