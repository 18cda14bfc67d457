package trigger

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

var (
	sms  = policy.SMS.CognitoUserName()
	totp = policy.SoftwareToken.CognitoUserName()
)

// use switches the rig to another policy (pool IDs are known only once
// the fake holds the pools).
func (r *rig) use(t *testing.T, doc string) {
	t.Helper()
	r.h.Reconciler = reconcile.New(r.h.Reconciler.API, load(t, doc), r.h.Log)
	r.h.Reconciler.Backoff = reconcile.Backoff{Attempts: 1}
}

// userFindings decodes the user findings on the fake bus.
func (r *rig) userFindings(t *testing.T) []findings.Finding {
	t.Helper()
	var out []findings.Finding
	for _, e := range r.bus.Received {
		if aws.ToString(e.DetailType) != findings.DetailTypeUser {
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

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

var compliantMFA = cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}

func TestReportModeWritesNoUser(t *testing.T) {
	r := newRig(t, `{"mode":"report","factors":{"sms":"forbidden"}}`)
	pool := r.fake.AddPool("p", nil, compliantMFA)
	before := cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms}
	r.fake.AddUser(pool, "jane", before)
	for range 3 {
		r.handle(t, signIn(PostAuthentication, pool, "jane"))
	}
	if got, _ := r.fake.User(pool, "jane"); !slices.Equal(got.MFASettings, before.MFASettings) || got.Preferred != sms {
		t.Errorf("report mode changed the user: %+v", got)
	}
	if n := r.fake.Calls("AdminSetUserMFAPreference"); n != 0 {
		t.Errorf("report mode wrote the user %d times", n)
	}
	fs := r.userFindings(t)
	if len(fs) != 1 {
		t.Fatalf("%d user findings for 3 sign-ins within the TTL, want 1", len(fs))
	}
	f := fs[0]
	if f.Status != reconcile.Drift || f.Mode != policy.Report || f.User == nil || f.User.Username != "jane" || f.User.Sub != "sub-jane" ||
		f.User.After != nil || f.User.Desired == nil || f.User.Desired.Preferred != policy.SoftwareToken || len(f.Violations) != 2 {
		t.Errorf("user finding %+v %+v", f, f.User)
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
			r.handle(t, signIn(PostAuthentication, pool, "jane"))
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
	r.handle(t, signIn(PostAuthentication, pool, "jane"))
	fs := r.userFindings(t)
	if len(fs) != 1 {
		t.Fatalf("%d user findings, want 1", len(fs))
	}
	u := fs[0].User
	if fs[0].Status != reconcile.Remediated || fs[0].PoolID != pool || u.Sub != "sub-jane" ||
		u.Before == nil || !slices.Equal(u.Before.Enabled, []policy.Factor{policy.SMS, policy.SoftwareToken}) || u.Before.Preferred != policy.SMS ||
		u.After == nil || !slices.Equal(u.After.Enabled, []policy.Factor{policy.SoftwareToken}) || u.After.Preferred != policy.SoftwareToken {
		t.Errorf("user finding %+v %+v", fs[0], u)
	}
	for _, e := range r.bus.Received {
		if aws.ToString(e.DetailType) == findings.DetailTypeUser && !slices.Equal(e.Resources, []string{"arn:aws:cognito-idp:us-east-1::userpool/" + pool}) {
			t.Errorf("user finding resources %v", e.Resources)
		}
	}
}

func TestUserWriteFailureIsAFinding(t *testing.T) {
	r := newRig(t, "")
	pool := r.fake.AddPool("p", nil, compliantMFA)
	r.fake.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
	r.handle(t, signIn(PreAuthentication, pool, "jane")) // the pool is known compliant
	r.fake.Fail = map[string]string{pool: "InternalErrorException"}
	r.handle(t, signIn(PostAuthentication, pool, "jane"))
	fs := r.userFindings(t)
	if len(fs) != 1 || fs[0].Status != reconcile.Failed || !strings.Contains(fs[0].Message, "InternalErrorException") {
		t.Errorf("user findings %+v", fs)
	}
}

// TestTriggerCachesBounded: however many distinct users sign in, the
// instance remembers at most MaxUsers of them.
func TestTriggerCachesBounded(t *testing.T) {
	r := newRig(t, "")
	r.h.MaxUsers = 50
	pool := r.fake.AddPool("p", nil, compliantMFA)
	for i := range 1000 {
		user := fmt.Sprintf("u%d", i)
		r.fake.AddUser(pool, user, cognitofake.User{MFASettings: []string{totp}, Preferred: totp})
		r.handle(t, signIn(PostAuthentication, pool, user))
	}
	if n := r.h.users.len(); n > 50 {
		t.Errorf("%d users remembered, cap 50", n)
	}
	if n := r.fake.Calls("AdminGetUser"); n != 1000 {
		t.Errorf("%d user reads for 1000 distinct users", n)
	}
}

// fastUsers is the in-memory pools fake whose AdminGetUser answers for any
// user: every user has TOTP, preferred.
type fastUsers struct{ *fakes.Pools }

func (fastUsers) AdminGetUser(_ context.Context, in *cip.AdminGetUserInput, _ ...func(*cip.Options)) (*cip.AdminGetUserOutput, error) {
	return &cip.AdminGetUserOutput{Username: in.Username, UserMFASettingList: []string{totp}, PreferredMfaSetting: aws.String(totp)}, nil
}

func (fastUsers) AdminSetUserMFAPreference(context.Context, *cip.AdminSetUserMFAPreferenceInput, ...func(*cip.Options)) (*cip.AdminSetUserMFAPreferenceOutput, error) {
	return &cip.AdminSetUserMFAPreferenceOutput{}, nil
}

// BenchmarkHeapDistinctUsers signs in distinct users on one instance and
// reports the live heap after 10,000 users (the baseline) and after
// 1,000,000: with bounded caches the two are about equal.
func BenchmarkHeapDistinctUsers(b *testing.B) {
	for b.Loop() {
		pools := fakes.New()
		api := cognito.New(fastUsers{pools})
		h := &Handler{Reconciler: reconcile.New(api, policy.Default(), discard), Users: api,
			Budget: time.Second, TTL: 5 * time.Minute, Log: discard, Now: time.Now}
		pools.MFA["us-east-1_p"] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapAlloc) / (1 << 20)
		}
		var at10k float64
		for i := range 1_000_000 {
			_, _ = h.Handle(context.Background(), signIn(PostAuthentication, "us-east-1_p", fmt.Sprintf("user-%d", i)))
			if i == 9_999 {
				at10k = heap()
			}
		}
		at1m := heap()
		b.ReportMetric(at10k, "heapMB@10k-users")
		b.ReportMetric(at1m, "heapMB@1M-users")
		b.ReportMetric(at1m/at10k, "ratio")
	}
}
