// Package policy holds the organisation's MFA policy and the pure rules that
// compare a user pool's MFA configuration with it.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Level is a pool's MFA level, ordered OFF < OPTIONAL < ON.
type Level string

const (
	LevelOff      Level = "OFF"
	LevelOptional Level = "OPTIONAL"
	LevelOn       Level = "ON"
)

// Rank orders levels; an unknown level ranks below OFF.
func (l Level) Rank() int {
	switch l {
	case LevelOff:
		return 0
	case LevelOptional:
		return 1
	case LevelOn:
		return 2
	}
	return -1
}

// Requirement is what the policy says of one MFA factor.
type Requirement string

const (
	Required  Requirement = "required"
	Allowed   Requirement = "allowed"
	Forbidden Requirement = "forbidden"
)

// Mode decides whether drift is corrected or only reported.
type Mode string

const (
	Enforce Mode = "enforce"
	Report  Mode = "report"
)

// Factor names an MFA factor the policy governs.
type Factor string

const (
	SoftwareToken Factor = "softwareToken"
	SMS           Factor = "sms"
	Email         Factor = "email"
)

// AllFactors lists the governed factors in a fixed order.
var AllFactors = []Factor{SoftwareToken, SMS, Email}

// Factors holds the requirement for each governed factor.
type Factors struct {
	SoftwareToken Requirement `json:"softwareToken"`
	SMS           Requirement `json:"sms"`
	Email         Requirement `json:"email"`
}

// Of returns the requirement for f.
func (fs Factors) Of(f Factor) Requirement {
	switch f {
	case SoftwareToken:
		return fs.SoftwareToken
	case SMS:
		return fs.SMS
	case Email:
		return fs.Email
	}
	return ""
}

// Verification is the least user verification the policy accepts from
// passkeys, in Cognito's words.
type Verification string

const (
	VerificationPreferred Verification = "preferred"
	VerificationRequired  Verification = "required"
)

// PasskeyFactor says whether passkeys must count as MFA.
type PasskeyFactor string

const (
	PasskeyAny         PasskeyFactor = "any"          // single or multi-factor: not governed
	PasskeyMultiFactor PasskeyFactor = "multi-factor" // MULTI_FACTOR_WITH_USER_VERIFICATION
)

// Passkeys is the policy for a pool's WebAuthn (passkey) configuration.
// The enforcer tightens an existing one and never creates one: it cannot
// know the relying party.
type Passkeys struct {
	UserVerification    Verification  `json:"userVerification"`
	FactorConfiguration PasskeyFactor `json:"factorConfiguration"`
}

// Exemptions name pools that are reported but never written.
type Exemptions struct {
	PoolIDs []string `json:"poolIds"`
	TagKey  string   `json:"tagKey,omitempty"`
}

// Users holds the user-level rules used on the sign-in path.
type Users struct {
	PreferSoftwareToken bool `json:"preferSoftwareToken"`
}

// Policy is a validated version 1 policy document with defaults applied.
type Policy struct {
	Version          int        `json:"version"`
	MFAConfiguration Level      `json:"mfaConfiguration"`
	Factors          Factors    `json:"factors"`
	Passkeys         Passkeys   `json:"passkeys"`
	Mode             Mode       `json:"mode"`
	Exemptions       Exemptions `json:"exemptions"`
	Users            Users      `json:"users"`
}

// document mirrors the JSON with pointers so absent fields get defaults.
type document struct {
	Version          *int    `json:"version"`
	MFAConfiguration *string `json:"mfaConfiguration"`
	Factors          *struct {
		SoftwareToken *string `json:"softwareToken"`
		SMS           *string `json:"sms"`
		Email         *string `json:"email"`
	} `json:"factors"`
	Passkeys *struct {
		UserVerification    *string `json:"userVerification"`
		FactorConfiguration *string `json:"factorConfiguration"`
	} `json:"passkeys"`
	Mode       *string `json:"mode"`
	Exemptions *struct {
		PoolIDs []string `json:"poolIds"`
		TagKey  *string  `json:"tagKey"`
	} `json:"exemptions"`
	Users *struct {
		PreferSoftwareToken *bool `json:"preferSoftwareToken"`
	} `json:"users"`
}

// Default returns the policy used when MFA_POLICY is empty.
func Default() Policy {
	return Policy{
		Version:          1,
		MFAConfiguration: LevelOn,
		Factors:          Factors{SoftwareToken: Required, SMS: Allowed, Email: Allowed},
		// Defaults that govern nothing: existing documents keep their meaning.
		Passkeys:   Passkeys{UserVerification: VerificationPreferred, FactorConfiguration: PasskeyAny},
		Mode:       Enforce,
		Exemptions: Exemptions{PoolIDs: []string{}},
		Users:      Users{PreferSoftwareToken: true},
	}
}

// poolIDPattern is Cognito's documented user pool ID pattern.
var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// IsPoolID reports whether s has the form of a user pool ID.
func IsPoolID(s string) bool {
	return len(s) <= 55 && poolIDPattern.MatchString(s)
}

// Load parses and validates a policy document. An empty document yields the
// defaults. The JSON must be strict (see checkStrict). Errors name the
// offending field.
func Load(doc string) (Policy, error) {
	p := Default()
	if strings.TrimSpace(doc) == "" {
		return p, nil
	}
	if err := checkStrict(doc); err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	var d document
	if err := dec.Decode(&d); err != nil {
		return Policy{}, fmt.Errorf("policy: %w", describeJSONError(err))
	}
	if d.Version != nil {
		if *d.Version != 1 {
			return Policy{}, fmt.Errorf("policy: version: unsupported value %d (supported: 1)", *d.Version)
		}
	}
	var err error
	if d.MFAConfiguration != nil {
		if p.MFAConfiguration, err = parseEnum("mfaConfiguration", *d.MFAConfiguration, LevelOff, LevelOptional, LevelOn); err != nil {
			return Policy{}, err
		}
	}
	if d.Factors != nil {
		for _, f := range []struct {
			name string
			in   *string
			out  *Requirement
		}{
			{"factors.softwareToken", d.Factors.SoftwareToken, &p.Factors.SoftwareToken},
			{"factors.sms", d.Factors.SMS, &p.Factors.SMS},
			{"factors.email", d.Factors.Email, &p.Factors.Email},
		} {
			if f.in == nil {
				continue
			}
			if *f.out, err = parseEnum(f.name, *f.in, Required, Allowed, Forbidden); err != nil {
				return Policy{}, err
			}
		}
	}
	if d.Passkeys != nil {
		if v := d.Passkeys.UserVerification; v != nil {
			if p.Passkeys.UserVerification, err = parseEnum("passkeys.userVerification", *v, VerificationPreferred, VerificationRequired); err != nil {
				return Policy{}, err
			}
		}
		if v := d.Passkeys.FactorConfiguration; v != nil {
			if p.Passkeys.FactorConfiguration, err = parseEnum("passkeys.factorConfiguration", *v, PasskeyAny, PasskeyMultiFactor); err != nil {
				return Policy{}, err
			}
		}
	}
	if d.Mode != nil {
		if p.Mode, err = parseEnum("mode", *d.Mode, Enforce, Report); err != nil {
			return Policy{}, err
		}
	}
	if d.Exemptions != nil {
		for i, id := range d.Exemptions.PoolIDs {
			if !IsPoolID(id) {
				return Policy{}, fmt.Errorf("policy: exemptions.poolIds[%d]: %q is not a user pool ID (like us-east-1_AbC123)", i, id)
			}
		}
		if d.Exemptions.PoolIDs != nil {
			p.Exemptions.PoolIDs = d.Exemptions.PoolIDs
		}
		if d.Exemptions.TagKey != nil {
			k := *d.Exemptions.TagKey
			// Cognito counts tag keys in Unicode characters, not bytes.
			if n := utf8.RuneCountInString(k); n == 0 || n > 128 {
				return Policy{}, fmt.Errorf("policy: exemptions.tagKey: must be 1 to 128 characters, got %d", n)
			}
			p.Exemptions.TagKey = k
		}
	}
	if d.Users != nil && d.Users.PreferSoftwareToken != nil {
		p.Users.PreferSoftwareToken = *d.Users.PreferSoftwareToken
	}
	if err := p.checkContradictions(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

func (p Policy) checkContradictions() error {
	if p.MFAConfiguration != LevelOff {
		usable := false
		for _, f := range AllFactors {
			if p.Factors.Of(f) != Forbidden {
				usable = true
			}
		}
		if !usable {
			return fmt.Errorf("policy: factors: every factor is forbidden, but mfaConfiguration %s needs at least one", p.MFAConfiguration)
		}
	}
	if p.MFAConfiguration == LevelOff {
		for _, f := range AllFactors {
			if p.Factors.Of(f) == Required {
				return fmt.Errorf("policy: factors.%s: required contradicts mfaConfiguration OFF (a factor is active only when MFA is OPTIONAL or ON); raise mfaConfiguration or make it allowed", f)
			}
		}
	}
	if p.Users.PreferSoftwareToken && p.Factors.SoftwareToken == Forbidden {
		return errors.New("policy: users.preferSoftwareToken: true contradicts factors.softwareToken forbidden")
	}
	return nil
}

func parseEnum[T ~string](field, v string, allowed ...T) (T, error) {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		if string(a) == v {
			return a, nil
		}
		names[i] = string(a)
	}
	return "", fmt.Errorf("policy: %s: %q is not one of %s", field, v, strings.Join(names, ", "))
}

// describeJSONError says where the JSON itself is broken. Type and field
// errors do not reach it: checkStrict reports them with their paths.
func describeJSONError(err error) error {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("malformed JSON at byte %d: %w", syntaxErr.Offset, err)
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// Exempt reports whether the pool is exempt, and why. tags may be nil when
// the policy has no tag exemption.
func (p Policy) Exempt(poolID string, tags map[string]string) (bool, string) {
	for _, id := range p.Exemptions.PoolIDs {
		if id == poolID {
			return true, "pool ID listed in exemptions.poolIds"
		}
	}
	if p.Exemptions.TagKey != "" {
		if _, ok := tags[p.Exemptions.TagKey]; ok {
			return true, fmt.Sprintf("pool carries the exemption tag %q", p.Exemptions.TagKey)
		}
	}
	return false, ""
}

// String renders the policy as compact JSON, for logs.
func (p Policy) String() string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(p)
	return strings.TrimSpace(b.String())
}
