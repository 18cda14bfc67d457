// Package sweep checks every user pool in the account and region against
// the policy, within Cognito's request-rate quotas, in legs that each fit in
// one Lambda run: a leg that nears the deadline returns a continuation, and
// the next leg carries on from it.
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// PoolReport is one non-compliant pool in the report.
type PoolReport struct {
	PoolID     string             `json:"poolId"`
	PoolName   string             `json:"poolName,omitempty"`
	Status     reconcile.Status   `json:"status"`
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
}

func (t *Tally) add(o Tally) {
	t.Counts.Merge(o.Counts)
	for name, c := range o.Profiles {
		t.countProfile(name, func(pc *reconcile.Counts) { pc.Merge(c) })
	}
	t.Calls = t.Calls.Plus(o.Calls)
	t.Coverage = t.Coverage.plus(o.Coverage)
	t.ExportFailed += o.ExportFailed
}

// count counts one result, also under its profile.
func (t *Tally) count(res reconcile.Result) {
	t.Add(res.Status)
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
	Account string      `json:"account,omitempty"`
	Region  string      `json:"region,omitempty"`
	Mode    policy.Mode `json:"mode"`
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
	Retry   []cognito.PoolRef `json:"retry,omitempty"`
	Started time.Time         `json:"started"`
	Legs    int               `json:"legs"`
	Tally   Tally             `json:"tally"`
	Notes   []string          `json:"notes,omitempty"`
}

// Sweeper runs the legs of a sweep.
type Sweeper struct {
	Lister cognito.Lister
	// Tags reads which pools carry the policy's exemption tag, in bulk,
	// once per leg. nil: each pool's tags are read with DescribeUserPool.
	Tags       Tagged
	Reconciler *reconcile.Reconciler
	// Pacer must be the reconciler's pacer too: it paces every Cognito
	// call, the listing included, and counts them for the report.
	Pacer     *pace.Pacer
	Publisher *findings.Publisher
	// Export starts a batch that receives every result of a leg, compliant
	// ones too (Security Hub); nil exports nothing.
	Export func(ctx context.Context, region, account string) (Batch, error)
	// Coverage reads each pool's coverage from the ledger; nil: no ledger.
	Coverage *coverage.Reader
	// ResolveGone, after the last leg of a complete sweep that began at
	// since, resolves the exported findings of pools gone confirms are
	// gone; it returns how many it resolved and how many it could not.
	ResolveGone func(ctx context.Context, region, account string, since time.Time,
		gone func(ctx context.Context, poolID string) (bool, error)) (resolved, failed int, err error)
	// Pools answers whether a pool is gone, for ResolveGone.
	Pools       cognito.Pools
	Log         *slog.Logger
	Concurrency int
	// StopMargin: no new pool starts later than this before the deadline.
	// FinishMargin: in-flight pools are cut off this long before it, leaving
	// time to publish and answer.
	StopMargin, FinishMargin time.Duration
	Now                      func() time.Time
}

// Batch receives a leg's results for another system and sends them on.
type Batch interface {
	Add(f findings.Finding)
	// Flush sends what was added and returns how many were not sent.
	Flush(ctx context.Context) (failed int, err error)
}

// findingsBatch is one full PutEvents call; exportBatch results are sent
// on at a time (a full BatchImportFindings call holds 100 findings).
const (
	findingsBatch = 10
	exportBatch   = 100
)

// noTags is the known tags of a pool that carries no exemption tag; the
// reconciler only reads it.
var noTags = map[string]string{}

// Run runs one leg: from the start of a sweep (from == nil) or where from
// says, until every pool is checked, the deadline nears or listing fails.
// One pool's failure never stops the sweep. The last leg publishes the one
// summary event.
func (s *Sweeper) Run(ctx context.Context, account, region string, from *Continuation) Report {
	start := s.Now()
	next := Continuation{Started: start}
	if from != nil {
		next = *from
		next.Retry, next.Notes, next.PageStarted = slices.Clone(from.Retry), slices.Clone(from.Notes), slices.Clone(from.PageStarted)
	}
	next.Legs++
	pol := s.Reconciler.CurrentPolicy()
	rep := Report{Summary: Summary{Account: account, Region: region, Mode: pol.Mode, Policy: pol.Origin}, Pools: []PoolReport{}}
	stopAt := time.Time{}
	workCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		stopAt = dl.Add(-s.StopMargin)
		var cancel context.CancelFunc
		workCtx, cancel = context.WithDeadline(ctx, dl.Add(-s.FinishMargin))
		defer cancel()
	}
	before := s.Pacer.Counts()
	s.noteLedger(&next)

	tagged, err := s.poolTags(workCtx, &next)
	var cutOff []cognito.PoolRef
	if err == nil {
		cutOff, err = s.check(ctx, workCtx, stopAt, tagged, &next, &rep)
	}

	rep.Leg.Calls = s.Pacer.Counts().Minus(before)
	next.Tally.add(rep.Leg)
	next.Retry = append(next.Retry, cutOff...)
	conclude(&rep, &next, err)
	if rep.Continuation == nil && !rep.Incomplete {
		s.finish(workCtx, &rep, &next)
	}
	rep.Tally, rep.Legs, rep.Notes = next.Tally, next.Legs, slices.Clone(next.Notes)
	if rep.Continuation == nil && rep.ExportFailed > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d findings were not brought to Security Hub (refused, failed calls, or an export that could not start): "+
			"Security Hub may not match these counts; the SweepFunction's log says why (outcome failed, message \"export\")", rep.ExportFailed))
	}
	rep.DurationMs = s.Now().Sub(next.Started).Milliseconds()
	if rep.Continuation == nil {
		// Publishing uses the caller's context: the cut-off leaves it time.
		_ = s.Publisher.Publish(ctx, []findings.Entry{{DetailType: findings.DetailTypeSummary, Detail: rep.Summary}})
	}
	s.Log.Info("sweep leg finished", "outcome", outcome(rep), "leg", rep.Legs, "checkedInLeg", rep.Leg.Checked, "checked", rep.Checked,
		"calls", rep.Leg.Calls, "legMs", s.Now().Sub(start).Milliseconds(), "durationMs", rep.DurationMs, "error", rep.Error)
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
	} else if s.ResolveGone != nil {
		s.Log.Warn("no time left to resolve the Security Hub findings of pools gone; the next sweep will", "outcome", "skipped")
	}
	next.Tally.ExportFailed += rep.Leg.ExportFailed - legFailed
}

// check reconciles pools from where c says until the listing ends or the
// stop time passes, moving c along and counting in rep. It returns the
// pools cut off in flight, and a listing error.
func (s *Sweeper) check(ctx, workCtx context.Context, stopAt time.Time, tagged map[string]map[string]string, c *Continuation, rep *Report) ([]cognito.PoolRef, error) {
	pools := make(chan cognito.PoolRef)
	results := make(chan reconcile.Result)
	var listErr error
	go func() {
		defer close(pools)
		// A panic here would end the process, past Lambda's recovery.
		defer func() {
			if r := recover(); r != nil {
				listErr = fmt.Errorf("listing stopped: %v", r)
			}
		}()
		listErr = s.feed(workCtx, stopAt, c, pools)
	}()

	var wg sync.WaitGroup
	for range max(s.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range pools {
				results <- s.reconcile(workCtx, p, knownOf(p, tagged))
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var entries []findings.Entry
	var cutOff []cognito.PoolRef
	now := s.Now()
	listed, exported := 0, 0
	export := s.startExport(workCtx, rep.Region, rep.Account)
	notStarted := s.Export != nil && export == nil // every result of the leg goes unexported
	for res := range results {
		s.measure(workCtx, &res, &rep.Leg)
		if res.Status.Retried() && workCtx.Err() != nil {
			// In flight at the cut-off: not checked, not failed.
			cutOff = append(cutOff, cognito.PoolRef{ID: res.PoolID, Name: res.PoolName})
			continue
		}
		rep.Leg.count(res)
		f := findings.New(rep.Account, rep.Region, res, findings.Cause{Kind: "schedule"}, now)
		if export != nil {
			export.Add(f)
			if exported++; exported%exportBatch == 0 {
				rep.Leg.ExportFailed += s.flushExport(ctx, export)
			}
		} else if notStarted {
			rep.Leg.ExportFailed++
		}
		if !res.Status.Published() {
			continue
		}
		listed = rep.list(res, listed)
		entries = append(entries, findings.ForFinding(f))
		if len(entries) == findingsBatch {
			// Publish as the sweep goes, so the end of a leg is not left
			// with thousands of findings to send before the deadline.
			_ = s.Publisher.Publish(ctx, entries)
			entries = nil
		}
	}
	_ = s.Publisher.Publish(ctx, entries)
	if export != nil {
		rep.Leg.ExportFailed += s.flushExport(ctx, export)
	}
	return cutOff, listErr
}

// knownOf is what the sweep knows of p: its name, and its tags when the
// pools' tags were read in bulk (tagged; none listed for p: no tags).
func knownOf(p cognito.PoolRef, tagged map[string]map[string]string) reconcile.Known {
	known := reconcile.Known{Name: p.Name}
	if tagged != nil {
		known.Tags = noTags
		if tags, ok := tagged[p.ID]; ok {
			known.Tags = tags
		}
	}
	return known
}

// list lists a published result in the report while the listing stays
// within maxListed bytes (listed so far), and counts it as not listed
// after; it returns the bytes listed.
func (rep *Report) list(res reconcile.Result, listed int) int {
	pr := PoolReport{PoolID: res.PoolID, PoolName: res.PoolName, Status: res.Status, Profile: res.Profile, Violations: res.Violations, Message: res.Message}
	if b, err := json.Marshal(pr); err == nil && listed+len(b) < maxListed {
		rep.Pools = append(rep.Pools, pr)
		return listed + len(b) + 1
	}
	rep.PoolsNotListed++
	return listed
}

// reconcile checks one pool; a panic fails the pool, not the process.
func (s *Sweeper) reconcile(ctx context.Context, p cognito.PoolRef, known reconcile.Known) (res reconcile.Result) {
	defer func() {
		if r := recover(); r != nil {
			s.Log.Error("pool check panicked", "poolId", p.ID, "outcome", "failed", "error", fmt.Sprint(r))
			res = reconcile.Result{PoolID: p.ID, PoolName: p.Name, Status: reconcile.Failed, Message: fmt.Sprintf("check stopped: %v", r)}
		}
	}()
	return s.Reconciler.ReconcileKnown(ctx, p.ID, known)
}

// resolveGone resolves, once a sweep is known to have checked every pool,
// the Security Hub findings of pools gone since: only those a read finds
// gone (ResourceNotFoundException), never on a failed read.
func (s *Sweeper) resolveGone(ctx context.Context, rep *Report, since time.Time) {
	if s.ResolveGone == nil || s.Pools == nil {
		return
	}
	gone := func(ctx context.Context, id string) (bool, error) {
		err := s.Reconciler.Call(ctx, quota.GetUserPoolMfaConfig, id, func() error {
			_, err := s.Pools.GetMFA(ctx, id)
			return err
		})
		if cognito.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	resolved, failed, err := s.ResolveGone(ctx, rep.Region, rep.Account, since, gone)
	rep.SecurityHubResolved, rep.Leg.ExportFailed = resolved, rep.Leg.ExportFailed+failed
	if err != nil {
		s.Log.Error("export", "outcome", "failed", "error", "resolve the findings of pools gone: "+err.Error())
		if failed == 0 {
			rep.Leg.ExportFailed++
		}
	}
}

// startExport starts the leg's export batch, or returns nil when there is
// none or it cannot start: the other system's failure never stops a sweep.
func (s *Sweeper) startExport(ctx context.Context, region, account string) Batch {
	if s.Export == nil {
		return nil
	}
	b, err := s.Export(ctx, region, account)
	if err != nil {
		s.Log.Error("export not started; this leg's results are not exported", "outcome", "failed", "error", err.Error())
		return nil
	}
	return b
}

func (s *Sweeper) flushExport(ctx context.Context, b Batch) (failed int) {
	failed, err := b.Flush(ctx)
	if err != nil {
		s.Log.Error("export", "outcome", "failed", "error", err.Error())
		failed = max(failed, 1)
	}
	return failed
}

// feed sends the pools to check, from where c says: first the pools to
// check again, then the listing. It moves c past each pool it sends and
// stops at the stop time; it returns a listing error.
func (s *Sweeper) feed(ctx context.Context, stopAt time.Time, c *Continuation, out chan<- cognito.PoolRef) error {
	send := s.sender(ctx, stopAt, out)
	for len(c.Retry) > 0 {
		if !send(c.Retry[0]) {
			return nil
		}
		c.Retry = c.Retry[1:]
	}
	token, skipTo, restarted := c.Page, "", false
	for !c.Listed {
		var page []cognito.PoolRef
		var following string
		err := s.Reconciler.Call(ctx, quota.ListUserPools, "", func() (err error) {
			page, following, err = s.Lister.ListPools(ctx, token)
			return err
		})
		if err != nil && token != "" && !restarted && tokenRefused(err) {
			// The token expired or its page is gone: list again from the
			// start, skipping every pool up to the last one started.
			s.Log.Warn("page token refused; listing again from the start", "last", c.Last, "error", err.Error())
			token, skipTo, restarted = "", c.Last, true
			continue
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("list user pools: %w", err)
		}
		if skipTo != "" {
			i := slices.IndexFunc(page, func(p cognito.PoolRef) bool { return p.ID == skipTo })
			if i < 0 {
				if following == "" {
					return fmt.Errorf("%w: the listing was started again after its page token was refused, "+
						"and the last pool checked (%s) is gone: the pools after it cannot be told apart from those before", errLost, skipTo)
				}
				token = following
				continue
			}
			c.Page, c.PageStarted, skipTo = token, ids(page[:i+1]), ""
			note(c, fmt.Sprintf("ListUserPools refused the page token in leg %d; the listing started again and resumed after pool %s", c.Legs, c.Last))
		}
		if !sendPage(c, page, send) {
			return nil
		}
		token = following
		c.Page, c.PageStarted, c.Listed = following, nil, following == ""
	}
	return nil
}

// sender sends one pool to out, unless the stop time has passed or ctx
// ended first (then false).
func (s *Sweeper) sender(ctx context.Context, stopAt time.Time, out chan<- cognito.PoolRef) func(cognito.PoolRef) bool {
	return func(p cognito.PoolRef) bool {
		if !stopAt.IsZero() && s.Now().After(stopAt) {
			return false
		}
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// sendPage sends the pools of page not started yet, moving c past each;
// false when send stopped.
func sendPage(c *Continuation, page []cognito.PoolRef, send func(cognito.PoolRef) bool) bool {
	for _, p := range page {
		if slices.Contains(c.PageStarted, p.ID) {
			continue
		}
		if !send(p) {
			return false
		}
		c.PageStarted, c.Last = append(c.PageStarted, p.ID), p.ID
	}
	return true
}

// errLost: the sweep cannot tell which pools it has not checked.
var errLost = errors.New("the sweep lost its place")

// tokenRefused reports an error ListUserPools answers a page token with
// that retrying the same token cannot mend: a client error other than
// throttling or a denial.
func tokenRefused(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultServer && !cognito.IsThrottle(err) && !cognito.IsAccessDenied(err)
}

func ids(pools []cognito.PoolRef) []string {
	out := make([]string, len(pools))
	for i, p := range pools {
		out[i] = p.ID
	}
	return out
}

// note adds a note to the sweep's summary once.
func note(c *Continuation, text string) {
	if !slices.Contains(c.Notes, text) && len(c.Notes) < maxNotes {
		c.Notes = append(c.Notes, text)
	}
}

// deniedNote is the report's note when the tagging API is denied.
const deniedNote = "tag:GetResources was denied, so each pool's tags were read with DescribeUserPool " +
	"(one more UserPoolRead per pool); grant tag:GetResources to the sweep's role"

// poolTags reads, with one tagging call per 100 tagged pools and key,
// which pools carry the tags the policy's rules look at (the exemption tag,
// the profile tag): pool ID -> key -> value. It returns nil when the
// reconciler must read tags itself: no tag rule, no tagging client, or
// the tagging API is denied, which it notes in c.
func (s *Sweeper) poolTags(ctx context.Context, c *Continuation) (map[string]map[string]string, error) {
	pol := s.Reconciler.CurrentPolicy()
	keys := pol.TagKeys()
	if len(keys) == 0 || s.Tags == nil {
		return nil, nil
	}
	tagged := map[string]map[string]string{}
	for _, key := range keys {
		next := ""
		for {
			page, following, err := s.Tags.PoolsTagged(ctx, key, next)
			if cognito.IsAccessDenied(err) {
				s.Log.Warn("reading pool tags per pool", "error", err.Error())
				note(c, deniedNote)
				return nil, nil
			}
			if err != nil {
				what := "exemption"
				if key != pol.Exemptions.TagKey {
					what = "profile"
				}
				return nil, fmt.Errorf("read %s tags %s: %w", what, key, err)
			}
			for id, v := range page {
				if tagged[id] == nil {
					tagged[id] = map[string]string{}
				}
				tagged[id][key] = v
			}
			if next = following; next == "" {
				break
			}
		}
	}
	return tagged, nil
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
