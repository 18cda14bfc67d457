package findings

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

var update = flag.Bool("update", false, "rewrite the golden files from today's output")

// Golden compares v's JSON with testdata/name; -update rewrites the file.
// The public finding schema (docs/findings.md) changes only on purpose.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed:\n%s\nwant:\n%s", path, got, want)
	}
}

func str(s string) *string { return &s }

// TestGoldenFindings holds the detail of each finding event, every field
// set, to the files in testdata, and reads each back unchanged.
func TestGoldenFindings(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	ratio := 0.5
	pool := reconcile.Result{PoolID: "eu-west-1_Pool1", PoolName: "shop", Status: reconcile.Unremediable, Mode: policy.Enforce,
		Policy: policy.Origin{Source: "parameter", Version: 7}, Profile: "strict",
		Violations: []policy.Violation{
			{Code: policy.CodeLevelBelowPolicy, Text: "MFA is OFF; the policy requires at least ON", Correctable: true},
			{Code: "FORBIDDEN_FACTOR_ENABLED", Factor: policy.SMS, Text: "SMS MFA is forbidden", Reason: "Cognito refused"},
		},
		Before:            &policy.PoolMFA{Level: policy.LevelOff, SMS: &policy.SMSConfig{Message: str("Code {####}"), SNSCallerARN: str("arn:aws:iam::123456789012:role/sns")}},
		After:             &policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true, SMS: &policy.SMSConfig{Message: str("Code {####}")}, WebAuthn: &policy.WebAuthnConfig{RelyingPartyID: str("example.com"), UserVerification: "required"}},
		Changes:           []policy.Change{{Field: "mfaConfiguration", Before: "OFF", After: "ON"}},
		ConcurrentChanges: []policy.Change{{Field: "email", Before: "absent", After: "{message:- subject:-}"}},
		StoredDifferently: []policy.Change{{Field: "softwareTokenEnabled", Before: "false", After: "true"}},
		Message:           "Cognito refused the full correction",
		Coverage:          &policy.Coverage{ActiveUsers: 4, WithMFA: 2, Ratio: &ratio, WindowDays: 30, Factors: policy.FactorCounts{SoftwareToken: 2, SMS: 1}},
	}
	f := New("123456789012", "eu-west-1", pool, Cause{Kind: "cloudtrail", EventName: "SetUserPoolMfaConfig", EventID: "e-1", CallerARN: "arn:aws:iam::123456789012:user/alice"}, at)
	golden(t, "pool_finding.json", ForFinding(f).Detail)

	// A pool compliant by equivalent, after one app client's action was raised.
	adaptive := policy.RiskActions{Low: policy.NoAction, Medium: policy.MFAIfConfigured, High: policy.MFARequired, CompromisedCredentials: "BLOCK"}
	equivalent := reconcile.Result{PoolID: "eu-west-1_Pool2", PoolName: "consumer", Status: reconcile.Remediated, Mode: policy.Enforce,
		Policy: policy.Origin{Source: "inline"}, Profile: "consumer",
		Violations: []policy.Violation{{Code: policy.CodeAdaptiveBelowPolicy, Client: "3n4b5urk1ft4fl3mg5e62d9ado", RiskLevel: "high",
			Text: "app client 3n4b5urk1ft4fl3mg5e62d9ado's own configuration takes NO_ACTION at high risk; the policy's minimum is MFA_REQUIRED", Correctable: true}},
		Before:     &policy.PoolMFA{Level: policy.LevelOptional, SoftwareToken: true},
		Changes:    []policy.Change{{Field: "adaptive.client:3n4b5urk1ft4fl3mg5e62d9ado.high", Before: "NO_ACTION", After: "MFA_REQUIRED"}},
		Equivalent: policy.Equivalent,
		Adaptive: &policy.AdaptiveJudgement{Accepted: true, Plan: policy.TierPlus, ThreatProtection: policy.Enforced,
			Minimum: policy.RiskActions{Low: policy.NoAction, Medium: policy.MFAIfConfigured, High: policy.MFARequired, CompromisedCredentials: "NO_ACTION"},
			Effective: []policy.TargetActions{{Target: "pool", Own: true, Actions: adaptive},
				{Target: "3n4b5urk1ft4fl3mg5e62d9ado", Own: true, Actions: policy.RiskActions{Low: policy.NoAction, Medium: policy.MFAIfConfigured, High: policy.NoAction, CompromisedCredentials: "NO_ACTION"}},
				{Target: "6p2ck8v0r4ls1q9j3mfd7t2hne", Actions: adaptive}}},
	}
	golden(t, "pool_finding_equivalent.json", ForFinding(New("123456789012", "eu-west-1", equivalent, Cause{Kind: "schedule"}, at)).Detail)

	user := reconcile.UserResult{PoolID: "eu-west-1_Pool1", Username: "bob", Sub: "0000-1111", Status: reconcile.Remediated, Mode: policy.Enforce,
		Profile: "strict", Message: "preferred factor set",
		Policy:     policy.Origin{Source: "default"},
		Violations: []policy.Violation{{Code: "USER_WITHOUT_MFA", Text: "the user has no MFA factor", Correctable: true}},
		Before:     &policy.UserMFA{Enabled: []policy.Factor{}},
		Desired:    &policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken},
		After:      &policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken, PasskeyMFA: true}}
	u := NewUser("123456789012", "eu-west-1", user, Cause{Kind: "sign-in", EventName: "PostAuthentication_Authentication"}, at)
	golden(t, "user_finding.json", ForUser(u).Detail)

	for name, back := range map[string]any{"pool_finding.json": &Finding{}, "pool_finding_equivalent.json": &Finding{}, "user_finding.json": &UserFinding{}} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, back); err != nil {
			t.Fatal(err)
		}
		golden(t, name, back)
	}
}

// TestDetailCarriesEveryResultField: a field added to reconcile.Result or
// reconcile.UserResult is published (or deliberately not, like Err) only
// by adding it to Detail or, for a user's own, to User. Err is in the
// message; Sent, in the message and the changes.
func TestDetailCarriesEveryResultField(t *testing.T) {
	fields := func(ts ...reflect.Type) map[string]bool {
		m := map[string]bool{}
		for _, typ := range ts {
			for _, f := range reflect.VisibleFields(typ) {
				m[f.Name] = true
			}
		}
		return m
	}
	for _, tc := range []struct {
		result    reflect.Type
		published map[string]bool
	}{
		{reflect.TypeFor[reconcile.Result](), fields(reflect.TypeFor[Detail]())},
		{reflect.TypeFor[reconcile.UserResult](), fields(reflect.TypeFor[Detail](), reflect.TypeFor[User]())},
	} {
		for _, f := range reflect.VisibleFields(tc.result) {
			if f.Name != "Err" && f.Name != "Sent" && !tc.published[f.Name] {
				t.Errorf("%s.%s is not published", tc.result, f.Name)
			}
		}
	}
}
