package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/testbed"
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
			pool, err := m.CreatePool(ctx, "signin", nil, "OFF")
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
