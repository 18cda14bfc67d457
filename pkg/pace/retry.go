package pace

import (
	"context"
	"math/rand/v2"
	"time"
)

// The enforcer's retry values, in one place. Cognito's transient errors are
// retried by Backoff (through the pacer), not by the SDK; the SDK's
// standard retryer keeps connection, transport and other services'
// transient errors, SDKAttempts tries in all.
var (
	// CheckBackoff suits one pool check: four tries within a few seconds.
	CheckBackoff = Backoff{Attempts: 4, Base: 200 * time.Millisecond, Max: 3 * time.Second}
	// SweepBackoff lets a throttled call wait long enough, through the
	// pacer, for sustained throttling to slow the sweep rather than fail
	// pools.
	SweepBackoff = Backoff{Attempts: 10, Base: 250 * time.Millisecond, Max: 10 * time.Second}
	// PublishBackoff resends the findings EventBridge rejected with a
	// retryable code.
	PublishBackoff = Backoff{Attempts: 3, Base: 200 * time.Millisecond, Max: time.Second}
)

const (
	// SDKAttempts bounds the SDK's own tries of one call (its standard
	// retryer's default).
	SDKAttempts = 3
	// PolicyReadAttempts bounds the SDK's tries of the policy parameter
	// read, which a warm function repeats on its next refresh.
	PolicyReadAttempts = 2
	// EnqueueAttempts is the trigger's one try of its SQS send: the sign-in
	// waits for it (within its deadline), and the next sign-in tries again.
	EnqueueAttempts = 1
)

// Backoff bounds retries of transient errors: the enforcer's one retry
// loop, for Cognito calls and for findings EventBridge rejected.
type Backoff struct {
	Attempts int           // total tries, including the first
	Base     time.Duration // first backoff ceiling
	Max      time.Duration // backoff ceiling cap
}

// Do runs op until it succeeds, fails with an error retryable refuses, the
// attempts run out or ctx ends. Sleeps use full jitter.
func (b Backoff) Do(ctx context.Context, retryable func(error) bool, op func() error) error {
	attempts := max(b.Attempts, 1)
	var err error
	for i := range attempts {
		if err = op(); err == nil || !retryable(err) || i == attempts-1 {
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
