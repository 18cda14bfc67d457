package trigger

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

func load(t testing.TB, doc string) policy.Policy {
	t.Helper()
	p, err := policy.Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanUser(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		user   UserMFA
		want   *UserChange // Reasons not compared
	}{
		{"SMS preferred, TOTP active: prefer TOTP", ``, UserMFA{[]string{FactorSMS, FactorTOTP}, FactorSMS},
			&UserChange{Enabled: []string{FactorSMS, FactorTOTP}, Preferred: FactorTOTP}},
		{"already TOTP preferred", ``, UserMFA{[]string{FactorSMS, FactorTOTP}, FactorTOTP}, nil},
		{"no preference yet: prefer TOTP", ``, UserMFA{[]string{FactorTOTP}, ""}, &UserChange{Enabled: []string{FactorTOTP}, Preferred: FactorTOTP}},
		{"no TOTP: never touched", `{"factors":{"sms":"forbidden"}}`, UserMFA{[]string{FactorSMS}, FactorSMS}, nil},
		{"no factors: never touched", ``, UserMFA{nil, ""}, nil},
		{"forbidden SMS removed, TOTP kept and preferred", `{"factors":{"sms":"forbidden"}}`, UserMFA{[]string{FactorSMS, FactorTOTP}, FactorSMS},
			&UserChange{Enabled: []string{FactorTOTP}, Preferred: FactorTOTP}},
		{"forbidden email removed without the TOTP preference rule", `{"factors":{"email":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			UserMFA{[]string{FactorEmail, FactorTOTP}, FactorEmail}, &UserChange{Enabled: []string{FactorTOTP}, Preferred: FactorTOTP}},
		{"preference rule off, SMS allowed: nothing", `{"users":{"preferSoftwareToken":false}}`, UserMFA{[]string{FactorSMS, FactorTOTP}, FactorSMS}, nil},
		{"forbidden SMS not preferred: preference kept", `{"factors":{"sms":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			UserMFA{[]string{FactorSMS, FactorTOTP, FactorEmail}, FactorEmail}, &UserChange{Enabled: []string{FactorTOTP, FactorEmail}, Preferred: FactorEmail}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanUser(load(t, tc.policy), tc.user)
			if got != nil {
				got.Reasons = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PlanUser = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestPlanUserProperties: never removes the last factor, never removes
// TOTP, never enables a factor, one preferred factor that is enabled, and
// a planned state needs no further change.
func TestPlanUserProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	reqs := []string{"required", "allowed", "forbidden"}
	all := []string{FactorSMS, FactorTOTP, FactorEmail}
	for range 5000 {
		doc := `{"mfaConfiguration":"ON","factors":{"sms":"` + reqs[r.IntN(3)] + `","email":"` + reqs[r.IntN(3)] + `"},"users":{"preferSoftwareToken":` + []string{"true", "false"}[r.IntN(2)] + `}}`
		p := load(t, doc)
		var u UserMFA
		for _, f := range all {
			if r.IntN(2) == 0 {
				u.Enabled = append(u.Enabled, f)
			}
		}
		if len(u.Enabled) > 0 && r.IntN(3) > 0 {
			u.Preferred = u.Enabled[r.IntN(len(u.Enabled))]
		}
		c := PlanUser(p, u)
		if c == nil {
			continue
		}
		if len(c.Enabled) == 0 || !slices.Contains(c.Enabled, FactorTOTP) {
			t.Fatalf("%s %+v: removed the last factor or TOTP: %+v", doc, u, c)
		}
		for _, f := range c.Enabled {
			if !slices.Contains(u.Enabled, f) {
				t.Fatalf("%+v: enabled %s", u, f)
			}
		}
		if !slices.Contains(c.Enabled, c.Preferred) {
			t.Fatalf("%+v: preferred %q is not enabled in %+v", u, c.Preferred, c)
		}
		if again := PlanUser(p, UserMFA{c.Enabled, c.Preferred}); again != nil {
			t.Fatalf("%s: not idempotent: %+v then %+v", doc, c, again)
		}
	}
}
