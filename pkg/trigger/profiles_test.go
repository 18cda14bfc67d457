package trigger

import (
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// TestUserRulesFollowThePoolsProfile: at sign-in, a user is judged by the
// profile of the user's pool (chosen by the pool's tag), and the user
// finding names it.
func TestUserRulesFollowThePoolsProfile(t *testing.T) {
	const doc = `{"version": 2,
	  "profiles": {
	    "workforce": {"factors": {"sms": "forbidden"}},
	    "consumer": {"mfaConfiguration": "OPTIONAL", "factors": {"softwareToken": "allowed"}, "users": {"preferSoftwareToken": false}}
	  },
	  "default": "workforce", "profileTag": "mfa-profile"}`
	for _, tc := range []struct {
		name      string
		tags      map[string]string
		profile   string
		status    reconcile.Status
		preferred string
	}{
		{"untagged: the workforce default removes SMS", nil, "workforce", reconcile.Remediated, totp},
		{"consumer: SMS preferred is fine", map[string]string{"mfa-profile": "consumer"}, "consumer", reconcile.Compliant, sms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, doc)
			pool := r.fake.AddPool("p", tc.tags, compliantMFA)
			r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			r.handle(t, signIn(PostAuthentication, pool, "jane"))
			if got, _ := r.fake.User(pool, "jane"); got.Preferred != tc.preferred {
				t.Errorf("preferred %s after sign-in, want %s", got.Preferred, tc.preferred)
			}
			fs := r.userFindings(t)
			if tc.status == reconcile.Compliant {
				if len(fs) != 0 {
					t.Errorf("compliant user published: %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Status != tc.status || fs[0].Profile != tc.profile || fs[0].Mode != policy.Enforce {
				t.Errorf("user findings %+v, want %s by %s", fs, tc.status, tc.profile)
			}
		})
	}
}
