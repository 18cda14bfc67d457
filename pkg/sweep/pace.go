package sweep

import (
	"context"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Pacer spaces Cognito calls per quota category, as Cognito counts them:
// UserPoolRead and UserPoolUpdate each have their own cap and their own
// adaptive rate, so corrections go beside reads instead of taking their
// turns, and throttling in one category slows that category only. It also
// counts the calls.
type Pacer struct {
	read, update bucket
}

// NewPacer returns a pacer capped at reads and writes calls per second.
func NewPacer(reads, writes float64) *Pacer {
	return &Pacer{read: newBucket(reads), update: newBucket(writes)}
}

var _ reconcile.Pacer = (*Pacer)(nil)

// Wait blocks until the caller may make reads pool reads and writes pool
// writes, or ctx ends. The calls then go back to back. The write token is
// taken first: a caller waiting for a slowed write category then holds no
// read slot, so reads go on at their own rate.
func (p *Pacer) Wait(ctx context.Context, reads, writes int) error {
	if err := p.update.wait(ctx, writes); err != nil {
		return err
	}
	return p.read.wait(ctx, reads)
}

// Observe counts a call and adapts its category's rate to the outcome.
func (p *Pacer) Observe(q cognito.Quota, err error) {
	p.bucket(q).observe(err)
}

// Calls returns the calls observed so far.
func (p *Pacer) Calls() Calls {
	c := Calls{}
	c.UserPoolRead, c.UserPoolReadThrottled = p.read.counts()
	c.UserPoolUpdate, c.UserPoolUpdateThrottled = p.update.counts()
	return c
}

// rate returns a category's current rate, in calls per second.
func (p *Pacer) rate(q cognito.Quota) float64 {
	b := p.bucket(q)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

func (p *Pacer) bucket(q cognito.Quota) *bucket {
	if q == cognito.UserPoolUpdate {
		return &p.update
	}
	return &p.read
}

// bucket spaces one category's calls evenly at no more than max per
// second. When Cognito throttles, the rate drops (multiplicative decrease)
// and then climbs back to max (additive increase), so sustained throttling
// slows the sweep instead of failing it.
type bucket struct {
	mu              sync.Mutex
	max, rate       float64
	next            time.Time
	calls, throttle int64
}

func newBucket(max float64) bucket { return bucket{max: max, rate: max} }

func (b *bucket) wait(ctx context.Context, n int) error {
	if n <= 0 {
		return ctx.Err()
	}
	b.mu.Lock()
	now := time.Now()
	at := b.next
	if at.Before(now) {
		at = now
	}
	b.next = at.Add(time.Duration(float64(n) * float64(time.Second) / b.rate))
	b.mu.Unlock()
	return reconcile.Sleep(ctx, time.Until(at))
}

func (b *bucket) observe(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if cognito.IsThrottle(err) {
		b.throttle++
		b.rate = max(b.rate*0.75, min(1, b.max))
		return
	}
	if err == nil && b.rate < b.max {
		b.rate = min(b.max, b.rate+b.max/50)
	}
}

func (b *bucket) counts() (calls, throttled int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls, b.throttle
}
