package policy

import (
	"fmt"
	"slices"
)

// PoolMFA is a pool's MFA configuration (observed, planned or stored) as
// GetUserPoolMfaConfig returns it, as a plain struct. A nil factor block
// means the factor is not enabled.
type PoolMFA struct {
	Level         Level           `json:"mfaConfiguration"`
	SoftwareToken bool            `json:"softwareTokenEnabled"`
	SMS           *SMSConfig      `json:"sms,omitempty"`
	Email         *EmailConfig    `json:"email,omitempty"`
	WebAuthn      *WebAuthnConfig `json:"webAuthn,omitempty"`
}

// SMSConfig is the SMS MFA block; the enforcer never invents one.
type SMSConfig struct {
	Message      *string `json:"smsAuthenticationMessage,omitempty"`
	SNSCallerARN *string `json:"snsCallerArn,omitempty"`
	ExternalID   *string `json:"externalId,omitempty"`
	SNSRegion    *string `json:"snsRegion,omitempty"`
}

// EmailConfig is the email MFA block; the enforcer never invents one.
type EmailConfig struct {
	Message *string `json:"message,omitempty"`
	Subject *string `json:"subject,omitempty"`
}

// WebAuthnConfig is the passkey block: carried as it is, except where the
// passkey policy tightens it; the enforcer never invents one.
type WebAuthnConfig struct {
	RelyingPartyID      *string `json:"relyingPartyId,omitempty"`
	UserVerification    string  `json:"userVerification,omitempty"`
	FactorConfiguration string  `json:"factorConfiguration,omitempty"`
}

// Enabled reports whether the factor's block is present, whatever the level.
func (c PoolMFA) Enabled(f Factor) bool {
	return f == SoftwareToken && c.SoftwareToken || f == SMS && c.SMS != nil || f == Email && c.Email != nil
}

// Active reports whether the factor is enabled and MFA is not OFF.
func (c PoolMFA) Active(f Factor) bool {
	return c.Level != LevelOff && c.Enabled(f)
}

// Clone returns a deep copy, so a plan never aliases the observed state.
func (c PoolMFA) Clone() PoolMFA {
	out := c
	if c.SMS != nil {
		v := *c.SMS
		out.SMS = &v
	}
	if c.Email != nil {
		v := *c.Email
		out.Email = &v
	}
	if c.WebAuthn != nil {
		v := *c.WebAuthn
		out.WebAuthn = &v
	}
	return out
}

func (c *PoolMFA) disable(f Factor) {
	switch f {
	case SoftwareToken:
		c.SoftwareToken = false
	case SMS:
		c.SMS = nil
	case Email:
		c.Email = nil
	}
}

func (c PoolMFA) anyEnabled() bool {
	for _, f := range AllFactors {
		if c.Enabled(f) {
			return true
		}
	}
	return false
}

// Violation is one way a configuration falls short of the policy.
type Violation struct {
	Code        string `json:"code"`
	Factor      Factor `json:"factor,omitempty"`
	Text        string `json:"text"`
	Correctable bool   `json:"autoCorrectable"`
	Reason      string `json:"reason,omitempty"`
}

func (v Violation) key() string { return v.Code + "/" + string(v.Factor) }

// Labels names each violation for logs: its code, and ":factor" for a
// violation about one factor.
func Labels(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Code
		if v.Factor != "" {
			out[i] += ":" + string(v.Factor)
		}
	}
	return out
}

// check lists the violations of c against p for a pool with lim, without
// correctability.
func check(p Policy, c PoolMFA, lim Limits) []Violation {
	var vs []Violation
	add := func(code string, f Factor) {
		vs = append(vs, ruleOf(code).violation(subject{policy: p, level: c.Level, factor: f, limits: lim}))
	}
	if c.Level.Rank() < p.MFAConfiguration.Rank() {
		add(CodeLevelBelowPolicy, "")
	}
	if c.Level != LevelOff && !c.anyEnabled() {
		// Cognito refuses this combination, so it is only seen if that changes.
		add(CodeNoActiveFactor, "")
	}
	for _, f := range AllFactors {
		switch p.Factors.Of(f) {
		case Required:
			if !c.Active(f) {
				add(CodeRequiredNotEnabled, f)
			}
		case Forbidden:
			if c.Active(f) {
				add(CodeForbiddenEnabled, f)
			}
		}
	}
	for _, code := range passkeyAndFirstFactorCodes(p, c, lim) {
		add(code, "")
	}
	return vs
}

// passkeyAndFirstFactorCodes lists the passkey rules c breaks, and the
// first factors that keep a pool with lim from the ON p requires.
func passkeyAndFirstFactorCodes(p Policy, c PoolMFA, lim Limits) []string {
	var codes []string
	if c.WebAuthn != nil {
		if p.Passkeys.UserVerification == VerificationRequired && c.WebAuthn.UserVerification != userVerificationRequired {
			codes = append(codes, CodePasskeyVerification)
		}
		if p.Passkeys.FactorConfiguration == PasskeyMultiFactor && !passkeysMultiFactor(c) {
			codes = append(codes, CodePasskeySingleFactor)
		}
	}
	if p.MFAConfiguration == LevelOn && c.Level != LevelOn {
		// The first factors that keep this pool from ON, for Cognito.
		if len(lim.otpFirstFactors()) > 0 {
			codes = append(codes, CodeOTPFirstFactor)
		}
		if slices.Contains(lim.FirstFactors, FirstPasskey) && !passkeysMultiFactor(c) {
			codes = append(codes, CodePasskeyFirstFactor)
		}
	}
	return codes
}

// Evaluate lists the violations of observed against p for a pool with
// lim. A violation is correctable when the planned configuration no longer
// has it.
func Evaluate(p Policy, observed PoolMFA, lim Limits) []Violation {
	return Decide(p, observed, lim).Violations
}

// Assess lists the violations of observed against p, each correctable when
// achieved no longer has it (Decision.Assess).
func Assess(p Policy, observed, achieved PoolMFA, lim Limits, why string) []Violation {
	return Decide(p, observed, lim).Assess(achieved, why)
}

// Plan returns the configuration that brings observed in line with p while
// only strengthening it and carrying every setting p does not govern, as
// far as Cognito accepts for a pool with lim: below ON where the pool's
// first factors rule ON out. At OPTIONAL it never removes a factor users
// may rely on (keptAtOptional).
func Plan(p Policy, observed PoolMFA, lim Limits) PoolMFA {
	d := observed.Clone()
	tightenPasskeys(p, &d, lim)
	if target := lim.highestLevel(p.MFAConfiguration, d); d.Level.Rank() < target.Rank() {
		d.Level = target
	}
	if d.Level == LevelOff {
		// Nothing is active at OFF, so nothing is required or forbidden
		// (policy load refuses required factors with OFF).
		return d
	}
	if p.Factors.SoftwareToken == Required {
		d.SoftwareToken = true
	}
	for _, f := range AllFactors {
		if p.Factors.Of(f) == Forbidden && !keptAtOptional(observed, d, f) {
			d.disable(f)
		}
	}
	if d.anyEnabled() {
		return d
	}
	// MFA at OPTIONAL or ON needs a factor; TOTP is the one the enforcer can add.
	if p.Factors.SoftwareToken != Forbidden {
		d.SoftwareToken = true
		return d
	}
	keep := observed.Clone()
	tightenPasskeys(p, &keep, lim)
	if observed.Level == LevelOff {
		// Cannot raise the level without a factor: stay as observed.
		return keep
	}
	// Keep the forbidden factors rather than turn MFA off.
	keep.Level = d.Level
	return keep
}

// keptAtOptional reports whether c, at OPTIONAL, must keep factor f because
// observed has it active: users whose only factor it is would otherwise
// sign in with a password alone. At ON every user must use a remaining
// factor, and at OFF nobody uses f, so removing it loses no one's MFA.
func keptAtOptional(observed, c PoolMFA, f Factor) bool {
	return c.Level == LevelOptional && observed.Active(f)
}

// Change is one field that differs between two configurations.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Diff lists the fields that differ from before to after.
func Diff(before, after PoolMFA) []Change {
	var cs []Change
	add := func(field, b, a string) {
		if b != a {
			cs = append(cs, Change{Field: field, Before: b, After: a})
		}
	}
	add("mfaConfiguration", string(before.Level), string(after.Level))
	onOff := func(b bool) string {
		if b {
			return "enabled"
		}
		return "disabled"
	}
	for _, f := range AllFactors {
		add(string(f), onOff(before.Enabled(f)), onOff(after.Enabled(f)))
	}
	add("sms.settings", block(before.SMS), block(after.SMS))
	add("email.settings", block(before.Email), block(after.Email))
	add("webAuthn", block(before.WebAuthn), block(after.WebAuthn))
	return cs
}

func block[T SMSConfig | EmailConfig | WebAuthnConfig](p *T) string {
	if p == nil {
		return "absent"
	}
	switch x := any(*p).(type) {
	case SMSConfig:
		return fmt.Sprintf("{message:%s snsCallerArn:%s externalId:%s snsRegion:%s}", str(x.Message), str(x.SNSCallerARN), str(x.ExternalID), str(x.SNSRegion))
	case EmailConfig:
		return fmt.Sprintf("{message:%s subject:%s}", str(x.Message), str(x.Subject))
	case WebAuthnConfig:
		return fmt.Sprintf("{relyingPartyId:%s userVerification:%s factorConfiguration:%s}", str(x.RelyingPartyID), x.UserVerification, x.FactorConfiguration)
	}
	return "?"
}

func str(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// Fallbacks lists weaker corrections to try, strongest first, when Cognito
// refuses the full plan: forbidden factors kept, then ON lowered to
// OPTIONAL, then each of these without the passkey changes. At OPTIONAL
// every factor active in observed stays, as in Plan. Each is strictly
// stronger than observed and never weaker than it anywhere; none is one
// Cognito is known to refuse for a pool with lim.
func Fallbacks(observed, desired PoolMFA, lim Limits) []PoolMFA {
	keepAll := func(c PoolMFA) PoolMFA {
		keep := c.Clone()
		for _, f := range AllFactors {
			if observed.Enabled(f) && !keep.Enabled(f) {
				restore(&keep, observed, f)
			}
		}
		return keep
	}
	steps := []PoolMFA{desired, keepAll(desired)}
	if desired.Level == LevelOn && observed.Level != LevelOn {
		atOptional := desired.Clone()
		atOptional.Level = LevelOptional
		for _, f := range AllFactors {
			if keptAtOptional(observed, atOptional, f) && !atOptional.Enabled(f) {
				restore(&atOptional, observed, f)
			}
		}
		steps = append(steps, atOptional, keepAll(atOptional))
	}
	var variants []PoolMFA
	for _, v := range steps {
		// Each step, then the same without the passkey changes (which the
		// pool's plan may refuse).
		withoutPasskeys := v.Clone()
		withoutPasskeys.WebAuthn = observed.Clone().WebAuthn
		variants = append(variants, v, withoutPasskeys)
	}
	var out []PoolMFA
	seen := []PoolMFA{observed, desired}
	for _, v := range variants {
		if v.Level != LevelOff && !v.anyEnabled() || lim.refuses(v) || containsConfig(seen, v) {
			continue
		}
		seen = append(seen, v)
		out = append(out, v)
	}
	return out
}

func restore(c *PoolMFA, from PoolMFA, f Factor) {
	switch f {
	case SoftwareToken:
		c.SoftwareToken = from.SoftwareToken
	case SMS:
		c.SMS = from.Clone().SMS
	case Email:
		c.Email = from.Clone().Email
	}
}

func containsConfig(list []PoolMFA, c PoolMFA) bool {
	for _, x := range list {
		if Equal(x, c) {
			return true
		}
	}
	return false
}

// Equal reports whether two configurations are the same in every field.
func Equal(a, b PoolMFA) bool {
	return len(Diff(a, b)) == 0
}
