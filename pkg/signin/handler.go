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
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/tagging"
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

// DefaultReuse bounds how long a pool's check serves later batches: the
// same policy document and the same exemption and profile tags, read anew
// for each batch, and no older than this.
const DefaultReuse = 30 * time.Second

// DefaultWorkers is how many checks (of a pool, of a user) of a batch run
// at once; the pacer holds them to the function's share of each quota.
const DefaultWorkers = 10

// Handler is the SignInCheckFunction's Lambda handler for SQS batches.
type Handler struct {
	// Reconciler checks pools and users under the policy in force.
	Reconciler *reconcile.Reconciler
	Recorder   findings.Recorder
	Ledger     Ledger // nil: no coverage ledger
	// Tags reads the pools carrying the policy's exemption and profile tags,
	// once per batch; nil: each pool's check reads its tags, and under a
	// policy with tags no check is reused across batches.
	Tags   tagging.Tagged
	Log    *slog.Logger
	Now    func() time.Time
	Margin time.Duration // 0 means DefaultMargin
	// Region is the function's Region where the invocation does not say;
	// messages about another account or Region are ignored.
	Region   string
	ReuseFor time.Duration // 0 means DefaultReuse
	Workers  int           // 0 means DefaultWorkers

	mu   sync.Mutex
	kept map[string]kept // each pool's last check, for later batches
}

// kept is a pool check later batches may reuse: its verdict, the policy
// document and the pool's tags it was made under, and when.
type kept struct {
	verdict      reconcile.Verdict
	policy, tags string
	at           time.Time
}

// invocation is what one batch has taught, and where it runs.
type invocation struct {
	policy          policy.Policy
	policyKey       string                       // the document in force, as kept checks name it
	tags            map[string]map[string]string // the pools carrying the policy's tags, read for this batch; nil: not known
	account, region string                       // the function's own
	// work ends the margin before the invocation's deadline: every AWS call
	// of a check runs under it, so a hanging call returns its message to
	// the queue rather than time the invocation out.
	work   context.Context
	slots  chan struct{} // one per check running
	margin time.Duration
}

// message is one record of the batch, decoded.
type message struct {
	i   int // its place in the batch
	rec events.SQSMessage
	msg signinmsg.Message
}

// Handle processes a batch and reports the messages to try again (an AWS
// call failed, or too little time was left): SQS returns those to the
// queue, and after the queue's maxReceiveCount to its dead-letter queue.
// A batch that is not an SQS event is an error: every message comes back.
//
// The messages of each pool (the FIFO queue's message group) share one
// verdict: a check kept from an earlier batch when it still holds
// (DefaultReuse), else one check. Pools, and then each pool's users, are
// checked at once, up to Workers checks, each call paced at the share.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return resp, fmt.Errorf("decode SQS event: %w", err)
	}
	b := &invocation{policy: h.Reconciler.CurrentPolicy(), slots: make(chan struct{}, cmp.Or(h.Workers, DefaultWorkers)),
		margin: cmp.Or(h.Margin, DefaultMargin)}
	b.policyKey = keyOf(b.policy)
	b.account, b.region = setup.Origin(ctx, h.Region)
	var cancel context.CancelFunc
	b.work, cancel = setup.Work(ctx, b.margin/2)
	defer cancel()

	errs := make([]error, len(ev.Records))
	groups := h.group(ev.Records, b, errs)
	if len(groups) > 0 {
		b.tags = h.readTags(b.work, b.policy)
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.checkPool(ctx, b, g, errs)
		}()
	}
	wg.Wait()
	deferred := 0
	for i, err := range errs {
		if err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
		if errors.Is(err, errDeferred) {
			deferred++
		}
	}
	if deferred > 0 {
		h.Log.Warn("invocation ending: messages returned to the queue", "outcome", "deferred", "messages", deferred)
	}
	return resp, nil
}

// group decodes and admits each record and groups the admitted ones by
// pool, in the batch's order; a record it refuses gets its error in errs.
func (h *Handler) group(recs []events.SQSMessage, b *invocation, errs []error) [][]message {
	var groups [][]message
	at := map[string]int{}
	for i, rec := range recs {
		m, ok, err := h.admit(rec, b)
		if !ok {
			errs[i] = err
			continue
		}
		g, seen := at[m.PoolID]
		if !seen {
			g = len(groups)
			at[m.PoolID] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], message{i: i, rec: rec, msg: m})
	}
	return groups
}

// readTags reads, for this batch, the pools carrying the policy's tags; nil
// when the policy has none to read or they could not be read (each check
// then reads its pool's tags, and none is reused).
func (h *Handler) readTags(ctx context.Context, p policy.Policy) map[string]map[string]string {
	keys := p.TagKeys()
	switch {
	case len(keys) == 0:
		return map[string]map[string]string{} // no tag decides anything
	case h.Tags == nil:
		return nil
	}
	tags, err := tagging.Read(ctx, h.Tags, keys)
	if err != nil {
		h.Log.Warn("pool tags not read in bulk: each pool's check reads its own", "outcome", "degraded", "error", err.Error())
		return nil
	}
	return tags
}

// run runs one check in a slot, or reports that too little of the
// invocation is left to start it.
func (b *invocation) run(ctx context.Context, check func() error) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < b.margin {
		return errDeferred
	}
	b.slots <- struct{}{}
	defer func() { <-b.slots }()
	return check()
}

// errDeferred marks a message not started for lack of time.
var errDeferred = errors.New("too little time left: message returned to the queue")

// checkPool judges one pool's messages: the pool's verdict, then each
// user at once. A verdict that failed returns every message of the pool.
func (h *Handler) checkPool(ctx context.Context, b *invocation, g []message, errs []error) {
	first := g[0].msg
	// The function's own account and Region, as the message says where
	// they are not known here (outside Lambda): checked equal in admit.
	at := origin{account: cmp.Or(b.account, first.Account), region: cmp.Or(b.region, first.Region), cause: findings.Cause{Kind: "sign-in", EventName: first.TriggerSource}}
	var pool reconcile.Verdict
	err := b.run(ctx, func() (err error) {
		pool, err = h.pool(ctx, b, first.PoolID, at)
		return err
	})
	if err != nil {
		for _, m := range g {
			errs[m.i] = err
		}
		return
	}
	var users [][]message
	byUser := map[string]int{}
	for _, m := range g {
		if !h.checksUser(b, m.msg, pool) {
			continue
		}
		k, seen := byUser[m.msg.Key()]
		if !seen {
			k = len(users)
			byUser[m.msg.Key()] = k
			users = append(users, nil)
		}
		users[k] = append(users[k], m)
	}
	var wg sync.WaitGroup
	for _, same := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.checkUser(ctx, b, same, pool, at, errs)
		}()
	}
	wg.Wait()
}

// checkUser checks one user's messages of the batch in order until one is
// not refused: that one stands for the user, and the rest, its repeats,
// are done (a forged message, refused, never hides the real sign-in
// behind it).
func (h *Handler) checkUser(ctx context.Context, b *invocation, same []message, pool reconcile.Verdict, at origin, errs []error) {
	for _, m := range same {
		err := b.run(ctx, func() error {
			mat := at
			mat.cause.EventName = m.msg.TriggerSource
			return h.user(ctx, b, m.rec, m.msg, pool, mat)
		})
		if errors.Is(err, errRefused) {
			continue
		}
		errs[m.i] = err
		return
	}
}

// errRefused marks a message whose sub is not the user's: logged, counted
// and deleted.
var errRefused = errors.New("the message's sub is not the user's")

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

// pool is the verdict on a pool for this batch: a check kept from an
// earlier batch while it holds, else a new check, recorded and kept. A
// check the invocation's end cut off before it wrote, and a failed one,
// return the pool's messages to the queue.
//
// Tags read in bulk may lag the pool's own: they decide only whether a
// kept check holds. A check that may write reads the pool's own tags (in
// enforce mode, the reconciler reads them), and a kept verdict under which
// a user is about to be written is confirmed against them first (Confirm).
func (h *Handler) pool(ctx context.Context, b *invocation, poolID string, at origin) (reconcile.Verdict, error) {
	tags, known := b.tagsOf(poolID)
	if v, ok := h.reuse(b, poolID, tags, known); ok {
		h.Log.Info("pool check reused", "poolId", poolID, "outcome", string(v.Status))
		if len(b.policy.TagKeys()) > 0 && h.writesUsers(b, v) {
			v.Confirm = h.confirm(ctx, b, poolID, tags, v, at)
		}
		return v, nil
	}
	k := reconcile.Known{}
	if known && b.policy.Mode == policy.Report {
		k.Tags = map[string]string{} // nothing is written: tags in bulk will do
		maps.Copy(k.Tags, b.tags[poolID])
	}
	return h.check(ctx, b, poolID, k, tags, known, at)
}

// check makes a new check of a pool, records it and, when its tags in bulk
// are known, keeps it for later batches.
func (h *Handler) check(ctx context.Context, b *invocation, poolID string, k reconcile.Known, tags string, keep bool, at origin) (reconcile.Verdict, error) {
	res := h.Reconciler.ReconcileKnown(b.work, poolID, k)
	if res.Status == reconcile.Failed && b.work.Err() != nil && !res.Sent {
		return reconcile.Verdict{}, errRetry // the invocation's time is up: the next delivery checks it
	}
	h.Recorder.Record(ctx, findings.New(at.account, at.region, res, at.cause, h.Now()))
	v := res.Verdict()
	if v.Status.Retried() {
		return v, errRetry // whether the pool is exempt is not known: its users wait
	}
	if keep {
		h.keep(b, poolID, v, tags)
	}
	return v, nil
}

// confirm returns, for a kept verdict, the check a user write waits on,
// made at most once per batch: the pool's own tags read, and the verdict
// kept when they are the tags it was kept under; else a new check with
// them, which writes what it finds.
func (h *Handler) confirm(ctx context.Context, b *invocation, poolID, tags string, v reconcile.Verdict, at origin) func(context.Context) (reconcile.Verdict, error) {
	once := sync.OnceValues(func() (reconcile.Verdict, error) {
		p, err := h.Reconciler.Gateway().Describe(b.work, poolID)
		if err != nil {
			return v, fmt.Errorf("confirm the tags of %s: %w", poolID, err)
		}
		own := canonical(p.Tags, b.policy.TagKeys())
		if own == tags {
			return v, nil
		}
		h.Log.Info("pool tags changed since its check: checked again", "poolId", poolID, "outcome", "rechecked")
		return h.check(ctx, b, poolID, reconcile.Known{Tags: p.Tags}, own, true, at)
	})
	return func(context.Context) (reconcile.Verdict, error) { return once() }
}

// tagsOf is the pool's tags of the policy's keys as read for this batch,
// canonically, and whether they are known.
func (b *invocation) tagsOf(poolID string) (string, bool) {
	if b.tags == nil {
		return "", false
	}
	return canonical(b.tags[poolID], b.policy.TagKeys()), true
}

// canonical renders tags of keys as "k=v" lines in keys' order.
func canonical(tags map[string]string, keys []string) string {
	var out strings.Builder
	for _, k := range keys {
		if v, ok := tags[k]; ok {
			fmt.Fprintf(&out, "%q=%q\n", k, v)
		}
	}
	return out.String()
}

// keyOf names a policy document: the same document, the same key.
func keyOf(p policy.Policy) string {
	raw, _ := json.Marshal(p) // settings and origin only: cannot fail
	return string(raw)
}

// reuse returns the kept check of poolID when it was made under this
// batch's policy document, with the tags read for this batch, within the
// reuse bound.
func (h *Handler) reuse(b *invocation, poolID, tags string, known bool) (reconcile.Verdict, bool) {
	if !known {
		return reconcile.Verdict{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k, ok := h.kept[poolID]
	age := h.Now().Sub(k.at)
	if !ok || k.policy != b.policyKey || k.tags != tags || age < 0 || age > cmp.Or(h.ReuseFor, DefaultReuse) {
		return reconcile.Verdict{}, false
	}
	return k.verdict, true
}

// keep keeps a pool's check for later batches; kept checks past the reuse
// bound are dropped as they are met.
func (h *Handler) keep(b *invocation, poolID string, v reconcile.Verdict, tags string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.Now()
	if h.kept == nil {
		h.kept = map[string]kept{}
	}
	for id, k := range h.kept {
		if now.Sub(k.at) > cmp.Or(h.ReuseFor, DefaultReuse) {
			delete(h.kept, id)
		}
	}
	h.kept[poolID] = kept{verdict: v, policy: b.policyKey, tags: tags, at: now}
}

// writesUsers says whether a user check under verdict v may write users:
// enforce mode, user rules on, a pool judged and not exempt.
func (h *Handler) writesUsers(b *invocation, v reconcile.Verdict) bool {
	return b.policy.Mode == policy.Enforce && b.policy.UserRulesEnabled() && v.Status.Judged() && v.Status != reconcile.Exempt
}

// wantsUser says whether the message's user is to be checked where its
// pool allows: a sign-in (not an attempt), when user rules or the ledger
// need the user.
func (h *Handler) wantsUser(b *invocation, m signinmsg.Message) bool {
	return m.ChecksUser() && (b.policy.UserRulesEnabled() || h.Ledger != nil)
}

// checksUser says whether the message's user is to be checked: one it
// wants, in a pool judged.
func (h *Handler) checksUser(b *invocation, m signinmsg.Message, pool reconcile.Verdict) bool {
	switch {
	case !h.wantsUser(b, m):
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
		return errRefused
	case res.Status == reconcile.Failed && b.work.Err() != nil && res.After == nil:
		return errRetry // cut off before it wrote: the next delivery checks it
	}
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
