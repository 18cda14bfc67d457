package pace

import (
	"context"
	"sync"
	"time"
)

// Units paces a budget whose cost is known only after each call, such as
// DynamoDB read units (the coverage reader's pages): a call waits until
// the units spent before it, by every caller, are paid for at the rate.
// The quota pacer (Pacer) takes a call's token before the call instead.
type Units struct {
	rate float64 // units per second
	mu   sync.Mutex
	next time.Time // when the next call may start
}

// NewUnits returns a pacer of unitsPerSecond; nil (unpaced) for 0.
func NewUnits(unitsPerSecond float64) *Units {
	if unitsPerSecond <= 0 {
		return nil
	}
	return &Units{rate: unitsPerSecond}
}

// Wait waits until the units spent so far are paid for.
func (u *Units) Wait(ctx context.Context) error {
	if u == nil {
		return ctx.Err()
	}
	u.mu.Lock()
	d := time.Until(u.next)
	u.mu.Unlock()
	return Sleep(ctx, d)
}

// Spend records units just spent.
func (u *Units) Spend(units float64) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if now := time.Now(); u.next.Before(now) {
		u.next = now
	}
	u.next = u.next.Add(time.Duration(units / u.rate * float64(time.Second)))
}
