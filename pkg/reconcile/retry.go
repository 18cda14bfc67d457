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
		ceiling := min(b.Base<<i, b.Max)
		wait := time.Duration(rand.Int64N(int64(ceiling) + 1))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}
