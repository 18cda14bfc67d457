package policy

import (
	"reflect"
	"strings"
	"testing"
)

func TestLoadDefaults(t *testing.T) {
	for _, doc := range []string{"{}", " {} "} {
		p, err := Load(doc)
		if err != nil {
			t.Fatalf("Load(%q): %v", doc, err)
		}
		if !reflect.DeepEqual(p, Default()) {
			t.Errorf("Load(%q) = %+v, want defaults %+v", doc, p, Default())
		}
	}
	// A blank document is refused, not read as "the defaults" (F9): a
	// parameter emptied by mistake must not drop every exemption.
	for _, doc := range []string{"", " ", "\n\t "} {
		if _, err := Load(doc); err == nil || !strings.Contains(err.Error(), "blank") {
			t.Errorf("Load(%q): %v, want the blank document refused", doc, err)
		}
	}
	want := Default()
	if want.MFAConfiguration != LevelOn || want.Factors != (Factors{Required, Allowed, Allowed}) ||
		want.Mode != Enforce || len(want.Exemptions.PoolIDs) != 0 || want.Exemptions.TagKey != "" || !want.Users.PreferSoftwareToken ||
		want.Passkeys != (Passkeys{UserVerification: VerificationPreferred, FactorConfiguration: PasskeyAny}) {
		t.Errorf("defaults differ from the documented ones: %+v", want)
	}
}

func TestLoadFull(t *testing.T) {
	p, err := Load(`{
	  "version": 1,
	  "mfaConfiguration": "OPTIONAL",
	  "factors": {"softwareToken": "allowed", "sms": "forbidden", "email": "required"},
	  "passkeys": {"userVerification": "required", "factorConfiguration": "multi-factor"},
	  "mode": "report",
	  "exemptions": {"poolIds": ["us-east-1_Example"], "tagKey": "mfa-policy-exempt"},
	  "users": {"preferSoftwareToken": false, "minimumCoverage": 0.9, "coverageWindowDays": 14}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{
		Version: 1, Settings: Settings{MFAConfiguration: LevelOptional,
			Factors:  Factors{SoftwareToken: Allowed, SMS: Forbidden, Email: Required},
			Passkeys: Passkeys{UserVerification: VerificationRequired, FactorConfiguration: PasskeyMultiFactor},
			Mode:     Report,
			Users:    Users{PreferSoftwareToken: false, MinimumCoverage: 0.9, CoverageWindowDays: 14}, Adaptive: DefaultAdaptive()},
		Exemptions: Exemptions{PoolIDs: []string{"us-east-1_Example"}, TagKey: "mfa-policy-exempt"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

func TestLoadPartialKeepsOtherDefaults(t *testing.T) {
	p, err := Load(`{"factors": {"sms": "forbidden"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Factors != (Factors{SoftwareToken: Required, SMS: Forbidden, Email: Allowed}) || p.MFAConfiguration != LevelOn {
		t.Errorf("got %+v", p)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := []struct {
		name, doc, field string
	}{
		{"malformed", `{"mode": `, "malformed JSON"},
		{"trailing data", `{} {}`, "after the JSON document"},
		{"not an object", `[]`, "expected"},
		{"unknown top-level field", `{"mfaConfig": "ON"}`, `unknown field "mfaConfig"`},
		{"unknown factor", `{"factors": {"webauthn": "allowed"}}`, `unknown field "webauthn"`},
		{"bad level", `{"mfaConfiguration": "on"}`, "mfaConfiguration"},
		{"bad requirement", `{"factors": {"sms": "banned"}}`, "factors.sms"},
		{"bad mode", `{"mode": "dry-run"}`, "mode"},
		{"wrong type", `{"mode": 1}`, "mode"},
		{"bad version", `{"version": 2}`, "version"},
		{"bad pool id", `{"exemptions": {"poolIds": ["us-east-1_ok1", "not a pool"]}}`, "exemptions.poolIds[1]"},
		{"empty tag key", `{"exemptions": {"tagKey": ""}}`, "exemptions.tagKey"},
		{"wrong bool", `{"users": {"preferSoftwareToken": "yes"}}`, "users.preferSoftwareToken"},
		{"bad user verification", `{"passkeys": {"userVerification": "discouraged"}}`, "passkeys.userVerification"},
		{"Cognito's factor configuration name", `{"passkeys": {"factorConfiguration": "MULTI_FACTOR_WITH_USER_VERIFICATION"}}`, "passkeys.factorConfiguration"},
		{"passkeys not an object", `{"passkeys": "required"}`, "passkeys"},
		{"all forbidden ON", `{"mfaConfiguration":"ON","factors":{"softwareToken":"forbidden","sms":"forbidden","email":"forbidden"},"users":{"preferSoftwareToken":false}}`, "factors"},
		{"all forbidden OPTIONAL", `{"mfaConfiguration":"OPTIONAL","factors":{"softwareToken":"forbidden","sms":"forbidden","email":"forbidden"},"users":{"preferSoftwareToken":false}}`, "factors"},
		{"required with OFF", `{"mfaConfiguration":"OFF"}`, "factors.softwareToken"},
		{"required sms with OFF", `{"mfaConfiguration":"OFF","factors":{"softwareToken":"allowed","sms":"required"}}`, "factors.sms"},
		{"prefer forbidden TOTP", `{"factors":{"softwareToken":"forbidden"}}`, "users.preferSoftwareToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.doc)
			if err == nil {
				t.Fatalf("Load(%s) accepted an invalid policy", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %q", err, tc.field)
			}
		})
	}
}

func TestExempt(t *testing.T) {
	p, err := Load(`{"exemptions": {"poolIds": ["eu-west-1_abc"], "tagKey": "skip"}}`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		id   string
		tags map[string]string
		want bool
	}{
		{"listed", "eu-west-1_abc", nil, true},
		{"tagged, empty value", "eu-west-1_other", map[string]string{"skip": ""}, true},
		{"other tag", "eu-west-1_other", map[string]string{"Skip": "x"}, false},
		{"nothing", "eu-west-1_other", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, why := p.Exempt(tc.id, tc.tags)
			if got != tc.want || (got && why == "") {
				t.Errorf("Exempt = %v, %q; want %v with a reason", got, why, tc.want)
			}
		})
	}
}
