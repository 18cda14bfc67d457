package sweep

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// Handler is the SweepFunction's Lambda handler: an event carrying a
// continuation carries that sweep on; any other event starts a sweep.
// Each leg writes one EMF line where its recorder writes metrics.
type Handler struct {
	Sweeper *Sweeper
	Region  string
}

// Handle runs one leg and returns its report, continuation included.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (Report, error) {
	account, region := setup.Origin(ctx, h.Region)
	from, execution, err := Decode(event, region, h.Sweeper.Now())
	if err != nil {
		h.Sweeper.Log.Error("continuation refused", "outcome", "refused", "error", err.Error())
		return Report{}, err
	}
	rep := h.Sweeper.RunIn(ctx, account, region, execution, from)
	rec := h.Sweeper.Recorder
	if rec.Metrics != nil {
		_, _ = rec.Metrics.Write(EMF(rep, rec.Function, h.Sweeper.Now()))
	}
	return rep, nil
}

// EMF renders one leg as a CloudWatch Embedded Metric Format line: the
// leg's own counts and calls, so sums over legs are the sweep's; the last
// leg adds the sweep's duration and whether it ended incomplete.
func EMF(rep Report, function string, at time.Time) []byte {
	values := append(metrics.CountValues(rep.Leg.Counts), metrics.CallValues(rep.Leg.Calls, Categories...)...)
	values = append(values, metrics.Value{Name: metrics.ExportFailed, Value: int64(rep.Leg.ExportFailed), Unit: "Count"})
	if rep.Continuation == nil {
		values = append(values,
			metrics.Value{Name: "SweepIncomplete", Value: boolInt(rep.Incomplete), Unit: "Count"},
			metrics.Value{Name: "SweepDurationMs", Value: rep.DurationMs, Unit: "Milliseconds"})
	}
	return metrics.Line(function, at, values...)
}

// Categories are the quota categories every sweep draws on; their metrics
// are sent every leg, zeros included, so the dashboard's lines do not break.
var Categories = []quota.Category{quota.UserPoolRead, quota.UserPoolResourceRead, quota.UserPoolResourceUpdate, quota.UserPoolClientRead}

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
