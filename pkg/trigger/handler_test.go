package trigger

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

type rig struct {
	fake *cognitofake.Server
	bus  *fakes.Bus
	h    *Handler
	logs *bytes.Buffer
}

func load(t testing.TB, doc string) policy.Policy {
	t.Helper()
	p, err := policy.Load(cmp.Or(doc, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newRig(t testing.TB, doc string) *rig {
	t.Helper()
	f, sdk := cognitofake.StartForTest(t)
	client := cognito.New(sdk)
	p := load(t, doc)
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	r := reconcile.New(client, p, log)
	r.Backoff = reconcile.Backoff{Attempts: 1}
	bus := &fakes.Bus{}
	return &rig{fake: f, bus: bus, logs: logs, h: &Handler{Reconciler: r, Users: client, Recorder: findings.Recorder{Publisher: findings.NewPublisher(bus, "findings", log)},
		Budget: 2 * time.Second, TTL: 5 * time.Minute, Log: log, Now: time.Now}}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func signIn(source, pool, user string) []byte {
	ev, _ := json.Marshal(map[string]any{
		"version": "1", "triggerSource": source, "region": "us-east-1", "userPoolId": pool, "userName": user,
		"callerContext": map[string]any{"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "abc"},
		"request":       map[string]any{"userAttributes": map[string]any{"email": "a@example.com", "sub": "sub-" + user}, "newDeviceUsed": false},
		"response":      map[string]any{},
	})
	return ev
}

func (r *rig) handle(t *testing.T, ev []byte) {
	t.Helper()
	out, err := r.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("sign-in blocked: %v", err)
	}
	if !bytes.Equal(out, ev) {
		t.Fatalf("event not returned unchanged:\n%s\n%s", out, ev)
	}
}

func TestDriftedPoolCorrectedOnceWithinTTL(t *testing.T) {
	r := newRig(t, "")
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	r.handle(t, signIn(PreAuthentication, pool, "alice"))
	if mfa, _ := r.fake.Pool(pool); mfa.MfaConfiguration != "ON" {
		t.Fatalf("pool not corrected by the first sign-in: %+v", mfa)
	}
	if len(r.bus.Received) != 1 {
		t.Errorf("%d findings, want 1", len(r.bus.Received))
	}
	for range 5 {
		r.handle(t, signIn(PreAuthentication, pool, "bob"))
		r.handle(t, signIn(PostAuthentication, pool, "bob"))
	}
	// One check: a read, the sign-in policy for the raise to ON, the re-read before the write.
	if got, described := r.fake.Calls("GetUserPoolMfaConfig"), r.fake.Calls("DescribeUserPool"); got != 2 || described != 1 {
		t.Errorf("%d pool reads and %d descriptions for 11 sign-ins within the TTL, want one check's 2 and 1", got, described)
	}
}

func TestConcurrentSignInsShareOneCheck(t *testing.T) {
	r := newRig(t, `{"users":{"preferSoftwareToken":false}}`)
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	r.fake.Latency = 50 * time.Millisecond
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = r.h.Handle(context.Background(), signIn(PreAuthentication, pool, "u")) }()
	}
	wg.Wait()
	if got, described := r.fake.Calls("GetUserPoolMfaConfig"), r.fake.Calls("DescribeUserPool"); got != 2 || described != 1 {
		t.Errorf("%d pool reads and %d descriptions for 8 concurrent sign-ins, want one check's 2 and 1", got, described)
	}
}

func TestEnforcerFailuresNeverBlockSignIn(t *testing.T) {
	t.Run("throttled: skipped, retried later", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
		r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()})
		r.fake.ThrottleProb = 1
		r.handle(t, signIn(PostAuthentication, pool, "u"))
		r.handle(t, signIn(PostAuthentication, pool, "u"))
		if got := r.fake.Calls("GetUserPoolMfaConfig"); got != 1 {
			t.Errorf("%d pool reads under throttling, want 1 (then wait RetryAfter)", got)
		}
		if got := r.fake.Calls("AdminGetUser"); got != 0 {
			t.Errorf("%d user reads while the pool's exemption is unknown, want 0", got)
		}
		r.fake.ThrottleProb = 0
		later := time.Now().Add(RetryAfter + time.Second)
		r.h.Now = func() time.Time { return later }
		r.handle(t, signIn(PostAuthentication, pool, "u"))
		if mfa, _ := r.fake.Pool(pool); mfa.MfaConfiguration != "ON" {
			t.Errorf("pool not corrected once throttling stopped: %+v", mfa)
		}
	})
	t.Run("unknown pool", func(t *testing.T) {
		r := newRig(t, "")
		r.handle(t, signIn(PostAuthentication, "us-east-1_nosuchpool", "u"))
		if !strings.Contains(r.logs.String(), `"outcome":"deleted"`) {
			t.Errorf("unknown pool not logged as such: %s", r.logs)
		}
	})
	t.Run("slow Cognito: sign-in does not wait past the budget", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
		r.fake.Latency = 2 * time.Second
		r.h.Budget = 50 * time.Millisecond
		r.handle(t, signIn(PreAuthentication, pool, "u"))
		if mfa, _ := r.fake.Pool(pool); mfa.MfaConfiguration != "OFF" {
			t.Errorf("the handler waited for a check slower than its budget")
		}
	})
	t.Run("malformed and unknown events returned unchanged", func(t *testing.T) {
		r := newRig(t, "")
		for _, ev := range [][]byte{[]byte(`"hello"`), signIn("PreSignUp_SignUp", "us-east-1_x", "u"), signIn(PreAuthentication, "", "u")} {
			r.handle(t, ev)
		}
		if r.fake.Calls("GetUserPoolMfaConfig")+r.fake.Calls("AdminGetUser") != 0 {
			t.Error("Cognito called for an event the trigger does not handle")
		}
	})
}

func TestUserPreference(t *testing.T) {
	cases := []struct {
		name      string
		policy    string
		user      cognitofake.User
		want      cognitofake.User
		wantWrite int64
	}{
		{"SMS preferred becomes TOTP preferred", ``,
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()},
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SoftwareToken.CognitoUserName()}, 1},
		{"forbidden SMS disabled", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()},
			cognitofake.User{MFASettings: []string{policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SoftwareToken.CognitoUserName()}, 1},
		{"SMS-only user keeps SMS", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()},
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()}, 0},
		{"compliant user: read once, no write", ``,
			cognitofake.User{MFASettings: []string{policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SoftwareToken.CognitoUserName()},
			cognitofake.User{MFASettings: []string{policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SoftwareToken.CognitoUserName()}, 0},
		// Passkey MFA needs another factor beside it (the fake refuses a write
		// that leaves it alone): TOTP stays, passkey MFA is not touched.
		{"passkey MFA user: forbidden SMS disabled, TOTP and passkey MFA kept", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName(), "WEB_AUTHN_MFA"}, Preferred: policy.SMS.CognitoUserName()},
			cognitofake.User{MFASettings: []string{policy.SoftwareToken.CognitoUserName(), "WEB_AUTHN_MFA"}, Preferred: policy.SoftwareToken.CognitoUserName()}, 1},
		{"passkey MFA beside SMS alone: SMS is its other factor, kept", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), "WEB_AUTHN_MFA"}, Preferred: policy.SMS.CognitoUserName()},
			cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), "WEB_AUTHN_MFA"}, Preferred: policy.SMS.CognitoUserName()}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.policy)
			pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}})
			r.fake.AddUser(pool, "u", tc.user)
			for range 3 { // Cognito may invoke a trigger up to three times
				r.handle(t, signIn(PostAuthentication, pool, "u"))
			}
			got, _ := r.fake.User(pool, "u")
			if !sameSet(got.MFASettings, tc.want.MFASettings) || got.Preferred != tc.want.Preferred {
				t.Errorf("user %+v, want %+v", got, tc.want)
			}
			if r.fake.Calls("AdminSetUserMFAPreference") != tc.wantWrite || r.fake.Calls("AdminGetUser") != 1 {
				t.Errorf("%d reads and %d writes for 3 sign-ins, want 1 and %d", r.fake.Calls("AdminGetUser"), r.fake.Calls("AdminSetUserMFAPreference"), tc.wantWrite)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

func TestNoUserReadsWithoutUserRules(t *testing.T) {
	r := newRig(t, `{"users":{"preferSoftwareToken":false}}`)
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}})
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()})
	r.handle(t, signIn(PostAuthentication, pool, "u"))
	if r.fake.Calls("AdminGetUser") != 0 {
		t.Error("user read although no user-level rule is enabled")
	}
}

// TestReplicaPool: a secondary replica answers OperationNotEnabledException;
// the check is neither failed nor retried, and the pool's users are left to
// the primary Region.
func TestReplicaPool(t *testing.T) {
	r := newRig(t, "")
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()})
	// Reads work in a replica's Region; writes are the primary's.
	r.fake.FailOp = map[string]string{"SetUserPoolMfaConfig": "OperationNotEnabledException", "AdminSetUserMFAPreference": "OperationNotEnabledException"}
	r.handle(t, signIn(PostAuthentication, pool, "u"))
	later := time.Now().Add(RetryAfter + time.Second)
	r.h.Now = func() time.Time { return later }
	r.handle(t, signIn(PostAuthentication, pool, "u"))
	if got := r.fake.Calls("SetUserPoolMfaConfig"); got != 1 {
		t.Errorf("%d pool writes, want 1: a replica is not retried", got)
	}
	if got := r.fake.Calls("AdminGetUser"); got != 0 {
		t.Errorf("%d user reads of a replica's user, want 0", got)
	}
	if len(r.bus.Received) != 1 || !strings.Contains(aws.ToString(r.bus.Received[0].Detail), `"status":"replica"`) {
		t.Errorf("findings %d, want one replica finding", len(r.bus.Received))
	}
}

// TestReplicaUserWrite: a user write that a replica's Region does not
// enable is a replica result, not a failure to retry.
func TestReplicaUserWrite(t *testing.T) {
	r := newRig(t, "")
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}})
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{policy.SMS.CognitoUserName(), policy.SoftwareToken.CognitoUserName()}, Preferred: policy.SMS.CognitoUserName()})
	r.fake.FailOp = map[string]string{"AdminSetUserMFAPreference": "OperationNotEnabledException"}
	r.handle(t, signIn(PostAuthentication, pool, "u"))
	later := time.Now().Add(RetryAfter + time.Second)
	r.h.Now = func() time.Time { return later }
	r.handle(t, signIn(PostAuthentication, pool, "u"))
	if got := r.fake.Calls("AdminSetUserMFAPreference"); got != 1 {
		t.Errorf("%d user writes, want 1: a replica is not retried", got)
	}
	if len(r.bus.Received) != 1 || !strings.Contains(aws.ToString(r.bus.Received[0].Detail), `"status":"replica"`) {
		t.Errorf("%d findings, want one replica user finding", len(r.bus.Received))
	}
}
