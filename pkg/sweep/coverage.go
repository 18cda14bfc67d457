package sweep

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// CoverageTotals is the sweep's MFA coverage: users active within their
// pool's window and how many have MFA, over every pool measured.
type CoverageTotals struct {
	ActiveUsers int                 `json:"activeUsers"`
	WithMFA     int                 `json:"withMfa"`
	Ratio       *float64            `json:"ratio"` // null when no user was active
	Factors     policy.FactorCounts `json:"factors"`
	Pools       int                 `json:"pools"`             // pools measured
	BelowPolicy int                 `json:"belowPolicy"`       // pools with MFA_COVERAGE_BELOW_POLICY
	Unknown     int                 `json:"unknown,omitempty"` // pools whose ledger could not be read
	// Unrecorded counts the sign-ins in the sign-in check's dead-letter
	// queue at the sweep's end: the ledger may lack their users.
	Unrecorded int           `json:"unrecorded,omitempty"`
	Cost       coverage.Cost `json:"cost"` // the ledger reads
}

func (t *CoverageTotals) plus(o *CoverageTotals) *CoverageTotals {
	if t == nil && o == nil {
		return nil
	}
	out := &CoverageTotals{}
	for _, x := range []*CoverageTotals{t, o} {
		if x == nil {
			continue
		}
		out.merge(policy.Coverage{ActiveUsers: x.ActiveUsers, WithMFA: x.WithMFA, Factors: x.Factors})
		out.Pools += x.Pools
		out.BelowPolicy += x.BelowPolicy
		out.Unknown += x.Unknown
		out.Cost.Add(x.Cost)
	}
	return out
}

func (t *CoverageTotals) merge(c policy.Coverage) {
	sum := policy.Coverage{ActiveUsers: t.ActiveUsers, WithMFA: t.WithMFA, Factors: t.Factors}
	sum.Merge(c)
	t.ActiveUsers, t.WithMFA, t.Ratio, t.Factors = sum.ActiveUsers, sum.WithMFA, sum.Ratio, sum.Factors
}

// noLedgerNote is the report's note when the sweep has no coverage ledger.
const noLedgerNote = "no coverage ledger (COVERAGE_TABLE is not set): MFA coverage of active users is not measured"

// noteLedger notes in c that coverage is not measured, when it is not;
// with a ledger, the totals start at zero, so that a sweep of no pool
// still reports them.
func (s *Sweeper) noteLedger(c *Continuation) {
	switch {
	case s.Coverage != nil && c.Tally.Coverage == nil:
		c.Tally.Coverage = &CoverageTotals{}
	case s.Coverage == nil && !slices.Contains(c.Notes, noLedgerNote):
		c.Notes = append(c.Notes, noLedgerNote)
	}
}

// noteUnrecorded says, at a sweep's end, how many sign-ins wait in the
// sign-in check's dead-letter queue, never recorded in the ledger: the
// coverage measured may count too few active users.
func (s *Sweeper) noteUnrecorded(ctx context.Context, rep *Report) {
	if s.Unrecorded == nil || rep.Tally.Coverage == nil {
		return
	}
	n, err := s.Unrecorded.Count(ctx)
	switch {
	case err != nil:
		s.Log.Error("unrecorded sign-ins not counted", "outcome", "failed", "error", err.Error())
		rep.Notes = append(rep.Notes, "the sign-in dead-letter queue could not be read ("+err.Error()+"): MFA coverage may count too few active users")
	case n > 0:
		c := *rep.Tally.Coverage
		c.Unrecorded = n
		rep.Tally.Coverage = &c
		rep.Notes = append(rep.Notes, fmt.Sprintf("sign-ins never recorded in the coverage ledger (in the sign-in dead-letter queue): %d; "+
			"MFA coverage may count too few active users (see docs/operations.md, \"DLQ redrive\")", n))
	}
}

// measure adds the pool's coverage to res, with the coverage violation
// when the pool's rules set a minimum it falls short of, and counts it in
// leg. Pools that failed, are gone or are replicas are not measured; an
// exempt pool is measured but never judged. A read cut off by the leg's
// end fails the pool, which the next leg checks again, unless the pool was
// written: a correction Cognito accepted is reported now, with its
// coverage unknown. Any other read failure leaves the coverage unknown
// (said in the message), never zero.
func (s *Sweeper) measure(ctx context.Context, res *reconcile.Result, leg *Tally) {
	if s.Coverage == nil {
		return
	}
	if !res.Status.Judged() {
		return
	}
	if leg.Coverage == nil {
		leg.Coverage = &CoverageTotals{}
	}
	rules := s.Reconciler.CurrentPolicy().Named(res.Profile)
	c, cost, err := s.Coverage.Read(ctx, res.PoolID, rules.Users.CoverageWindowDays)
	leg.Coverage.Cost.Add(cost)
	if err != nil && ctx.Err() != nil && !res.Sent {
		// Checked again by the next leg, which finds the pool as it is.
		res.Status, res.Err, res.Message = reconcile.Failed, err, "cut off while reading its coverage"
		return
	}
	if err != nil {
		leg.Coverage.Unknown++
		s.Log.Error("coverage not measured", "poolId", res.PoolID, "outcome", "failed", "error", err.Error())
		res.Message = join(res.Message, "coverage unknown: "+err.Error())
		return
	}
	res.Coverage = &c
	leg.Coverage.Pools++
	leg.Coverage.merge(c)
	if res.Status == reconcile.Exempt {
		return
	}
	level := policy.Level("")
	if res.After != nil {
		level = res.After.Level
	} else if res.Before != nil {
		level = res.Before.Level
	}
	vs := policy.EvaluateCoverage(rules, level, c)
	if len(vs) == 0 {
		return
	}
	leg.Coverage.BelowPolicy++
	res.Violations = append(res.Violations, vs...)
	res.Status = res.Status.Uncorrected(res.Mode)
	res.Message = join(res.Message, vs[0].Reason)
	s.Log.Info("coverage below policy", "poolId", res.PoolID, "outcome", "below", "activeUsers", c.ActiveUsers, "withMfa", c.WithMFA,
		"minimum", rules.Users.MinimumCoverage)
}

func join(a, b string) string {
	return strings.TrimPrefix(fmt.Sprintf("%s; %s", a, b), "; ")
}
