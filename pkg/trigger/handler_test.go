package trigger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// fakeQueue records what is sent, or fails, or hangs until the caller
// gives up.
type fakeQueue struct {
	mu   sync.Mutex
	sent []*sqs.SendMessageInput
	err  error
	hang bool
}

func (q *fakeQueue) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if q.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return nil, q.err
	}
	q.sent = append(q.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("m")}, nil
}

func (q *fakeQueue) messages(t *testing.T) []signinmsg.Message {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []signinmsg.Message
	for _, in := range q.sent {
		if aws.ToString(in.QueueUrl) != queueURL {
			t.Errorf("sent to %s", aws.ToString(in.QueueUrl))
		}
		m, err := signinmsg.Decode(aws.ToString(in.MessageBody))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

const queueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/sign-in"

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newHandler(q Sender, c *clock, logs io.Writer) *Handler {
	return &Handler{Queue: q, QueueURL: queueURL, TTL: 5 * time.Minute, Log: slog.New(slog.NewJSONHandler(logs, nil)), Now: c.Now}
}

// signIn returns a trigger event as Cognito sends it.
func signIn(source, pool, user string) []byte {
	return []byte(fmt.Sprintf(`{"version":"1","triggerSource":%q,"region":"us-east-1","userPoolId":%q,"userName":%q,
		"callerContext":{"awsSdkVersion":"x","clientId":"c"},"request":{"userAttributes":{"sub":"sub-%s"}},"response":{}}`, source, pool, user, user))
}

// handle runs one sign-in and fails unless the event comes back unchanged
// and without an error.
func handle(t testing.TB, h *Handler, ev []byte) {
	t.Helper()
	out, err := h.Handle(context.Background(), ev)
	if err != nil || !bytes.Equal(out, ev) {
		t.Fatalf("sign-in not passed through: %v\n%s", err, out)
	}
}

func TestSignInEnqueued(t *testing.T) {
	q, c := &fakeQueue{}, &clock{time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	h := newHandler(q, c, io.Discard)
	handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
	ms := q.messages(t)
	want := signinmsg.New("us-east-1_p", "jane", "sub-jane", PostAuthentication, c.now, "", "us-east-1")
	if len(ms) != 1 || ms[0] != want {
		t.Fatalf("messages %+v, want %+v", ms, want)
	}
}

// TestRepeatsNotEnqueued: within the TTL, a user's sign-ins are enqueued
// once, and a pool's sign-in attempts once; after it, again.
func TestRepeatsNotEnqueued(t *testing.T) {
	q, c := &fakeQueue{}, &clock{time.Unix(0, 0)}
	h := newHandler(q, c, io.Discard)
	for range 3 {
		handle(t, h, signIn(PreAuthentication, "us-east-1_p", "jane"))
		handle(t, h, signIn(PreAuthentication, "us-east-1_p", "joe"))
		handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
	}
	if n := len(q.messages(t)); n != 2 {
		t.Errorf("%d messages for one pool and one user within the TTL, want 2", n)
	}
	c.now = c.now.Add(5 * time.Minute)
	handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
	if n := len(q.messages(t)); n != 3 {
		t.Errorf("%d messages after the TTL, want 3", n)
	}
}

// TestEnforcerFailuresNeverBlockSignIn: whatever the queue does (fails,
// hangs) and whatever the event holds, the sign-in goes on, unchanged and
// without an error; a hanging queue is given up at the deadline.
func TestEnforcerFailuresNeverBlockSignIn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		queue *fakeQueue
		ev    []byte
		log   string
	}{
		{"queue refuses", &fakeQueue{err: errors.New("AccessDenied")}, signIn(PostAuthentication, "us-east-1_p", "jane"), "AccessDenied"},
		{"queue hangs", &fakeQueue{hang: true}, signIn(PostAuthentication, "us-east-1_p", "jane"), "context deadline exceeded"},
		{"not JSON", &fakeQueue{}, []byte(`{"triggerSource":`), "not understood"},
		{"pool ID invalid", &fakeQueue{}, signIn(PostAuthentication, "../x", "jane"), "poolId"},
		{"another trigger source", &fakeQueue{}, signIn("PreTokenGeneration_Authentication", "us-east-1_p", "jane"), "not handled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := newHandler(tc.queue, &clock{time.Unix(0, 0)}, &logs)
			h.Deadline = 20 * time.Millisecond
			out, err := h.Handle(context.Background(), tc.ev)
			if err != nil || !bytes.Equal(out, tc.ev) {
				t.Fatalf("sign-in blocked or changed: %v %s", err, out)
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs.String())
			}
		})
	}
}

// TestFailedSendRetriedLater: a message that could not be sent is sent by
// a sign-in after RetryAfter, not by every sign-in meanwhile.
func TestFailedSendRetriedLater(t *testing.T) {
	q, c := &fakeQueue{err: errors.New("throttled")}, &clock{time.Unix(0, 0)}
	h := newHandler(q, c, io.Discard)
	handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
	q.err = nil
	handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
	if n := len(q.messages(t)); n != 0 {
		t.Errorf("%d messages within RetryAfter", n)
	}
	c.now = c.now.Add(RetryAfter)
	handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
	if n := len(q.messages(t)); n != 1 {
		t.Errorf("%d messages after RetryAfter, want 1", n)
	}
}

// TestTriggerCachesBounded: however many distinct users sign in, the
// instance remembers at most MaxRecent of them, and every one is enqueued.
func TestTriggerCachesBounded(t *testing.T) {
	q := &fakeQueue{}
	h := newHandler(q, &clock{time.Unix(0, 0)}, io.Discard)
	h.MaxRecent = 50
	for i := range 1000 {
		handle(t, h, signIn(PostAuthentication, "us-east-1_p", fmt.Sprintf("u%d", i)))
	}
	if n := h.recent.len(); n > 50 {
		t.Errorf("%d sign-ins remembered, cap 50", n)
	}
	if n := len(q.sent); n != 1000 {
		t.Errorf("%d messages for 1000 distinct users", n)
	}
}

// BenchmarkHeapDistinctUsers signs in distinct users on one instance and
// reports the live heap after 10,000 users (the baseline) and after
// 1,000,000: with a bounded memory the two are about equal.
func BenchmarkHeapDistinctUsers(b *testing.B) {
	for b.Loop() {
		h := &Handler{Queue: nopQueue{}, QueueURL: queueURL, TTL: 5 * time.Minute, Log: discard, Now: time.Now}
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

type nopQueue struct{}

func (nopQueue) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, nil
}

// TestFIFOGroupsByPool: to a FIFO queue, a sign-in goes in its pool's
// message group, deduplicated by pool and user (pool alone for an
// attempt); to a standard queue, with neither.
func TestFIFOGroupsByPool(t *testing.T) {
	for _, tc := range []struct {
		url  string
		fifo bool
	}{{queueURL + ".fifo", true}, {queueURL, false}} {
		q, c := &fakeQueue{}, &clock{time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
		h := newHandler(q, c, io.Discard)
		h.QueueURL = tc.url
		handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jane"))
		handle(t, h, signIn(PreAuthentication, "us-east-1_p", "jane"))
		handle(t, h, signIn(PostAuthentication, "us-east-1_p", "jöhn dœ"))
		if len(q.sent) != 3 {
			t.Fatalf("%d sent", len(q.sent))
		}
		dedup := map[string]bool{}
		for _, in := range q.sent {
			group, id := aws.ToString(in.MessageGroupId), aws.ToString(in.MessageDeduplicationId)
			if !tc.fifo {
				if group != "" || id != "" {
					t.Errorf("standard queue: group %q, dedup %q", group, id)
				}
				continue
			}
			if group != "us-east-1_p" || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
				t.Errorf("group %q, dedup %q", group, id)
			}
			dedup[id] = true
		}
		if tc.fifo && len(dedup) != 3 {
			t.Errorf("%d distinct deduplication IDs for the user's sign-in, the pool's attempt and another user", len(dedup))
		}
	}
}
