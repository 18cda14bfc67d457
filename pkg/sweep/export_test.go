package sweep

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
)

// hub is a Security Hub whose answers a test chooses.
type hub struct {
	sweep   func(context.Context, string, string) (findings.BatchExporter, error)
	resolve func(context.Context, string, string, time.Time, func(context.Context, string) (bool, error)) (int, int, error)
}

func (h hub) Sweep(ctx context.Context, region, account string) (findings.BatchExporter, error) {
	if h.sweep == nil {
		return nopBatch{}, nil
	}
	return h.sweep(ctx, region, account)
}

func (h hub) ResolveGone(ctx context.Context, region, account string, since time.Time, gone func(context.Context, string) (bool, error)) (int, int, error) {
	if h.resolve == nil {
		return 0, 0, nil
	}
	return h.resolve(ctx, region, account, since, gone)
}

// nopBatch takes every result and sends each.
type nopBatch struct{}

func (nopBatch) Add(findings.Finding)               {}
func (nopBatch) Flush(context.Context) (int, error) { return 0, nil }

// failingBatch takes every result and fails to send any.
type failingBatch struct{ n int }

func (b *failingBatch) Add(findings.Finding) { b.n++ }
func (b *failingBatch) Flush(context.Context) (int, error) {
	n := b.n
	b.n = 0
	if n == 0 {
		return 0, nil
	}
	return n, errors.New("import: 400")
}

// TestExportFailuresCounted (F13): results Security Hub did not take, and
// those of a leg whose export could not start, are counted in the leg and
// the sweep, in the EMF line, and noted in the summary.
func TestExportFailuresCounted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		export func(context.Context, string, string) (findings.BatchExporter, error)
	}{
		{"every import refused", func(context.Context, string, string) (findings.BatchExporter, error) { return &failingBatch{}, nil }},
		{"export never started", func(context.Context, string, string) (findings.BatchExporter, error) {
			return nil, errors.New("GetFindings: 400")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, client := fakeCognito(t)
			populate(f, 12)
			rg := newRig(t, client, `{"mode":"report"}`, 1000, 2)
			rg.sweeper.Hub = hub{sweep: tc.export}
			rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)
			noted := 0
			for _, n := range rep.Notes {
				if strings.Contains(n, "12 findings were not brought to Security Hub") {
					noted++
				}
			}
			if rep.Leg.ExportFailed != 12 || rep.ExportFailed != 12 || noted != 1 {
				t.Errorf("%+v", rep.Summary)
			}
			if line := string(EMF(rep, "SweepFunction", time.Now())); !strings.Contains(line, `"SecurityHubExportFailed":12`) {
				t.Errorf("EMF %s", line)
			}
			if _, summaries := published(t, rg); len(summaries) != 1 || !strings.Contains(summaries[0], `"securityHubExportFailed":12`) {
				t.Errorf("summary event %v", summaries)
			}
		})
	}
}

// TestResolveGoneAfterCompleteSweepOnly: the findings of pools gone are
// resolved once, after the last leg of a sweep that checked every pool,
// from the sweep's start; a read that fails confirms nothing; an
// incomplete sweep resolves nothing.
func TestResolveGoneAfterCompleteSweepOnly(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 200)
	rg := newRig(t, client, `{"mode":"report"}`, 1000, 2)
	var mu sync.Mutex
	var calls []time.Time
	answers := map[string]error{}
	rg.sweeper.Hub = hub{resolve: func(ctx context.Context, region, account string, since time.Time, gone func(context.Context, string) (bool, error)) (int, int, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, since)
		resolved := 0
		for _, id := range []string{"us-east-1_fake999999", "us-east-1_fake000001"} {
			yes, err := gone(ctx, id)
			answers[id] = err
			if yes {
				resolved++
			}
		}
		return resolved, 0, nil
	}}
	reps := rg.sweepAll(t, f, 80)
	last := reps[len(reps)-1]
	if len(reps) < 2 || len(calls) != 1 || !calls[0].Equal(reps[0].Continuation.Started) || last.SecurityHubResolved != 1 {
		t.Fatalf("%d legs, %d calls (since %v), resolved %d", len(reps), len(calls), calls, last.SecurityHubResolved)
	}
	if answers["us-east-1_fake000001"] != nil {
		t.Errorf("an existing pool: %v", answers["us-east-1_fake000001"])
	}

	f.ThrottleProb = 1 // the listing fails: incomplete
	rg.use(nil, nil, pace.Backoff{Attempts: 1})
	if rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil); !rep.Incomplete || len(calls) != 1 {
		t.Errorf("incomplete sweep: %d calls, %+v", len(calls), rep.Summary)
	}
}
