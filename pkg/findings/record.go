package findings

import (
	"context"
	"io"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
)

// Recorder reports one function's results, the same way for every
// function: each is counted in the EMF metrics (user results in the user
// metrics) and, when its status is published, sent as a finding. The
// sweep counts in its summary and batches its findings by the same rule.
type Recorder struct {
	Publisher *Publisher
	Metrics   io.Writer // EMF lines; nil writes none
	Function  string
	Export    Exporter // also sent here, every pool result (Security Hub); nil sends none
}

// Exporter sends results to another system that keeps their state, so it
// sees compliant results too. It logs its own failures; Record counts them
// (SecurityHubExportFailed).
type Exporter interface {
	Export(ctx context.Context, f Finding) error
}

// Record counts a pool check's finding, publishes it when its status says
// so and exports it. A publishing failure is logged by the publisher; it
// never undoes or hides a correction, which the caller still reports.
func (r Recorder) Record(ctx context.Context, f Finding) {
	metrics.WriteResult(r.Metrics, r.Function, f.ObservedAt, f.Status)
	if f.Status.Published() {
		_ = r.Publisher.Publish(ctx, []Entry{ForFinding(f)})
	}
	if r.Export != nil && r.Export.Export(ctx, f) != nil {
		metrics.Write(r.Metrics, r.Function, f.ObservedAt, metrics.Value{Name: metrics.ExportFailed, Value: 1, Unit: "Count"})
	}
}

// RecordUser counts a user check's finding in the user metrics and
// publishes it when its status says so. User findings are not exported.
func (r Recorder) RecordUser(ctx context.Context, f UserFinding) {
	metrics.WriteUserResult(r.Metrics, r.Function, f.ObservedAt, f.Status)
	if f.Status.Published() {
		_ = r.Publisher.Publish(ctx, []Entry{ForUser(f)})
	}
}
