package policy

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestPlanUser(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		user   UserMFA
		want   UserMFA
		codes  []string
	}{
		{"SMS preferred, TOTP active: prefer TOTP", ``, UserMFA{[]Factor{SMS, SoftwareToken}, SMS},
			UserMFA{[]Factor{SMS, SoftwareToken}, SoftwareToken}, []string{CodeUserPreferenceNotTOTP}},
		{"already TOTP preferred", ``, UserMFA{[]Factor{SMS, SoftwareToken}, SoftwareToken}, UserMFA{[]Factor{SMS, SoftwareToken}, SoftwareToken}, nil},
		{"no preference yet: prefer TOTP", ``, UserMFA{[]Factor{SoftwareToken}, ""}, UserMFA{[]Factor{SoftwareToken}, SoftwareToken}, []string{CodeUserPreferenceNotTOTP}},
		{"no TOTP: never touched", `{"factors":{"sms":"forbidden"}}`, UserMFA{[]Factor{SMS}, SMS}, UserMFA{[]Factor{SMS}, SMS}, nil},
		{"no factors: never touched", ``, UserMFA{nil, ""}, UserMFA{nil, ""}, nil},
		{"forbidden SMS removed, TOTP kept and preferred", `{"factors":{"sms":"forbidden"}}`, UserMFA{[]Factor{SMS, SoftwareToken}, SMS},
			UserMFA{[]Factor{SoftwareToken}, SoftwareToken}, []string{CodeUserForbiddenEnabled, CodeUserPreferenceNotTOTP}},
		{"forbidden email removed without the TOTP preference rule", `{"factors":{"email":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			UserMFA{[]Factor{Email, SoftwareToken}, Email}, UserMFA{[]Factor{SoftwareToken}, SoftwareToken}, []string{CodeUserForbiddenEnabled}},
		{"preference rule off, SMS allowed: nothing", `{"users":{"preferSoftwareToken":false}}`, UserMFA{[]Factor{SMS, SoftwareToken}, SMS}, UserMFA{[]Factor{SMS, SoftwareToken}, SMS}, nil},
		{"forbidden SMS not preferred: preference kept", `{"factors":{"sms":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			UserMFA{[]Factor{SMS, SoftwareToken, Email}, Email}, UserMFA{[]Factor{SoftwareToken, Email}, Email}, []string{CodeUserForbiddenEnabled}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, vs := PlanUser(mustLoad(t, tc.policy), tc.user)
			var codes []string
			for _, v := range vs {
				codes = append(codes, v.Code)
				if !v.Correctable || v.Text == "" {
					t.Errorf("violation %+v: want correctable with a text", v)
				}
			}
			if !reflect.DeepEqual(got, tc.want) || !slices.Equal(codes, tc.codes) {
				t.Errorf("PlanUser = %+v %v, want %+v %v", got, codes, tc.want, tc.codes)
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
	for range 5000 {
		doc := `{"mfaConfiguration":"ON","factors":{"sms":"` + reqs[r.IntN(3)] + `","email":"` + reqs[r.IntN(3)] + `"},"users":{"preferSoftwareToken":` + []string{"true", "false"}[r.IntN(2)] + `}}`
		p := mustLoad(t, doc)
		var u UserMFA
		for _, f := range AllFactors {
			if r.IntN(2) == 0 {
				u.Enabled = append(u.Enabled, f)
			}
		}
		if len(u.Enabled) > 0 && r.IntN(3) > 0 {
			u.Preferred = u.Enabled[r.IntN(len(u.Enabled))]
		}
		c, vs := PlanUser(p, u)
		if len(vs) == 0 {
			if !reflect.DeepEqual(c, u) {
				t.Fatalf("%s %+v: changed without a violation: %+v", doc, u, c)
			}
			continue
		}
		if len(c.Enabled) == 0 || !slices.Contains(c.Enabled, SoftwareToken) {
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
		if _, again := PlanUser(p, c); again != nil {
			t.Fatalf("%s: not idempotent: %+v then %+v", doc, c, again)
		}
	}
}

func TestUserFactorNames(t *testing.T) {
	for _, f := range AllFactors {
		if got, ok := UserFactor(f.CognitoUserName()); !ok || got != f {
			t.Errorf("%s: round trip through %q gave %q", f, f.CognitoUserName(), got)
		}
	}
	if _, ok := UserFactor("WEB_AUTHN"); ok {
		t.Error("a factor the policy does not govern was mapped")
	}
}
