package signin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

var (
	sms  = policy.SMS.CognitoUserName()
	totp = policy.SoftwareToken.CognitoUserName()
)

var compliantMFA = cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}

type rig struct {
	fake *cognitofake.Server
	bus  *fakes.Bus
	h    *Handler
	logs *bytes.Buffer
	emf  *bytes.Buffer // the handler's EMF metrics
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
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	r := reconcile.New(cognito.NewGateway(sdk, fakes.Uncapped(), pace.Backoff{Attempts: 1}), load(t, doc), log)
	bus := &fakes.Bus{}
	emf := &bytes.Buffer{}
	return &rig{fake: f, bus: bus, logs: logs, emf: emf, h: &Handler{Reconciler: r,
		Recorder: findings.Recorder{Publisher: findings.NewPublisher(bus, "findings", log), Log: log, Metrics: &lockedWriter{w: emf}}, Log: log, Now: time.Now}}
}

// use puts another policy in force, as policyparam.Refreshing does.
func (r *rig) use(t *testing.T, doc string) {
	t.Helper()
	r.h.Reconciler.SetPolicy(load(t, doc))
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

// msg is one sign-in as the trigger enqueues it.
func msg(source, pool, user string) signinmsg.Message {
	return signinmsg.New(pool, user, "sub-"+user, source, time.Now(), "123456789012", "us-east-1")
}

func signedIn(pool, user string) signinmsg.Message {
	return msg(signinmsg.PostAuthentication, pool, user)
}

// batch is the SQS event delivering ms, message IDs m0, m1, ...
var batch = testbed.SQSBatch

// handle runs one batch and returns the IDs of the messages to retry.
func (r *rig) handle(t *testing.T, raw []byte) []string {
	t.Helper()
	resp, err := r.h.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("batch failed: %v", err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// userFindings decodes the user findings on the fake bus.
func (r *rig) userFindings(t *testing.T) []findings.UserFinding {
	t.Helper()
	var out []findings.UserFinding
	for _, e := range r.bus.Received {
		if aws.ToString(e.DetailType) != findings.DetailTypeUser {
			continue
		}
		var f findings.UserFinding
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// poolFindings decodes the pool findings on the fake bus.
func (r *rig) poolFindings(t *testing.T) []findings.Finding {
	t.Helper()
	var out []findings.Finding
	for _, e := range r.bus.Received {
		if aws.ToString(e.DetailType) != findings.DetailTypeFinding {
			continue
		}
		var f findings.Finding
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// TestOneBatchSharesOnePoolCheck: the users of one pool in one batch share
// one pool check; the next batch reuses it within the reuse bound, and
// checks the pool again past it.
func TestOneBatchSharesOnePoolCheck(t *testing.T) {
	r := newRig(t, `{"users":{"preferSoftwareToken":false}}`)
	now := time.Now()
	r.h.Now = func() time.Time { return now }
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	if retry := r.handle(t, batch(signedIn(pool, "a"), signedIn(pool, "b"), msg(signinmsg.PreAuthentication, pool, "c"))); retry != nil {
		t.Fatalf("retry %v", retry)
	}
	if mfa, _ := r.fake.Pool(pool); mfa.MfaConfiguration != "ON" {
		t.Fatalf("pool not corrected: %+v", mfa)
	}
	// One check: a read, the sign-in policy for the raise to ON, the re-read before the write.
	if got, described := r.fake.Calls("GetUserPoolMfaConfig"), r.fake.Calls("DescribeUserPool"); got != 2 || described != 1 {
		t.Errorf("%d pool reads and %d descriptions for one batch, want one check's 2 and 1", got, described)
	}
	r.handle(t, batch(signedIn(pool, "a")))
	if got := r.fake.Calls("GetUserPoolMfaConfig"); got != 2 {
		t.Errorf("%d pool reads after a second batch, want 2: the check reused", got)
	}
	now = now.Add(DefaultReuse + time.Second)
	r.handle(t, batch(signedIn(pool, "a")))
	if got := r.fake.Calls("GetUserPoolMfaConfig"); got != 3 {
		t.Errorf("%d pool reads after a batch past the reuse bound, want 3", got)
	}
}

// TestNewPolicyVersionApplies: a warm consumer that sees a new policy
// version exempting one pool and moving another to report mode writes none
// of their users, and the findings name the new version (F2).
func TestNewPolicyVersionApplies(t *testing.T) {
	r := newRig(t, `{"factors":{"sms":"forbidden"}}`)
	exempt := r.fake.AddPool("exempt", nil, compliantMFA)
	reported := r.fake.AddPool("reported", map[string]string{"mfa-profile": "lenient"}, compliantMFA)
	for _, p := range []string{exempt, reported} {
		for _, u := range []string{"a", "b"} {
			r.fake.AddUser(p, u, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
		}
	}
	r.handle(t, batch(signedIn(exempt, "a"), signedIn(reported, "a")))
	if n := r.fake.Calls("AdminSetUserMFAPreference"); n != 2 {
		t.Fatalf("%d user writes under the first version, want 2", n)
	}
	next := load(t, fmt.Sprintf(`{"version":2,"profiles":{"strict":{"factors":{"sms":"forbidden"}},"lenient":{"mode":"report","factors":{"sms":"forbidden"}}},
		"default":"strict","profileTag":"mfa-profile","exemptions":{"poolIds":[%q]}}`, exempt))
	next.Origin = policy.Origin{Source: "ssm:/org/mfa", Version: 7}
	r.h.Reconciler.SetPolicy(next)
	r.bus.Received = nil
	r.handle(t, batch(signedIn(exempt, "b"), signedIn(reported, "b")))
	if n := r.fake.Calls("AdminSetUserMFAPreference"); n != 2 {
		t.Errorf("%d user writes, want none after the new version", n-2)
	}
	fs := r.userFindings(t)
	if len(fs) != 2 {
		t.Fatalf("%d user findings, want 2", len(fs))
	}
	for _, f := range fs {
		want := map[string]reconcile.Status{exempt: reconcile.Exempt, reported: reconcile.Drift}[f.PoolID]
		if f.Status != want || f.Policy.Version != 7 {
			t.Errorf("user of %s: %s under version %d, want %s under 7", f.PoolID, f.Status, f.Policy.Version, want)
		}
	}
}

// TestExemptionTagReadAnew: tagging a pool exempt, or tagging it with
// another profile, applies from the next batch on.
func TestExemptionTagReadAnew(t *testing.T) {
	r := newRig(t, `{"version":2,"profiles":{"strict":{"factors":{"sms":"forbidden"}},"lenient":{"mode":"report","factors":{"sms":"forbidden"}}},
		"default":"strict","profileTag":"mfa-profile","exemptions":{"tagKey":"mfa-exempt"}}`)
	pool := r.fake.AddPool("p", nil, compliantMFA)
	for _, u := range []string{"a", "b", "c"} {
		r.fake.AddUser(pool, u, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
	}
	r.handle(t, batch(signedIn(pool, "a")))
	if got, _ := r.fake.User(pool, "a"); got.Preferred != totp {
		t.Fatalf("user not aligned under the default profile: %+v", got)
	}
	r.fake.Tag(pool, map[string]string{"mfa-exempt": "kiosk"})
	r.handle(t, batch(signedIn(pool, "b")))
	r.fake.Tag(pool, map[string]string{"mfa-profile": "lenient"})
	r.handle(t, batch(signedIn(pool, "c")))
	for _, u := range []string{"b", "c"} {
		if got, _ := r.fake.User(pool, u); got.Preferred != sms {
			t.Errorf("user %s written after the pool was re-tagged: %+v", u, got)
		}
	}
	var got []string
	for _, f := range r.userFindings(t) {
		got = append(got, string(f.Status)+"/"+f.Profile)
	}
	if want := []string{"remediated/strict", "exempt/strict", "drift/lenient"}; !slices.Equal(got, want) {
		t.Errorf("user findings %v, want %v", got, want)
	}
}

func TestReportModeWritesNoUser(t *testing.T) {
	r := newRig(t, `{"mode":"report","factors":{"sms":"forbidden"}}`)
	pool := r.fake.AddPool("p", nil, compliantMFA)
	before := cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms}
	r.fake.AddUser(pool, "jane", before)
	r.handle(t, batch(signedIn(pool, "jane"), signedIn(pool, "jane"), signedIn(pool, "jane")))
	if got, _ := r.fake.User(pool, "jane"); !slices.Equal(got.MFASettings, before.MFASettings) || got.Preferred != sms {
		t.Errorf("report mode changed the user: %+v", got)
	}
	if n := r.fake.Calls("AdminSetUserMFAPreference"); n != 0 {
		t.Errorf("report mode wrote the user %d times", n)
	}
	fs := r.userFindings(t)
	if len(fs) != 1 {
		t.Fatalf("%d user findings for 3 sign-ins in one batch, want 1", len(fs))
	}
	f := fs[0]
	if f.Status != reconcile.Drift || f.Mode != policy.Report || f.Username != "jane" || f.Sub != "sub-jane" ||
		f.After != nil || f.Desired == nil || f.Desired.Preferred != policy.SoftwareToken || len(f.Violations) != 2 {
		t.Errorf("user finding %+v", f)
	}
}

func TestExemptPoolUserUntouched(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		tags         map[string]string
	}{
		{"exempt by pool ID", `{"factors":{"sms":"forbidden"},"exemptions":{"poolIds":["%s"]}}`, nil},
		{"exempt by tag", `{"factors":{"sms":"forbidden"},"exemptions":{"tagKey":"mfa-exempt"}}`, map[string]string{"mfa-exempt": "kiosk"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, "")
			pool := r.fake.AddPool("p", tc.tags, compliantMFA)
			r.use(t, strings.ReplaceAll(tc.policy, "%s", pool))
			r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			r.handle(t, batch(signedIn(pool, "jane")))
			if got, _ := r.fake.User(pool, "jane"); len(got.MFASettings) != 2 || got.Preferred != sms {
				t.Errorf("exempt pool's user changed: %+v", got)
			}
			if n := r.fake.Calls("AdminSetUserMFAPreference"); n != 0 {
				t.Errorf("exempt pool's user written %d times", n)
			}
			fs := r.userFindings(t)
			if len(fs) != 1 || fs[0].Status != reconcile.Exempt || !strings.Contains(fs[0].Message, "pool is exempt") {
				t.Errorf("user findings %+v", fs)
			}
		})
	}
}

func TestUserFindingPublished(t *testing.T) {
	r := newRig(t, `{"factors":{"sms":"forbidden"}}`)
	pool := r.fake.AddPool("p", nil, compliantMFA)
	r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
	r.handle(t, batch(signedIn(pool, "jane")))
	fs := r.userFindings(t)
	if len(fs) != 1 {
		t.Fatalf("%d user findings, want 1", len(fs))
	}
	u := fs[0]
	if fs[0].Status != reconcile.Remediated || fs[0].PoolID != pool || fs[0].Account != "123456789012" || u.Sub != "sub-jane" ||
		u.Before == nil || !slices.Equal(u.Before.Enabled, []policy.Factor{policy.SMS, policy.SoftwareToken}) || u.Before.Preferred != policy.SMS ||
		u.After == nil || !slices.Equal(u.After.Enabled, []policy.Factor{policy.SoftwareToken}) || u.After.Preferred != policy.SoftwareToken {
		t.Errorf("user finding %+v", u)
	}
	for _, e := range r.bus.Received {
		if aws.ToString(e.DetailType) == findings.DetailTypeUser && !slices.Equal(e.Resources, []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/" + pool}) {
			t.Errorf("user finding resources %v", e.Resources)
		}
	}
}

// TestFailedChecksReturnToTheQueue: a message whose pool or user check
// failed is reported for retry (SQS returns it after the visibility
// timeout; its DLQ after maxReceiveCount); while the pool's exemption is
// unknown its users are not read; the rest of the batch goes on.
func TestFailedChecksReturnToTheQueue(t *testing.T) {
	t.Run("throttled pool check", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
		r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
		r.fake.ThrottleProb = 1
		if retry := r.handle(t, batch(signedIn(pool, "u"), signedIn(pool, "v"))); !slices.Equal(retry, []string{"m0", "m1"}) {
			t.Errorf("retry %v, want both messages", retry)
		}
		if got := r.fake.Calls("GetUserPoolMfaConfig"); got != 1 {
			t.Errorf("%d pool reads, want 1 shared by the batch", got)
		}
		if got := r.fake.Calls("AdminGetUser"); got != 0 {
			t.Errorf("%d user reads while the pool's exemption is unknown, want 0", got)
		}
	})
	t.Run("user write fails", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, compliantMFA)
		other := r.fake.AddPool("q", nil, compliantMFA)
		r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
		r.fake.AddUser(other, "joe", cognitofake.User{MFASettings: []string{totp}, Preferred: totp})
		r.fake.FailOp = map[string]string{"AdminSetUserMFAPreference": "InternalErrorException"}
		if retry := r.handle(t, batch(signedIn(pool, "jane"), signedIn(other, "joe"))); !slices.Equal(retry, []string{"m0"}) {
			t.Errorf("retry %v, want the failed user's message only", retry)
		}
		fs := r.userFindings(t)
		if len(fs) != 1 || fs[0].Status != reconcile.Failed || !strings.Contains(fs[0].Message, "InternalErrorException") {
			t.Errorf("user findings %+v", fs)
		}
	})
	t.Run("unknown pool: reported deleted, not retried", func(t *testing.T) {
		r := newRig(t, "")
		if retry := r.handle(t, batch(signedIn("us-east-1_nosuchpool", "u"))); retry != nil {
			t.Errorf("retry %v", retry)
		}
		if !strings.Contains(r.logs.String(), `"outcome":"deleted"`) {
			t.Errorf("unknown pool not logged as such: %s", r.logs)
		}
	})
	t.Run("user deleted since signing in: not retried", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, compliantMFA)
		if retry := r.handle(t, batch(signedIn(pool, "gone"))); retry != nil {
			t.Errorf("retry %v", retry)
		}
	})
	t.Run("message refused: to the dead-letter queue, the batch goes on", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
		bad := signedIn(pool, "u")
		bad.Version = 9
		if retry := r.handle(t, batch(bad, signedIn(pool, "u"))); !slices.Equal(retry, []string{"m0"}) {
			t.Errorf("retry %v, want the refused message", retry)
		}
		if mfa, _ := r.fake.Pool(pool); mfa.MfaConfiguration != "ON" {
			t.Errorf("the good message was not processed")
		}
		if !strings.Contains(r.logs.String(), "version: 9 is not supported") {
			t.Errorf("refusal not logged: %s", r.logs)
		}
	})
	t.Run("not an SQS event", func(t *testing.T) {
		r := newRig(t, "")
		if _, err := r.h.Handle(context.Background(), []byte(`"hello"`)); err == nil {
			t.Error("garbage accepted")
		}
	})
	t.Run("too little time left: messages deferred, none started", func(t *testing.T) {
		r := newRig(t, "")
		pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := r.h.Handle(ctx, batch(signedIn(pool, "u"), signedIn(pool, "v")))
		if err != nil || len(resp.BatchItemFailures) != 2 || r.fake.Calls("GetUserPoolMfaConfig") != 0 {
			t.Errorf("%+v %v, %d reads", resp, err, r.fake.Calls("GetUserPoolMfaConfig"))
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
			cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms}, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: totp}, 1},
		{"forbidden SMS disabled", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms}, cognitofake.User{MFASettings: []string{totp}, Preferred: totp}, 1},
		{"SMS-only user keeps SMS", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{sms}, Preferred: sms}, cognitofake.User{MFASettings: []string{sms}, Preferred: sms}, 0},
		{"compliant user: read once, no write", ``,
			cognitofake.User{MFASettings: []string{totp}, Preferred: totp}, cognitofake.User{MFASettings: []string{totp}, Preferred: totp}, 0},
		// Passkey MFA needs another factor beside it (the fake refuses a write
		// that leaves it alone): TOTP stays, passkey MFA is not touched.
		{"passkey MFA user: forbidden SMS disabled, TOTP and passkey MFA kept", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{sms, totp, "WEB_AUTHN_MFA"}, Preferred: sms},
			cognitofake.User{MFASettings: []string{totp, "WEB_AUTHN_MFA"}, Preferred: totp}, 1},
		{"passkey MFA beside SMS alone: SMS is its other factor, kept", `{"factors":{"sms":"forbidden"}}`,
			cognitofake.User{MFASettings: []string{sms, "WEB_AUTHN_MFA"}, Preferred: sms},
			cognitofake.User{MFASettings: []string{sms, "WEB_AUTHN_MFA"}, Preferred: sms}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.policy)
			pool := r.fake.AddPool("p", nil, compliantMFA)
			r.fake.AddUser(pool, "u", tc.user)
			// SQS delivers at least once and Cognito may invoke the trigger
			// three times: repeats in a batch are one check.
			r.handle(t, batch(signedIn(pool, "u"), signedIn(pool, "u"), signedIn(pool, "u")))
			got, _ := r.fake.User(pool, "u")
			slices.Sort(got.MFASettings)
			slices.Sort(tc.want.MFASettings)
			if !slices.Equal(got.MFASettings, tc.want.MFASettings) || got.Preferred != tc.want.Preferred {
				t.Errorf("user %+v, want %+v", got, tc.want)
			}
			if r.fake.Calls("AdminSetUserMFAPreference") != tc.wantWrite || r.fake.Calls("AdminGetUser") != 1 {
				t.Errorf("%d reads and %d writes for 3 sign-ins, want 1 and %d", r.fake.Calls("AdminGetUser"), r.fake.Calls("AdminSetUserMFAPreference"), tc.wantWrite)
			}
		})
	}
}

// TestUserRulesFollowThePoolsProfile: a user is judged by the profile of
// the user's pool (chosen by the pool's tag), and the user finding names it.
func TestUserRulesFollowThePoolsProfile(t *testing.T) {
	const doc = `{"version": 2,
	  "profiles": {
	    "workforce": {"factors": {"sms": "forbidden"}},
	    "consumer": {"mfaConfiguration": "OPTIONAL", "factors": {"softwareToken": "allowed"}, "users": {"preferSoftwareToken": false}}
	  },
	  "default": "workforce", "profileTag": "mfa-profile"}`
	for _, tc := range []struct {
		name      string
		tags      map[string]string
		profile   string
		status    reconcile.Status
		preferred string
	}{
		{"untagged: the workforce default removes SMS", nil, "workforce", reconcile.Remediated, totp},
		{"consumer: SMS preferred is fine", map[string]string{"mfa-profile": "consumer"}, "consumer", reconcile.Compliant, sms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, doc)
			pool := r.fake.AddPool("p", tc.tags, compliantMFA)
			r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			r.handle(t, batch(signedIn(pool, "jane")))
			if got, _ := r.fake.User(pool, "jane"); got.Preferred != tc.preferred {
				t.Errorf("preferred %s after sign-in, want %s", got.Preferred, tc.preferred)
			}
			fs := r.userFindings(t)
			if tc.status == reconcile.Compliant {
				if len(fs) != 0 {
					t.Errorf("compliant user published: %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Status != tc.status || fs[0].Profile != tc.profile || fs[0].Mode != policy.Enforce {
				t.Errorf("user findings %+v, want %s by %s", fs, tc.status, tc.profile)
			}
		})
	}
}

// recordingLedger records what the consumer reports, or fails; the
// handler checks users concurrently, so Record takes a lock.
type recordingLedger struct {
	mu    sync.Mutex
	seen  []string
	items []ledgerItem
	err   error
}

type ledgerItem struct {
	sub    string
	seen   time.Time
	window time.Duration
}

func (l *recordingLedger) Record(_ context.Context, poolID, sub string, u policy.UserMFA, seen time.Time, window time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, fmt.Sprintf("%s/%s/%v", poolID, sub, u.Enabled))
	l.items = append(l.items, ledgerItem{sub, seen, window})
	return l.err
}

// TestLedger: with a ledger, every signed-in user is read once and
// recorded with the sub Cognito answered, even with no user rule; a sign-in
// attempt (PreAuthentication) is not; a ledger failure is counted and
// returns its message to the queue (a user missing from the ledger would
// make coverage lie).
func TestLedger(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("ledger fails: %v", fail), func(t *testing.T) {
			r := newRig(t, `{"users":{"preferSoftwareToken":false}}`)
			l := &recordingLedger{}
			if fail {
				l.err = errors.New("ProvisionedThroughputExceededException")
			}
			r.h.Ledger = l
			pool := r.fake.AddPool("p", nil, compliantMFA)
			r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{totp}, Preferred: totp})
			retry := r.handle(t, batch(signedIn(pool, "jane"), signedIn(pool, "jane"), msg(signinmsg.PreAuthentication, pool, "jane")))
			if want := map[bool][]string{true: {"m0"}}[fail]; !slices.Equal(retry, want) {
				t.Errorf("retry %v, want %v", retry, want)
			}
			if got := strings.Contains(r.emf.String(), `"CoverageLedgerWriteFailed":1`); got != fail {
				t.Errorf("failure counted %v: %s", got, r.emf.String())
			}
			if want := []string{pool + "/sub-jane/[softwareToken]"}; !slices.Equal(l.seen, want) {
				t.Errorf("ledger saw %v, want %v", l.seen, want)
			}
			if fail && !strings.Contains(r.logs.String(), "coverage ledger not updated") {
				t.Errorf("ledger failure not logged: %s", r.logs)
			}
		})
	}
}

func TestNoUserReadsWithoutUserRules(t *testing.T) {
	r := newRig(t, `{"users":{"preferSoftwareToken":false}}`)
	pool := r.fake.AddPool("p", nil, compliantMFA)
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{sms}, Preferred: sms})
	r.handle(t, batch(signedIn(pool, "u")))
	if r.fake.Calls("AdminGetUser") != 0 {
		t.Error("user read although no user-level rule is enabled and no ledger is set")
	}
}

// TestReplicaPool: a secondary replica answers OperationNotEnabledException;
// the check is neither failed nor retried, and the pool's users are left to
// the primary Region.
func TestReplicaPool(t *testing.T) {
	r := newRig(t, "")
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
	r.fake.FailOp = map[string]string{"SetUserPoolMfaConfig": "OperationNotEnabledException", "AdminSetUserMFAPreference": "OperationNotEnabledException"}
	if retry := r.handle(t, batch(signedIn(pool, "u"))); retry != nil {
		t.Errorf("retry %v: a replica is not retried", retry)
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
	pool := r.fake.AddPool("p", nil, compliantMFA)
	r.fake.AddUser(pool, "u", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
	r.fake.FailOp = map[string]string{"AdminSetUserMFAPreference": "OperationNotEnabledException"}
	if retry := r.handle(t, batch(signedIn(pool, "u"))); retry != nil {
		t.Errorf("retry %v", retry)
	}
	if len(r.bus.Received) != 1 || !strings.Contains(aws.ToString(r.bus.Received[0].Detail), `"status":"replica"`) {
		t.Errorf("%d findings, want one replica user finding", len(r.bus.Received))
	}
}

// awsDesignRisk is AWS's adaptive design as a risk configuration's JSON.
const awsDesignRisk = `{"AccountTakeoverRiskConfiguration":{"Actions":{"LowAction":{"EventAction":"NO_ACTION","Notify":false},` +
	`"MediumAction":{"EventAction":"MFA_IF_CONFIGURED","Notify":false},"HighAction":{"EventAction":"MFA_REQUIRED","Notify":false}}}}`

// TestAdaptivePoolUsersLeftAlone: in a pool compliant by adaptive
// authentication the sign-in check turns on or prefers no user's MFA
// (that would prompt at every sign-in); a pool the policy does not accept
// it for has its users aligned as ever.
func TestAdaptivePoolUsersLeftAlone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		doc      string
		writes   int64
		equiv    string
		poolStat reconcile.Status
	}{
		{"accepted", `{"factors":{"sms":"forbidden"},"adaptiveAuthentication":{"acceptAsOn":true}}`, 0, policy.Equivalent, reconcile.Compliant},
		{"not accepted", `{"factors":{"sms":"forbidden"}}`, 1, "", reconcile.Remediated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.doc)
			pool := r.fake.AddPool("adaptive", nil, cognitofake.MFA{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}})
			r.fake.SetSignIn(pool, "PLUS")
			r.fake.SetAdaptive(pool, "ENFORCED", []string{"web"}, map[string]string{"": awsDesignRisk})
			r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			r.handle(t, batch(signedIn(pool, "jane")))
			if got := r.fake.Calls("AdminSetUserMFAPreference"); got != tc.writes {
				t.Errorf("%d user writes, want %d", got, tc.writes)
			}
			if u, _ := r.fake.User(pool, "jane"); tc.writes == 0 && (u.Preferred != sms || len(u.MFASettings) != 2) {
				t.Errorf("user changed: %+v", u)
			}
			pools := r.poolFindings(t)
			if len(pools) != 1 || pools[0].Equivalent != tc.equiv || pools[0].Status != tc.poolStat {
				t.Errorf("pool findings %+v", pools)
			}
		})
	}
}

// TestLedgerBelievesCognito (G1, G4): the ledger records the sub Cognito
// answers, never the message's; a message whose sub is not the user's is
// refused, counted, and leaves no item; a time in the future, or older
// than the queue keeps messages, is recorded as now; the item lives the
// window of the policy in force at the write.
func TestLedgerBelievesCognito(t *testing.T) {
	r := newRig(t, `{"users":{"preferSoftwareToken":false,"coverageWindowDays":30}}`)
	l := &recordingLedger{}
	r.h.Ledger = l
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r.h.Now = func() time.Time { return now }
	pool := r.fake.AddPool("p", nil, compliantMFA)
	r.fake.AddUser(pool, "mfa-user", cognitofake.User{MFASettings: []string{totp}, Preferred: totp, Sub: "real-sub"})
	forged := signinmsg.New(pool, "mfa-user", "made-up-sub", signinmsg.PostAuthentication, now, "123456789012", "us-east-1")
	future := signinmsg.New(pool, "mfa-user", "real-sub", signinmsg.PostAuthentication, time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), "123456789012", "us-east-1")
	if retry := r.handle(t, batch(forged)); retry != nil || len(l.items) != 0 || !strings.Contains(r.emf.String(), `"SignInMessagesRefused":1`) {
		t.Errorf("forged sub: retry %v, items %v, metrics %s", retry, l.items, r.emf.String())
	}
	r.handle(t, batch(future))
	old := signinmsg.New(pool, "mfa-user", "", signinmsg.PostAuthentication, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), "123456789012", "us-east-1")
	r.use(t, `{"users":{"preferSoftwareToken":false,"coverageWindowDays":90}}`)
	r.handle(t, batch(old))
	want := []ledgerItem{{"real-sub", now, 30 * 24 * time.Hour}, {"real-sub", now, 90 * 24 * time.Hour}}
	if !slices.Equal(l.items, want) {
		t.Errorf("ledger items %+v, want %+v", l.items, want)
	}
}

// TestForgedMessagesDoNotHideTheRealOne: in one batch, two messages under
// made-up subs ahead of the user's real sign-in and its repeat: both forged
// ones are refused and counted, the real one is recorded once, its repeat
// shares its outcome, and nothing returns to the queue.
func TestForgedMessagesDoNotHideTheRealOne(t *testing.T) {
	r := newRig(t, `{"users":{"preferSoftwareToken":false}}`)
	l := &recordingLedger{}
	r.h.Ledger = l
	now := time.Now()
	pool := r.fake.AddPool("p", nil, compliantMFA)
	r.fake.AddUser(pool, "mfa-user", cognitofake.User{MFASettings: []string{totp}, Preferred: totp, Sub: "real-sub"})
	var msgs []signinmsg.Message
	for _, sub := range []string{"made-up-1", "made-up-2", "real-sub", "real-sub"} {
		msgs = append(msgs, signinmsg.New(pool, "mfa-user", sub, signinmsg.PostAuthentication, now, "123456789012", "us-east-1"))
	}
	if retry := r.handle(t, batch(msgs...)); retry != nil {
		t.Errorf("returned to the queue: %v", retry)
	}
	if n := strings.Count(r.emf.String(), `"SignInMessagesRefused":1`); n != 2 || len(l.items) != 1 || l.items[0].sub != "real-sub" {
		t.Errorf("%d refusals, ledger items %+v; want 2 and the real sub once", n, l.items)
	}
	if got := r.fake.Calls("AdminGetUser"); got != 3 {
		t.Errorf("%d user reads, want 3 (two refused, one real)", got)
	}
}

// TestForeignMessagesIgnored (G6): a message about another account, Region
// or another Region's pool is ignored and counted: nothing read, nothing
// published.
func TestForeignMessagesIgnored(t *testing.T) {
	r := newRig(t, "")
	r.h.Region = "us-east-1"
	pool := r.fake.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	for _, m := range []signinmsg.Message{
		signinmsg.New(pool, "u", "sub-u", signinmsg.PostAuthentication, time.Now(), "123456789012", "eu-west-1"),
		signinmsg.New("eu-west-1_Other", "u", "sub-u", signinmsg.PostAuthentication, time.Now(), "123456789012", "us-east-1"),
	} {
		if retry := r.handle(t, batch(m)); retry != nil {
			t.Errorf("retry %v", retry)
		}
	}
	if calls := r.fake.Calls("GetUserPoolMfaConfig"); calls != 0 || len(r.bus.Received) != 0 || strings.Count(r.emf.String(), `"SignInMessagesIgnored":1`) != 2 {
		t.Errorf("%d reads, %d events, metrics %s", calls, len(r.bus.Received), r.emf.String())
	}
}
