// Package signin is the sign-in check: it consumes the queue the sign-in
// trigger fills and runs, for each sign-in, the pool check and (after a
// completed sign-in) the user check, with the policy in force when the
// message is processed. A user is aligned moments after signing in, not
// during it; nothing here can slow or fail a sign-in.
package signin

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// Ledger records the users the check reads (the coverage ledger): once
// per user read, after its AdminGetUser, with the sub Cognito answered, the
// time the user was seen, and the coverage window of the policy in force.
type Ledger interface {
	Record(ctx context.Context, poolID, sub string, user policy.UserMFA, seen time.Time, window time.Duration) error
}

// DefaultMargin is the time left in an invocation under which no further
// message is started: those left go back to the queue, not into a timeout.
const DefaultMargin = 10 * time.Second

// Handler is the SignInCheckFunction's Lambda handler for SQS batches.
type Handler struct {
	// Reconciler checks pools and users under the policy in force.
	Reconciler *reconcile.Reconciler
	Recorder   findings.Recorder
	Ledger     Ledger // nil: no coverage ledger
	Log        *slog.Logger
	Now        func() time.Time
	Margin     time.Duration // 0 means DefaultMargin
	// Region is the function's Region where the invocation does not say;
	// messages about another account or Region are ignored.
	Region string
}

// A pool's verdict is never kept past the batch: the next batch checks
// the pool again, under the policy in force then and with its tags read
// anew, so an exemption or a new profile applies from the next message.
// invocation is what one batch has taught, and where it runs.
type invocation struct {
	policy          policy.Policy
	pools           map[string]reconcile.Verdict // each pool's check: shared by the batch's messages for the pool
	users           map[string]bool              // users checked in this batch
	account, region string                       // the function's own
	// work ends the margin before the invocation's deadline: every AWS call
	// of a check runs under it, so a hanging call returns its message to
	// the queue rather than time the invocation out.
	work context.Context
}

// Handle processes a batch and reports the messages to try again (an AWS
// call failed, or too little time was left): SQS returns those to the
// queue, and after the queue's maxReceiveCount to its dead-letter queue.
// A batch that is not an SQS event is an error: every message comes back.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return resp, fmt.Errorf("decode SQS event: %w", err)
	}
	b := &invocation{policy: h.Reconciler.CurrentPolicy(), pools: map[string]reconcile.Verdict{}, users: map[string]bool{}, work: ctx}
	b.account, b.region = setup.Origin(ctx, h.Region)
	margin := h.Margin
	if margin == 0 {
		margin = DefaultMargin
	}
	var cancel context.CancelFunc
	b.work, cancel = setup.Work(ctx, margin/2)
	defer cancel()
	for i, rec := range ev.Records {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < margin {
			h.Log.Warn("invocation ending: messages returned to the queue", "outcome", "deferred", "messages", len(ev.Records)-i)
			for _, r := range ev.Records[i:] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
			break
		}
		if err := h.process(ctx, rec, b); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// errRetry marks a message to try again; the reason is already logged
// and published.
var errRetry = errors.New("check failed: message returned to the queue")

// Metric names of the sign-in check's own counts.
const (
	// MessagesIgnored counts messages about another account or Region.
	MessagesIgnored = "SignInMessagesIgnored"
	// MessagesRefused counts messages whose sub is not the user's.
	MessagesRefused = "SignInMessagesRefused"
	// LedgerWriteFailed counts coverage ledger writes that failed; their
	// messages go back to the queue.
	LedgerWriteFailed = "CoverageLedgerWriteFailed"
)

func (h *Handler) process(ctx context.Context, rec events.SQSMessage, b *invocation) error {
	m, ok, err := h.admit(rec, b)
	if !ok {
		return err
	}
	// The function's own account and Region, as the message says where
	// they are not known here (outside Lambda): checked equal in admit.
	at := origin{account: cmp.Or(b.account, m.Account), region: cmp.Or(b.region, m.Region), cause: findings.Cause{Kind: "sign-in", EventName: m.TriggerSource}}
	pool, err := h.pool(ctx, b, m, at)
	if err != nil || !h.checksUser(b, m, pool) {
		return err
	}
	return h.user(ctx, b, rec, m, pool, at)
}

// origin is where a message's findings are published from, and why.
type origin struct {
	account, region string
	cause           findings.Cause
}

// admit decodes a message and says whether it is this function's to check:
// a message it cannot read is an error (kept, for the dead-letter queue's
// alarm); one about another account, Region or pool prefix is ignored.
func (h *Handler) admit(rec events.SQSMessage, b *invocation) (signinmsg.Message, bool, error) {
	m, err := signinmsg.Decode(rec.Body)
	if err != nil {
		// Not retried into success, but kept: the dead-letter queue and its
		// alarm show a trigger and a consumer that disagree.
		h.Log.Error("sign-in message refused", "messageId", rec.MessageId, "outcome", "refused", "error", err.Error())
		return m, false, err
	}
	if why := setup.Foreign("message", m.Account, m.Region, m.PoolID, b.account, b.region); why != "" {
		// Not this function's pool: the same pool ID here is another pool.
		h.Log.Warn("sign-in message ignored", "messageId", rec.MessageId, "poolId", m.PoolID, "outcome", "ignored", "reason", why)
		h.count(MessagesIgnored)
		return m, false, nil
	}
	return m, true, nil
}

// pool is the verdict on the message's pool: checked once per batch, the
// check recorded; a check the invocation's end cut off before it wrote
// returns the message to the queue, as does a failed one.
func (h *Handler) pool(ctx context.Context, b *invocation, m signinmsg.Message, at origin) (reconcile.Verdict, error) {
	pool, ok := b.pools[m.PoolID]
	if !ok {
		res := h.Reconciler.Reconcile(b.work, m.PoolID)
		if res.Status == reconcile.Failed && b.work.Err() != nil && !res.Sent {
			return pool, errRetry // the invocation's time is up: the next delivery checks it
		}
		h.Recorder.Record(ctx, findings.New(at.account, at.region, res, at.cause, h.Now()))
		pool = res.Verdict()
		b.pools[m.PoolID] = pool
	}
	if pool.Status.Retried() {
		return pool, errRetry // whether the pool is exempt is not known: its users wait
	}
	return pool, nil
}

// checksUser says whether the message's user is to be checked: a sign-in
// (not an attempt) not yet checked in this batch, in a pool judged, where
// user rules or the ledger need the user.
func (h *Handler) checksUser(b *invocation, m signinmsg.Message, pool reconcile.Verdict) bool {
	switch {
	case !m.ChecksUser() || b.users[m.Key()]:
		return false
	case !b.policy.UserRulesEnabled() && h.Ledger == nil:
		return false
	case !pool.Status.Judged(): // deleted, or a replica
		if pool.Status == reconcile.Replica {
			// Users of a secondary replica are written in the primary Region.
			h.Log.Info("user check skipped: the pool is a secondary replica", "poolId", m.PoolID, "user", m.Username, "outcome", "skipped")
		}
		return false
	}
	return true
}

// user checks the message's user, records it in the ledger and publishes
// the result; a message whose sub is not the user's is refused and counted.
func (h *Handler) user(ctx context.Context, b *invocation, rec events.SQSMessage, m signinmsg.Message, pool reconcile.Verdict, at origin) error {
	res := h.Reconciler.CheckUser(b.work, b.policy, reconcile.User{PoolID: m.PoolID, Username: m.Username, Sub: m.Sub}, pool)
	switch {
	case res.Status == reconcile.Ignored:
		h.Log.Warn("sign-in message refused", "messageId", rec.MessageId, "poolId", m.PoolID, "user", m.Username, "outcome", "refused", "reason", res.Message)
		h.count(MessagesRefused)
		return nil
	case res.Status == reconcile.Failed && b.work.Err() != nil && res.After == nil:
		return errRetry // cut off before it wrote: the next delivery checks it
	}
	b.users[m.Key()] = true
	if err := h.record(b, m, res); err != nil {
		return err
	}
	h.Recorder.RecordUser(ctx, findings.NewUser(at.account, at.region, res, at.cause, h.Now()))
	if res.Status.Retried() {
		return errRetry
	}
	return nil
}

// record writes the user to the coverage ledger: the sub Cognito answered,
// seen when the message says only where that is within the queue's
// retention and not in the future (else now), kept for the window of the
// policy in force. A failed write is counted and returns the message to
// the queue: a user missing from the ledger would make coverage lie.
func (h *Handler) record(b *invocation, m signinmsg.Message, res reconcile.UserResult) error {
	if h.Ledger == nil || res.Before == nil {
		return nil
	}
	if err := h.Ledger.Record(b.work, m.PoolID, res.Sub, *res.Before, seen(m.Time, h.Now()), coverage.WindowOf(b.policy)); err != nil {
		h.Log.Error("coverage ledger not updated: message returned to the queue", "poolId", m.PoolID, "user", m.Username,
			"outcome", "ledger-failed", "error", err.Error())
		h.count(LedgerWriteFailed)
		return errRetry
	}
	return nil
}

// seen is when a user signed in, for the ledger: the message's time, unless
// it is in the future or older than the queue keeps messages, which no
// real sign-in is: then now.
func seen(claimed, now time.Time) time.Time {
	if claimed.After(now) || claimed.Before(now.Add(-signinmsg.Retention)) {
		return now
	}
	return claimed
}

func (h *Handler) count(metric string) {
	metrics.Write(h.Recorder.Metrics, h.Recorder.Function, h.Now(), metrics.Value{Name: metric, Value: 1, Unit: "Count"})
}
