package policy

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func ptr(s string) *string { return &s }

var (
	smsBlock   = &SMSConfig{Message: ptr("Your code is {####}"), SNSCallerARN: ptr("arn:aws:iam::123456789012:role/sns"), ExternalID: ptr("ext-1"), SNSRegion: ptr("us-east-1")}
	emailBlock = &EmailConfig{Message: ptr("Code {####}"), Subject: ptr("Sign-in code")}
	webAuthn   = &WebAuthnConfig{RelyingPartyID: ptr("example.com"), UserVerification: "preferred", FactorConfiguration: "SINGLE_FACTOR"}
)

func mustLoad(t testing.TB, doc string) Policy {
	t.Helper()
	p, err := Load(cmp.Or(doc, "{}"))
	if err != nil {
		t.Fatalf("Load(%s): %v", doc, err)
	}
	return p
}

func codes(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		c := v.Code
		if v.Factor != "" {
			c += ":" + string(v.Factor)
		}
		if !v.Correctable {
			c += "!"
		}
		out = append(out, c)
	}
	return out
}

func TestEvaluateAndPlan(t *testing.T) {
	cases := []struct {
		name     string
		policy   string
		observed PoolMFA
		want     PoolMFA
		codes    []string // "!" marks not correctable
	}{
		{"compliant ON+TOTP", ``, PoolMFA{Level: LevelOn, SoftwareToken: true}, PoolMFA{Level: LevelOn, SoftwareToken: true}, nil},
		{"OFF raised to ON with TOTP", ``, PoolMFA{Level: LevelOff}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken"}},
		{"OPTIONAL+SMS keeps SMS settings", ``, PoolMFA{Level: LevelOptional, SMS: smsBlock},
			PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock},
			[]string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken"}},
		{"stricter pool is never lowered", `{"mfaConfiguration":"OPTIONAL","factors":{"softwareToken":"allowed"}}`,
			PoolMFA{Level: LevelOn, SMS: smsBlock}, PoolMFA{Level: LevelOn, SMS: smsBlock}, nil},
		{"forbidden SMS removed, TOTP kept", `{"factors":{"sms":"forbidden"}}`,
			PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]string{"FORBIDDEN_FACTOR_ENABLED:sms"}},
		{"forbidden only factor replaced by TOTP in one write", `{"factors":{"softwareToken":"allowed","sms":"forbidden"}}`,
			PoolMFA{Level: LevelOn, SMS: smsBlock}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]string{"FORBIDDEN_FACTOR_ENABLED:sms"}},
		{"forbidden only factor kept when TOTP forbidden", `{"factors":{"softwareToken":"forbidden","sms":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			PoolMFA{Level: LevelOptional, SMS: smsBlock}, PoolMFA{Level: LevelOn, SMS: smsBlock},
			[]string{"MFA_LEVEL_BELOW_POLICY", "FORBIDDEN_FACTOR_ENABLED:sms!"}},
		{"forbidden SMS at OFF is inactive", `{"mfaConfiguration":"OFF","factors":{"softwareToken":"allowed","sms":"forbidden"}}`,
			PoolMFA{Level: LevelOff}, PoolMFA{Level: LevelOff}, nil},
		{"required SMS cannot be created", `{"factors":{"sms":"required"}}`,
			PoolMFA{Level: LevelOn, SoftwareToken: true}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]string{"REQUIRED_FACTOR_NOT_ENABLED:sms!"}},
		{"required email cannot be created, TOTP still added", `{"factors":{"email":"required"}}`,
			PoolMFA{Level: LevelOff}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "REQUIRED_FACTOR_NOT_ENABLED:email!"}},
		{"required email present is kept", `{"factors":{"softwareToken":"allowed","email":"required"}}`,
			PoolMFA{Level: LevelOptional, Email: emailBlock}, PoolMFA{Level: LevelOn, Email: emailBlock},
			[]string{"MFA_LEVEL_BELOW_POLICY"}},
		{"OFF with TOTP forbidden and nothing to enable stays OFF", `{"factors":{"softwareToken":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			PoolMFA{Level: LevelOff}, PoolMFA{Level: LevelOff},
			[]string{"MFA_LEVEL_BELOW_POLICY!"}},
		{"WebAuthn carried unchanged", ``, PoolMFA{Level: LevelOff, WebAuthn: webAuthn},
			PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: webAuthn},
			[]string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken"}},
		{"no factor at OPTIONAL gets TOTP", `{"mfaConfiguration":"OPTIONAL","factors":{"softwareToken":"allowed"}}`,
			PoolMFA{Level: LevelOptional}, PoolMFA{Level: LevelOptional, SoftwareToken: true},
			[]string{"NO_ACTIVE_FACTOR"}},
		{"email forbidden, SMS and TOTP kept", `{"factors":{"email":"forbidden"}}`,
			PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock, Email: emailBlock},
			PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock},
			[]string{"FORBIDDEN_FACTOR_ENABLED:email"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustLoad(t, tc.policy)
			got := Plan(p, tc.observed, Limits{})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan = %+v\nwant   %+v", got, tc.want)
			}
			if c := codes(Evaluate(p, tc.observed, Limits{})); !reflect.DeepEqual(c, tc.codes) {
				t.Errorf("Evaluate = %v, want %v", c, tc.codes)
			}
		})
	}
}

// assertRules checks the planning rules for one policy and observation, on
// a pool with lim.
func assertRules(t *testing.T, p Policy, o PoolMFA, lim Limits) {
	t.Helper()
	before := o.Clone()
	d := Plan(p, o, lim)
	vs := Evaluate(p, o, lim)
	if !reflect.DeepEqual(o, before) {
		t.Fatalf("Plan or Evaluate modified the observed configuration")
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("policy %s\nlimits %+v\nobserved %+v\nplanned  %+v\n%s", p, lim, o, d, fmt.Sprintf(format, args...))
	}

	// 1. Only strengthen.
	if d.Level.Rank() < o.Level.Rank() {
		fail("level lowered")
	}
	for _, f := range AllFactors {
		if o.Enabled(f) && !d.Enabled(f) && p.Factors.Of(f) != Forbidden {
			fail("disabled %s, which the policy does not forbid", f)
		}
	}
	// 2. Preserve what the policy does not govern; never invent SMS or email.
	if (d.SMS != nil && (o.SMS == nil || *d.SMS != *o.SMS)) ||
		(d.Email != nil && (o.Email == nil || *d.Email != *o.Email)) {
		fail("SMS or email settings not carried exactly as observed")
	}
	if !reflect.DeepEqual(d.WebAuthn, tightened(p, o.WebAuthn, lim)) {
		fail("WebAuthn settings changed other than the passkey policy says")
	}
	// 3. Required SMS/email that cannot be created is reported, with a reason;
	// TOTP is always correctable.
	for _, v := range vs {
		if v.Code == CodeRequiredNotEnabled && v.Factor != SoftwareToken && !o.Enabled(v.Factor) {
			if v.Correctable || v.Reason == "" {
				fail("required %s without settings marked correctable or without reason", v.Factor)
			}
		}
		if v.Code == CodeRequiredNotEnabled && v.Factor == SoftwareToken && !v.Correctable {
			fail("required TOTP marked not correctable")
		}
	}
	// 4. OPTIONAL/ON always has an active factor; a removed only factor is
	// replaced by TOTP in the same write.
	if d.Level != LevelOff && !d.anyEnabled() {
		if p.Factors.SoftwareToken != Forbidden || !hasUncorrectable(vs, CodeNoActiveFactor) {
			fail("MFA %s with no factor", d.Level)
		}
	}
	// 5. No plan or fallback at OPTIONAL removes a factor users may rely on.
	if f, ok := removesActiveAtOptional(o, d); ok {
		fail("removed active %s at OPTIONAL", f)
	}
	for _, fb := range Fallbacks(o, d, lim) {
		if f, ok := removesActiveAtOptional(o, fb); ok {
			fail("fallback %+v removes active %s at OPTIONAL", fb, f)
		}
		if lim.refuses(fb) {
			fail("fallback %+v is one Cognito refuses", fb)
		}
	}
	// 6. Nothing Cognito is known to refuse is planned.
	if lim.refuses(d) {
		fail("planned a configuration Cognito refuses for this pool")
	}
	// Idempotent: the plan is a fixed point with nothing correctable left.
	if again := Plan(p, d, lim); !reflect.DeepEqual(again, d) {
		fail("Plan not idempotent: second plan %+v", again)
	}
	for _, v := range Evaluate(p, d, lim) {
		if v.Correctable {
			fail("planned configuration still has correctable violation %s", v.Code)
		}
	}
	// Compliant pools plan no change; a pool with only uncorrectable
	// violations plans none either.
	anyCorrectable := false
	for _, v := range vs {
		anyCorrectable = anyCorrectable || v.Correctable
	}
	// The one exception: a raise that first factors stop at OPTIONAL still
	// strengthens the pool although the level stays below the policy.
	stoppedRaise := d.Level == LevelOptional && o.Level == LevelOff && lim.highestLevel(p.MFAConfiguration, d) != p.MFAConfiguration
	if !anyCorrectable && !reflect.DeepEqual(d, o) && !stoppedRaise {
		fail("change planned with nothing correctable: %v", codes(vs))
	}
	if anyCorrectable && reflect.DeepEqual(d, o) {
		fail("correctable violations %v but no change planned", codes(vs))
	}
}

// removesActiveAtOptional reports a factor active in o (enabled while MFA
// is OPTIONAL or ON) that c, at OPTIONAL, no longer has: its users would
// sign in with a password alone.
func removesActiveAtOptional(o, c PoolMFA) (Factor, bool) {
	if c.Level != LevelOptional {
		return "", false
	}
	for _, f := range AllFactors {
		if o.Active(f) && !c.Enabled(f) {
			return f, true
		}
	}
	return "", false
}

func hasUncorrectable(vs []Violation, code string) bool {
	for _, v := range vs {
		if v.Code == code && !v.Correctable {
			return true
		}
	}
	return false
}

// allPolicies enumerates every valid combination of level and requirements.
func allPolicies() []Policy {
	var out []Policy
	reqs := []Requirement{Required, Allowed, Forbidden}
	for _, l := range []Level{LevelOff, LevelOptional, LevelOn} {
		for _, st := range reqs {
			for _, sms := range reqs {
				for _, email := range reqs {
					p := Default()
					p.MFAConfiguration = l
					p.Factors = Factors{st, sms, email}
					p.Users.PreferSoftwareToken = st != Forbidden
					if p.checkContradictions("") == nil {
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

// allConfigs enumerates every level x factor state, with and without WebAuthn.
func allConfigs() []PoolMFA {
	var out []PoolMFA
	for _, l := range []Level{LevelOff, LevelOptional, LevelOn} {
		for bits := 0; bits < 16; bits++ {
			c := PoolMFA{Level: l, SoftwareToken: bits&1 != 0}
			if bits&2 != 0 {
				c.SMS = smsBlock
			}
			if bits&4 != 0 {
				c.Email = emailBlock
			}
			if bits&8 != 0 {
				c.WebAuthn = webAuthn
			}
			out = append(out, c.Clone())
		}
	}
	return out
}

func TestRulesEveryCombination(t *testing.T) {
	policies, configs := allPolicies(), allConfigs()
	if len(policies) < 50 || len(configs) != 48 {
		t.Fatalf("enumeration too small: %d policies, %d configs", len(policies), len(configs))
	}
	for _, p := range policies {
		for _, o := range configs {
			assertRules(t, p, o, Limits{})
		}
	}
}

func randomString(r *rand.Rand) *string {
	if r.IntN(4) == 0 {
		return nil
	}
	return ptr(fmt.Sprintf("v%d", r.IntN(1000)))
}

func randomConfig(r *rand.Rand) PoolMFA {
	c := PoolMFA{Level: []Level{LevelOff, LevelOptional, LevelOn}[r.IntN(3)], SoftwareToken: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		c.SMS = &SMSConfig{Message: randomString(r), SNSCallerARN: randomString(r), ExternalID: randomString(r), SNSRegion: randomString(r)}
	}
	if r.IntN(2) == 0 {
		c.Email = &EmailConfig{Message: randomString(r), Subject: randomString(r)}
	}
	if r.IntN(2) == 0 {
		c.WebAuthn = &WebAuthnConfig{RelyingPartyID: randomString(r), UserVerification: []string{"required", "preferred"}[r.IntN(2)]}
	}
	return c
}

func TestRulesProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	policies := allPolicies()
	for range 20000 {
		assertRules(t, policies[r.IntN(len(policies))], randomConfig(r), Limits{})
	}
}

func TestDiff(t *testing.T) {
	before := PoolMFA{Level: LevelOptional, SMS: smsBlock}
	after := PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock}
	got := Diff(before, after)
	want := []Change{{"mfaConfiguration", "OPTIONAL", "ON"}, {"softwareToken", "disabled", "enabled"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %+v, want %+v", got, want)
	}
	if len(Diff(after, after)) != 0 {
		t.Error("Diff of equal configurations is not empty")
	}
}

func TestFallbacks(t *testing.T) {
	cases := []struct {
		name              string
		observed, desired PoolMFA
		want              []PoolMFA
	}{
		{"raise to ON: try OPTIONAL", PoolMFA{Level: LevelOff}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]PoolMFA{{Level: LevelOptional, SoftwareToken: true}}},
		{"remove SMS and raise: keep SMS, then OPTIONAL still keeping it",
			PoolMFA{Level: LevelOptional, SMS: smsBlock}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]PoolMFA{
				{Level: LevelOn, SoftwareToken: true, SMS: smsBlock},
				{Level: LevelOptional, SoftwareToken: true, SMS: smsBlock},
			}},
		{"inactive SMS at OFF may go at OPTIONAL: every weaker step",
			PoolMFA{Level: LevelOff, SMS: smsBlock}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]PoolMFA{
				{Level: LevelOn, SoftwareToken: true, SMS: smsBlock},
				{Level: LevelOptional, SoftwareToken: true},
				{Level: LevelOptional, SoftwareToken: true, SMS: smsBlock},
			}},
		{"already ON: only keep the forbidden factor",
			PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			nil},
		{"no change: nothing", PoolMFA{Level: LevelOn, SoftwareToken: true}, PoolMFA{Level: LevelOn, SoftwareToken: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Fallbacks(tc.observed, tc.desired, Limits{})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Fallbacks =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestFallbacksOnlyStrengthen(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	policies := allPolicies()
	for range 5000 {
		p, o := policies[r.IntN(len(policies))], randomConfig(r)
		for _, f := range Fallbacks(o, Plan(p, o, Limits{}), Limits{}) {
			if f.Level.Rank() < o.Level.Rank() || (f.Level != LevelOff && !f.anyEnabled()) || Equal(f, o) {
				t.Fatalf("fallback %+v for observed %+v is not a valid strengthening", f, o)
			}
			for _, fac := range AllFactors {
				if o.Enabled(fac) && !f.Enabled(fac) && p.Factors.Of(fac) != Forbidden {
					t.Fatalf("fallback %+v disables allowed %s", f, fac)
				}
			}
			if fac, ok := removesActiveAtOptional(o, f); ok {
				t.Fatalf("fallback %+v for observed %+v removes active %s at OPTIONAL", f, o, fac)
			}
		}
	}
}

// TestOptionalKeepsForbiddenFactor: at OPTIONAL a user whose only factor is
// the forbidden one would sign in with a password alone if the pool dropped
// it, so the factor stays and is reported; at ON it goes.
func TestOptionalKeepsForbiddenFactor(t *testing.T) {
	const optionalNoSMS = `{"mfaConfiguration":"OPTIONAL","factors":{"sms":"forbidden","softwareToken":"allowed"}}`
	cases := []struct {
		name     string
		policy   string
		observed PoolMFA
		want     PoolMFA
		codes    []string // "!" marks not correctable
		reason   string   // in the forbidden factor's reason, when kept
	}{
		{"SMS and TOTP at OPTIONAL: SMS stays", optionalNoSMS,
			PoolMFA{Level: LevelOptional, SoftwareToken: true, SMS: smsBlock}, PoolMFA{Level: LevelOptional, SoftwareToken: true, SMS: smsBlock},
			[]string{"FORBIDDEN_FACTOR_ENABLED:sms!"}, "users whose only MFA factor is SMS signing in with a password alone"},
		{"SMS alone at OPTIONAL: SMS stays, nothing added", optionalNoSMS,
			PoolMFA{Level: LevelOptional, SMS: smsBlock}, PoolMFA{Level: LevelOptional, SMS: smsBlock},
			[]string{"FORBIDDEN_FACTOR_ENABLED:sms!"}, "raise mfaConfiguration to ON"},
		{"required TOTP still added beside the kept SMS", `{"mfaConfiguration":"OPTIONAL","factors":{"sms":"forbidden"}}`,
			PoolMFA{Level: LevelOptional, SMS: smsBlock}, PoolMFA{Level: LevelOptional, SoftwareToken: true, SMS: smsBlock},
			[]string{"REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "FORBIDDEN_FACTOR_ENABLED:sms!"}, "sign-in trigger"},
		{"forbidden email at OPTIONAL stays", `{"mfaConfiguration":"OPTIONAL","factors":{"email":"forbidden","softwareToken":"allowed"}}`,
			PoolMFA{Level: LevelOptional, SoftwareToken: true, Email: emailBlock}, PoolMFA{Level: LevelOptional, SoftwareToken: true, Email: emailBlock},
			[]string{"FORBIDDEN_FACTOR_ENABLED:email!"}, "only MFA factor is email"},
		{"TOTP forbidden too: no trigger advice", `{"mfaConfiguration":"OPTIONAL","factors":{"sms":"forbidden","softwareToken":"forbidden"},"users":{"preferSoftwareToken":false}}`,
			PoolMFA{Level: LevelOptional, SMS: smsBlock, Email: emailBlock}, PoolMFA{Level: LevelOptional, SMS: smsBlock, Email: emailBlock},
			[]string{"FORBIDDEN_FACTOR_ENABLED:sms!"}, "password alone; raise mfaConfiguration to ON"},
		{"SMS at OFF is unused: raised to OPTIONAL without it", optionalNoSMS,
			PoolMFA{Level: LevelOff, SMS: smsBlock}, PoolMFA{Level: LevelOptional, SoftwareToken: true},
			[]string{"MFA_LEVEL_BELOW_POLICY"}, ""},
		{"at ON the removal stays", `{"factors":{"sms":"forbidden"}}`,
			PoolMFA{Level: LevelOptional, SMS: smsBlock}, PoolMFA{Level: LevelOn, SoftwareToken: true},
			[]string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "FORBIDDEN_FACTOR_ENABLED:sms"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustLoad(t, tc.policy)
			got := Plan(p, tc.observed, Limits{})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan = %+v\nwant   %+v", got, tc.want)
			}
			vs := Evaluate(p, tc.observed, Limits{})
			if c := codes(vs); !reflect.DeepEqual(c, tc.codes) {
				t.Errorf("Evaluate = %v, want %v", c, tc.codes)
			}
			for _, v := range vs {
				if v.Code == CodeForbiddenEnabled && !v.Correctable && !strings.Contains(v.Reason, tc.reason) {
					t.Errorf("reason %q lacks %q", v.Reason, tc.reason)
				}
			}
			// The fallbacks tried when Cognito refuses the ON plan keep SMS at OPTIONAL too.
			for _, fb := range Fallbacks(tc.observed, got, Limits{}) {
				if f, ok := removesActiveAtOptional(tc.observed, fb); ok {
					t.Errorf("fallback %+v removes %s at OPTIONAL", fb, f)
				}
			}
		})
	}
}
