package policy

import "fmt"

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

// WebAuthnConfig is carried through unchanged: the policy does not govern it.
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

// check lists the violations of c against p, without correctability.
func check(p Policy, c PoolMFA) []Violation {
	var vs []Violation
	add := func(code string, f Factor) {
		vs = append(vs, ruleOf(code).violation(subject{policy: p, level: c.Level, factor: f}))
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
	return vs
}

// Evaluate lists the violations of observed against p. A violation is
// correctable when the planned configuration no longer has it.
func Evaluate(p Policy, observed PoolMFA) []Violation {
	vs := check(p, observed)
	if len(vs) == 0 {
		return nil
	}
	planned := Plan(p, observed)
	remaining := map[string]bool{}
	for _, v := range check(p, planned) {
		remaining[v.key()] = true
	}
	for i := range vs {
		if remaining[vs[i].key()] {
			vs[i].Reason = ruleOf(vs[i].Code).reason(subject{policy: p, factor: vs[i].Factor, planned: planned})
		} else {
			vs[i].Correctable = true
		}
	}
	return vs
}

// Plan returns the configuration that brings observed in line with p while
// only strengthening it and carrying every setting p does not govern. At
// OPTIONAL it never removes a factor users may rely on (keptAtOptional).
func Plan(p Policy, observed PoolMFA) PoolMFA {
	d := observed.Clone()
	if d.Level.Rank() < p.MFAConfiguration.Rank() {
		d.Level = p.MFAConfiguration
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
	if observed.Level == LevelOff {
		// Cannot raise the level without a factor: stay as observed.
		return observed.Clone()
	}
	// Keep the forbidden factors rather than turn MFA off.
	keep := observed.Clone()
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
// OPTIONAL. At OPTIONAL every factor active in observed stays, as in Plan.
// Each is strictly stronger than observed and never weaker than it anywhere.
func Fallbacks(observed, desired PoolMFA) []PoolMFA {
	keepAll := func(c PoolMFA) PoolMFA {
		keep := c.Clone()
		for _, f := range AllFactors {
			if observed.Enabled(f) && !keep.Enabled(f) {
				restore(&keep, observed, f)
			}
		}
		return keep
	}
	variants := []PoolMFA{keepAll(desired)}
	if desired.Level == LevelOn && observed.Level != LevelOn {
		atOptional := desired.Clone()
		atOptional.Level = LevelOptional
		for _, f := range AllFactors {
			if keptAtOptional(observed, atOptional, f) && !atOptional.Enabled(f) {
				restore(&atOptional, observed, f)
			}
		}
		variants = append(variants, atOptional, keepAll(atOptional))
	}
	var out []PoolMFA
	seen := []PoolMFA{observed, desired}
	for _, v := range variants {
		if v.Level != LevelOff && !v.anyEnabled() || containsConfig(seen, v) {
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
