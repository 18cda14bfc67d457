package sweep

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Handler is the SweepFunction's Lambda handler: any event starts a sweep.
type Handler struct {
	Sweeper  *Sweeper
	Function string
	Region   string
	Metrics  io.Writer // where the EMF line goes: stdout in Lambda
}

// Handle runs one sweep and returns its report. The report is the answer
// even when it is incomplete: the next scheduled sweep starts again.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Report, error) {
	account, region := findings.Origin(ctx, h.Region)
	rep := h.Sweeper.Run(ctx, account, region)
	_, _ = h.Metrics.Write(EMF(rep.Summary, h.Function, h.Sweeper.Now()))
	return rep, nil
}

// EMF renders the summary as one CloudWatch Embedded Metric Format line.
func EMF(s Summary, function string, at time.Time) []byte {
	return metrics.Line(function, at, append(metrics.CountValues(s.Counts),
		metrics.Value{Name: "SweepIncomplete", Value: boolInt(s.Incomplete), Unit: "Count"},
		metrics.Value{Name: "SweepDurationMs", Value: s.DurationMs, Unit: "Milliseconds"})...)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// The sweep's timing: its settings are in pkg/setup.
const (
	// StopMargin leaves room for in-flight pools, publishing and the answer.
	StopMargin   = 20 * time.Second
	FinishMargin = 8 * time.Second
)

// Backoff lets a throttled call wait long enough, through the pacer, for
// sustained throttling to slow the sweep rather than fail pools.
var Backoff = reconcile.Backoff{Attempts: 10, Base: 250 * time.Millisecond, Max: 10 * time.Second}
