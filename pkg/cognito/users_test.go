package cognito_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// TestUserRoundTrip writes a user's preference through the HTTP fake, which
// applies it as AWS does, and reads it back.
func TestUserRoundTrip(t *testing.T) {
	sms, totp, email := policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName(), policy.Email.CognitoUserName()
	cases := []struct {
		name   string
		start  cognitofake.User
		before policy.UserMFA // what GetUserMFA reads from start
		want   policy.UserMFA
	}{
		{name: "TOTP preferred over SMS",
			start:  cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms},
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SoftwareToken}},
		{name: "SMS and email disabled",
			start:  cognitofake.User{MFASettings: []string{sms, totp, email}, Preferred: email},
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken, policy.Email}, Preferred: policy.Email},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, sdk := cognitofake.StartForTest(t)
			pool := f.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}})
			f.AddUser(pool, "jane", tc.start)
			c := cognito.New(sdk)
			ctx := context.Background()
			before, sub, err := c.GetUserMFA(ctx, pool, "jane")
			if err != nil || !reflect.DeepEqual(before, tc.before) || sub != "sub-jane" {
				t.Fatalf("read %+v, %v; want %+v", before, err, tc.before)
			}
			if err := c.SetUserMFA(ctx, pool, "jane", before, tc.want); err != nil {
				t.Fatal(err)
			}
			after, _, err := c.GetUserMFA(ctx, pool, "jane")
			if err != nil || !sameFactors(after.Enabled, tc.want.Enabled) || after.Preferred != tc.want.Preferred {
				t.Errorf("read back %+v, %v; want %+v", after, err, tc.want)
			}
			if f.Calls("AdminGetUser") != 2 || f.Calls("AdminSetUserMFAPreference") != 1 {
				t.Errorf("%d reads and %d writes, want 2 and 1", f.Calls("AdminGetUser"), f.Calls("AdminSetUserMFAPreference"))
			}
		})
	}
}

func sameFactors(a, b []policy.Factor) bool {
	set := map[policy.Factor]bool{}
	for _, f := range a {
		set[f] = true
	}
	for _, f := range b {
		if !set[f] {
			return false
		}
	}
	return len(a) == len(b)
}
