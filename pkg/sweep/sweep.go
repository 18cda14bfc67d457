// Package sweep checks every user pool in the account and region against
// the policy, within Cognito's request-rate quotas and the Lambda deadline.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// PoolReport is one non-compliant pool in the report.
type PoolReport struct {
	PoolID     string             `json:"poolId"`
	PoolName   string             `json:"poolName,omitempty"`
	Status     reconcile.Status   `json:"status"`
	Violations []policy.Violation `json:"violations"`
	Message    string             `json:"message,omitempty"`
}

// Summary holds a sweep's counts; it is the detail of the summary event.
type Summary struct {
	Account string      `json:"account,omitempty"`
	Region  string      `json:"region,omitempty"`
	Mode    policy.Mode `json:"mode"`
	reconcile.Counts
	DurationMs int64  `json:"durationMs"`
	Incomplete bool   `json:"incomplete"`
	Error      string `json:"error,omitempty"`
}

// Report is the sweep's response: the counts, and every pool that is not
// compliant (compliant pools are only counted).
type Report struct {
	Summary
	Pools []PoolReport `json:"pools"`
}

// Sweeper runs one sweep. The reconciler's pacer paces every call, the
// listing included, so the sweep respects one cap.
type Sweeper struct {
	Lister      cognito.Lister
	Reconciler  *reconcile.Reconciler // with a Pacer, which paces the listing too
	Publisher   *findings.Publisher
	Log         *slog.Logger
	Concurrency int
	// StopMargin: no new pool starts later than this before the deadline.
	// FinishMargin: in-flight pools are cut off this long before it, leaving
	// time to publish and answer.
	StopMargin, FinishMargin time.Duration
	Now                      func() time.Time
}

// findingsBatch is one full PutEvents call.
const findingsBatch = 10

// Run lists every pool and reconciles each. It returns a partial report
// with Incomplete set, rather than being killed, when the deadline nears or
// listing fails; one pool's failure never stops the sweep.
func (s *Sweeper) Run(ctx context.Context, account, region string) Report {
	start := s.Now()
	rep := Report{Summary: Summary{Account: account, Region: region, Mode: s.Reconciler.Policy.Mode}, Pools: []PoolReport{}}
	stopAt := time.Time{}
	workCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		stopAt = dl.Add(-s.StopMargin)
		var cancel context.CancelFunc
		workCtx, cancel = context.WithDeadline(ctx, dl.Add(-s.FinishMargin))
		defer cancel()
	}

	pools := make(chan cognito.PoolRef)
	results := make(chan reconcile.Result)
	var listErr error
	var stopped bool
	go func() {
		defer close(pools)
		stopped, listErr = s.list(workCtx, stopAt, pools)
	}()

	var wg sync.WaitGroup
	for range max(s.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range pools {
				res := s.Reconciler.Reconcile(workCtx, p.ID)
				if res.PoolName == "" {
					res.PoolName = p.Name
				}
				results <- res
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var entries []findings.Entry
	now := s.Now()
	cutOff := 0
	for res := range results {
		if res.Status == reconcile.Failed && workCtx.Err() != nil {
			cutOff++ // in flight at the cut-off: not checked, not failed
			continue
		}
		rep.Add(res.Status)
		if !res.Status.Published() {
			continue
		}
		rep.Pools = append(rep.Pools, PoolReport{PoolID: res.PoolID, PoolName: res.PoolName, Status: res.Status, Violations: res.Violations, Message: res.Message})
		entries = append(entries, findings.ForFinding(findings.New(account, region, res, findings.Cause{Kind: "schedule"}, now)))
		if len(entries) == findingsBatch {
			// Publish as the sweep goes, so the end of a large sweep is not
			// left with thousands of findings to send before the deadline.
			_ = s.Publisher.Publish(ctx, entries)
			entries = nil
		}
	}
	switch {
	case listErr != nil:
		rep.Incomplete, rep.Error = true, listErr.Error()
	case stopped || cutOff > 0:
		rep.Incomplete, rep.Error = true, "stopped before the Lambda deadline; the next sweep checks every pool again"
	}
	rep.DurationMs = s.Now().Sub(start).Milliseconds()
	entries = append(entries, findings.Entry{DetailType: findings.DetailTypeSummary, Detail: rep.Summary})
	// Publishing uses the caller's context: the cut-off above leaves it time.
	_ = s.Publisher.Publish(ctx, entries)
	s.Log.Info("sweep finished", "outcome", outcome(rep), "checked", rep.Checked, "incomplete", rep.Incomplete, "durationMs", rep.DurationMs, "error", rep.Error)
	return rep
}

// list feeds pool references until the listing ends, fails or the stop
// time passes. It reports whether it stopped early, and a listing error.
func (s *Sweeper) list(ctx context.Context, stopAt time.Time, out chan<- cognito.PoolRef) (bool, error) {
	next := ""
	for {
		var page []cognito.PoolRef
		var following string
		err := s.Reconciler.Call(ctx, 1, 0, func() (err error) {
			page, following, err = s.Lister.ListPools(ctx, next)
			return err
		})
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return true, nil
			}
			return false, fmt.Errorf("list user pools: %w", err)
		}
		for _, p := range page {
			if !stopAt.IsZero() && s.Now().After(stopAt) {
				return true, nil
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return true, nil
			}
		}
		if next = following; next == "" {
			return false, nil
		}
	}
}

func outcome(r Report) string {
	switch {
	case r.Incomplete:
		return "incomplete"
	case r.Failed > 0:
		return "failed"
	}
	return "complete"
}
