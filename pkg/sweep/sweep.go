// Package sweep checks every user pool in the account and region against
// the policy, within Cognito's request-rate quotas, in legs that each fit in
// one Lambda run: a leg that nears the deadline returns a continuation, and
// the next leg carries on from it. sweep.go holds a leg's shape; listing.go
// what it checks in which order, check.go how each pool is checked and
// reported, coverage.go MFA coverage from the ledger, continuation.go the
// checks of a continuation handed in.
package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/tagging"
)

// PoolReport is one pool in the report: not compliant, or compliant by an
// equivalent of MFA ON.
type PoolReport struct {
	PoolID     string             `json:"poolId"`
	PoolName   string             `json:"poolName,omitempty"`
	Status     reconcile.Status   `json:"status"`
	Equivalent string             `json:"equivalent,omitempty"` // compliant by this equivalent of MFA ON
	Profile    string             `json:"profile,omitempty"`
	Violations []policy.Violation `json:"violations"`
	Message    string             `json:"message,omitempty"`
}

// Tally is what a sweep, or one leg of it, counted.
type Tally struct {
	reconcile.Counts
	// Profiles counts the pools judged by each profile of a version 2
	// policy, by status; pools no profile judged are not in it.
	Profiles map[string]reconcile.Counts `json:"profiles,omitempty"`
	Calls    pace.Counts                 `json:"calls"`
	// Coverage is MFA coverage of active users; absent without a ledger.
	Coverage *CoverageTotals `json:"coverage,omitempty"`
	// ExportFailed counts what was not brought to Security Hub: findings
	// refused or in failed calls, and each pool result of a leg whose
	// export could not start.
	ExportFailed int `json:"securityHubExportFailed,omitempty"`
	// Equivalent counts the pools compliant or corrected by an equivalent
	// of MFA ON (adaptive authentication).
	Equivalent int `json:"compliantByEquivalent,omitempty"`
}

func (t *Tally) add(o Tally) {
	t.Counts.Merge(o.Counts)
	for name, c := range o.Profiles {
		t.countProfile(name, func(pc *reconcile.Counts) { pc.Merge(c) })
	}
	t.Calls = t.Calls.Plus(o.Calls)
	t.Coverage = t.Coverage.plus(o.Coverage)
	t.ExportFailed += o.ExportFailed
	t.Equivalent += o.Equivalent
}

// count counts one result, also under its profile.
func (t *Tally) count(res reconcile.Result) {
	t.Add(res.Status)
	if res.Equivalent != "" {
		t.Equivalent++
	}
	if res.Profile != "" {
		t.countProfile(res.Profile, func(pc *reconcile.Counts) { pc.Add(res.Status) })
	}
}

func (t *Tally) countProfile(name string, f func(*reconcile.Counts)) {
	if t.Profiles == nil {
		t.Profiles = map[string]reconcile.Counts{}
	}
	c := t.Profiles[name]
	f(&c)
	t.Profiles[name] = c
}

// Summary is a whole sweep's outcome, over all its legs so far; it is the
// detail of the summary event.
type Summary struct {
	// EnforcerVersion is the release that ran the leg.
	EnforcerVersion string      `json:"enforcerVersion"`
	Account         string      `json:"account,omitempty"`
	Region          string      `json:"region,omitempty"`
	Mode            policy.Mode `json:"mode"`
	// Policy is the policy the leg that published the summary ran under.
	Policy policy.Origin `json:"policy"`
	Tally
	Legs       int    `json:"legs"`
	DurationMs int64  `json:"durationMs"` // since the first leg started
	Incomplete bool   `json:"incomplete"` // the sweep ended without checking every pool
	Error      string `json:"error,omitempty"`
	// SecurityHubResolved counts the Security Hub findings of pools gone
	// since an earlier sweep, resolved after the last leg.
	SecurityHubResolved int `json:"securityHubResolved,omitempty"`
	// Notes say how the sweep had to work around something, such as a
	// denied tagging API.
	Notes []string `json:"notes,omitempty"`
	// Limits are the request-rate limits of the categories the sweep draws
	// on, which its share applies to, and where each came from.
	Limits map[quota.Category]LimitReport `json:"limits,omitempty"`
}

// Report is one leg's response.
type Report struct {
	Summary
	Leg Tally `json:"leg"` // this leg's share of the counts
	// Pools lists the pools this leg found not compliant (compliant pools
	// are only counted), up to maxListed bytes of them; PoolsNotListed
	// counts the rest. Every one of them is a finding on the bus.
	Pools          []PoolReport `json:"pools"`
	PoolsNotListed int          `json:"poolsNotListed,omitempty"`
	// Continuation is where the next leg carries on; null once the sweep
	// is over.
	Continuation *Continuation `json:"continuation"`
}

// maxListed bounds the pools listed in one response: Step Functions passes
// at most 256 KB from a task to the next state.
const maxListed = 128 << 10

// Continuation is a sweep that stopped before the Lambda deadline: where
// the listing stopped, the pools to check again, and the counts so far.
// Invoked with it, the SweepFunction carries on instead of starting over.
//
// It resumes by identity, never by position: the pools of the page in
// progress already started are named, so a pool deleted or created
// between legs cannot shift another out of the sweep. Decode one from an
// event with Decode, which checks every field.
type Continuation struct {
	Page string `json:"page,omitempty"` // ListUserPools token of the page in progress; "" for the first
	// PageStarted names the pools of that page already started, in
	// listing order (at most one page).
	PageStarted []string `json:"pageStarted,omitempty"`
	// Last is the last pool started, in ListUserPools order: where a
	// listing restarted from the beginning resumes, should ListUserPools
	// refuse Page (a token may not stay valid for long).
	Last   string `json:"last,omitempty"`
	Listed bool   `json:"listed,omitempty"` // the listing ended: only Retry is left
	// Retry holds the pools still in flight when the leg was cut off: not
	// counted, and checked first by the next leg.
	Retry []cognito.PoolRef `json:"retry,omitempty"`
	// Sent counts the pools handed to checks so far, a pool checked again
	// counted again: no tally counts more.
	Sent    int       `json:"sent,omitempty"`
	Started time.Time `json:"started"`
	// Execution is the state machine execution the sweep runs in; Unbound
	// marks a sweep one of whose legs was handed a continuation from
	// elsewhere (by hand, or from another execution): it cannot prove it
	// checked every pool, and ends incomplete.
	Execution string   `json:"execution,omitempty"`
	Unbound   bool     `json:"unbound,omitempty"`
	Legs      int      `json:"legs"`
	Tally     Tally    `json:"tally"`
	Notes     []string `json:"notes,omitempty"`
}

// Sweeper runs the legs of a sweep.
type Sweeper struct {
	// Reconciler checks each pool; its gateway lists them too, and paces
	// every call.
	Reconciler *reconcile.Reconciler
	// Recorder logs, publishes and exports each pool's result, in batches.
	Recorder findings.Recorder
	// Calls are the function's AWS calls so far by quota category (its
	// pacer's counts), for each leg's report.
	Calls func() pace.Counts
	// Tags reads which pools carry the policy's tags, in bulk, once per
	// leg. nil: each pool's tags are read with DescribeUserPool.
	Tags tagging.Tagged
	// Hub receives every result of a leg, compliant ones too, and resolves
	// the findings of pools gone (Security Hub); nil: none.
	Hub Hub
	// Coverage reads each pool's coverage from the ledger; nil: no ledger.
	Coverage *coverage.Reader
	// Unrecorded counts, at a sweep's end, the sign-ins the ledger may
	// lack (the sign-in check's dead-letter queue); nil: not counted.
	Unrecorded *coverage.Unrecorded
	// Limits reads the account's provisioned limits once per sweep and
	// paces at them; nil: AWS's published defaults.
	Limits      *Limits
	Log         *slog.Logger
	Concurrency int
	// StopMargin: no new pool starts later than this before the deadline.
	// FinishMargin: in-flight pools are cut off this long before it, leaving
	// time to publish and answer.
	StopMargin, FinishMargin time.Duration
	Now                      func() time.Time
}

// Hub is another system that keeps every pool's state (Security Hub).
type Hub interface {
	// Sweep starts a batch that receives every result of a leg.
	Sweep(ctx context.Context, region, account string) (findings.BatchExporter, error)
	// ResolveGone, after the last leg of a complete sweep that began at
	// since, resolves the exported findings of pools gone confirms are
	// gone; it returns how many it resolved and how many it could not.
	ResolveGone(ctx context.Context, region, account string, since time.Time,
		gone func(ctx context.Context, poolID string) (bool, error)) (resolved, failed int, err error)
}

// Run runs one leg: from the start of a sweep (from == nil) or where from
// says, until every pool is checked, the deadline nears or listing fails.
// One pool's failure never stops the sweep. The last leg publishes the one
// summary event.
func (s *Sweeper) Run(ctx context.Context, account, region string, from *Continuation) Report {
	return s.RunIn(ctx, account, region, "", from)
}

// RunIn is Run for a leg of the state machine execution execution: the
// first leg binds the sweep to it.
func (s *Sweeper) RunIn(ctx context.Context, account, region, execution string, from *Continuation) Report {
	start := s.Now()
	next := Continuation{Started: start, Execution: execution}
	if from != nil {
		next = *from
		next.Retry, next.Notes, next.PageStarted = slices.Clone(from.Retry), slices.Clone(from.Notes), slices.Clone(from.PageStarted)
	}
	next.Legs++
	pol := s.Reconciler.CurrentPolicy()
	rep := Report{Summary: Summary{EnforcerVersion: findings.EnforcerVersion, Account: account, Region: region, Mode: pol.Mode, Policy: pol.Origin}, Pools: []PoolReport{}}
	stopAt := time.Time{}
	if dl, ok := ctx.Deadline(); ok {
		stopAt = dl.Add(-s.StopMargin)
	}
	workCtx, cancel := setup.Work(ctx, s.FinishMargin)
	defer cancel()
	before := s.Calls()
	limits := s.Limits.refresh(workCtx, s.Reconciler.Gateway(), from == nil)
	s.noteLedger(&next)

	tagged, err := s.poolTags(workCtx, &next)
	var cutOff []cognito.PoolRef
	if err == nil {
		cutOff, err = s.check(ctx, workCtx, stopAt, tagged, &next, &rep)
	}

	rep.Limits = limits(&next)
	rep.Leg.Calls = s.Calls().Minus(before)
	next.Tally.add(rep.Leg)
	next.Retry = append(next.Retry, cutOff...)
	conclude(&rep, &next, err)
	if rep.Continuation == nil && !rep.Incomplete {
		s.finish(workCtx, &rep, &next)
	}
	rep.Tally, rep.Legs, rep.Notes = next.Tally, next.Legs, slices.Clone(next.Notes)
	if rep.Continuation == nil {
		s.noteUnrecorded(workCtx, &rep)
	}
	if rep.Continuation == nil && rep.ExportFailed > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d findings were not brought to Security Hub (refused, failed calls, or an export that could not start): "+
			"Security Hub may not match these counts; the SweepFunction's log says why (outcome failed, message \"export\")", rep.ExportFailed))
	}
	rep.DurationMs = s.Now().Sub(next.Started).Milliseconds()
	if rep.Continuation == nil {
		// Publishing uses the caller's context: the cut-off leaves it time.
		_ = s.Recorder.Publisher.Publish(ctx, []findings.Entry{{DetailType: findings.DetailTypeSummary, Detail: rep.Summary}})
	}
	s.Log.Info("sweep leg finished", "outcome", outcome(rep), "leg", rep.Legs, "checkedInLeg", rep.Leg.Checked, "checked", rep.Checked,
		"calls", rep.Leg.Calls, "limits", limitList(rep.Limits), "legMs", s.Now().Sub(start).Milliseconds(), "durationMs", rep.DurationMs, "error", rep.Error)
	return rep
}

// conclude settles how the leg ends: the sweep goes on with next, stops
// incomplete, or is over.
func conclude(rep *Report, next *Continuation, err error) {
	more := !next.Listed || len(next.Retry) > 0
	switch {
	case err != nil:
		rep.Incomplete, rep.Error = true, err.Error()
	case more && next.Legs >= MaxLegs:
		rep.Incomplete, rep.Error = true, fmt.Sprintf("the sweep reached %d legs: it stops here", MaxLegs)
	case more && rep.Leg.Checked == 0:
		// Carrying on could loop without end.
		rep.Incomplete, rep.Error = true, "the leg checked no pool before its deadline: the sweep stops here"
	case more:
		rep.Continuation = next
	case next.Unbound:
		// Over, but a leg carried on from a continuation handed in from
		// outside this execution: what it says was checked is its word.
		rep.Incomplete = true
		note(next, "a leg was handed a continuation not passed on within one execution of the sweep's state machine "+
			"(by hand, or from another execution): the sweep cannot prove it checked every pool")
	}
}

// finish ends a sweep that checked every pool: it resolves the Security
// Hub findings of pools gone, within the leg's cut-off, leaving the
// summary time to go out (a pool not confirmed gone in time keeps its
// findings until the next sweep).
func (s *Sweeper) finish(workCtx context.Context, rep *Report, next *Continuation) {
	legFailed := rep.Leg.ExportFailed
	if workCtx.Err() == nil {
		s.resolveGone(workCtx, rep, next.Started)
	} else if s.Hub != nil {
		s.Log.Warn("no time left to resolve the Security Hub findings of pools gone; the next sweep will", "outcome", "skipped")
	}
	next.Tally.ExportFailed += rep.Leg.ExportFailed - legFailed
}

func outcome(r Report) string {
	switch {
	case r.Continuation != nil:
		return "continues"
	case r.Incomplete:
		return "incomplete"
	case r.Failed > 0:
		return "failed"
	}
	return "complete"
}
