package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// signIns records users of pool in the ledger: withMFA of them with TOTP,
// the rest without, each seen ago before now.
func signIns(t testing.TB, l *coverage.Ledger, pool string, users, withMFA int, ago time.Duration) {
	t.Helper()
	for i := range users {
		u := policy.UserMFA{}
		if i < withMFA {
			u.Enabled = []policy.Factor{policy.SoftwareToken}
		}
		if err := l.Record(context.Background(), pool, fmt.Sprintf("%s-%s-%d", pool, ago, i), u, time.Now().Add(-ago), 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSweepCoverage: per pool coverage in findings, the totals in the
// report and summary, the violation where a pool falls below the policy's
// minimum (a compliant pool becomes unremediable, or drift in report
// mode), users outside the window not counted, and no ledger noted.
func TestSweepCoverage(t *testing.T) {
	cases := []struct {
		name       string
		doc        string
		ledger     bool
		status     reconcile.Status // of the pool at 40%
		violations int
	}{
		{"no minimum", `{}`, true, reconcile.Compliant, 0},
		{"below the minimum", `{"users":{"minimumCoverage":0.5}}`, true, reconcile.Unremediable, 1},
		{"below, report mode", `{"mode":"report","users":{"minimumCoverage":0.5}}`, true, reconcile.Drift, 1},
		{"at the minimum", `{"users":{"minimumCoverage":0.4}}`, true, reconcile.Compliant, 0},
		{"shorter window: only recent users", `{"users":{"minimumCoverage":0.5,"coverageWindowDays":7}}`, true, reconcile.Unremediable, 1},
		{"no ledger", `{"users":{"minimumCoverage":0.5}}`, false, reconcile.Compliant, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, client := fakeCognito(t)
			forty := f.AddPool("forty", nil, onTOTP)
			full := f.AddPool("full", nil, onTOTP)
			empty := f.AddPool("nobody", nil, onTOTP)
			rg := newRig(t, client, tc.doc, 1000, 2)
			table := &fakes.Ledger{PageSize: 3}
			l := &coverage.Ledger{API: table, Table: "ledger"}
			signIns(t, l, forty, 10, 4, time.Hour)
			signIns(t, l, forty, 5, 2, 10*24*time.Hour) // outside a 7-day window, inside 30 days
			signIns(t, l, full, 5, 5, time.Hour)
			signIns(t, l, full, 3, 0, 40*24*time.Hour) // outside every window: never counted
			if tc.ledger {
				rg.sweeper.Coverage = coverage.NewReader(table, "ledger", coverage.DefaultUnitsPerSecond)
			}
			rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)

			if !tc.ledger {
				if rep.Coverage != nil || !slices.Contains(rep.Notes, noLedgerNote) || len(table.Queries) != 0 {
					t.Errorf("without a ledger: coverage %+v, notes %v, %d queries", rep.Coverage, rep.Notes, len(table.Queries))
				}
				return
			}
			if slices.Contains(rep.Notes, noLedgerNote) {
				t.Errorf("notes %v with a ledger", rep.Notes)
			}
			// 40% at "forty" in either window: 6 of 15 in 30 days, 4 of 10 in 7.
			active, with, fortyActive, fortyWith := 15+5, 6+5, 15, 6
			if strings.Contains(tc.doc, "coverageWindowDays") {
				active, with, fortyActive, fortyWith = 10+5, 4+5, 10, 4
			}
			c := rep.Coverage
			if c == nil || c.ActiveUsers != active || c.WithMFA != with || c.Pools != 3 || c.Unknown != 0 || c.Factors.SoftwareToken != with {
				t.Fatalf("coverage totals %+v, want %d of %d users over 3 pools", c, with, active)
			}
			if c.BelowPolicy != tc.violations || c.Cost.Pages == 0 {
				t.Errorf("below %d pools, %d pages; want %d below", c.BelowPolicy, c.Cost.Pages, tc.violations)
			}
			// The summary event carries the totals.
			var summary Summary
			for _, e := range rg.bus.Received {
				if *e.DetailType == findings.DetailTypeSummary {
					_ = json.Unmarshal([]byte(*e.Detail), &summary)
				}
			}
			if summary.Coverage == nil || summary.Coverage.ActiveUsers != active {
				t.Errorf("summary coverage %+v", summary.Coverage)
			}
			i := slices.IndexFunc(rep.Pools, func(p PoolReport) bool { return p.PoolID == forty })
			if tc.violations == 0 {
				if i >= 0 || rep.Compliant != 3 {
					t.Errorf("pools %+v, want all compliant", rep.Pools)
				}
				return
			}
			if i < 0 || rep.Pools[i].Status != tc.status || len(rep.Pools[i].Violations) != 1 || rep.Pools[i].Violations[0].Code != policy.CodeCoverageBelowPolicy {
				t.Fatalf("pool at 40%%: %+v", rep.Pools)
			}
			if slices.ContainsFunc(rep.Pools, func(p PoolReport) bool { return p.PoolID == full || p.PoolID == empty }) {
				t.Errorf("the pool at 100%% or with no active user was reported: %+v", rep.Pools)
			}
			// The finding carries the pool's numbers.
			var found findings.Finding
			for _, e := range rg.bus.Received {
				if *e.DetailType == findings.DetailTypeFinding {
					_ = json.Unmarshal([]byte(*e.Detail), &found)
				}
			}
			if found.PoolID != forty || found.Coverage == nil || found.Coverage.ActiveUsers != fortyActive || found.Coverage.WithMFA != fortyWith || *found.Coverage.Ratio != 0.4 {
				t.Errorf("finding %+v coverage %+v", found.Result, found.Coverage)
			}
		})
	}
}

// TestSweepCoverageUnknown: a ledger that cannot be read leaves the
// pools' coverage unknown, counted as such, never as zero users; the
// pools are checked as ever.
func TestSweepCoverageUnknown(t *testing.T) {
	f, client := fakeCognito(t)
	f.AddPool("a", nil, onTOTP)
	f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	rg := newRig(t, client, `{"mode":"report","users":{"minimumCoverage":1}}`, 1000, 2)
	rg.sweeper.Coverage = coverage.NewReader(&fakes.Ledger{Err: errors.New("AccessDeniedException")}, "ledger", coverage.DefaultUnitsPerSecond)
	rep := rg.sweeper.Run(context.Background(), "", "", nil)
	c := rep.Coverage
	if c == nil || c.Unknown != 2 || c.Pools != 0 || c.ActiveUsers != 0 || c.Ratio != nil || c.BelowPolicy != 0 {
		t.Fatalf("coverage %+v", c)
	}
	if rep.Compliant != 1 || rep.Drift != 1 || len(rep.Pools) != 1 || !strings.Contains(rep.Pools[0].Message, "coverage unknown: ") {
		t.Errorf("%+v %+v", rep.Summary, rep.Pools)
	}
}

// TestSweepCoverageOfNoPool: with a ledger, an account without pools
// reports zero active users, not no coverage.
func TestSweepCoverageOfNoPool(t *testing.T) {
	_, client := fakeCognito(t)
	rg := newRig(t, client, `{}`, 1000, 2)
	rg.sweeper.Coverage = coverage.NewReader(&fakes.Ledger{}, "ledger", coverage.DefaultUnitsPerSecond)
	rep := rg.sweeper.Run(context.Background(), "", "", nil)
	if rep.Coverage == nil || rep.Coverage.ActiveUsers != 0 || rep.Coverage.Ratio != nil || len(rep.Notes) != 0 {
		t.Errorf("coverage %+v, notes %v", rep.Coverage, rep.Notes)
	}
}

// deadLetters answers GetQueueAttributes with a depth, or an error.
type deadLetters struct {
	visible, inFlight string
	err               error
}

func (d deadLetters) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	if d.err != nil {
		return nil, d.err
	}
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"ApproximateNumberOfMessages": d.visible, "ApproximateNumberOfMessagesNotVisible": d.inFlight}}, nil
}

// TestUnrecordedSignInsNoted: at a sweep's end, sign-ins in the sign-in
// dead-letter queue (never recorded in the ledger) are counted beside the
// coverage and noted; a queue that cannot be read is noted too; an empty
// queue adds nothing.
func TestUnrecordedSignInsNoted(t *testing.T) {
	for _, tc := range []struct {
		name       string
		queue      deadLetters
		unrecorded int
		note       string
	}{
		{"empty", deadLetters{visible: "0", inFlight: "0"}, 0, ""},
		{"waiting", deadLetters{visible: "4", inFlight: "2"}, 6, "(in the sign-in dead-letter queue): 6;"},
		{"denied", deadLetters{err: errors.New("AccessDenied")}, 0, "could not be read"},
		{"garbled", deadLetters{visible: "many", inFlight: "0"}, 0, "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, client := fakeCognito(t)
			f.AddPool("a", nil, onTOTP)
			rg := newRig(t, client, `{}`, 1000, 2)
			rg.sweeper.Coverage = coverage.NewReader(&fakes.Ledger{}, "ledger", coverage.DefaultUnitsPerSecond)
			rg.sweeper.Unrecorded = coverage.NewUnrecorded(tc.queue, "https://sqs/dlq")
			rep := rg.sweeper.Run(context.Background(), "", "", nil)
			if rep.Coverage == nil || rep.Coverage.Unrecorded != tc.unrecorded {
				t.Fatalf("coverage %+v", rep.Coverage)
			}
			if got := strings.Join(rep.Notes, "\n"); tc.note == "" && got != "" || !strings.Contains(got, tc.note) {
				t.Errorf("notes %q, want %q", got, tc.note)
			}
		})
	}
}

func TestCoverageTotalsAddUp(t *testing.T) {
	var sum *CoverageTotals
	if sum.plus(nil) != nil {
		t.Error("no ledger in either leg, yet totals")
	}
	a := &CoverageTotals{Pools: 1, BelowPolicy: 1, Cost: coverage.Cost{Pages: 2, ReadUnits: 1.5}}
	a.merge(policy.Coverage{ActiveUsers: 4, WithMFA: 1, Factors: policy.FactorCounts{SMS: 1}})
	b := &CoverageTotals{Pools: 2, Unknown: 1}
	b.merge(policy.Coverage{ActiveUsers: 6, WithMFA: 6})
	sum = sum.plus(a).plus(b)
	if sum.ActiveUsers != 10 || sum.WithMFA != 7 || *sum.Ratio != 0.7 || sum.Pools != 3 || sum.BelowPolicy != 1 || sum.Unknown != 1 ||
		sum.Cost.Pages != 2 || sum.Factors.SMS != 1 {
		t.Errorf("sum %+v", sum)
	}
}
