package policy

import (
	"strings"
	"testing"
)

const profilesDoc = `{
  "version": 2,
  "profiles": {
    "workforce": {"mfaConfiguration": "ON", "factors": {"softwareToken": "required", "sms": "forbidden"}},
    "consumer": {"mfaConfiguration": "OPTIONAL", "factors": {"softwareToken": "allowed", "sms": "allowed"}, "users": {"preferSoftwareToken": false}},
    "kiosk": {"mode": "report"}
  },
  "default": "workforce",
  "profileTag": "mfa-policy-profile",
  "profilePools": {"us-east-1_Kiosk1": "kiosk"},
  "exemptions": {"poolIds": ["us-east-1_Legacy"], "tagKey": "mfa-policy-exempt"}
}`

func TestLoadProfiles(t *testing.T) {
	p, err := Load(profilesDoc)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 2 || p.Default != "workforce" || p.ProfileTag != "mfa-policy-profile" || len(p.Profiles) != 3 ||
		p.Profile != "workforce" || p.MFAConfiguration != LevelOn || p.Factors.SMS != Forbidden {
		t.Fatalf("top level: %s (profile %q)", p, p.Profile)
	}
	consumer := p.Profiles["consumer"]
	if consumer.Profile != "consumer" || consumer.MFAConfiguration != LevelOptional || consumer.Factors != (Factors{Allowed, Allowed, Allowed}) ||
		consumer.Users.PreferSoftwareToken || consumer.Mode != Enforce {
		t.Errorf("consumer: %s", consumer)
	}
	if kiosk := p.Profiles["kiosk"]; kiosk.Mode != Report || kiosk.MFAConfiguration != LevelOn || kiosk.Factors != Default().Factors {
		t.Errorf("kiosk keeps the defaults but mode: %s", kiosk)
	}
	if got := p.TagKeys(); strings.Join(got, ",") != "mfa-policy-exempt,mfa-policy-profile" {
		t.Errorf("TagKeys = %v", got)
	}
}

func TestLoadProfilesRefused(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"profiles in version 1", `{"profiles": {"a": {}}, "default": "a"}`, `policy: profiles: profiles need "version": 2`},
		{"profile tag in version 1", `{"version": 1, "profileTag": "p"}`, `policy: profileTag: profiles need "version": 2`},
		{"version 3", `{"version": 3}`, "policy: version: unsupported value 3 (supported: 1, 2)"},
		{"no profiles", `{"version": 2, "default": "a"}`, "policy: profiles: version 2 needs at least one profile"},
		{"rules at the top", `{"version": 2, "mode": "report", "profiles": {"a": {}}, "default": "a"}`, "policy: version 2 keeps its rules in profiles"},
		{"no default", `{"version": 2, "profiles": {"a": {}, "b": {}}}`, "policy: default: version 2 names its default profile (one of a, b)"},
		{"unknown default", `{"version": 2, "profiles": {"a": {}}, "default": "b"}`, `policy: default: "b" is not a profile (profiles: a)`},
		{"bad rule in a profile", `{"version": 2, "profiles": {"a": {"factors": {"sms": "mandatory"}}}, "default": "a"}`,
			`policy: profiles.a.factors.sms: "mandatory" is not one of required, allowed, forbidden`},
		{"contradiction in a profile", `{"version": 2, "profiles": {"a": {"mfaConfiguration": "OFF"}}, "default": "a"}`,
			"policy: profiles.a.factors.softwareToken: required contradicts mfaConfiguration OFF"},
		{"unknown field in a profile", `{"version": 2, "profiles": {"a": {"exemptions": {}}}, "default": "a"}`, `policy: profiles.a.exemptions: unknown field "exemptions"`},
		{"duplicate profile", `{"version": 2, "profiles": {"a": {}, "a": {"mode": "report"}}, "default": "a"}`, "policy: profiles.a: duplicate key"},
		{"null profile", `{"version": 2, "profiles": {"a": null}, "default": "a"}`, "policy: profiles.a: null is not allowed"},
		{"profile pool not a pool ID", `{"version": 2, "profiles": {"a": {}}, "default": "a", "profilePools": {"pool": "a"}}`, `policy: profilePools: "pool" is not a user pool ID`},
		{"profile pool names no profile", `{"version": 2, "profiles": {"a": {}}, "default": "a", "profilePools": {"us-east-1_X": "b"}}`,
			`policy: profilePools.us-east-1_X: "b" is not a profile (profiles: a)`},
		{"empty profile tag", `{"version": 2, "profiles": {"a": {}}, "default": "a", "profileTag": ""}`, "policy: profileTag: must be 1 to 128 characters, got 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(tc.doc); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFor(t *testing.T) {
	p, err := Load(profilesDoc)
	if err != nil {
		t.Fatal(err)
	}
	p.Origin = Origin{Source: "ssm:/p", Version: 4}
	for _, tc := range []struct {
		name    string
		poolID  string
		tags    map[string]string
		want    string
		wantErr string
	}{
		{"untagged: the default", "us-east-1_A", map[string]string{}, "workforce", ""},
		{"tags unknown, no ID: the default", "us-east-1_A", nil, "workforce", ""},
		{"by tag", "us-east-1_A", map[string]string{"mfa-policy-profile": "consumer"}, "consumer", ""},
		{"by ID before the tag", "us-east-1_Kiosk1", map[string]string{"mfa-policy-profile": "consumer"}, "kiosk", ""},
		{"other tags ignored", "us-east-1_A", map[string]string{"team": "consumer"}, "workforce", ""},
		{"tag naming no profile", "us-east-1_A", map[string]string{"mfa-policy-profile": "Consumer"}, "",
			`the pool's tag mfa-policy-profile="Consumer" names no profile of the policy (profiles: consumer, kiosk, workforce)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.For(tc.poolID, tc.tags)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("For error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Profile != tc.want || got.Origin != p.Origin || got.Exemptions.TagKey != "mfa-policy-exempt" {
				t.Errorf("For = profile %q from %+v with exemptions %+v (%v), want %q", got.Profile, got.Origin, got.Exemptions, err, tc.want)
			}
		})
	}
	v1, _ := Load(`{"mode":"report"}`)
	if got, err := v1.For("us-east-1_A", nil); err != nil || got.Profile != "" || got.Mode != Report {
		t.Errorf("version 1: %s %q %v", got, got.Profile, err)
	}
}
