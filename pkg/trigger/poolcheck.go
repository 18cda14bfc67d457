package trigger

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// DefaultBudget bounds the enforcer's work in one sign-in, far inside
// Cognito's fixed 5 s trigger timeout.
const DefaultBudget = 1500 * time.Millisecond

// PoolChecker reconciles a pool at most once per TTL on this instance;
// concurrent callers share the check in flight. A check that fails is
// retried by a later sign-in, no sooner than RetryAfter.
type PoolChecker struct {
	Reconciler *reconcile.Reconciler
	Publisher  *findings.Publisher
	TTL        time.Duration
	RetryAfter time.Duration
	Now        func() time.Time
	Metrics    io.Writer // EMF lines; nil writes none
	Function   string

	mu      sync.Mutex
	entries map[string]*poolEntry
}

type poolEntry struct {
	next     time.Time     // no check before this
	inflight chan struct{} // closed when the check in flight ends
}

// Check runs or joins the pool's check unless it is fresh. It never blocks
// longer than ctx allows; the check carries on in the background if ctx ends.
func (c *PoolChecker) Check(ctx context.Context, poolID string, trig findings.Trigger, account, region string) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*poolEntry{}
	}
	e := c.entries[poolID]
	now := c.Now()
	if e != nil && e.inflight == nil && now.Before(e.next) {
		c.mu.Unlock()
		return
	}
	if e == nil {
		e = &poolEntry{}
		c.entries[poolID] = e
	}
	done := e.inflight
	if done == nil {
		done = make(chan struct{})
		e.inflight = done
		// Detached from the invocation's context so a slow check is not
		// wasted, but bounded by the same budget.
		budget := DefaultBudget
		if dl, ok := ctx.Deadline(); ok {
			budget = time.Until(dl)
		}
		go c.run(poolID, trig, account, region, budget, e, done)
	}
	c.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (c *PoolChecker) run(poolID string, trig findings.Trigger, account, region string, budget time.Duration, e *poolEntry, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	res := c.Reconciler.Pool(ctx, poolID)
	metrics.WriteResult(c.Metrics, c.Function, c.Now(), res.Status)
	next := c.Now().Add(c.TTL)
	if res.Status == reconcile.Failed {
		next = c.Now().Add(c.RetryAfter)
	}
	if res.Status != reconcile.Compliant && res.Status != reconcile.Failed {
		_ = c.Publisher.Publish(ctx, []findings.Entry{findings.ForFinding(findings.New(account, region, res, trig, c.Now()))})
	}
	c.mu.Lock()
	e.next, e.inflight = next, nil
	c.mu.Unlock()
	close(done)
}

// Settings the TriggerFunction reads.
const (
	EnvTTL    = "POOL_CHECK_TTL"
	EnvBudget = "CHECK_BUDGET"
	// RetryAfter spaces retries of a failed pool check, so throttling is
	// not made worse by every sign-in.
	RetryAfter = 15 * time.Second
)
