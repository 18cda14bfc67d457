package cognito

import (
	"context"
	"fmt"
	"reflect"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Pacer spaces calls within a function's share of each quota (pace.Pacer).
// Wait takes the token of one call of op on poolID ("" for no single pool)
// from op's quota category, and from the pool's own limit where the
// category has one; Observe reports each call's outcome, so throttling
// slows that category.
type Pacer interface {
	Wait(ctx context.Context, op quota.Op, poolID string) error
	Observe(op quota.Op, err error)
}

var _ Pacer = (*pace.Pacer)(nil)

// Gateway is a function's one way to Cognito: every call waits for the
// pacer in its quota category (and pool), reports its outcome to it, and is
// retried with the backoff while Cognito answers a transient error. Each
// function builds one at init and hands it to everything that calls
// Cognito; there is no unpaced way through it.
type Gateway struct {
	c       *Client
	pacer   Pacer
	backoff pace.Backoff
}

// NewGateway returns the gateway over api (the SDK's client or a fake),
// paced by pacer and retried with backoff. It panics without a pacer: a
// function built without one would call at full speed against quotas it
// shares with the applications.
func NewGateway(api API, pacer Pacer, backoff pace.Backoff) *Gateway {
	if pacer == nil || reflect.ValueOf(pacer).Kind() == reflect.Pointer && reflect.ValueOf(pacer).IsNil() {
		panic("cognito: a gateway needs a pacer (pace.ForFunction)")
	}
	return &Gateway{c: New(api), pacer: pacer, backoff: backoff}
}

// Retry runs op with the gateway's backoff while it fails with a transient
// Cognito error: for callers that pair calls (Reserve).
func (g *Gateway) Retry(ctx context.Context, op func() error) error {
	return g.backoff.Do(ctx, IsTransient, op)
}

// call runs one Cognito call, op on poolID, with the backoff, taking a
// pacer token before each try and reporting each outcome.
func (g *Gateway) call(ctx context.Context, op quota.Op, poolID string, call func() error) error {
	return g.Retry(ctx, func() error {
		if err := g.pacer.Wait(ctx, op, poolID); err != nil {
			return err
		}
		err := call()
		g.pacer.Observe(op, err)
		return err
	})
}

// GetMFA reads the pool's MFA configuration.
func (g *Gateway) GetMFA(ctx context.Context, poolID string) (c policy.PoolMFA, err error) {
	err = g.call(ctx, quota.GetUserPoolMfaConfig, poolID, func() (err error) {
		c, err = g.c.GetMFA(ctx, poolID)
		return err
	})
	return c, err
}

// Describe reads the pool's name, tags, plan and first sign-in factors.
func (g *Gateway) Describe(ctx context.Context, poolID string) (p Pool, err error) {
	err = g.call(ctx, quota.DescribeUserPool, poolID, func() (err error) {
		p, err = g.c.Describe(ctx, poolID)
		return err
	})
	return p, err
}

// ListPools lists the page of pools at next ("" for the first).
func (g *Gateway) ListPools(ctx context.Context, next string) (pools []PoolRef, following string, err error) {
	err = g.call(ctx, quota.ListUserPools, "", func() (err error) {
		pools, following, err = g.c.ListPools(ctx, next)
		return err
	})
	return pools, following, err
}

// Gone reports whether a read of the pool answers that it does not exist;
// a failed read is an error, never "gone".
func (g *Gateway) Gone(ctx context.Context, poolID string) (bool, error) {
	_, err := g.GetMFA(ctx, poolID)
	if IsNotFound(err) {
		return true, nil
	}
	return false, err
}

// GetUserMFA reads a user's MFA settings and sub.
func (g *Gateway) GetUserMFA(ctx context.Context, poolID, username string) (u policy.UserMFA, sub string, err error) {
	err = g.call(ctx, quota.AdminGetUser, poolID, func() (err error) {
		u, sub, err = g.c.GetUserMFA(ctx, poolID, username)
		return err
	})
	return u, sub, err
}

// SetUserMFA moves a user's MFA settings from before to want.
func (g *Gateway) SetUserMFA(ctx context.Context, poolID, username string, before, want policy.UserMFA) error {
	return g.call(ctx, quota.AdminSetUserMFAPreference, poolID, func() error {
		return g.c.SetUserMFA(ctx, poolID, username, before, want)
	})
}

// Reserve takes the pacer's tokens of ops on poolID, in order, so that the
// calls can then follow each other at once: a write right after the read
// it was planned from. Take the write's token first: a caller waiting for
// a slowed write category then holds no read slot. The calls are made
// once each through the Reserved, without waiting or retrying: wrap the
// whole pair in Retry.
func (g *Gateway) Reserve(ctx context.Context, poolID string, ops ...quota.Op) (*Reserved, error) {
	for _, op := range ops {
		if err := g.pacer.Wait(ctx, op, poolID); err != nil {
			return nil, err
		}
	}
	return &Reserved{g: g, pool: poolID, ops: ops}, nil
}

// Reserved holds tokens taken by Reserve: one call of each op.
type Reserved struct {
	g    *Gateway
	pool string
	ops  []quota.Op
}

// spend uses the token of op; calling an op whose token was not reserved
// is a programming error.
func (r *Reserved) spend(op quota.Op, call func() error) error {
	for i, o := range r.ops {
		if o == op {
			r.ops = append(r.ops[:i:i], r.ops[i+1:]...)
			err := call()
			r.g.pacer.Observe(op, err)
			return err
		}
	}
	panic(fmt.Sprintf("cognito: %s was not reserved", op))
}

// GetMFA reads the pool's MFA configuration with the reserved token.
func (r *Reserved) GetMFA(ctx context.Context) (c policy.PoolMFA, err error) {
	err = r.spend(quota.GetUserPoolMfaConfig, func() (err error) {
		c, err = r.g.c.GetMFA(ctx, r.pool)
		return err
	})
	return c, err
}

// SetMFA replaces the pool's MFA configuration with the reserved token and
// returns what Cognito stored.
func (r *Reserved) SetMFA(ctx context.Context, c policy.PoolMFA) (stored policy.PoolMFA, err error) {
	err = r.spend(quota.SetUserPoolMfaConfig, func() (err error) {
		stored, err = r.g.c.SetMFA(ctx, r.pool, c)
		return err
	})
	return stored, err
}

// ProvisionedLimit reads the account's limit of a quota category, in
// requests per second: the rate Cognito enforces (ProvisionedLimitValue),
// which an account can raise above the published default.
func (g *Gateway) ProvisionedLimit(ctx context.Context, c quota.Category) (rps float64, err error) {
	err = g.call(ctx, quota.GetProvisionedLimit, "", func() error {
		out, err := g.c.api.GetProvisionedLimit(ctx, &cip.GetProvisionedLimitInput{LimitDefinition: &types.LimitDefinitionType{
			LimitClass: types.LimitClassApiCategory, Attributes: map[string]string{"Category": string(c)}}})
		if err != nil {
			return err
		}
		if out.Limit == nil || out.Limit.ProvisionedLimitValue <= 0 {
			return fmt.Errorf("GetProvisionedLimit answered no limit for %s", c)
		}
		rps = float64(out.Limit.ProvisionedLimitValue)
		return nil
	})
	return rps, err
}
