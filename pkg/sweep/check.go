package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// noTags is the known tags of a pool that carries no exemption tag; the
// reconciler only reads it.
var noTags = map[string]string{}

// check reconciles pools from where c says until the listing ends or the
// stop time passes, moving c along, and reports each result once it is
// final (coverage included), counting it in rep. It returns the pools cut
// off in flight, and a listing error.
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

	var cutOff []cognito.PoolRef
	batch, unexported := s.startBatch(workCtx, rep.Region, rep.Account)
	now, listed := s.Now(), 0
	for res := range results {
		s.measure(workCtx, &res, &rep.Leg)
		if cut, unanswered := cutAt(workCtx, res); cut {
			// In flight at the cut-off, nothing written: not checked, not failed.
			s.Log.Info("pool cut off: the next leg checks it", "poolId", res.PoolID, "outcome", "cut-off")
			cutOff = append(cutOff, cognito.PoolRef{ID: res.PoolID, Name: res.PoolName})
			continue
		} else if unanswered {
			res.Message = join(res.Message, "the leg's cut-off came while a write awaited Cognito's answer: "+
				"the correction may be in force; the next sweep checks the pool again")
		}
		rep.Leg.count(res)
		batch.Record(ctx, findings.New(rep.Account, rep.Region, res, findings.Cause{Kind: "schedule"}, now))
		if unexported {
			rep.Leg.ExportFailed++
		}
		if res.Published() {
			listed = rep.list(res, listed)
		}
	}
	batch.Flush(ctx)
	rep.Leg.ExportFailed += batch.ExportFailed
	return cutOff, listErr
}

// cutAt says whether res is a check the leg's cut-off ended before it
// wrote anything, which the next leg makes afresh; and whether it ended
// after a write went out, unanswered. A check that wrote is reported now,
// failed or not: a correction Cognito accepted is always published.
func cutAt(workCtx context.Context, res reconcile.Result) (cut, unanswered bool) {
	if !res.Status.Retried() || workCtx.Err() == nil {
		return false, false
	}
	return !res.Sent, res.Sent && res.After == nil
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

// reconcile checks one pool; a panic fails the pool, not the process.
func (s *Sweeper) reconcile(ctx context.Context, p cognito.PoolRef, known reconcile.Known) (res reconcile.Result) {
	defer func() {
		if r := recover(); r != nil {
			res = reconcile.Result{PoolID: p.ID, PoolName: p.Name, Status: reconcile.Failed, Message: fmt.Sprintf("check stopped: %v", r)}
		}
	}()
	return s.Reconciler.ReconcileKnown(ctx, p.ID, known)
}

// list lists a published result in the report while the listing stays
// within maxListed bytes (listed so far), and counts it as not listed
// after; it returns the bytes listed.
func (rep *Report) list(res reconcile.Result, listed int) int {
	pr := PoolReport{PoolID: res.PoolID, PoolName: res.PoolName, Status: res.Status, Equivalent: res.Equivalent, Profile: res.Profile,
		Violations: res.Violations, Message: res.Message}
	if b, err := json.Marshal(pr); err == nil && listed+len(b) < maxListed {
		rep.Pools = append(rep.Pools, pr)
		return listed + len(b) + 1
	}
	rep.PoolsNotListed++
	return listed
}

// startBatch starts the leg's recording, with the hub's export when there
// is one. unexported is true when the export could not start: the other
// system's failure never stops a sweep, and each result of the leg is
// counted as not exported.
func (s *Sweeper) startBatch(ctx context.Context, region, account string) (_ *findings.Batch, unexported bool) {
	if s.Hub == nil {
		return s.Recorder.Batch(nil), false
	}
	b, err := s.Hub.Sweep(ctx, region, account)
	if err != nil {
		s.Log.Error("export not started; this leg's results are not exported", "outcome", "failed", "error", err.Error())
		return s.Recorder.Batch(nil), true
	}
	return s.Recorder.Batch(b), false
}

// resolveGone resolves, once a sweep is known to have checked every pool,
// the Security Hub findings of pools gone since: only those a read finds
// gone (ResourceNotFoundException), never on a failed read.
func (s *Sweeper) resolveGone(ctx context.Context, rep *Report, since time.Time) {
	if s.Hub == nil {
		return
	}
	resolved, failed, err := s.Hub.ResolveGone(ctx, rep.Region, rep.Account, since, s.Reconciler.Gateway().Gone)
	rep.SecurityHubResolved, rep.Leg.ExportFailed = resolved, rep.Leg.ExportFailed+failed
	if err != nil {
		s.Log.Error("export", "outcome", "failed", "error", "resolve the findings of pools gone: "+err.Error())
		if failed == 0 {
			rep.Leg.ExportFailed++
		}
	}
}
