package policy

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLoadAdaptive(t *testing.T) {
	p, err := Load(`{"adaptiveAuthentication":{"acceptAsOn":true,"minimumActions":{"low":"MFA_IF_CONFIGURED","compromisedCredentials":"BLOCK"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := RiskActions{Low: MFAIfConfigured, Medium: MFAIfConfigured, High: MFARequired, CompromisedCredentials: "BLOCK"}
	if !p.Adaptive.AcceptAsOn || p.Adaptive.MinimumActions != want {
		t.Errorf("adaptive %+v, want the given levels over the defaults", p.Adaptive)
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"adaptiveAuthentication":{"acceptAsOn":true},"mfaConfiguration":"OPTIONAL"}`, "adaptiveAuthentication.acceptAsOn: true stands in for mfaConfiguration ON"},
		{`{"adaptiveAuthentication":{"minimumActions":{"medium":"NO_ACTION","high":"NO_ACTION"}}}`, "adaptiveAuthentication.minimumActions: every risk level at NO_ACTION"},
		{`{"adaptiveAuthentication":{"minimumActions":{"high":"REQUIRE_MFA"}}}`, `adaptiveAuthentication.minimumActions.high: "REQUIRE_MFA" is not one of NO_ACTION, MFA_IF_CONFIGURED, MFA_REQUIRED, BLOCK`},
		{`{"adaptiveAuthentication":{"minimumActions":{"compromisedCredentials":"MFA_REQUIRED"}}}`, `compromisedCredentials: "MFA_REQUIRED" is not one of NO_ACTION, BLOCK`},
		{`{"version":2,"profiles":{"a":{"mfaConfiguration":"OPTIONAL","adaptiveAuthentication":{"acceptAsOn":true}}},"default":"a"}`, "profiles.a.adaptiveAuthentication.acceptAsOn"},
	} {
		if _, err := Load(tc.doc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v, want an error with %q", tc.doc, err, tc.want)
		}
	}
}

// TestRaiseProperties: a raise meets the minimum, never lowers a level,
// changes nothing already at or above it, and is idempotent.
func TestRaiseProperties(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	actions := func() RiskActions {
		v := RiskAction("").Values()
		c := CompromisedAction("").Values()
		return RiskActions{Low: RiskAction(v[rnd.IntN(4)]), Medium: RiskAction(v[rnd.IntN(4)]), High: RiskAction(v[rnd.IntN(4)]),
			CompromisedCredentials: CompromisedAction(c[rnd.IntN(2)])}
	}
	for range 5000 {
		have, min := actions(), actions()
		got := have.Raise(min)
		if !got.Meets(min) || got.Raise(min) != got {
			t.Fatalf("%+v raised to %+v: %+v", have, min, got)
		}
		for _, l := range riskLevels {
			if l.below(got, have) {
				t.Fatalf("%s lowered: %+v -> %+v", l.name, have, got)
			}
			if !l.below(have, min) && l.show(got) != l.show(have) {
				t.Fatalf("%s changed though it met the minimum: %+v -> %+v (min %+v)", l.name, have, got, min)
			}
		}
	}
}

// TestJudgeAdaptive: when adaptive authentication counts as ON, and why not.
func TestJudgeAdaptive(t *testing.T) {
	accepting := Default()
	accepting.Adaptive.AcceptAsOn = true
	optTOTP := PoolMFA{Level: LevelOptional, SoftwareToken: true}
	plus := Limits{Tier: TierPlus, ThreatProtection: Enforced, Risk: &Risk{Pool: NoActions}}
	smsOnly := PoolMFA{Level: LevelOptional, SMS: &SMSConfig{}}
	noSMS := accepting
	noSMS.Factors.SMS = Forbidden
	for _, tc := range []struct {
		name     string
		p        Policy
		c        PoolMFA
		lim      Limits
		nilJudge bool
		accepted bool
		why      string
	}{
		{"accepted", accepting, optTOTP, plus, false, true, ""},
		{"not asked", Default(), optTOTP, plus, true, false, ""},
		{"pool at ON", accepting, PoolMFA{Level: LevelOn, SoftwareToken: true}, plus, true, false, ""},
		{"pool at OFF", accepting, PoolMFA{Level: LevelOff}, plus, false, false, "MFA is OFF"},
		{"only a forbidden factor", noSMS, smsOnly, plus, false, false, "no MFA factor the policy allows"},
		{"Lite", accepting, optTOTP, Limits{Tier: TierLite, ThreatProtection: Enforced}, false, false, "plan is LITE"},
		{"audit", accepting, optTOTP, Limits{Tier: TierPlus, ThreatProtection: "AUDIT"}, false, false, "threat protection is AUDIT"},
		{"risk not read", accepting, optTOTP, Limits{Tier: TierPlus, ThreatProtection: Enforced}, false, false, "not read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := JudgeAdaptive(tc.p, tc.c, tc.lim)
			if tc.nilJudge {
				if j != nil {
					t.Errorf("judged %+v where the question does not arise", j)
				}
				return
			}
			if j == nil || j.Accepted != tc.accepted || !strings.Contains(j.Reason, tc.why) {
				t.Errorf("judgement %+v, want accepted %v (%s)", j, tc.accepted, tc.why)
			}
			levelViolation := false
			for _, v := range Evaluate(tc.p, tc.c, tc.lim) {
				levelViolation = levelViolation || v.Code == CodeLevelBelowPolicy
			}
			if levelViolation == tc.accepted {
				t.Errorf("MFA_LEVEL_BELOW_POLICY found %v for a pool accepted %v", levelViolation, tc.accepted)
			}
		})
	}
}
