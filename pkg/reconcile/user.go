package reconcile

import "github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"

// UserResult is what one user check found and did (pkg/signin);
// findings.UserFinding is how it is published.
type UserResult struct {
	PoolID     string
	Username   string
	Sub        string
	Status     Status
	Mode       policy.Mode
	Policy     policy.Origin
	Profile    string // the profile that judged the user's pool
	Violations []policy.Violation
	// Before is what Cognito reported, Desired what the policy asks for
	// (set when they differ), After what was written (set when written).
	Before  *policy.UserMFA
	Desired *policy.UserMFA
	After   *policy.UserMFA
	Message string
	Err     error
}
