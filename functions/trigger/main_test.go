package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	localinvoke.RemoveBuilds()
	os.Exit(code)
}

const root = "../.."

func sample(t *testing.T, file, poolID, user string) []byte {
	t.Helper()
	raw, err := testbed.Sample(root, file, poolID, user)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// signIn invokes the trigger and checks that the sign-in goes on: the
// event comes back unchanged and without an error.
func signIn(t *testing.T, rt *localinvoke.Runtime, ev []byte) {
	t.Helper()
	res, err := rt.Invoke(context.Background(), ev)
	if err != nil || res.Err != nil {
		t.Fatalf("sign-in failed: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var a, b bytes.Buffer
	_ = json.Compact(&a, res.Payload)
	_ = json.Compact(&b, ev)
	if a.String() != b.String() {
		t.Fatalf("event not returned unchanged:\n%s", res.Payload)
	}
}

func TestTriggerFunctionEndToEnd(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, policy string
		wantList     []string
	}{
		{"prefer TOTP", `{}`, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"}},
		{"SMS forbidden", `{"factors":{"sms":"forbidden"}}`, []string{"SOFTWARE_TOKEN_MFA"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := smsPreferringUser(t, m, nil)
			rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": tc.policy}, m.Env())

			signIn(t, rt, sample(t, "trigger-pre-authentication.json", pool, "jane"))
			if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "ON" || !got.TOTP() {
				t.Fatalf("drifted pool not corrected by the first sign-in: %s", got)
			}
			signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
			u, err := m.GetUserMFA(ctx, pool, "jane")
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(u.UserMFASettingList)
			if u.PreferredMfaSetting != "SOFTWARE_TOKEN_MFA" || !slices.Equal(u.UserMFASettingList, tc.wantList) {
				t.Errorf("user after sign-in: %+v, want TOTP preferred and %v", u, tc.wantList)
			}

			// Within the TTL the pool is not read again: drift made now stays
			// until the TTL passes (the sweep and drift functions catch it).
			if err := m.SetMFA(ctx, pool, "OFF"); err != nil {
				t.Fatal(err)
			}
			signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
			if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
				t.Errorf("pool read again within the TTL: %s", got)
			}
		})
	}

	t.Run("unknown pool: sign-in goes on", func(t *testing.T) {
		rt := localinvoke.StartForTest(t, root, name, nil, m.Env())
		signIn(t, rt, sample(t, "trigger-post-authentication.json", "us-east-1_doesnotexist", "jane"))
	})
	t.Run("unknown trigger source returned unchanged", func(t *testing.T) {
		rt := localinvoke.StartForTest(t, root, name, nil, m.Env())
		ev := strings.Replace(string(sample(t, "trigger-pre-authentication.json", "us-east-1_x", "jane")), "PreAuthentication_Authentication", "PreTokenGeneration_Authentication", 1)
		signIn(t, rt, []byte(ev))
	})
}

// smsPreferringUser creates a pool at OFF (with tags) and a user "jane"
// with TOTP and SMS who prefers SMS, and returns the pool ID.
func smsPreferringUser(t *testing.T, m *testbed.Moto, tags map[string]string) string {
	t.Helper()
	ctx := context.Background()
	pool, err := m.CreatePool(ctx, "signin", tags, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	token, err := m.TOTPUser(ctx, pool, "jane")
	if err != nil {
		t.Fatal(err)
	}
	// The user prefers SMS, with their own access token (AWS CLI example).
	if err := m.CLI(ctx, nil, "cognito-idp", "set-user-mfa-preference", "--access-token", token,
		"--software-token-mfa-settings", "Enabled=true,PreferredMfa=false", "--sms-mfa-settings", "Enabled=true,PreferredMfa=true"); err != nil {
		t.Fatal(err)
	}
	if u, _ := m.GetUserMFA(ctx, pool, "jane"); u.PreferredMfaSetting != "SMS_MFA" {
		t.Fatalf("set-up failed: %+v", u)
	}
	return pool
}

// userUnchanged fails unless jane still has SMS and TOTP and prefers SMS.
func userUnchanged(t *testing.T, m *testbed.Moto, pool string) {
	t.Helper()
	u, err := m.GetUserMFA(context.Background(), pool, "jane")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(u.UserMFASettingList)
	if u.PreferredMfaSetting != "SMS_MFA" || !slices.Equal(u.UserMFASettingList, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"}) {
		t.Errorf("user written: %+v", u)
	}
}

// userFindings drains the bus and returns the user findings on it.
func userFindings(t *testing.T, bus *testbed.Bus) []findings.Finding {
	t.Helper()
	events, err := bus.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []findings.Finding
	for _, e := range events {
		if e.DetailType != findings.DetailTypeUser {
			continue
		}
		var f findings.Finding
		if err := json.Unmarshal(e.Detail, &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

const janeSub = "94a8e4c8-0071-70e2-7d3c-5b1e0c2f6a9d" // events/trigger-post-authentication.json

func TestReportModeWritesNoUser(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "trigger-report")
	if err != nil {
		t.Fatal(err)
	}
	pool := smsPreferringUser(t, m, nil)
	rt := localinvoke.StartForTest(t, root, name, map[string]string{
		"PolicyDocument": `{"mode":"report","factors":{"sms":"forbidden"}}`, "ExistingFindingsBusName": bus.Name}, m.Env())
	signIn(t, rt, sample(t, "trigger-pre-authentication.json", pool, "jane"))
	signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
	if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
		t.Errorf("report mode wrote the pool: %s", got)
	}
	userUnchanged(t, m, pool)
	fs := userFindings(t, bus)
	if len(fs) != 1 || fs[0].Status != "drift" || fs[0].User == nil || fs[0].User.Username != "jane" || fs[0].User.Sub != janeSub || fs[0].User.Desired == nil {
		t.Errorf("user findings on the bus: %+v\n%s", fs, rt.Logs())
	}
}

func TestExemptPoolUserUntouched(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, policy string
		tags         map[string]string
	}{
		{"by tag", `{"factors":{"sms":"forbidden"},"exemptions":{"tagKey":"mfa-exempt"}}`, map[string]string{"mfa-exempt": "kiosk"}},
		{"by pool ID", `{"factors":{"sms":"forbidden"},"exemptions":{"poolIds":["%s"]}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := smsPreferringUser(t, m, tc.tags)
			rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": strings.ReplaceAll(tc.policy, "%s", pool)}, m.Env())
			signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
			if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
				t.Errorf("exempt pool written: %s", got)
			}
			userUnchanged(t, m, pool)
			if !strings.Contains(rt.Logs(), `"outcome":"exempt"`) {
				t.Errorf("no exempt decision logged:\n%s", rt.Logs())
			}
		})
	}
}

func TestUserFindingOnTheBus(t *testing.T) {
	m := moto.Get(t)
	bus, err := m.FindingsBus(context.Background(), "trigger-users")
	if err != nil {
		t.Fatal(err)
	}
	pool := smsPreferringUser(t, m, nil)
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": `{"factors":{"sms":"forbidden"}}`, "ExistingFindingsBusName": bus.Name}, m.Env())
	signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
	fs := userFindings(t, bus)
	if len(fs) != 1 {
		t.Fatalf("%d user findings, want 1\n%s", len(fs), rt.Logs())
	}
	f := fs[0]
	if f.Status != "remediated" || f.PoolID != pool || f.Account != testbed.Account || f.User.Sub != janeSub ||
		f.User.Before == nil || len(f.User.Before.Enabled) != 2 || f.User.Before.Preferred != "sms" ||
		f.User.After == nil || len(f.User.After.Enabled) != 1 || f.User.After.Preferred != "softwareToken" {
		t.Errorf("user finding %+v %+v", f, f.User)
	}
	if !strings.Contains(rt.Logs(), `"UsersRemediated":1`) {
		t.Errorf("no user metric in the EMF lines:\n%s", rt.Logs())
	}
}

// TestInvalidConfigPassesSignInsThrough: a setting the function refuses
// starts it in pass-through mode: init does not fail, every sign-in goes
// on, nothing is read or written, one ERROR names the field, and every
// sign-in counts in the TriggerConfigInvalid metric.
func TestInvalidConfigPassesSignInsThrough(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	pool := smsPreferringUser(t, m, nil)
	if _, err := m.PutParameter(ctx, "/enforcer/trigger/broken-policy", `{"mode":"dry-run"}`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		field  string
	}{
		{"invalid first version of the policy parameter", map[string]string{"PolicyParameter": "/enforcer/trigger/broken-policy"},
			"MFA_POLICY_PARAMETER: policy parameter /enforcer/trigger/broken-policy version 1: policy: mode"},
		{"missing policy parameter", map[string]string{"PolicyParameter": "/enforcer/trigger/no-such-policy"},
			"MFA_POLICY_PARAMETER: read policy parameter /enforcer/trigger/no-such-policy"},
		{"policy enum in the wrong case", map[string]string{"PolicyDocument": `{"mode":"Report"}`}, "MFA_POLICY: policy: mode"},
		{"ambiguous policy", map[string]string{"PolicyDocument": `{"mode":"report","mode":"enforce"}`}, "MFA_POLICY: policy: mode: duplicate key"},
		{"log level", map[string]string{"LogLevel": "LOUD"}, "LOG_LEVEL"},
		{"TTL of 0 s", map[string]string{"PoolCheckTTLSeconds": "0"}, "POOL_CHECK_TTL"},
		{"TTL of 48 h", map[string]string{"PoolCheckTTLSeconds": "172800"}, "POOL_CHECK_TTL"},
		{"TTL of 500 ms", map[string]string{"PoolCheckTTLSeconds": "0.5"}, "POOL_CHECK_TTL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := localinvoke.StartForTest(t, root, name, tc.params, m.Env())
			for range 2 {
				signIn(t, rt, sample(t, "trigger-pre-authentication.json", pool, "jane"))
				signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
			}
			if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
				t.Errorf("pool written in pass-through mode: %s", got)
			}
			userUnchanged(t, m, pool)
			logs := rt.Logs()
			if n := strings.Count(logs, `"level":"ERROR"`); n != 1 || !strings.Contains(logs, tc.field) {
				t.Errorf("want one ERROR naming %s, got %d:\n%s", tc.field, n, logs)
			}
			if n := strings.Count(logs, `"TriggerConfigInvalid":1`); n != 4 {
				t.Errorf("%d TriggerConfigInvalid metrics for 4 sign-ins:\n%s", n, logs)
			}
		})
	}
}

func TestTriggerFunctionUnderThrottling(t *testing.T) {
	f := cognitofake.New()
	f.ThrottleProb = 1
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pool := f.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	f.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"}, Preferred: "SMS_MFA"})
	rt := localinvoke.StartForTest(t, root, name, nil, f.Env())
	signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
	if f.Throttled() == 0 {
		t.Error("the fake never throttled")
	}
}
