package policy

import (
	"reflect"
	"strings"
	"testing"
)

// tightened is what the passkey policy makes of an observed WebAuthn
// configuration: only stricter, relying party kept, never created, and
// left alone on a Lite pool.
func tightened(p Policy, w *WebAuthnConfig, lim Limits) *WebAuthnConfig {
	if w == nil {
		return nil
	}
	out := *w
	if lim.Tier == TierLite {
		return &out
	}
	if p.Passkeys.UserVerification == VerificationRequired {
		out.UserVerification = "required"
	}
	if p.Passkeys.FactorConfiguration == PasskeyMultiFactor {
		out.FactorConfiguration = "MULTI_FACTOR_WITH_USER_VERIFICATION"
	}
	return &out
}

var (
	passkeyFirst        = Limits{FirstFactors: []FirstFactor{FirstPassword, FirstPasskey}, Tier: TierEssentials}
	emailFirst          = Limits{FirstFactors: []FirstFactor{FirstPassword, FirstEmailOTP}, Tier: TierEssentials}
	otpFirst            = Limits{FirstFactors: []FirstFactor{FirstEmailOTP, FirstSMSOTP}, Tier: TierPlus}
	passwordOnly        = Limits{FirstFactors: []FirstFactor{FirstPassword}, Tier: TierEssentials}
	multiFactorPasskeys = &WebAuthnConfig{RelyingPartyID: ptr("example.com"), UserVerification: "preferred", FactorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"}
)

// TestPlanWithinLimits: the plan Cognito accepts for each kind of pool,
// and what is reported where it cannot go further.
func TestPlanWithinLimits(t *testing.T) {
	const multi = `{"passkeys":{"factorConfiguration":"multi-factor"}}`
	cases := []struct {
		name     string
		policy   string
		lim      Limits
		observed PoolMFA
		want     PoolMFA
		codes    []string // "!" marks not correctable
		reason   string   // in the reason of the last code
		text     string   // in the text of the last code
	}{
		{name: "passkey first, multi-factor policy: ON and multi-factor in one plan", policy: multi, lim: passkeyFirst,
			observed: PoolMFA{Level: LevelOff, WebAuthn: webAuthn},
			want:     PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: multiFactorPasskeys},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "PASSKEY_NOT_MULTI_FACTOR", "PASSKEY_FIRST_FACTOR_BLOCKS_MFA_ON"}},
		{name: "passkey first, passkeys not governed: OPTIONAL, passkeys untouched", lim: passkeyFirst,
			observed: PoolMFA{Level: LevelOff, WebAuthn: webAuthn},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true, WebAuthn: webAuthn},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "PASSKEY_FIRST_FACTOR_BLOCKS_MFA_ON!"},
			reason:   "set passkeys.factorConfiguration to multi-factor"},
		{name: "passkey first without a WebAuthn configuration: none created", policy: multi, lim: passkeyFirst,
			observed: PoolMFA{Level: LevelOff},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "PASSKEY_FIRST_FACTOR_BLOCKS_MFA_ON!"},
			reason:   "never creates one"},
		{name: "passkey first on a Lite pool: passkeys not attempted", policy: multi,
			lim:      Limits{FirstFactors: []FirstFactor{FirstPasskey}, Tier: TierLite},
			observed: PoolMFA{Level: LevelOff, WebAuthn: webAuthn},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true, WebAuthn: webAuthn},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "PASSKEY_NOT_MULTI_FACTOR!", "PASSKEY_FIRST_FACTOR_BLOCKS_MFA_ON!"},
			reason:   "the pool's plan is LITE"},
		{name: "passkey first, already multi-factor: ON", lim: passkeyFirst,
			observed: PoolMFA{Level: LevelOff, WebAuthn: multiFactorPasskeys},
			want:     PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: multiFactorPasskeys},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken"}},
		{name: "email OTP first: OPTIONAL, the first factor named", lim: emailFirst,
			observed: PoolMFA{Level: LevelOff},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "OTP_FIRST_FACTOR_BLOCKS_MFA_ON!"},
			text:     "while EMAIL_OTP is an allowed first sign-in factor", reason: "remove EMAIL_OTP from the pool's sign-in policy"},
		{name: "both OTP first factors named", lim: otpFirst,
			observed: PoolMFA{Level: LevelOff},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "OTP_FIRST_FACTOR_BLOCKS_MFA_ON!"},
			text:     "EMAIL_OTP and SMS_OTP are allowed", reason: "remove EMAIL_OTP and SMS_OTP"},
		{name: "email OTP first at OPTIONAL with TOTP: nothing to write", lim: emailFirst,
			observed: PoolMFA{Level: LevelOptional, SoftwareToken: true},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "OTP_FIRST_FACTOR_BLOCKS_MFA_ON!"},
			reason:   "until then MFA can be OPTIONAL at most"},
		{name: "email OTP first keeps a forbidden SMS users rely on at OPTIONAL", policy: `{"factors":{"sms":"forbidden"}}`, lim: emailFirst,
			observed: PoolMFA{Level: LevelOptional, SMS: smsBlock},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true, SMS: smsBlock},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken", "FORBIDDEN_FACTOR_ENABLED:sms!", "OTP_FIRST_FACTOR_BLOCKS_MFA_ON!"}},
		{name: "policy OPTIONAL: OTP first factors do not matter", policy: `{"mfaConfiguration":"OPTIONAL"}`, lim: otpFirst,
			observed: PoolMFA{Level: LevelOff},
			want:     PoolMFA{Level: LevelOptional, SoftwareToken: true},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken"}},
		{name: "password only: ON as always", lim: passwordOnly,
			observed: PoolMFA{Level: LevelOff},
			want:     PoolMFA{Level: LevelOn, SoftwareToken: true},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY", "REQUIRED_FACTOR_NOT_ENABLED:softwareToken"}},
		{name: "user verification tightened, relying party kept", policy: `{"passkeys":{"userVerification":"required"}}`,
			observed: PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: webAuthn},
			want:     PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: &WebAuthnConfig{RelyingPartyID: ptr("example.com"), UserVerification: "required", FactorConfiguration: "SINGLE_FACTOR"}},
			codes:    []string{"PASSKEY_USER_VERIFICATION_NOT_REQUIRED"}},
		{name: "passkey policy never creates a WebAuthn configuration", policy: `{"passkeys":{"userVerification":"required","factorConfiguration":"multi-factor"}}`,
			observed: PoolMFA{Level: LevelOn, SoftwareToken: true},
			want:     PoolMFA{Level: LevelOn, SoftwareToken: true}},
		{name: "passkeys tightened on an OFF pool with nothing to raise", policy: `{"mfaConfiguration":"OFF","factors":{"softwareToken":"allowed"},"passkeys":{"factorConfiguration":"multi-factor"}}`,
			observed: PoolMFA{Level: LevelOff, WebAuthn: webAuthn},
			want:     PoolMFA{Level: LevelOff, WebAuthn: &WebAuthnConfig{RelyingPartyID: ptr("example.com"), UserVerification: "preferred", FactorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"}},
			codes:    []string{"PASSKEY_NOT_MULTI_FACTOR"}},
		{name: "passkeys tightened where nothing else can be", policy: `{"factors":{"softwareToken":"forbidden"},"users":{"preferSoftwareToken":false},"passkeys":{"userVerification":"required"}}`,
			observed: PoolMFA{Level: LevelOff, WebAuthn: webAuthn},
			want:     PoolMFA{Level: LevelOff, WebAuthn: &WebAuthnConfig{RelyingPartyID: ptr("example.com"), UserVerification: "required", FactorConfiguration: "SINGLE_FACTOR"}},
			codes:    []string{"MFA_LEVEL_BELOW_POLICY!", "PASSKEY_USER_VERIFICATION_NOT_REQUIRED"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustLoad(t, tc.policy)
			got := Plan(p, tc.observed, tc.lim)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan = %+v %+v\nwant   %+v %+v", got, got.WebAuthn, tc.want, tc.want.WebAuthn)
			}
			vs := Evaluate(p, tc.observed, tc.lim)
			if c := codes(vs); !reflect.DeepEqual(c, tc.codes) {
				t.Fatalf("Evaluate = %v, want %v", c, tc.codes)
			}
			for _, v := range vs {
				if !v.Correctable && v.Reason == "" {
					t.Errorf("%s not correctable but without a reason", v.Code)
				}
			}
			if len(vs) > 0 {
				last := vs[len(vs)-1]
				if !strings.Contains(last.Reason, tc.reason) || !strings.Contains(last.Text, tc.text) {
					t.Errorf("%s: text %q, reason %q; want them to contain %q and %q", last.Code, last.Text, last.Reason, tc.text, tc.reason)
				}
			}
			if tc.lim.refuses(got) {
				t.Errorf("planned %+v, which Cognito refuses for %+v", got, tc.lim)
			}
		})
	}
}

func TestNeedsLimits(t *testing.T) {
	cases := []struct {
		name     string
		policy   string
		observed PoolMFA
		want     bool
	}{
		{"compliant", ``, PoolMFA{Level: LevelOn, SoftwareToken: true}, false},
		{"raised to ON", ``, PoolMFA{Level: LevelOff}, true},
		{"OPTIONAL raised to ON", ``, PoolMFA{Level: LevelOptional, SMS: smsBlock}, true},
		{"already ON, a forbidden factor removed", `{"factors":{"sms":"forbidden"}}`, PoolMFA{Level: LevelOn, SoftwareToken: true, SMS: smsBlock}, false},
		{"raised to OPTIONAL only", `{"mfaConfiguration":"OPTIONAL"}`, PoolMFA{Level: LevelOff}, false},
		{"nothing can be raised", `{"factors":{"softwareToken":"forbidden"},"users":{"preferSoftwareToken":false}}`, PoolMFA{Level: LevelOff}, false},
		{"passkeys tightened at ON", `{"passkeys":{"userVerification":"required"}}`, PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: webAuthn}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsLimits(mustLoad(t, tc.policy), tc.observed); got != tc.want {
				t.Errorf("NeedsLimits = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFallbacksWithinLimits(t *testing.T) {
	single := PoolMFA{Level: LevelOff, WebAuthn: webAuthn}
	desired := PoolMFA{Level: LevelOn, SoftwareToken: true, WebAuthn: multiFactorPasskeys}
	cases := []struct {
		name string
		lim  Limits
		want []PoolMFA
	}{
		{"first factors unknown: passkeys reverted at ON, then OPTIONAL with and without them", Limits{}, []PoolMFA{
			{Level: LevelOn, SoftwareToken: true, WebAuthn: webAuthn},
			{Level: LevelOptional, SoftwareToken: true, WebAuthn: multiFactorPasskeys},
			{Level: LevelOptional, SoftwareToken: true, WebAuthn: webAuthn},
		}},
		{"passkey first: never ON with single-factor passkeys", passkeyFirst, []PoolMFA{
			{Level: LevelOptional, SoftwareToken: true, WebAuthn: multiFactorPasskeys},
			{Level: LevelOptional, SoftwareToken: true, WebAuthn: webAuthn},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fallbacks(single, desired, tc.lim); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Fallbacks =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// passkeyPolicies is every valid policy with every passkey policy.
func passkeyPolicies() []Policy {
	var out []Policy
	for _, p := range allPolicies() {
		for _, uv := range []Verification{VerificationPreferred, VerificationRequired} {
			for _, fc := range []PasskeyFactor{PasskeyAny, PasskeyMultiFactor} {
				p.Passkeys = Passkeys{UserVerification: uv, FactorConfiguration: fc}
				out = append(out, p)
			}
		}
	}
	return out
}

// passkeyConfigs is every level x factor state with each kind of WebAuthn
// configuration, none included.
func passkeyConfigs() []PoolMFA {
	webAuthns := []*WebAuthnConfig{nil, webAuthn, multiFactorPasskeys, {RelyingPartyID: ptr("example.com")}}
	var out []PoolMFA
	for _, c := range allConfigs() {
		if c.WebAuthn != nil {
			continue
		}
		for _, w := range webAuthns {
			c.WebAuthn = w
			out = append(out, c.Clone())
		}
	}
	return out
}

var allLimits = []Limits{
	{}, passwordOnly, passkeyFirst, emailFirst, otpFirst,
	{FirstFactors: []FirstFactor{FirstPasskey, FirstSMSOTP}},
	{FirstFactors: []FirstFactor{FirstPassword, FirstPasskey}, Tier: TierLite},
	{Tier: TierLite},
}

// TestRulesWithinLimits: the planning rules hold for every passkey policy
// on every kind of pool, and nothing Cognito is known to refuse is planned
// or tried.
func TestRulesWithinLimits(t *testing.T) {
	policies, configs := passkeyPolicies(), passkeyConfigs()
	for _, lim := range allLimits {
		for _, p := range policies {
			for _, o := range configs {
				if lim.refuses(o) {
					continue // a state Cognito never lets a pool reach
				}
				assertRules(t, p, o, lim)
			}
		}
	}
}
