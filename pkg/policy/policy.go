// Package policy holds the organisation's MFA policy and the pure rules that
// compare a user pool's MFA configuration with it.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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

// Values are the levels a policy may name.
func (Level) Values() []string { return names(LevelOff, LevelOptional, LevelOn) }

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

// Values are the requirements a policy may name.
func (Requirement) Values() []string { return names(Required, Allowed, Forbidden) }

// Mode decides whether drift is corrected or only reported.
type Mode string

const (
	Enforce Mode = "enforce"
	Report  Mode = "report"
)

// Values are the modes a policy may name.
func (Mode) Values() []string { return names(Enforce, Report) }

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

// Values are the verifications a policy may name.
func (Verification) Values() []string { return names(VerificationPreferred, VerificationRequired) }

// PasskeyFactor says whether passkeys must count as MFA.
type PasskeyFactor string

const (
	PasskeyAny         PasskeyFactor = "any"          // single or multi-factor: not governed
	PasskeyMultiFactor PasskeyFactor = "multi-factor" // MULTI_FACTOR_WITH_USER_VERIFICATION
)

// Values are the passkey factor settings a policy may name.
func (PasskeyFactor) Values() []string { return names(PasskeyAny, PasskeyMultiFactor) }

// names are enum values as strings, in order.
func names[T ~string](vs ...T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

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

// Users holds the user-level rules used on the sign-in path, and the
// coverage rule: the least share of active users (seen signing in within
// the window) who have an MFA factor; 0 checks nothing.
type Users struct {
	PreferSoftwareToken bool    `json:"preferSoftwareToken"`
	MinimumCoverage     float64 `json:"minimumCoverage"`
	CoverageWindowDays  int     `json:"coverageWindowDays"`
}

// Coverage window bounds, in days.
const (
	DefaultCoverageWindowDays = 30
	MaxCoverageWindowDays     = 365
)

// Origin says where a policy in force came from: Source is "inline"
// (MFA_POLICY) or "ssm:" and the parameter's name or ARN, with the
// parameter's Version. Findings carry it, so each names the policy that
// judged it.
type Origin struct {
	Source  string `json:"source"`
	Version int64  `json:"version,omitempty"`
}

// Settings are what a version 1 document and each version 2 profile set:
// the one place the policy's rules and their JSON are written. A new rule
// with a setting adds its field here (its type says what values it takes,
// see Values) and its default in DefaultSettings.
type Settings struct {
	MFAConfiguration Level    `json:"mfaConfiguration"`
	Factors          Factors  `json:"factors"`
	Passkeys         Passkeys `json:"passkeys"`
	Mode             Mode     `json:"mode"`
	Users            Users    `json:"users"`
	Adaptive         Adaptive `json:"adaptiveAuthentication"`
}

// DefaultSettings are the settings of an empty document or profile.
func DefaultSettings() Settings {
	return Settings{
		MFAConfiguration: LevelOn,
		Factors:          Factors{SoftwareToken: Required, SMS: Allowed, Email: Allowed},
		// Defaults that govern nothing: existing documents keep their meaning.
		Passkeys: Passkeys{UserVerification: VerificationPreferred, FactorConfiguration: PasskeyAny},
		Mode:     Enforce,
		Users:    Users{PreferSoftwareToken: true, CoverageWindowDays: DefaultCoverageWindowDays},
		Adaptive: DefaultAdaptive(),
	}
}

// Policy is a validated policy document with defaults applied. In a
// version 2 document the rules are those of the default profile, and For
// picks a pool's profile.
type Policy struct {
	Origin  Origin `json:"-"` // not part of the document
	Profile string `json:"-"` // the profile these rules are; "" in version 1
	Version int    `json:"version"`
	Settings
	Exemptions Exemptions `json:"exemptions"`
	// Version 2: the profiles by name, the default one, the tag that names
	// a pool's profile, and pools given a profile by ID.
	Profiles     map[string]Policy `json:"profiles,omitempty"`
	Default      string            `json:"default,omitempty"`
	ProfileTag   string            `json:"profileTag,omitempty"`
	ProfilePools map[string]string `json:"profilePools,omitempty"`
}

// document is the JSON a policy is read from: the Policy's fields, with
// each profile's rules starting from the defaults.
type document struct {
	Version int `json:"version"`
	Settings
	Exemptions   Exemptions         `json:"exemptions"`
	Profiles     map[string]profile `json:"profiles"`
	Default      string             `json:"default"`
	ProfileTag   string             `json:"profileTag"`
	ProfilePools map[string]string  `json:"profilePools"`
}

// profile is one version 2 profile's rules: what it leaves out is the
// default.
type profile Settings

// UnmarshalJSON reads a profile onto the default rules.
func (r *profile) UnmarshalJSON(b []byte) error {
	def := DefaultSettings()
	if err := json.Unmarshal(b, &def); err != nil {
		return err
	}
	*r = profile(def)
	return nil
}

// Default returns the policy used when MFA_POLICY is empty.
func Default() Policy {
	return Policy{Version: 1, Settings: DefaultSettings(), Exemptions: Exemptions{PoolIDs: []string{}}}
}

// poolIDPattern is Cognito's documented user pool ID pattern.
var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// IsPoolID reports whether s has the form of a user pool ID.
func IsPoolID(s string) bool {
	return len(s) <= 55 && poolIDPattern.MatchString(s)
}

// Load parses and validates a policy document, version 1 (one set of
// rules) or 2 (profiles). A blank document is refused like any other
// invalid one: "{}" asks for the defaults (and an unset inline MFA_POLICY
// means them, see pkg/setup). The JSON must be strict (see checkStrict),
// which also holds every value of an enumerated field to its Values.
// Errors name the offending field.
func Load(doc string) (Policy, error) {
	if strings.TrimSpace(doc) == "" {
		return Policy{}, errors.New(`policy: the document is blank (write {} for the defaults)`)
	}
	if err := checkStrict(doc); err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	d := document{Version: 1, Settings: DefaultSettings(), Exemptions: Exemptions{PoolIDs: []string{}}}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Policy{}, fmt.Errorf("policy: %w", describeJSONError(err))
	}
	var present map[string]json.RawMessage
	_ = json.Unmarshal([]byte(doc), &present) // checkStrict: an object
	if d.Version != 1 && d.Version != 2 {
		return Policy{}, fmt.Errorf("policy: version: unsupported value %d (supported: 1, 2)", d.Version)
	}
	p := Policy{Version: d.Version, Settings: d.Settings, Exemptions: d.Exemptions}
	if err := p.checkExemptions(has(present["exemptions"], "tagKey")); err != nil {
		return Policy{}, err
	}
	if p.Version == 2 {
		return d.loadProfiles(p, present)
	}
	for _, name := range []string{"profiles", "default", "profileTag", "profilePools"} {
		if _, set := present[name]; set {
			return Policy{}, fmt.Errorf("policy: %s: profiles need \"version\": 2", name)
		}
	}
	if err := p.Settings.check(""); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// check validates rules beyond their JSON types and values; at names them
// in errors ("" at the top, "profiles.<name>." in a profile).
func (r Settings) check(at string) error {
	if v := r.Users.MinimumCoverage; !(v >= 0 && v <= 1) {
		return fmt.Errorf("policy: %susers.minimumCoverage: must be a share from 0 to 1 (0.9 is 90%%), got %v", at, v)
	}
	if v := r.Users.CoverageWindowDays; v < 1 || v > MaxCoverageWindowDays {
		return fmt.Errorf("policy: %susers.coverageWindowDays: must be 1 to %d days, got %d", at, MaxCoverageWindowDays, v)
	}
	if err := r.checkAdaptive(at); err != nil {
		return err
	}
	return r.checkContradictions(at)
}

// checkAdaptive refuses an adaptive policy that says nothing: accepted
// without MFA ON to stand in for, or with a minimum that never asks for a
// second factor.
func (r Settings) checkAdaptive(at string) error {
	a := r.Adaptive
	if a.AcceptAsOn && r.MFAConfiguration != LevelOn {
		return fmt.Errorf("policy: %sadaptiveAuthentication.acceptAsOn: true stands in for mfaConfiguration ON, which is %s here: remove it or require ON", at, r.MFAConfiguration)
	}
	if m := a.MinimumActions; m.Low == NoAction && m.Medium == NoAction && m.High == NoAction {
		return fmt.Errorf("policy: %sadaptiveAuthentication.minimumActions: every risk level at NO_ACTION never asks for a second factor: "+
			"it cannot count as MFA ON (set medium or high to MFA_IF_CONFIGURED or stronger)", at)
	}
	return nil
}

// ruleKeys are the JSON names of the rules' fields.
func ruleKeys() []string {
	var keys []string
	for f := range reflect.TypeFor[Settings]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}

// has reports whether the JSON object obj has key.
func has(obj json.RawMessage, key string) bool {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(obj, &m)
	_, ok := m[key]
	return ok
}

// checkExemptions checks the pool IDs and, when the document sets it, the
// tag key.
func (p Policy) checkExemptions(tagKeySet bool) error {
	for i, id := range p.Exemptions.PoolIDs {
		if !IsPoolID(id) {
			return fmt.Errorf("policy: exemptions.poolIds[%d]: %q is not a user pool ID (like us-east-1_AbC123)", i, id)
		}
	}
	if tagKeySet {
		return checkTagKey("exemptions.tagKey", p.Exemptions.TagKey)
	}
	return nil
}

// checkTagKey checks a tag key as Cognito does: in Unicode characters, not bytes.
func checkTagKey(field, k string) error {
	if n := utf8.RuneCountInString(k); n == 0 || n > 128 {
		return fmt.Errorf("policy: %s: must be 1 to 128 characters, got %d", field, n)
	}
	return nil
}

func (p Settings) checkContradictions(at string) error {
	if p.MFAConfiguration != LevelOff {
		usable := false
		for _, f := range AllFactors {
			if p.Factors.Of(f) != Forbidden {
				usable = true
			}
		}
		if !usable {
			return fmt.Errorf("policy: %sfactors: every factor is forbidden, but mfaConfiguration %s needs at least one", at, p.MFAConfiguration)
		}
	}
	if p.MFAConfiguration == LevelOff {
		for _, f := range AllFactors {
			if p.Factors.Of(f) == Required {
				return fmt.Errorf("policy: %sfactors.%s: required contradicts mfaConfiguration OFF (a factor is active only when MFA is OPTIONAL or ON); raise mfaConfiguration or make it allowed", at, f)
			}
		}
	}
	if p.Users.PreferSoftwareToken && p.Factors.SoftwareToken == Forbidden {
		return fmt.Errorf("policy: %susers.preferSoftwareToken: true contradicts factors.softwareToken forbidden", at)
	}
	return nil
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
