package reconcile

import (
	"context"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// UserResult is what one user check found and did; findings.UserFinding
// is how it is published.
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

// User names a signed-in user to check, and the sub the sign-in message
// claims ("" for none): the check refuses a user whose sub Cognito knows
// otherwise.
type User struct {
	PoolID   string
	Username string
	Sub      string
}

// Verdict is what a pool's check found that the checks of its users
// follow: the user rules of its profile apply, an exempt pool's users are
// never written, and a pool whose check failed or that is gone has its
// users left alone.
type Verdict struct {
	Status  Status
	Why     string // the message: why the pool is exempt
	Profile string
	// Equivalent: the pool counts as MFA ON by an equivalent (adaptive
	// authentication), whose design leaves users' MFA off.
	Equivalent string
	// Confirm, where set, gives the verdict a user write is to be made
	// under, called just before the first: a verdict kept from an earlier
	// check is confirmed against the pool's own tags. It may differ (an
	// exemption added since); then the user is checked under that one.
	Confirm func(context.Context) (Verdict, error)
}

// Verdict is the verdict of the pool check res.
func (res Result) Verdict() Verdict {
	return Verdict{Status: res.Status, Why: res.Message, Profile: res.Profile, Equivalent: res.Equivalent}
}

// CheckUser observes, plans and (in enforce mode, for a pool that is not
// exempt) applies one user's MFA settings, under all (the policy in force
// for the pool's check) and the pool's verdict: one AdminGetUser, at most
// one AdminSetUserMFAPreference, through the gateway. In report mode, or
// when the pool is exempt, it reports what it would change and writes
// nothing. In a pool compliant by adaptive authentication it only reads the
// user (for coverage): the design leaves users' MFA off. A user whose sub
// is not the one claimed is Ignored: read, nothing more. Errors map to
// statuses as a pool check's do.
func (r *Reconciler) CheckUser(ctx context.Context, all policy.Policy, u User, pool Verdict) UserResult {
	p := all.Named(pool.Profile)
	res := UserResult{PoolID: u.PoolID, Username: u.Username, Sub: u.Sub, Mode: p.Mode, Policy: p.Origin, Profile: p.Profile,
		Violations: []policy.Violation{}}
	who := "user " + u.Username + " of " + u.PoolID
	before, sub, err := r.gw.GetUserMFA(ctx, u.PoolID, u.Username)
	if err != nil {
		res.Status, res.Message, res.Err = failure("get user", who, "the user", err)
		return res
	}
	if u.Sub != "" && u.Sub != sub {
		// The message names a user Cognito does not know by that sub:
		// nothing it says is believed, nothing is written or recorded.
		res.Status, res.Message = Ignored, "the sign-in message's sub is not the user's in Cognito: refused"
		return res
	}
	res.Sub, res.Before = sub, &before
	if pool.Equivalent != "" {
		// Turning users' MFA on would prompt for it at every sign-in: the
		// pool applies MFA by the risk of each sign-in instead.
		res.Status, res.Message = Compliant, "the pool counts as MFA ON by adaptive authentication, which leaves users' MFA settings as they are: none checked"
		return res
	}
	want, vs := policy.PlanUser(p, before)
	res.Violations = append(res.Violations, vs...)
	switch {
	case len(vs) == 0:
		res.Status = Compliant
		return res
	case pool.Status == Exempt:
		res.Desired, res.Status, res.Message = &want, Exempt, "the user's pool is exempt: "+pool.Why
		return res
	case p.Mode == policy.Report:
		res.Desired, res.Status = &want, Drift
		return res
	}
	res.Desired = &want
	if pool.Confirm != nil {
		v, err := pool.Confirm(ctx)
		if err != nil {
			res.Status, res.Message, res.Err = failure("confirm the pool's verdict", who, "the user", err)
			return res
		}
		if v.Status != pool.Status || v.Profile != pool.Profile || v.Equivalent != pool.Equivalent {
			v.Confirm = nil
			return r.CheckUser(ctx, all, u, v)
		}
	}
	if err := r.gw.SetUserMFA(ctx, u.PoolID, u.Username, before, want); err != nil {
		res.Status, res.Message, res.Err = failure("set MFA preference", who, "the user", err)
		return res
	}
	res.Status, res.After = Remediated, &want
	return res
}
