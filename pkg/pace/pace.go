// Package pace spaces AWS calls within the enforcer's share of AWS's
// request-rate quotas (pkg/quota): one limiter per quota category, one per
// user pool and operation where the category has a per-pool limit, each
// slowing down when AWS throttles and climbing back after. It counts calls
// and throttles per category. Cognito and Security Hub calls go through it;
// the coverage reader's DynamoDB read units go through Units.
package pace

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Adaptive slow-down: a throttled call cuts its category's rate to
// decrease times itself (never below floor times the cap); each success
// adds climb times the cap back, up to the cap.
const (
	decrease = 0.75
	climb    = 1.0 / 50
	floor    = 1.0 / 20
)

// maxPools bounds the per-pool limiters kept; idle ones are dropped past it.
const maxPools = 1024

// Count is the calls of one category and how many of them AWS throttled.
type Count struct {
	Calls     int64 `json:"calls"`
	Throttled int64 `json:"throttled"`
}

// Pacer paces one function instance's calls. The zero value is not usable:
// build one with ForFunction or New.
type Pacer struct {
	rate     func(quota.Category) float64 // the cap per category
	poolRate func(quota.Category) float64 // the per-pool cap; 0: none

	mu    sync.Mutex
	cats  map[quota.Category]*category
	pools map[poolKey]*rate.Limiter
}

type category struct {
	lim    *rate.Limiter
	cap    rate.Limit
	counts Count
}

type poolKey struct {
	op   quota.Op
	pool string
}

// ForFunction returns the pacer of one instance of a function that runs at
// most maxConcurrency instances at once: each category at the share of
// its quota divided by maxConcurrency, so that all instances together stay
// within the share.
func ForFunction(share quota.Share, maxConcurrency int) *Pacer {
	return New(shareRates(share, maxConcurrency))
}

// shareRates are an instance's caps per category and per pool at share.
func shareRates(share quota.Share, maxConcurrency int) (perCategory, perPool func(quota.Category) float64) {
	return func(c quota.Category) float64 { return share.Rate(c, maxConcurrency) },
		func(c quota.Category) float64 { return share.PoolRate(c, maxConcurrency) }
}

// SetShare puts share in force for every category, those already paced
// included (their slow-down after throttling starts over): the sweep's,
// once it has read the account's provisioned limits.
func (p *Pacer) SetShare(share quota.Share, maxConcurrency int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate, p.poolRate = shareRates(share, maxConcurrency)
	for c, cat := range p.cats {
		r := p.rate(c)
		switch {
		case r <= 0:
			cat.lim, cat.cap = nil, 0
		case cat.lim == nil:
			cat.cap = rate.Limit(r)
			cat.lim = rate.NewLimiter(cat.cap, 1)
		default:
			cat.cap = rate.Limit(r)
			cat.lim.SetLimit(cat.cap)
		}
	}
}

// New returns a pacer with the given caps per category and per pool and
// operation, in calls per second (a cap of 0 or less: not paced).
func New(perCategory, perPool func(quota.Category) float64) *Pacer {
	return &Pacer{rate: perCategory, poolRate: perPool, cats: map[quota.Category]*category{}, pools: map[poolKey]*rate.Limiter{}}
}

// Wait blocks until op may be called on poolID ("" for a call about no
// single pool), or ctx ends: first for the pool's own limit, then for the
// category's, so a caller held back by one busy pool holds no slot of the
// category. The call is then to be made at once, and its outcome reported
// with Observe.
func (p *Pacer) Wait(ctx context.Context, op quota.Op, poolID string) error {
	c, _ := quota.Of(op)
	if pool := p.poolLimiter(c, op, poolID); pool != nil {
		if err := wait(ctx, pool); err != nil {
			return err
		}
	}
	p.mu.Lock()
	lim := p.category(c).lim
	p.mu.Unlock()
	if lim != nil {
		return wait(ctx, lim)
	}
	return ctx.Err()
}

// wait takes one token, sleeping until it is due; it gives the token back
// when ctx ends first. (rate.Limiter.Wait fails at once, with its own
// error, when the token is due after ctx's deadline: a caller could not
// tell that from a failure.)
func wait(ctx context.Context, l *rate.Limiter) error {
	r := l.Reserve()
	d := r.Delay()
	if d <= 0 {
		return ctx.Err()
	}
	if err := Sleep(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// Observe counts a call of op and adapts its category's rate to the
// outcome: multiplicative decrease when AWS throttled it, additive climb
// back to the cap on success; other failures leave the rate alone.
func (p *Pacer) Observe(op quota.Op, err error) {
	c, _ := quota.Of(op)
	p.mu.Lock()
	defer p.mu.Unlock()
	cat := p.category(c)
	cat.counts.Calls++
	if cat.lim == nil {
		if IsThrottle(err) {
			cat.counts.Throttled++
		}
		return
	}
	now := time.Now()
	cur := cat.lim.Limit()
	switch {
	case IsThrottle(err):
		cat.counts.Throttled++
		cat.lim.SetLimitAt(now, max(cur*decrease, cat.cap*floor))
	case err == nil && cur < cat.cap:
		cat.lim.SetLimitAt(now, min(cat.cap, cur+cat.cap*climb))
	}
}

// Counts are AWS calls by quota category, under AWS's names
// (UserPoolRead, UserPoolResourceRead, ...), each with how many of them AWS
// throttled. A category without calls is left out.
type Counts map[quota.Category]Count

// Plus returns c and o added.
func (c Counts) Plus(o Counts) Counts { return c.combine(o, 1) }

// Minus returns c less o: the calls made since o was taken.
func (c Counts) Minus(o Counts) Counts { return c.combine(o, -1) }

func (c Counts) combine(o Counts, sign int64) Counts {
	out := Counts{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range o {
		n := out[k]
		n.Calls += sign * v.Calls
		n.Throttled += sign * v.Throttled
		out[k] = n
	}
	for k, v := range out {
		if v == (Count{}) {
			delete(out, k)
		}
	}
	return out
}

// Counts returns the calls observed so far, by category.
func (p *Pacer) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(Counts, len(p.cats))
	for c, cat := range p.cats {
		if cat.counts != (Count{}) {
			out[c] = cat.counts
		}
	}
	return out
}

// Rate returns a category's current rate in calls per second, and its cap;
// 0 for a category not paced.
func (p *Pacer) Rate(c quota.Category) (now, limit float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cat := p.category(c)
	if cat.lim == nil {
		return 0, 0
	}
	return float64(cat.lim.Limit()), float64(cat.cap)
}

// category is c's limiter and counts, made on first use; p.mu is held.
func (p *Pacer) category(c quota.Category) *category {
	cat, ok := p.cats[c]
	if !ok {
		cat = &category{}
		if r := p.rate(c); r > 0 {
			cat.cap = rate.Limit(r)
			cat.lim = rate.NewLimiter(cat.cap, 1)
		}
		p.cats[c] = cat
	}
	return cat
}

func (p *Pacer) poolLimiter(c quota.Category, op quota.Op, poolID string) *rate.Limiter {
	if poolID == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.poolRate(c)
	if r <= 0 {
		return nil
	}
	k := poolKey{op, poolID}
	l, ok := p.pools[k]
	if !ok {
		if len(p.pools) >= maxPools {
			p.dropIdle()
		}
		l = rate.NewLimiter(rate.Limit(r), 1)
		p.pools[k] = l
	}
	return l
}

// dropIdle forgets the per-pool limiters whose token is back: a new one
// behaves the same.
func (p *Pacer) dropIdle() {
	now := time.Now()
	for k, l := range p.pools {
		if l.TokensAt(now) >= 1 {
			delete(p.pools, k)
		}
	}
}

// throttles are the error codes with which AWS says a quota was exceeded
// (Cognito: TooManyRequestsException; Security Hub: also
// LimitExceededException, ThrottlingException).
var throttles = []string{"TooManyRequestsException", "ThrottlingException", "LimitExceededException"}

// IsThrottle reports whether AWS refused a call for its request rate.
func IsThrottle(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && slices.Contains(throttles, ae.ErrorCode())
}
