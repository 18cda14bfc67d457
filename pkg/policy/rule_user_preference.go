package policy

import "fmt"

// CodeUserPreferenceNotTOTP: a user who has TOTP prefers another factor.
const CodeUserPreferenceNotTOTP = "USER_PREFERRED_FACTOR_NOT_TOTP"

var userPreferenceNotTOTP = Rule{
	Code: CodeUserPreferenceNotTOTP, Scope: "user", Severity: "LOW",
	Meaning:   "`users.preferSoftwareToken` and a user who has TOTP prefers another factor or none",
	Corrected: "TOTP made the user's preferred factor at sign-in",
	planUser: func(r Rule, p Policy, before UserMFA, want *UserMFA) []Violation {
		if !p.Users.PreferSoftwareToken || want.Preferred == SoftwareToken {
			return nil
		}
		want.Preferred = SoftwareToken
		return []Violation{r.violation(subject{policy: p, factor: before.Preferred})}
	},
	text: func(s subject) string {
		if s.factor == "" {
			return "the user prefers no MFA factor; the policy prefers TOTP"
		}
		return fmt.Sprintf("the user prefers %s MFA; the policy prefers TOTP", factorNames[s.factor])
	},
}
