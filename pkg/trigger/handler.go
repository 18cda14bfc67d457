// Package trigger enforces the policy on the sign-in path, as a user
// pool's PreAuthentication and PostAuthentication trigger, without ever
// blocking or slowing a sign-in because of the enforcer.
package trigger

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Trigger sources the function acts on.
const (
	PreAuthentication  = "PreAuthentication_Authentication"
	PostAuthentication = "PostAuthentication_Authentication"
)

// RetryAfter spaces retries of a failed pool or user check, so throttling
// is not made worse by every sign-in.
const RetryAfter = 15 * time.Second

// Default cache sizes: a pool entry per pool (an account holds at most
// 10,000), a user entry per user seen within the TTL, a few hundred bytes
// each.
const (
	DefaultMaxPools = 10_000
	DefaultMaxUsers = 50_000
)

// event holds the fields of a user pool trigger the handler reads.
type event struct {
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	Request       struct {
		UserAttributes map[string]any `json:"userAttributes"`
	} `json:"request"`
}

// Handler is the TriggerFunction's Lambda handler.
type Handler struct {
	Reconciler *reconcile.Reconciler // pool checks; its policy is the one enforced
	Users      cognito.Users
	Recorder   findings.Recorder
	Budget     time.Duration // for all enforcer work in one invocation
	TTL        time.Duration // how long a pool or user check is trusted
	Log        *slog.Logger
	Now        func() time.Time
	// Entries remembered; 0 means DefaultMaxPools and DefaultMaxUsers.
	MaxPools, MaxUsers int

	once     sync.Once
	mu       sync.Mutex
	inflight map[string]*poolCheck
	pools    *cache[poolOutcome]
	users    *cache[struct{}]
}

// poolOutcome is what the last pool check found.
type poolOutcome struct {
	status  reconcile.Status
	why     string
	profile string // the profile that judged the pool: its user rules apply
}

type poolCheck struct {
	done    chan struct{} // closed when the check ends
	outcome poolOutcome
}

func (h *Handler) init() {
	h.once.Do(func() {
		h.inflight = map[string]*poolCheck{}
		h.pools = newCache[poolOutcome](cmp.Or(h.MaxPools, DefaultMaxPools))
		h.users = newCache[struct{}](cmp.Or(h.MaxUsers, DefaultMaxUsers))
	})
}

// Handle always returns the event unchanged and never an error: the
// enforcer's own failures (throttling, timeouts, any AWS error) are
// logged and retried on a later sign-in, and the user signs in.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	h.init()
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		h.Log.Error("trigger event not understood; sign-in continues", "outcome", "skipped", "error", err.Error())
		return raw, nil
	}
	if ev.TriggerSource != PreAuthentication && ev.TriggerSource != PostAuthentication {
		h.Log.Info("trigger source not handled; event returned unchanged", "poolId", ev.UserPoolID, "triggerSource", ev.TriggerSource, "outcome", "ignored")
		return raw, nil
	}
	if !policy.IsPoolID(ev.UserPoolID) {
		h.Log.Error("trigger event without a valid userPoolId; sign-in continues", "outcome", "skipped")
		return raw, nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.Budget)
	defer cancel()
	account, region := findings.Origin(ctx, ev.Region)
	cause := findings.Cause{Kind: "sign-in", EventName: ev.TriggerSource}
	pool, known := h.checkPool(ctx, ev.UserPoolID, cause, account, region)
	if ev.TriggerSource != PostAuthentication || ev.UserName == "" || !h.Reconciler.CurrentPolicy().UserRulesEnabled() {
		return raw, nil
	}
	if !known || pool.status == reconcile.Failed || pool.status == reconcile.Deleted {
		// Whether the pool is exempt is not known: leave its users alone.
		h.Log.Info("user check skipped: the pool's check did not finish", "poolId", ev.UserPoolID, "user", ev.UserName, "outcome", "skipped")
		return raw, nil
	}
	if pool.status == reconcile.Replica {
		// Users of a secondary replica are written in the primary Region.
		h.Log.Info("user check skipped: the pool is a secondary replica", "poolId", ev.UserPoolID, "user", ev.UserName, "outcome", "skipped")
		return raw, nil
	}
	sub, _ := ev.Request.UserAttributes["sub"].(string)
	h.checkUser(ctx, ev.UserPoolID, ev.UserName, sub, pool, cause, account, region)
	return raw, nil
}

// checkPool runs or joins the pool's check unless a recent outcome is
// known. It never blocks longer than ctx allows; the check carries on in
// the background if ctx ends. ok is false when no outcome is known yet.
func (h *Handler) checkPool(ctx context.Context, poolID string, cause findings.Cause, account, region string) (poolOutcome, bool) {
	h.mu.Lock()
	if o, ok := h.pools.get(poolID, h.Now()); ok {
		h.mu.Unlock()
		return o, true
	}
	c := h.inflight[poolID]
	if c == nil {
		c = &poolCheck{done: make(chan struct{})}
		h.inflight[poolID] = c
		// Detached from the invocation's context so a slow check is not
		// wasted, but bounded by the same budget.
		budget := h.Budget
		if dl, ok := ctx.Deadline(); ok {
			budget = time.Until(dl)
		}
		go h.runPoolCheck(poolID, cause, account, region, budget, c)
	}
	h.mu.Unlock()
	select {
	case <-c.done:
		return c.outcome, true
	case <-ctx.Done():
		return poolOutcome{}, false
	}
}

func (h *Handler) runPoolCheck(poolID string, cause findings.Cause, account, region string, budget time.Duration, c *poolCheck) {
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	res := h.Reconciler.Reconcile(ctx, poolID)
	h.Recorder.Record(ctx, findings.New(account, region, res, cause, h.Now()))
	now := h.Now()
	until := h.trustUntil(res.Status, now)
	h.mu.Lock()
	c.outcome = poolOutcome{status: res.Status, why: res.Message, profile: res.Profile}
	h.pools.set(poolID, c.outcome, until, now)
	delete(h.inflight, poolID)
	h.mu.Unlock()
	close(c.done)
}

// checkUser brings one user's MFA settings in line with the policy: at
// most one AdminGetUser and one AdminSetUserMFAPreference, none for a user
// checked within the TTL, no retries (skip rather than wait). In report
// mode, or when the pool is exempt, it reports what it would change and
// writes nothing. Every result but compliant is published as a finding.
func (h *Handler) checkUser(ctx context.Context, poolID, username, sub string, pool poolOutcome, cause findings.Cause, account, region string) {
	key := poolID + "/" + username
	if _, ok := h.users.get(key, h.Now()); ok {
		return
	}
	res, user := h.user(ctx, poolID, username, pool)
	user.Sub = sub
	level := slog.LevelInfo
	if res.Status == reconcile.Failed {
		level = slog.LevelWarn
	}
	h.Log.Log(ctx, level, "user checked", "poolId", poolID, "user", username, "outcome", string(res.Status),
		"mode", string(res.Mode), "violations", policy.Labels(res.Violations), "before", user.Before, "desired", user.Desired, "message", res.Message)
	f := findings.New(account, region, res, cause, h.Now())
	f.User = user
	h.Recorder.Record(ctx, f)
	now := h.Now()
	until := h.trustUntil(res.Status, now)
	h.users.set(key, struct{}{}, until, now)
}

// user observes, plans and (in enforce mode, for a pool that is not
// exempt) applies one user's MFA settings.
func (h *Handler) user(ctx context.Context, poolID, username string, pool poolOutcome) (reconcile.Result, *findings.User) {
	p := h.Reconciler.CurrentPolicy().Named(pool.profile)
	res := reconcile.Result{PoolID: poolID, Mode: p.Mode, Policy: p.Origin, Profile: p.Profile, Violations: []policy.Violation{}}
	user := &findings.User{Username: username}
	before, err := h.Users.GetUserMFA(ctx, poolID, username)
	if err != nil {
		res.Status, res.Err = reconcile.Failed, fmt.Errorf("get user %s of %s: %w", username, poolID, err)
		res.Message = res.Err.Error()
		return res, user
	}
	user.Before = &before
	want, vs := policy.PlanUser(p, before)
	res.Violations = append(res.Violations, vs...)
	if len(vs) == 0 {
		res.Status = reconcile.Compliant
		return res, user
	}
	user.Desired = &want
	switch {
	case pool.status == reconcile.Exempt:
		res.Status, res.Message = reconcile.Exempt, "the user's pool is exempt: "+pool.why
		return res, user
	case p.Mode == policy.Report:
		res.Status = reconcile.Drift
		return res, user
	}
	if err := h.Users.SetUserMFA(ctx, poolID, username, before, want); err != nil {
		if cognito.IsNotEnabled(err) {
			// Not a failure, and retrying cannot help: the primary Region writes users.
			res.Status, res.Message = reconcile.Replica, "the user's pool is a secondary replica: its primary Region writes its users ("+err.Error()+")"
			return res, user
		}
		res.Status, res.Err = reconcile.Failed, fmt.Errorf("set MFA preference of user %s of %s: %w", username, poolID, err)
		res.Message = res.Err.Error()
		return res, user
	}
	res.Status, user.After = reconcile.Remediated, &want
	return res, user
}

// trustUntil is how long a check's result stands on this instance: the
// TTL, or RetryAfter for a check to make again soon.
func (h *Handler) trustUntil(s reconcile.Status, now time.Time) time.Time {
	if s.Retried() {
		return now.Add(RetryAfter)
	}
	return now.Add(h.TTL)
}
