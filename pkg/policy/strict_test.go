package policy

import (
	"reflect"
	"strings"
	"testing"
)

// Each document here would load under encoding/json alone, with a meaning
// its reader may not see.
func TestAmbiguousPolicyRefused(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"duplicate top-level key", `{"mode":"report","mode":"enforce"}`,
			`policy: mode: duplicate key (each key may appear once)`},
		{"duplicate nested key", `{"factors":{"sms":"allowed","sms":"forbidden"}}`,
			`policy: factors.sms: duplicate key (each key may appear once)`},
		{"duplicate with the same value", `{"exemptions":{"tagKey":"a","tagKey":"a"}}`,
			`policy: exemptions.tagKey: duplicate key (each key may appear once)`},
		{"duplicate spelt with an escape", `{"mod\u0065":"report","mode":"enforce"}`,
			`policy: mode: duplicate key (each key may appear once)`},
		{"case variant before the key", `{"Mode":"report","mode":"enforce"}`,
			`policy: Mode: unknown field "Mode" (did you mean "mode"? keys are case-sensitive)`},
		{"case variant after the key", `{"mode":"report","Mode":"enforce"}`,
			`policy: Mode: unknown field "Mode" (did you mean "mode"? keys are case-sensitive)`},
		{"upper-case key", `{"MODE":"report"}`,
			`policy: MODE: unknown field "MODE" (did you mean "mode"? keys are case-sensitive)`},
		{"case variant object", `{"Factors":{"SMS":"forbidden"}}`,
			`policy: Factors: unknown field "Factors" (did you mean "factors"? keys are case-sensitive)`},
		{"case variant nested key", `{"factors":{"SMS":"forbidden"}}`,
			`policy: factors.SMS: unknown field "SMS" (did you mean "sms"? keys are case-sensitive)`},
		// encoding/json also folds the Kelvin sign (U+212A) to k.
		{"Unicode case variant", `{"factors":{"softwareTo\u212aen":"allowed"}}`,
			"policy: factors.softwareTo\u212aen: unknown field \"softwareTo\u212aen\" (did you mean \"softwareToken\"? keys are case-sensitive)"},
		{"unknown nested field", `{"exemptions":{"extra":1}}`,
			`policy: exemptions.extra: unknown field "extra" (known: poolIds, tagKey)`},
		{"empty key", `{"":1}`,
			`policy: unknown field "" (known: version, mfaConfiguration, factors, passkeys, mode, users, adaptiveAuthentication, exemptions, profiles, default, profileTag, profilePools)`},
		{"null passkey field", `{"passkeys":{"userVerification":null}}`,
			`policy: passkeys.userVerification: null is not allowed (leave the field out for its default)`},
		{"case variant passkey field", `{"passkeys":{"FactorConfiguration":"any"}}`,
			`policy: passkeys.FactorConfiguration: unknown field "FactorConfiguration" (did you mean "factorConfiguration"? keys are case-sensitive)`},
		{"null document", `null`,
			`policy: expected the document to be a JSON object, got null`},
		{"null top-level field", `{"mode":null}`,
			`policy: mode: null is not allowed (leave the field out for its default)`},
		{"null object", `{"users":null}`,
			`policy: users: null is not allowed (leave the field out for its default)`},
		{"null nested field", `{"factors":{"sms":null}}`,
			`policy: factors.sms: null is not allowed (leave the field out for its default)`},
		{"null array", `{"exemptions":{"poolIds":null}}`,
			`policy: exemptions.poolIds: null is not allowed (leave the field out for its default)`},
		{"null in poolIds", `{"exemptions":{"poolIds":["us-east-1_a1",null]}}`,
			`policy: exemptions.poolIds[1]: null is not allowed`},
		{"array document", `[]`,
			`policy: expected the document to be a JSON object, got array`},
		{"string document", `"x"`,
			`policy: expected the document to be a JSON object, got string`},
		{"number document", `5`,
			`policy: expected the document to be a JSON object, got number`},
		{"boolean document", `true`,
			`policy: expected the document to be a JSON object, got boolean`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.doc)
			if err == nil {
				t.Fatalf("Load(%s) accepted an ambiguous policy", tc.doc)
			}
			if err.Error() != tc.want {
				t.Errorf("Load(%s)\n got: %s\nwant: %s", tc.doc, err, tc.want)
			}
		})
	}
}

func TestLoadTypeErrorNamesPath(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"string field", `{"factors":{"sms":1}}`, `policy: factors.sms: expected a string, got number`},
		{"top-level string", `{"mode":true}`, `policy: mode: expected a string, got boolean`},
		{"object field", `{"factors":[]}`, `policy: factors: expected an object, got array`},
		{"array field", `{"exemptions":{"poolIds":"us-east-1_a1"}}`, `policy: exemptions.poolIds: expected an array, got string`},
		{"array element", `{"exemptions":{"poolIds":["us-east-1_a1",{}]}}`, `policy: exemptions.poolIds[1]: expected a string, got object`},
		{"bool field", `{"users":{"preferSoftwareToken":"yes"}}`, `policy: users.preferSoftwareToken: expected true or false, got string`},
		{"integer as string", `{"version":"1"}`, `policy: version: expected an integer, got string`},
		{"fraction", `{"version":1.5}`, `policy: version: expected an integer, got 1.5`},
		{"out of range", `{"version":1e400}`, `policy: version: expected an integer, got 1e400`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.doc)
			if err == nil {
				t.Fatalf("Load(%s) accepted a wrong type", tc.doc)
			}
			if err.Error() != tc.want {
				t.Errorf("Load(%s)\n got: %s\nwant: %s", tc.doc, err, tc.want)
			}
		})
	}
}

func TestLoadMalformedJSON(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"cut short", `{"mode": `, "policy: malformed JSON: unexpected EOF"},
		{"cut short in an array", `{"exemptions":{"poolIds":[`, "policy: malformed JSON: unexpected EOF"},
		{"trailing comma", `{"mode":"report",}`, "policy: malformed JSON at byte 17: "},
		{"bad key", `{mode:"report"}`, "policy: malformed JSON at byte 1: "},
		{"trailing value", `{} {}`, "policy: unexpected data after the JSON document"},
		{"trailing garbage", `{"mode":"report"} x`, "policy: unexpected data after the JSON document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.doc)
			if err == nil {
				t.Fatalf("Load(%s) accepted malformed JSON", tc.doc)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Load(%s) = %q, want it to start with %q", tc.doc, err, tc.want)
			}
		})
	}
}

// Strictness must not change what a valid document means.
func TestStrictKeepsValidDocuments(t *testing.T) {
	withMode := func(m Mode) Policy {
		p := Default()
		p.Mode = m
		return p
	}
	cases := []struct {
		name, doc string
		want      Policy
	}{
		{"empty objects", `{"factors":{},"exemptions":{},"users":{}}`, Default()},
		{"empty poolIds", `{"exemptions":{"poolIds":[]}}`, Default()},
		{"version only", `{"version":1}`, Default()},
		{"whitespace around", " \n\t{ \"mode\" : \"report\" }\r\n ", withMode(Report)},
		{"escaped key", `{"mod\u0065":"report"}`, withMode(Report)},
		{"escaped value", `{"mode":"rep\u006frt"}`, withMode(Report)},
		{"every field", `{"version":1,"mfaConfiguration":"OPTIONAL",
			"factors":{"softwareToken":"allowed","sms":"forbidden","email":"required"},"mode":"report",
			"passkeys":{"userVerification":"required","factorConfiguration":"multi-factor"},
			"exemptions":{"poolIds":["us-east-1_a1","eu-west-1_b2"],"tagKey":"skip"},"users":{"preferSoftwareToken":false,"minimumCoverage":0.75,"coverageWindowDays":7}}`,
			Policy{Version: 1, Settings: Settings{MFAConfiguration: LevelOptional,
				Factors:  Factors{SoftwareToken: Allowed, SMS: Forbidden, Email: Required},
				Passkeys: Passkeys{UserVerification: VerificationRequired, FactorConfiguration: PasskeyMultiFactor},
				Mode:     Report,
				Users:    Users{PreferSoftwareToken: false, MinimumCoverage: 0.75, CoverageWindowDays: 7}, Adaptive: DefaultAdaptive()},
				Exemptions: Exemptions{PoolIDs: []string{"us-east-1_a1", "eu-west-1_b2"}, TagKey: "skip"}}},
		{"logged default", Default().String(), Default()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(tc.doc)
			if err != nil {
				t.Fatalf("Load(%s): %v", tc.doc, err)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("Load(%s)\n got: %+v\nwant: %+v", tc.doc, p, tc.want)
			}
		})
	}
}

// Cognito limits tag keys to 128 Unicode characters, not bytes.
func TestTagKeyCountsCharacters(t *testing.T) {
	doc := func(key string) string { return `{"exemptions":{"tagKey":"` + key + `"}}` }
	for _, key := range []string{strings.Repeat("a", 128), strings.Repeat("é", 128), strings.Repeat("鍵", 128), strings.Repeat("🔒", 128)} {
		p, err := Load(doc(key))
		if err != nil {
			t.Errorf("Load refused a %d-byte, 128-character tag key: %v", len(key), err)
		} else if p.Exemptions.TagKey != key {
			t.Errorf("tag key = %q, want %q", p.Exemptions.TagKey, key)
		}
	}
	for key, want := range map[string]string{
		"":                       "policy: exemptions.tagKey: must be 1 to 128 characters, got 0",
		strings.Repeat("a", 129): "policy: exemptions.tagKey: must be 1 to 128 characters, got 129",
		strings.Repeat("é", 129): "policy: exemptions.tagKey: must be 1 to 128 characters, got 129",
		strings.Repeat("🔒", 129): "policy: exemptions.tagKey: must be 1 to 128 characters, got 129",
	} {
		_, err := Load(doc(key))
		if err == nil || err.Error() != want {
			t.Errorf("Load(tagKey of %d bytes) = %v, want %q", len(key), err, want)
		}
	}
}
