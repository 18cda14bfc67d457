package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	localinvoke.RemoveBuilds()
	os.Exit(code)
}

const root = "../.."

// batchFor is events/signin-sqs-batch.json for one user of one pool of
// moto, with the user's sub as Cognito knows it.
func batchFor(t *testing.T, m *testbed.Moto, pool, user string) []byte {
	t.Helper()
	raw, err := m.Sample(context.Background(), root, "signin-sqs-batch.json", pool, user)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sample is events/signin-sqs-batch.json as it is, for a pool and user
// moto does not hold.
func sample(t *testing.T, pool, user string) []byte {
	t.Helper()
	raw, err := testbed.Sample(root, "signin-sqs-batch.json", pool, user)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// subOf is a moto user's sub.
func subOf(t *testing.T, m *testbed.Moto, pool, user string) string {
	t.Helper()
	sub, err := m.UserSub(context.Background(), pool, user)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// check invokes the sign-in check with a batch and fails unless every
// message was processed (none reported for retry).
func check(t *testing.T, rt *localinvoke.Runtime, batch []byte) {
	t.Helper()
	res, err := rt.Invoke(context.Background(), batch)
	if err != nil || res.Err != nil {
		t.Fatalf("batch failed: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("messages returned to the queue: %s (%v)\n%s", res.Payload, err, rt.Logs())
	}
}

// smsPreferringUsers creates a pool at OFF (with tags) and users with TOTP
// and SMS who prefer SMS, and returns the pool ID.
func smsPreferringUsers(t *testing.T, m *testbed.Moto, tags map[string]string, users ...string) string {
	t.Helper()
	ctx := context.Background()
	pool, err := m.CreatePool(ctx, "signin", tags, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	addSMSPreferringUsers(t, m, pool, users...)
	return pool
}

// addSMSPreferringUsers adds users with TOTP and SMS who prefer SMS.
func addSMSPreferringUsers(t *testing.T, m *testbed.Moto, pool string, users ...string) {
	t.Helper()
	ctx := context.Background()
	for _, u := range users {
		token, err := m.TOTPUser(ctx, pool, u)
		if err != nil {
			t.Fatal(err)
		}
		// The user prefers SMS, with their own access token.
		if err := m.Call(ctx, nil, "cognito-idp", "SetUserMFAPreference", map[string]any{"AccessToken": token,
			"SoftwareTokenMfaSettings": map[string]bool{"Enabled": true, "PreferredMfa": false},
			"SMSMfaSettings":           map[string]bool{"Enabled": true, "PreferredMfa": true}}); err != nil {
			t.Fatal(err)
		}
	}
}

// unchanged reports whether the user still has SMS and TOTP and prefers SMS.
func unchanged(t *testing.T, m *testbed.Moto, pool, user string) bool {
	t.Helper()
	u, err := m.GetUserMFA(context.Background(), pool, user)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(u.UserMFASettingList)
	return u.PreferredMfaSetting == "SMS_MFA" && slices.Equal(u.UserMFASettingList, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"})
}

// userFindings drains the bus and returns the user findings on it.
func userFindings(t *testing.T, bus *testbed.Bus) []findings.UserFinding {
	t.Helper()
	evs, err := bus.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []findings.UserFinding
	for _, e := range evs {
		if e.DetailType != findings.DetailTypeUser {
			continue
		}
		var f findings.UserFinding
		if err := json.Unmarshal(e.Detail, &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// TestSignInThroughTheQueue: the built trigger enqueues a sign-in attempt
// and a sign-in into moto's SQS; the built sign-in check, given the batch
// as Lambda's event source delivers it, corrects the pool and the user.
func TestSignInThroughTheQueue(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	q, err := m.Queue(ctx, "signin-through-the-queue.fifo")
	if err != nil {
		t.Fatal(err)
	}
	pool := smsPreferringUsers(t, m, nil, "jane")
	trigger := localinvoke.StartForTest(t, root, "TriggerFunction", map[string]string{"SignInQueue": q.URL}, m.Env())
	for _, file := range []string{"trigger-pre-authentication.json", "trigger-post-authentication.json"} {
		ev, err := m.Sample(ctx, root, file, pool, "jane")
		if err != nil {
			t.Fatal(err)
		}
		if res, err := trigger.Invoke(ctx, ev); err != nil || res.Err != nil {
			t.Fatalf("sign-in failed: %v %v", err, res.Err)
		}
	}
	if !unchanged(t, m, pool, "jane") {
		t.Fatal("the trigger wrote the user")
	}
	batch, n, err := q.Batch(ctx)
	if err != nil || n != 2 {
		t.Fatalf("%d messages in the queue (%v), want 2", n, err)
	}
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": `{"factors":{"sms":"forbidden"}}`}, m.Env())
	check(t, rt, batch)
	if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "ON" || !got.TOTP() {
		t.Errorf("pool after the check: %s", got)
	}
	u, _ := m.GetUserMFA(ctx, pool, "jane")
	if u.PreferredMfaSetting != "SOFTWARE_TOKEN_MFA" || !slices.Equal(u.UserMFASettingList, []string{"SOFTWARE_TOKEN_MFA"}) {
		t.Errorf("user after the check: %+v\n%s", u, rt.Logs())
	}
}

func TestReportModeWritesNoUser(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "signin-report")
	if err != nil {
		t.Fatal(err)
	}
	pool := smsPreferringUsers(t, m, nil, "jane")
	rt := localinvoke.StartForTest(t, root, name, map[string]string{
		"PolicyDocument": `{"mode":"report","factors":{"sms":"forbidden"}}`, "ExistingFindingsBusName": bus.Name}, m.Env())
	check(t, rt, batchFor(t, m, pool, "jane"))
	if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
		t.Errorf("report mode wrote the pool: %s", got)
	}
	if !unchanged(t, m, pool, "jane") {
		t.Error("report mode wrote the user")
	}
	fs := userFindings(t, bus)
	if len(fs) != 1 || fs[0].Status != "drift" || fs[0].Username != "jane" || fs[0].Sub != subOf(t, m, pool, "jane") || fs[0].Desired == nil {
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
			pool := smsPreferringUsers(t, m, tc.tags, "jane")
			rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": strings.ReplaceAll(tc.policy, "%s", pool)}, m.Env())
			check(t, rt, batchFor(t, m, pool, "jane"))
			if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
				t.Errorf("exempt pool written: %s", got)
			}
			if !unchanged(t, m, pool, "jane") {
				t.Error("exempt pool's user written")
			}
			if !strings.Contains(rt.LogsWhen(`"outcome":"exempt"`, 1), `"outcome":"exempt"`) {
				t.Errorf("no exempt decision logged:\n%s", rt.Logs())
			}
		})
	}
}

func TestUserFindingOnTheBus(t *testing.T) {
	m := moto.Get(t)
	bus, err := m.FindingsBus(context.Background(), "signin-users")
	if err != nil {
		t.Fatal(err)
	}
	pool := smsPreferringUsers(t, m, nil, "jane")
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": `{"factors":{"sms":"forbidden"}}`, "ExistingFindingsBusName": bus.Name}, m.Env())
	check(t, rt, batchFor(t, m, pool, "jane"))
	fs := userFindings(t, bus)
	if len(fs) != 1 {
		t.Fatalf("%d user findings, want 1\n%s", len(fs), rt.Logs())
	}
	f := fs[0]
	if f.Status != "remediated" || f.PoolID != pool || f.Account != testbed.Account || f.Sub != subOf(t, m, pool, "jane") ||
		f.Before == nil || len(f.Before.Enabled) != 2 || f.Before.Preferred != "sms" ||
		f.After == nil || len(f.After.Enabled) != 1 || f.After.Preferred != "softwareToken" {
		t.Errorf("user finding %+v", f)
	}
	if !strings.Contains(rt.LogsWhen(`"UsersRemediated":1`, 1), `"UsersRemediated":1`) {
		t.Errorf("no user metric in the EMF lines:\n%s", rt.Logs())
	}
}

// TestBlankPolicyVersionRefused: a blank first version of the policy
// parameter is refused like any invalid one: the function does not start
// (its messages wait in the queue, then its dead-letter queue, alarmed),
// and the error names the parameter, version and why (F9).
func TestBlankPolicyVersionRefused(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	if _, err := m.PutParameter(ctx, "/enforcer/signin/blank", " "); err != nil {
		t.Fatal(err)
	}
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyParameter": "/enforcer/signin/blank"}, m.Env())
	res, err := rt.Invoke(ctx, sample(t, "us-east-1_Blank1", "jane"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || !strings.Contains(rt.Logs(), "policy parameter /enforcer/signin/blank version 1: policy: the document is blank") {
		t.Errorf("blank policy not refused: %v\n%s", res.Err, rt.Logs())
	}
}

// TestWarmPolicyChanges: a warm sign-in check reads the policy parameter
// again after PolicyRefreshSeconds (30 s, the least) and judges the next
// message by the document in force then: a new version exempting the pool
// (F2), a re-created parameter back at version 1 (F7); a blank version is
// refused and the last valid one stays (F9). The cases wait out one
// refresh interval each, side by side.
func TestWarmPolicyChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a 30 s policy refresh")
	}
	m := moto.Get(t)
	ctx := context.Background()
	const enforce = `{"factors":{"sms":"forbidden"}}`
	for _, tc := range []struct {
		name    string
		change  func(param, pool string) (int64, error)
		written bool // the second user is written
		status  string
		version int64
		logged  string
	}{
		{"new version exempting the pool", func(param, pool string) (int64, error) {
			return m.PutParameter(ctx, param, fmt.Sprintf(`{"factors":{"sms":"forbidden"},"exemptions":{"poolIds":[%q]}}`, pool))
		}, false, "exempt", 2, `"policyVersion":2`},
		{"re-created parameter at version 1", func(param, _ string) (int64, error) {
			return m.RecreateParameter(ctx, param, `{"mode":"report","factors":{"sms":"forbidden"}}`)
		}, false, "drift", 1, "policy version in force"},
		{"blank version refused", func(param, _ string) (int64, error) {
			return m.PutParameter(ctx, param, " ")
		}, true, "remediated", 1, "policy version refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			param := "/enforcer/signin/" + strings.ReplaceAll(tc.name, " ", "-")
			if _, err := m.PutParameter(ctx, param, enforce); err != nil {
				t.Fatal(err)
			}
			bus, err := m.FindingsBus(ctx, "signin-"+strings.ReplaceAll(tc.name, " ", "-"))
			if err != nil {
				t.Fatal(err)
			}
			pool := smsPreferringUsers(t, m, nil, "jane", "john")
			rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyParameter": param, "PolicyRefreshSeconds": "30",
				"ExistingFindingsBusName": bus.Name}, m.Env())
			check(t, rt, batchFor(t, m, pool, "jane"))
			if unchanged(t, m, pool, "jane") {
				t.Fatalf("the first version was not enforced\n%s", rt.Logs())
			}
			if _, err := tc.change(param, pool); err != nil {
				t.Fatal(err)
			}
			time.Sleep(31 * time.Second) // one refresh interval
			check(t, rt, batchFor(t, m, pool, "john"))
			if written := !unchanged(t, m, pool, "john"); written != tc.written {
				t.Errorf("second user written: %v, want %v\n%s", written, tc.written, rt.Logs())
			}
			var got []string
			for _, f := range userFindings(t, bus) {
				if f.Username == "john" {
					got = append(got, fmt.Sprintf("%s/v%d", f.Status, f.Policy.Version))
				}
			}
			if want := []string{fmt.Sprintf("%s/v%d", tc.status, tc.version)}; !slices.Equal(got, want) {
				t.Errorf("second user's findings %v, want %v", got, want)
			}
			if !strings.Contains(rt.LogsWhen(tc.logged, 1), tc.logged) {
				t.Errorf("logs lack %s:\n%s", tc.logged, rt.Logs())
			}
		})
	}
}

// TestSignInCheckUnderThrottling: when Cognito throttles every call, the
// built check returns each message to the queue (to be tried again after
// the visibility timeout, and alarmed in the dead-letter queue if it never
// succeeds) instead of failing the batch or guessing.
func TestSignInCheckUnderThrottling(t *testing.T) {
	f := cognitofake.New()
	f.ThrottleProb = 1
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pool := f.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	f.AddUser(pool, "jane", cognitofake.User{MFASettings: []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"}, Preferred: "SMS_MFA"})
	rt := localinvoke.StartForTest(t, root, name, nil, f.Env())
	res, err := rt.Invoke(context.Background(), sample(t, pool, "jane"))
	if err != nil || res.Err != nil {
		t.Fatalf("batch failed: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 2 {
		t.Errorf("response %s (%v), want both messages returned", res.Payload, err)
	}
	if f.Throttled() == 0 || f.Calls("AdminGetUser") != 0 {
		t.Errorf("%d throttled, %d user reads while the pool's exemption is unknown", f.Throttled(), f.Calls("AdminGetUser"))
	}
}

// TestAdaptivePoolUsersUntouched: in a pool that counts as MFA ON by
// adaptive authentication, the built sign-in check neither prefers nor
// removes any user's factor (turning users' MFA preferences on would
// prompt for MFA at every sign-in, defeating risk-based MFA); the pool
// stays OPTIONAL and its finding names the equivalent.
func TestAdaptivePoolUsersUntouched(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	ids, err := m.Seed(ctx, []testbed.PoolSpec{testbed.AdaptivePool("adaptive-signin")})
	if err != nil {
		t.Fatal(err)
	}
	addSMSPreferringUsers(t, m, ids[0], "jane")
	bus, err := m.FindingsBus(ctx, "signin-adaptive")
	if err != nil {
		t.Fatal(err)
	}
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"ExistingFindingsBusName": bus.Name,
		"PolicyDocument": `{"factors":{"sms":"forbidden"},"adaptiveAuthentication":{"acceptAsOn":true}}`}, m.Env())
	check(t, rt, batchFor(t, m, ids[0], "jane"))
	if !unchanged(t, m, ids[0], "jane") {
		t.Errorf("the user's MFA settings changed in an adaptive pool\n%s", rt.Logs())
	}
	if got, _ := m.GetMFA(ctx, ids[0]); got.MfaConfiguration != "OPTIONAL" {
		t.Errorf("adaptive pool raised: %s", got)
	}
	evs, err := bus.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	equivalent := false
	for _, e := range evs {
		var f findings.Finding
		if e.DetailType == findings.DetailTypeFinding && json.Unmarshal(e.Detail, &f) == nil && f.Equivalent == policy.Equivalent {
			equivalent = true
		}
		if e.DetailType == findings.DetailTypeUser {
			t.Errorf("a user finding for a compliant user: %s", e.Detail)
		}
	}
	if !equivalent {
		t.Errorf("no pool finding naming the equivalent: %d events", len(evs))
	}
}

// TestSignInKeepsEndUserMessagingSMS: the built sign-in check raises a
// pool whose SMS MFA sends through AWS End User Messaging to ON, its SMS
// block kept byte for byte.
func TestSignInKeepsEndUserMessagingSMS(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	ids, err := m.Seed(ctx, []testbed.PoolSpec{{Name: "eums-signin", Level: "OPTIONAL", Factors: []policy.Factor{policy.SoftwareToken, policy.SMS}, EUMS: true}})
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.SMSBlocks(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": "{}"}, m.Env())
	check(t, rt, sample(t, ids[0], "jane")) // the pool's check: jane is not one of its users
	after, err := m.SMSBlocks(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	if mfa, _ := m.GetMFA(ctx, ids[0]); mfa.MfaConfiguration != "ON" || after[ids[0]] != before[ids[0]] || !strings.Contains(before[ids[0]], `"EumsSms"`) {
		t.Errorf("pool %s; SMS block before %s, after %s\n%s", mfa, before[ids[0]], after[ids[0]], rt.Logs())
	}
}

// TestHangingCallReturnsMessages (G2): a call that never answers in a batch
// of 10 ends at the margin before the invocation's deadline: the built
// bootstrap answers in time, every unfinished message returned to the
// queue, none timed out, nothing recorded for them.
func TestHangingCallReturnsMessages(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	pool, err := m.CreatePool(ctx, "hanging", nil, "ON", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	proxy := m.Record()
	t.Cleanup(proxy.Close) // after the bootstrap stops: its last call is held until then
	proxy.Hang("cognito-idp:AdminGetUser")
	var msgs []signinmsg.Message
	for i := range 10 {
		msgs = append(msgs, signinmsg.New(pool, fmt.Sprintf("user-%d", i), "", signinmsg.PostAuthentication, time.Now(), testbed.Account, testbed.Region))
	}
	batch := testbed.SQSBatch(msgs...)
	rt := localinvoke.StartForTest(t, root, name, nil, proxy.Env())
	// A short deadline: the work stops half the 10 s margin before it.
	rt.SetTimeout(12 * time.Second)
	res, err := rt.Invoke(ctx, batch)
	if err != nil || res.Err != nil {
		t.Fatalf("the invocation did not answer in time: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 10 {
		t.Errorf("answered %s: want all 10 messages returned", res.Payload)
	}
	if strings.Contains(rt.Logs(), `"user checked"`) {
		t.Errorf("a user check cut off by the deadline was recorded:\n%s", rt.Logs())
	}
}

// TestForeignMessagesIgnoredByTheBootstrap (G6): messages about another
// account, another Region, or a pool whose ID names another Region are
// ignored and counted by the built bootstrap: nothing read, written or
// published for them.
func TestForeignMessagesIgnoredByTheBootstrap(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "signin-foreign")
	if err != nil {
		t.Fatal(err)
	}
	pool := smsPreferringUsers(t, m, nil, "jane")
	sub := subOf(t, m, pool, "jane")
	batch := testbed.SQSBatch(
		signinmsg.New(pool, "jane", sub, signinmsg.PostAuthentication, time.Now(), "999999999999", testbed.Region),
		signinmsg.New(pool, "jane", sub, signinmsg.PostAuthentication, time.Now(), testbed.Account, "eu-west-1"),
		signinmsg.New("eu-west-1_"+strings.TrimPrefix(pool, testbed.Region+"_"), "jane", sub, signinmsg.PostAuthentication, time.Now(), testbed.Account, testbed.Region),
	)
	proxy := m.Record()
	t.Cleanup(proxy.Close)
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": `{"factors":{"sms":"forbidden"}}`, "ExistingFindingsBusName": bus.Name}, proxy.Env())
	check(t, rt, batch)
	if n := strings.Count(rt.LogsWhen(`"SignInMessagesIgnored":1`, 3), `"SignInMessagesIgnored":1`); n != 3 {
		t.Errorf("%d messages counted as ignored, want 3\n%s", n, rt.Logs())
	}
	for _, c := range proxy.Calls() {
		if strings.HasPrefix(c, "cognito-idp:") || strings.HasPrefix(c, "dynamodb:") {
			t.Errorf("call %s for a foreign message", c)
		}
	}
	if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" || !unchanged(t, m, pool, "jane") {
		t.Errorf("the pool or user was written: %s", got)
	}
	if evs, _ := bus.Drain(ctx); len(evs) != 0 {
		t.Errorf("%d findings published for foreign messages", len(evs))
	}
}

// poll drains q into runtimes as Lambda's event source mapping does, one
// poller per instance at once: each receives a batch (a FIFO queue holds
// back the messages of a pool whose messages are in flight), invokes its
// instance, and deletes what the instance did not return. It stops once
// want messages are done.
func poll(t *testing.T, q *testbed.Queue, want int, runtimes ...*localinvoke.Runtime) {
	t.Helper()
	ctx := context.Background()
	var done atomic.Int64
	var wg sync.WaitGroup
	for _, rt := range runtimes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tries := 0; done.Load() < int64(want) && tries < 600; tries++ {
				batch, n, err := q.Batch(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					time.Sleep(50 * time.Millisecond) // the other instance holds the pool's messages
					continue
				}
				res, err := rt.Invoke(ctx, batch)
				if err != nil || res.Err != nil {
					t.Errorf("batch failed: %v %v\n%s", err, res.Err, rt.Logs())
					return
				}
				var resp events.SQSEventResponse
				_ = json.Unmarshal(res.Payload, &resp)
				var failed []string
				for _, f := range resp.BatchItemFailures {
					failed = append(failed, f.ItemIdentifier)
				}
				if len(failed) > 0 {
					t.Errorf("messages returned: %v\n%s", failed, rt.Logs())
				}
				if err := q.Done(ctx, batch, failed); err != nil {
					t.Error(err)
				}
				done.Add(int64(n - len(failed)))
			}
		}()
	}
	wg.Wait()
	if done.Load() != int64(want) {
		t.Fatalf("%d of %d messages done", done.Load(), want)
	}
}

// TestTwoInstancesWriteAPoolOnce: 15 users of a pool at MFA OFF sign in;
// the built trigger puts their messages in the pool's message group of a
// FIFO queue, and two built sign-in check instances drain it at once: the
// pool is written once (never by both), and every user is aligned.
func TestTwoInstancesWriteAPoolOnce(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	q, err := m.Queue(ctx, "two-instances.fifo")
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for i := range 15 {
		users = append(users, fmt.Sprintf("user-%02d", i))
	}
	pool := smsPreferringUsers(t, m, nil, users...)
	trigger := localinvoke.StartForTest(t, root, "TriggerFunction", map[string]string{"SignInQueue": q.URL}, m.Env())
	for _, u := range users {
		ev, err := m.Sample(ctx, root, "trigger-post-authentication.json", pool, u)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := trigger.Invoke(ctx, ev); err != nil || res.Err != nil {
			t.Fatalf("sign-in failed: %v %v", err, res.Err)
		}
	}
	proxy := m.Record()
	t.Cleanup(proxy.Close)
	params := map[string]string{"PolicyDocument": `{"factors":{"sms":"forbidden"}}`}
	poll(t, q, len(users), localinvoke.StartForTest(t, root, name, params, proxy.Env()), localinvoke.StartForTest(t, root, name, params, proxy.Env()))
	calls := proxy.Calls()
	if n := count(calls, "cognito-idp:SetUserPoolMfaConfig"); n != 1 {
		t.Errorf("the pool written %d times, want once: %v", n, calls)
	}
	if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "ON" {
		t.Errorf("pool %s", got)
	}
	for _, u := range users {
		if unchanged(t, m, pool, u) {
			t.Errorf("%s not aligned", u)
		}
	}
}

func count(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if c == op {
			n++
		}
	}
	return n
}

// TestExemptionTagBetweenBatches: a pool's check is reused by the next
// batch of the same instance, unless the pool's tags changed: an
// exemption tag added between two batches is honoured by the second, its
// user left alone, however recent the first check.
func TestExemptionTagBetweenBatches(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	pool := smsPreferringUsers(t, m, nil, "jane", "john", "joan")
	proxy := m.Record()
	t.Cleanup(proxy.Close)
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": `{"factors":{"sms":"forbidden"},"exemptions":{"tagKey":"mfa-exempt"}}`}, proxy.Env())
	check(t, rt, batchFor(t, m, pool, "jane"))
	check(t, rt, batchFor(t, m, pool, "john"))
	if n := count(proxy.Calls(), "cognito-idp:GetUserPoolMfaConfig"); n != 2 || !strings.Contains(rt.LogsWhen(`"pool check reused"`, 1), `"pool check reused"`) {
		t.Errorf("%d pool reads for two batches (a check, a re-read before its write, then reused)\n%s", n, rt.Logs())
	}
	if unchanged(t, m, pool, "jane") || unchanged(t, m, pool, "john") {
		t.Fatal("users not aligned before the exemption")
	}
	if err := m.TagPool(ctx, pool, map[string]string{"mfa-exempt": "kiosk"}); err != nil {
		t.Fatal(err)
	}
	check(t, rt, batchFor(t, m, pool, "joan"))
	if !unchanged(t, m, pool, "joan") || !strings.Contains(rt.LogsWhen(`"outcome":"exempt"`, 1), `"outcome":"exempt"`) {
		t.Errorf("joan written in a pool exempt since the last batch\n%s", rt.Logs())
	}
}
