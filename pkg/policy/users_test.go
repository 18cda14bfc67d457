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
		{"SMS preferred, TOTP active: prefer TOTP", ``, UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SMS},
			UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SoftwareToken}, []string{CodeUserPreferenceNotTOTP}},
		{"already TOTP preferred", ``, UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SoftwareToken}, UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SoftwareToken}, nil},
		{"no preference yet: prefer TOTP", ``, UserMFA{Enabled: []Factor{SoftwareToken}, Preferred: ""}, UserMFA{Enabled: []Factor{SoftwareToken}, Preferred: SoftwareToken}, []string{CodeUserPreferenceNotTOTP}},
		{"no TOTP: never touched", `{"factors":{"sms":"forbidden"}}`, UserMFA{Enabled: []Factor{SMS}, Preferred: SMS}, UserMFA{Enabled: []Factor{SMS}, Preferred: SMS}, nil},
		{"no factors: never touched", ``, UserMFA{Enabled: nil, Preferred: ""}, UserMFA{Enabled: nil, Preferred: ""}, nil},
		{"forbidden SMS removed, TOTP kept and preferred", `{"factors":{"sms":"forbidden"}}`, UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SMS},
			UserMFA{Enabled: []Factor{SoftwareToken}, Preferred: SoftwareToken}, []string{CodeUserForbiddenEnabled, CodeUserPreferenceNotTOTP}},
		{"forbidden email removed without the TOTP preference rule", `{"factors":{"email":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			UserMFA{Enabled: []Factor{Email, SoftwareToken}, Preferred: Email}, UserMFA{Enabled: []Factor{SoftwareToken}, Preferred: SoftwareToken}, []string{CodeUserForbiddenEnabled}},
		{"preference rule off, SMS allowed: nothing", `{"users":{"preferSoftwareToken":false}}`, UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SMS}, UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SMS}, nil},
		{"forbidden SMS not preferred: preference kept", `{"factors":{"sms":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			UserMFA{Enabled: []Factor{SMS, SoftwareToken, Email}, Preferred: Email}, UserMFA{Enabled: []Factor{SoftwareToken, Email}, Preferred: Email}, []string{CodeUserForbiddenEnabled}},
		{"passkey MFA beside SMS alone: SMS is its other factor, never touched", `{"factors":{"sms":"forbidden"}}`,
			UserMFA{Enabled: []Factor{SMS}, Preferred: SMS, PasskeyMFA: true}, UserMFA{Enabled: []Factor{SMS}, Preferred: SMS, PasskeyMFA: true}, nil},
		{"passkey MFA kept, TOTP stays its other factor", `{"factors":{"sms":"forbidden"}}`,
			UserMFA{Enabled: []Factor{SMS, SoftwareToken}, Preferred: SMS, PasskeyMFA: true},
			UserMFA{Enabled: []Factor{SoftwareToken}, Preferred: SoftwareToken, PasskeyMFA: true}, []string{CodeUserForbiddenEnabled, CodeUserPreferenceNotTOTP}},
		{"passkey MFA is never the preferred factor", ``, UserMFA{Enabled: []Factor{SoftwareToken}, PasskeyMFA: true},
			UserMFA{Enabled: []Factor{SoftwareToken}, Preferred: SoftwareToken, PasskeyMFA: true}, []string{CodeUserPreferenceNotTOTP}},
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
// TOTP, never enables a factor, one preferred factor that is enabled,
// passkey MFA left as it is (with another factor beside it), and a planned
// state needs no further change.
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
		u.PasskeyMFA = len(u.Enabled) > 0 && r.IntN(2) == 0 // Cognito allows it only beside another factor
		c, vs := PlanUser(p, u)
		if c.PasskeyMFA != u.PasskeyMFA {
			t.Fatalf("%+v: passkey MFA changed: %+v", u, c)
		}
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
