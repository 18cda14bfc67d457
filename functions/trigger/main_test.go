package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
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

// messages decodes what the queue holds.
func messages(t *testing.T, q *testbed.Queue) []signinmsg.Message {
	t.Helper()
	bodies, err := q.Bodies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []signinmsg.Message
	for _, b := range bodies {
		m, err := signinmsg.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestTriggerOnlyEnqueues: the built trigger, on moto behind a recording
// proxy, answers every sign-in with the event unchanged and makes one
// call per new sign-in, an SQS SendMessage: no Cognito, SSM or EventBridge
// call. Repeats within the TTL send nothing.
func TestTriggerOnlyEnqueues(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	q, err := m.Queue(ctx, "trigger-only-enqueues")
	if err != nil {
		t.Fatal(err)
	}
	rec := m.Record()
	defer rec.Close()
	// A policy the checking functions would refuse is no concern of the
	// trigger's: it is not even in its environment.
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"SignInQueue": q.URL, "PolicyDocument": `{"mode":"dry-run"}`}, rec.Env())
	const pool = "us-east-1_Trig1"
	for range 3 {
		signIn(t, rt, sample(t, "trigger-pre-authentication.json", pool, "jane"))
		signIn(t, rt, sample(t, "trigger-post-authentication.json", pool, "jane"))
	}
	if got := rec.Calls(); !slices.Equal(got, []string{"sqs:SendMessage", "sqs:SendMessage"}) {
		t.Errorf("the trigger called %v, want two SendMessage (one sign-in attempt, one sign-in)\n%s", got, rt.Logs())
	}
	ms := messages(t, q)
	if len(ms) != 2 {
		t.Fatalf("%d messages, want 2", len(ms))
	}
	slices.SortFunc(ms, func(a, b signinmsg.Message) int { return strings.Compare(a.TriggerSource, b.TriggerSource) })
	post := ms[0]
	if post.TriggerSource != signinmsg.PostAuthentication || post.PoolID != pool || post.Username != "jane" || post.Sub != testbed.SampleSub ||
		post.Account != testbed.Account || post.Region != testbed.Region || post.Time.IsZero() || !post.ChecksUser() {
		t.Errorf("sign-in message %+v", post)
	}
	if ms[1].TriggerSource != signinmsg.PreAuthentication || ms[1].ChecksUser() {
		t.Errorf("sign-in attempt message %+v", ms[1])
	}
	if strings.Contains(rt.Logs(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", rt.Logs())
	}
}

// TestInvalidConfigPassesSignInsThrough: a setting the trigger refuses
// starts it in pass-through mode: init does not fail, every sign-in goes
// on, nothing is sent, one ERROR names the variable, and every sign-in
// counts in the TriggerConfigInvalid metric.
func TestInvalidConfigPassesSignInsThrough(t *testing.T) {
	m := moto.Get(t)
	for _, tc := range []struct {
		name   string
		params map[string]string
		field  string
	}{
		{"no queue", map[string]string{"SignInQueue": ""}, "SIGN_IN_QUEUE_URL: not set"},
		{"log level", map[string]string{"LogLevel": "LOUD"}, "LOG_LEVEL"},
		{"TTL of 0 s", map[string]string{"PoolCheckTTLSeconds": "0"}, "POOL_CHECK_TTL"},
		{"TTL of 48 h", map[string]string{"PoolCheckTTLSeconds": "172800"}, "POOL_CHECK_TTL"},
		{"TTL of 500 ms", map[string]string{"PoolCheckTTLSeconds": "0.5"}, "POOL_CHECK_TTL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := m.Record()
			defer rec.Close()
			rt := localinvoke.StartForTest(t, root, name, tc.params, rec.Env())
			for range 2 {
				signIn(t, rt, sample(t, "trigger-pre-authentication.json", "us-east-1_Trig2", "jane"))
				signIn(t, rt, sample(t, "trigger-post-authentication.json", "us-east-1_Trig2", "jane"))
			}
			if got := rec.Calls(); len(got) != 0 {
				t.Errorf("calls in pass-through mode: %v", got)
			}
			logs := rt.LogsWhen(`"TriggerConfigInvalid":1`, 4)
			if n := strings.Count(logs, `"level":"ERROR"`); n != 1 || !strings.Contains(logs, tc.field) {
				t.Errorf("want one ERROR naming %s, got %d:\n%s", tc.field, n, logs)
			}
			if n := strings.Count(logs, `"TriggerConfigInvalid":1`); n != 4 {
				t.Errorf("%d TriggerConfigInvalid metrics for 4 sign-ins:\n%s", n, logs)
			}
		})
	}
}

// TestUnreachableQueuePassesSignInsThrough: with the queue unreachable
// (nothing listens at the endpoint), every sign-in goes on, and each
// failure is one WARN line.
func TestUnreachableQueuePassesSignInsThrough(t *testing.T) {
	m := moto.Get(t)
	env := slices.Clone(m.Env())
	for i, kv := range env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			env[i] = "AWS_ENDPOINT_URL=http://127.0.0.1:9" // discard: refused
		}
	}
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"SignInQueue": "http://127.0.0.1:9/123456789012/q"}, env)
	signIn(t, rt, sample(t, "trigger-post-authentication.json", "us-east-1_Trig3", "jane"))
	signIn(t, rt, sample(t, "trigger-post-authentication.json", "us-east-1_Trig3", "joe"))
	if n := strings.Count(rt.LogsWhen(`"outcome":"not-enqueued"`, 2), `"outcome":"not-enqueued"`); n != 2 {
		t.Errorf("%d failed sends logged, want 2:\n%s", n, rt.Logs())
	}
}
