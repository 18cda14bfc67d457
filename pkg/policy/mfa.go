package policy

import (
	"fmt"
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

// SMSConfig is the SMS MFA block; the enforcer never invents one. Its
// sender is Amazon SNS (the SNS fields) or AWS End User Messaging (EUMS),
// one or the other: Cognito clears the other when one is set, so a write
// sends exactly what was read.
type SMSConfig struct {
	Message      *string     `json:"smsAuthenticationMessage,omitempty"`
	SNSCallerARN *string     `json:"snsCallerArn,omitempty"`
	ExternalID   *string     `json:"externalId,omitempty"`
	SNSRegion    *string     `json:"snsRegion,omitempty"`
	EUMS         *EUMSConfig `json:"eumsSms,omitempty"`
}

// EUMSConfig is SMS through AWS End User Messaging (SmsConfiguration's
// EumsSms), carried as read.
type EUMSConfig struct {
	CallerARN            *string `json:"callerArn,omitempty"`
	ConfigurationSetName *string `json:"configurationSetName,omitempty"`
	ExternalID           *string `json:"externalId,omitempty"`
	InEntityID           *string `json:"inEntityId,omitempty"`
	InTemplateID         *string `json:"inTemplateId,omitempty"`
	OriginationIdentity  *string `json:"originationIdentity,omitempty"`
	Region               *string `json:"region,omitempty"`
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
		if v.EUMS != nil {
			e := *v.EUMS
			v.EUMS = &e
		}
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
	Code   string `json:"code"`
	Factor Factor `json:"factor,omitempty"`
	// Client and RiskLevel name what an adaptive authentication violation
	// is about: an app client ("" for the pool's own configuration) and a
	// risk level (low, medium, high, compromisedCredentials).
	Client      string `json:"client,omitempty"`
	RiskLevel   string `json:"riskLevel,omitempty"`
	Text        string `json:"text"`
	Correctable bool   `json:"autoCorrectable"`
	Reason      string `json:"reason,omitempty"`
}

func (v Violation) key() string {
	return v.Code + "/" + string(v.Factor) + "/" + v.Client + "/" + v.RiskLevel
}

// Labels names each violation for logs: its code, and ":factor" for a
// violation about one factor.
func Labels(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Code
		for _, part := range []string{string(v.Factor), v.Client, v.RiskLevel} {
			if part != "" {
				out[i] += ":" + part
			}
		}
	}
	return out
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
		out := fmt.Sprintf("{message:%s snsCallerArn:%s externalId:%s snsRegion:%s", str(x.Message), str(x.SNSCallerARN), str(x.ExternalID), str(x.SNSRegion))
		if e := x.EUMS; e != nil {
			out += fmt.Sprintf(" eumsSms:{callerArn:%s configurationSetName:%s externalId:%s inEntityId:%s inTemplateId:%s originationIdentity:%s region:%s}",
				str(e.CallerARN), str(e.ConfigurationSetName), str(e.ExternalID), str(e.InEntityID), str(e.InTemplateID), str(e.OriginationIdentity), str(e.Region))
		}
		return out + "}"
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

// Equal reports whether two configurations are the same in every field.
func Equal(a, b PoolMFA) bool {
	return len(Diff(a, b)) == 0
}
