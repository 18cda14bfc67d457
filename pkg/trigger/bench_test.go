package trigger

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

var compliantPool = cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}

// BenchmarkHandleCacheHit measures the handler's cost per sign-in once the
// pool and user are known compliant, side by side with the floor: decoding
// the event and returning it, which any trigger must do.
func BenchmarkHandleCacheHit(b *testing.B) {
	r := newRig(b, "")
	pool := r.fake.AddPool("p", nil, compliantPool)
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SoftwareToken.CognitoUserName()})
	ev := signIn(PostAuthentication, pool, "u")
	ctx := context.Background()
	if _, err := r.h.Handle(ctx, ev); err != nil { // warm the caches
		b.Fatal(err)
	}
	b.Run("floor=decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e event
			_ = json.Unmarshal(ev, &e)
		}
	})
	b.Run("handler=cache-hit", func(b *testing.B) {
		b.ReportAllocs()
		before := r.fake.Calls("GetUserPoolMfaConfig") + r.fake.Calls("AdminGetUser")
		for b.Loop() {
			_, _ = r.h.Handle(ctx, ev)
		}
		if after := r.fake.Calls("GetUserPoolMfaConfig") + r.fake.Calls("AdminGetUser"); after != before {
			b.Fatalf("cache hits called Cognito %d times", after-before)
		}
	})
}

// BenchmarkCognitoCallsPer1000SignIns counts Cognito calls for 1,000
// sign-ins (PreAuthentication then PostAuthentication) by 100 users of 10
// pools on one warm instance; half the users prefer SMS.
func BenchmarkCognitoCallsPer1000SignIns(b *testing.B) {
	for b.Loop() {
		r := newRig(b, "")
		var pools []string
		for range 10 {
			pools = append(pools, r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"}))
		}
		for i := range 100 {
			u := cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SoftwareToken.CognitoUserName()}
			if i%2 == 0 {
				u.Preferred = policy.SMS.CognitoUserName()
			}
			r.fake.AddUser(pools[i%10], fmt.Sprintf("u%d", i), u)
		}
		for i := range 1000 {
			pool, user := pools[i%10], fmt.Sprintf("u%d", (i/10*10+i%10)%100)
			_, _ = r.h.Handle(context.Background(), signIn(PreAuthentication, pool, user))
			_, _ = r.h.Handle(context.Background(), signIn(PostAuthentication, pool, user))
		}
		for _, op := range []string{"GetUserPoolMfaConfig", "DescribeUserPool", "SetUserPoolMfaConfig", "AdminGetUser", "AdminSetUserMFAPreference"} {
			b.ReportMetric(float64(r.fake.Calls(op)), op+"/1000-sign-ins")
		}
	}
}
