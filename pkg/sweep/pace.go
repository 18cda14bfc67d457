package sweep

import (
	"context"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Pacer spaces calls evenly at no more than Max per second. When Cognito
// throttles, the rate drops (multiplicative decrease) and then climbs back
// to Max (additive increase), so sustained throttling slows the sweep.
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

// Wait blocks until the caller may make one call, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Duration(float64(time.Second) / p.rate))
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
	if reconcile.IsThrottle(err) {
		p.rate = max(p.rate*0.75, min(1, p.max))
		return
	}
	if err == nil && p.rate < p.max {
		p.rate = min(p.max, p.rate+p.max/50)
	}
}

// CognitoAPI is every Cognito call the sweep makes.
type CognitoAPI interface {
	reconcile.PoolAPI
	ListUserPools(ctx context.Context, in *cip.ListUserPoolsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error)
}

var _ CognitoAPI = (*cip.Client)(nil)

// Paced wraps api so every call waits for the pacer and reports back to it.
func Paced(api CognitoAPI, p *Pacer) CognitoAPI { return &paced{api, p} }

type paced struct {
	api CognitoAPI
	p   *Pacer
}

func call[In, Out any](ctx context.Context, p *Pacer, fn func(context.Context, In, ...func(*cip.Options)) (Out, error), in In, opts []func(*cip.Options)) (Out, error) {
	if err := p.Wait(ctx); err != nil {
		var zero Out
		return zero, err
	}
	out, err := fn(ctx, in, opts...)
	p.Observe(err)
	return out, err
}

func (c *paced) GetUserPoolMfaConfig(ctx context.Context, in *cip.GetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error) {
	return call(ctx, c.p, c.api.GetUserPoolMfaConfig, in, o)
}

func (c *paced) SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	return call(ctx, c.p, c.api.SetUserPoolMfaConfig, in, o)
}

func (c *paced) DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, o ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	return call(ctx, c.p, c.api.DescribeUserPool, in, o)
}

func (c *paced) ListUserPools(ctx context.Context, in *cip.ListUserPoolsInput, o ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error) {
	return call(ctx, c.p, c.api.ListUserPools, in, o)
}
