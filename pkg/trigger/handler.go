// Package trigger is a user pool's PreAuthentication and PostAuthentication
// trigger: it enqueues the sign-in for the sign-in check (pkg/signin) and
// returns the event unchanged. It reads no policy and calls no Cognito,
// SSM or EventBridge API, so nothing the enforcer depends on can delay or
// fail a sign-in: at most one SQS SendMessage, within Deadline, no retries.
package trigger

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// Trigger sources the function enqueues.
const (
	PreAuthentication  = signinmsg.PreAuthentication
	PostAuthentication = signinmsg.PostAuthentication
)

// DefaultDeadline bounds the one SendMessage: far inside Cognito's 5 s,
// and short enough that a sign-in never waits noticeably on the queue.
const DefaultDeadline = 250 * time.Millisecond

// RetryAfter is how long a sign-in whose message could not be sent is
// remembered: the next sign-in of the same user after it tries again, and
// an unreachable queue is not asked on every sign-in meanwhile.
const RetryAfter = 15 * time.Second

// DefaultMaxRecent bounds what an instance remembers: one entry per pool
// or user enqueued within the TTL, a hundred bytes each.
const DefaultMaxRecent = 50_000

// Sender is the part of the SQS client the trigger uses.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Sender = (*sqs.Client)(nil)

// event holds the fields of a user pool trigger the handler reads.
type event struct {
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	Request       struct {
		UserAttributes map[string]any `json:"userAttributes"`
	} `json:"request"`
}

// Handler is the TriggerFunction's Lambda handler.
type Handler struct {
	Queue    Sender
	QueueURL string
	Deadline time.Duration // for the one SendMessage; 0 means DefaultDeadline
	TTL      time.Duration // how long an enqueued pool or user is not enqueued again
	Log      *slog.Logger
	Now      func() time.Time
	// MaxRecent caps the entries remembered; 0 means DefaultMaxRecent.
	MaxRecent int

	once   sync.Once
	recent *cache[struct{}]
}

func (h *Handler) init() {
	h.once.Do(func() { h.recent = newCache[struct{}](cmp.Or(h.MaxRecent, DefaultMaxRecent)) })
}

// Handle always returns the event unchanged and never an error: a message
// that cannot be sent is logged, and the next sign-in sends it.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	h.init()
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		h.Log.Error("trigger event not understood; sign-in continues", "outcome", "skipped", "error", err.Error())
		return raw, nil
	}
	if ev.TriggerSource != PreAuthentication && ev.TriggerSource != PostAuthentication {
		h.Log.Info("trigger source not handled; event returned unchanged", "poolId", ev.UserPoolID, "triggerSource", ev.TriggerSource, "outcome", "ignored")
		return raw, nil
	}
	sub, _ := ev.Request.UserAttributes["sub"].(string)
	account, region := setup.Origin(ctx, ev.Region)
	now := h.Now()
	m := signinmsg.New(ev.UserPoolID, ev.UserName, sub, ev.TriggerSource, now, account, region)
	if err := m.Validate(); err != nil {
		h.Log.Error("trigger event not enqueued; sign-in continues", "outcome", "skipped", "error", err.Error())
		return raw, nil
	}
	key := m.Key()
	if _, ok := h.recent.get(key, now); ok {
		return raw, nil
	}
	body, _ := json.Marshal(m) // plain strings and a time: cannot fail
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(h.Deadline, DefaultDeadline))
	defer cancel()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(h.QueueURL), MessageBody: aws.String(string(body))}
	if strings.HasSuffix(h.QueueURL, ".fifo") {
		// One pool, one message group: no two instances of the sign-in
		// check hold one pool's messages at once. The same sign-in again
		// within SQS's five minutes, from any trigger instance, is dropped.
		in.MessageGroupId, in.MessageDeduplicationId = aws.String(m.PoolID), aws.String(m.Dedup())
	}
	if _, err := h.Queue.SendMessage(ctx, in); err != nil {
		h.Log.Warn("sign-in not enqueued; sign-in continues, the next one tries again", "poolId", m.PoolID, "user", m.Username,
			"outcome", "not-enqueued", "error", err.Error())
		h.recent.set(key, struct{}{}, now.Add(RetryAfter), now)
		return raw, nil
	}
	h.Log.Debug("sign-in enqueued", "poolId", m.PoolID, "user", m.Username, "triggerSource", m.TriggerSource, "outcome", "enqueued")
	h.recent.set(key, struct{}{}, now.Add(h.TTL), now)
	return raw, nil
}
