package reconcile

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
)

// Backoff bounds retries of transient Cognito errors.
type Backoff struct {
	Attempts int           // total tries, including the first
	Base     time.Duration // first backoff ceiling
	Max      time.Duration // backoff ceiling cap
}

// DefaultBackoff suits one pool check: four tries within a few seconds.
var DefaultBackoff = Backoff{Attempts: 4, Base: 200 * time.Millisecond, Max: 3 * time.Second}

// Do runs op until it succeeds, fails with a non-transient error, the
// attempts run out or ctx ends. Sleeps use full jitter.
func (b Backoff) Do(ctx context.Context, op func() error) error {
	attempts := max(b.Attempts, 1)
	var err error
	for i := range attempts {
		if err = op(); err == nil || !cognito.IsTransient(err) || i == attempts-1 {
			return err
		}
		if Sleep(ctx, Jitter(min(b.Base<<i, b.Max))) != nil {
			return err
		}
	}
	return err
}

// Jitter is a full-jitter wait: uniform between 0 and ceiling.
func Jitter(ceiling time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// Sleep waits d, or until ctx ends (then it returns ctx's error). Every
// wait of the enforcer's own (backoff, pacers) goes through it.
func Sleep(ctx context.Context, d time.Duration) error {
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
