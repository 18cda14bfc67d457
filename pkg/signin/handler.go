// Package signin is the sign-in check: it consumes the queue the sign-in
// trigger fills and runs, for each sign-in, the pool check and (after a
// completed sign-in) the user check, with the policy in force when the
// message is processed. A user is aligned moments after signing in, not
// during it; nothing here can slow or fail a sign-in.
package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// Ledger records the users the check reads (the coverage ledger): once
// per user read, after its AdminGetUser, with the sub from the message.
type Ledger interface {
	Record(ctx context.Context, poolID, sub string, user policy.UserMFA, seen time.Time) error
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
}

// A pool's verdict is never kept past the batch: the next batch checks
// the pool again, under the policy in force then and with its tags read
// anew, so an exemption or a new profile applies from the next message.
// invocation is what one batch has taught.
type invocation struct {
	policy policy.Policy
	pools  map[string]reconcile.Verdict // each pool's check: shared by the batch's messages for the pool
	users  map[string]bool              // users checked in this batch
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
	b := &invocation{policy: h.Reconciler.CurrentPolicy(), pools: map[string]reconcile.Verdict{}, users: map[string]bool{}}
	margin := h.Margin
	if margin == 0 {
		margin = DefaultMargin
	}
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

func (h *Handler) process(ctx context.Context, rec events.SQSMessage, b *invocation) error {
	m, err := signinmsg.Decode(rec.Body)
	if err != nil {
		// Not retried into success, but kept: the dead-letter queue and its
		// alarm show a trigger and a consumer that disagree.
		h.Log.Error("sign-in message refused", "messageId", rec.MessageId, "outcome", "refused", "error", err.Error())
		return err
	}
	account, region := m.Account, m.Region
	if account == "" {
		account, region = setup.Origin(ctx, m.Region)
	}
	cause := findings.Cause{Kind: "sign-in", EventName: m.TriggerSource}
	pool, ok := b.pools[m.PoolID]
	if !ok {
		res := h.Reconciler.Reconcile(ctx, m.PoolID)
		h.Recorder.Record(ctx, findings.New(account, region, res, cause, h.Now()))
		pool = res.Verdict()
		b.pools[m.PoolID] = pool
	}
	switch {
	case pool.Status.Retried():
		return errRetry // whether the pool is exempt is not known: its users wait
	case !m.ChecksUser() || b.users[m.Key()]:
		return nil
	case !b.policy.UserRulesEnabled() && h.Ledger == nil:
		return nil
	case !pool.Status.Judged(): // deleted, or a replica
		if pool.Status == reconcile.Replica {
			// Users of a secondary replica are written in the primary Region.
			h.Log.Info("user check skipped: the pool is a secondary replica", "poolId", m.PoolID, "user", m.Username, "outcome", "skipped")
		}
		return nil
	}
	b.users[m.Key()] = true
	res := h.Reconciler.CheckUser(ctx, b.policy, reconcile.User{PoolID: m.PoolID, Username: m.Username, Sub: m.Sub}, pool)
	if h.Ledger != nil && res.Before != nil {
		if err := h.Ledger.Record(ctx, m.PoolID, m.Sub, *res.Before, m.Time); err != nil {
			h.Log.Warn("coverage ledger not updated", "poolId", m.PoolID, "user", m.Username, "outcome", "ledger-failed", "error", err.Error())
		}
	}
	h.Recorder.RecordUser(ctx, findings.NewUser(account, region, res, cause, h.Now()))
	if res.Status.Retried() {
		return errRetry
	}
	return nil
}
