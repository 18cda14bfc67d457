package drift

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// Handler reconciles the pool a CloudTrail event names.
type Handler struct {
	Reconciler *reconcile.Reconciler
	Recorder   findings.Recorder
	OwnRoles   []string
	Log        *slog.Logger
	Now        func() time.Time
	Region     string // the function's region when the invocation does not say

	checks checks
}

// Handle is the Lambda handler. It returns the finding for the pool (also
// for compliant pools, which are not published). A malformed event is an
// error and nothing is read or written; a failed check is an error so that
// Lambda's asynchronous retries and dead-letter queue apply. An event about
// another account or region is ignored: the same pool ID here is not the
// pool it names.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (findings.Finding, error) {
	call, err := ParseEvent(raw)
	if err != nil {
		h.Log.Error("event rejected", "outcome", "rejected", "error", err.Error())
		return findings.Finding{}, err
	}
	cause := findings.Cause{Kind: "cloudtrail", EventName: call.EventName, EventID: call.EventID, CallerARN: call.CallerARN}
	ignore := func(why string) (findings.Finding, error) {
		h.Log.Info("event ignored", "poolId", call.PoolID, "outcome", string(reconcile.Ignored), "reason", why, "eventName", call.EventName, "eventId", call.EventID)
		res := reconcile.Result{PoolID: call.PoolID, PoolName: call.PoolName, Status: reconcile.Ignored,
			Mode: h.Reconciler.CurrentPolicy().Mode, Policy: h.Reconciler.CurrentPolicy().Origin, Violations: []policy.Violation{}, Message: why}
		return findings.New(call.Account, call.Region, res, cause, h.Now()), nil
	}
	account, region := setup.Origin(ctx, h.Region)
	if why := setup.Foreign("event", call.Account, call.Region, call.PoolID, account, region); why != "" {
		return ignore(why)
	}
	if call.ErrorCode != "" {
		return ignore("the call failed with " + call.ErrorCode + ", so it changed nothing")
	}
	if call.IssuerARN != "" && slices.Contains(h.OwnRoles, call.IssuerARN) {
		return ignore("the change was made by the enforcer itself")
	}

	work, cancel := setup.Work(ctx, Margin)
	defer cancel()
	res, sharedWith := h.checks.run(call.PoolID, call.EventID, call.EventTime, h.Now, func() reconcile.Result { return h.Reconciler.Reconcile(work, call.PoolID) })
	if res.PoolName == "" {
		res.PoolName = call.PoolName
	}
	if sharedWith != "" {
		// That check was recorded once, with the event that started it.
		why := "coalesced: the check made for event " + sharedWith + " started after this call and judged the pool"
		h.Log.Info("event coalesced", "poolId", call.PoolID, "outcome", string(res.Status), "eventId", call.EventID, "reason", why)
		res.Message = strings.TrimSuffix(why+"; "+res.Message, "; ")
		return findings.New(call.Account, call.Region, res, cause, h.Now()), nil
	}
	f := findings.New(call.Account, call.Region, res, cause, h.Now())
	h.Recorder.Record(ctx, f)
	if res.Status.Retried() {
		return f, res.Err
	}
	return f, nil
}

// Margin is how long before the invocation's deadline the check's AWS calls
// end (the function's timeout is 30 s): a call that hangs fails the check
// with time left to publish the failure and answer, and Lambda's retries
// apply.
const Margin = 5 * time.Second

// coalesceAfter is how long after an event's time a check must have
// started to have seen the event's change: CloudTrail's eventTime is cut
// to the second, and the clocks are not the same.
const coalesceAfter = 2 * time.Second

// checks coalesces the checks of one pool within an instance: an event
// whose change a check has already seen (one that started coalesceAfter
// after the event's time, done or in flight) shares that check's result
// instead of reading the pool again. A storm of changes to one pool, whose
// events CloudTrail delivers after the storm, costs one check per instance.
type checks struct {
	mu    sync.Mutex
	pools map[string]*check // the latest check of each pool
}

type check struct {
	event   string // the ID of the event it was made for
	started time.Time
	done    chan struct{}
	res     reconcile.Result
}

// run returns the result of a check of pool that saw the change of event
// (made at eventTime): a shared one, with the ID of the event it was made
// for, or one it makes with do (""). A failed check is never shared, nor is
// any check with an event of unknown time.
func (c *checks) run(pool, event string, eventTime time.Time, now func() time.Time, do func() reconcile.Result) (reconcile.Result, string) {
	for {
		c.mu.Lock()
		last := c.pools[pool]
		if last == nil || eventTime.IsZero() {
			break
		}
		select {
		case <-last.done:
			if !last.started.Before(eventTime.Add(coalesceAfter)) && !last.res.Status.Retried() {
				c.mu.Unlock()
				return last.res, last.event
			}
		default:
			// In flight: wait for it, then share it or check again.
			c.mu.Unlock()
			<-last.done
			continue
		}
		break
	}
	next := &check{event: event, started: now(), done: make(chan struct{})}
	if c.pools == nil {
		c.pools = map[string]*check{}
	}
	if len(c.pools) >= maxTracked {
		clear(c.pools) // a warm instance sees few pools; bound it anyway
	}
	c.pools[pool] = next
	c.mu.Unlock()
	defer close(next.done)
	next.res = do()
	return next.res, ""
}

// maxTracked bounds the pools whose last check an instance remembers.
const maxTracked = 4096
