package sweep

import (
	"context"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Pacer spaces calls evenly at no more than max per second. When Cognito
// throttles, the rate drops (multiplicative decrease) and then climbs back
// to max (additive increase), so sustained throttling slows the sweep.
// Reads and writes share one budget for now, although Cognito gives each
// its own quota.
type Pacer struct {
	mu   sync.Mutex
	max  float64
	rate float64
	next time.Time
}

// NewPacer returns a pacer capped at max calls per second.
func NewPacer(max float64) *Pacer {
	return &Pacer{max: max, rate: max}
}

var _ reconcile.Pacer = (*Pacer)(nil)

// Wait blocks until the caller may make reads+writes calls, or ctx ends.
// The calls then go back to back; the next caller waits for all of them.
func (p *Pacer) Wait(ctx context.Context, reads, writes int) error {
	n := reads + writes
	if n <= 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Duration(float64(n) * float64(time.Second) / p.rate))
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Observe adapts the rate to a call's outcome.
func (p *Pacer) Observe(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cognito.IsThrottle(err) {
		p.rate = max(p.rate*0.75, min(1, p.max))
		return
	}
	if err == nil && p.rate < p.max {
		p.rate = min(p.max, p.rate+p.max/50)
	}
}
