package findings

import (
	"context"
	"io"
	"log/slog"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Recorder reports one function's results, the same way for every
// function, once each result is final: one log line (ERROR when the check
// failed), its counts in the EMF metrics (user results in the user
// metrics) and, when its status is published, a finding on the bus; pool
// results are also exported. Log, counts and finding all come from the
// one value recorded.
type Recorder struct {
	Publisher *Publisher
	Log       *slog.Logger
	Metrics   io.Writer // an EMF line per result; nil writes none (the sweep writes one per leg)
	Function  string
	Export    Exporter // also sent here, every pool result (Security Hub); nil sends none
}

// Exporter sends results to another system that keeps their state, so it
// sees compliant results too. It logs its own failures; the recorder
// counts them (SecurityHubExportFailed).
type Exporter interface {
	Export(ctx context.Context, f Finding) error
}

// Record reports a pool check's finding. A publishing failure is logged by
// the publisher; it never undoes or hides a correction.
func (r Recorder) Record(ctx context.Context, f Finding) {
	r.logPool(ctx, f)
	metrics.WriteResult(r.Metrics, r.Function, f.ObservedAt, f.Status)
	if f.Published() {
		_ = r.Publisher.Publish(ctx, []Entry{ForFinding(f)})
	}
	if r.Export != nil && r.Export.Export(ctx, f) != nil {
		metrics.Write(r.Metrics, r.Function, f.ObservedAt, metrics.Value{Name: metrics.ExportFailed, Value: 1, Unit: "Count"})
	}
}

// RecordUser reports a user check's finding. User findings are not
// exported.
func (r Recorder) RecordUser(ctx context.Context, f UserFinding) {
	r.Log.Log(ctx, level(f.Status), "user checked", "poolId", f.PoolID, "user", f.Username, "outcome", string(f.Status),
		"mode", string(f.Mode), "violations", policy.Labels(f.Violations), "before", f.Before, "desired", f.Desired, "message", f.Message)
	metrics.WriteUserResult(r.Metrics, r.Function, f.ObservedAt, f.Status)
	if f.Status.Published() {
		_ = r.Publisher.Publish(ctx, []Entry{ForUser(f)})
	}
}

func (r Recorder) logPool(ctx context.Context, f Finding) {
	r.Log.Log(ctx, level(f.Status), "pool checked", "poolId", f.PoolID, "outcome", string(f.Status), "mode", string(f.Mode),
		"violations", policy.Labels(f.Violations), "changes", f.Changes, "concurrentChanges", f.ConcurrentChanges, "equivalent", f.Equivalent,
		"message", f.Message)
}

// level is a result's log level: ERROR for a check that failed.
func level(s reconcile.Status) slog.Level {
	if s == reconcile.Failed {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Batch is a Recorder for many pool checks in a row (a sweep's leg): it
// logs each at once and publishes and exports them in full calls.
type Batch struct {
	r       Recorder
	export  BatchExporter // nil: not exported
	entries []Entry
	added   int
	// ExportFailed counts the results not brought to the exporter.
	ExportFailed int
}

// BatchExporter receives many results and sends them on in full calls.
type BatchExporter interface {
	Add(f Finding)
	// Flush sends what was added and returns how many were not sent.
	Flush(ctx context.Context) (failed int, err error)
}

// Full calls: one PutEvents holds 10 entries, one BatchImportFindings 100
// findings.
const (
	publishBatch = maxEntries
	exportBatch  = 100
)

// Batch starts a batch; export receives every result (nil: none).
func (r Recorder) Batch(export BatchExporter) *Batch {
	return &Batch{r: r, export: export}
}

// Record logs f and queues it for the bus and the exporter, sending full
// batches as they fill, so the end of a leg is not left with thousands of
// findings to send.
func (b *Batch) Record(ctx context.Context, f Finding) {
	b.r.logPool(ctx, f)
	if b.export != nil {
		b.export.Add(f)
		if b.added++; b.added%exportBatch == 0 {
			b.flushExport(ctx)
		}
	}
	if f.Published() {
		if b.entries = append(b.entries, ForFinding(f)); len(b.entries) == publishBatch {
			b.publish(ctx)
		}
	}
}

// Flush sends what is queued.
func (b *Batch) Flush(ctx context.Context) {
	b.publish(ctx)
	if b.export != nil {
		b.flushExport(ctx)
	}
}

func (b *Batch) publish(ctx context.Context) {
	_ = b.r.Publisher.Publish(ctx, b.entries)
	b.entries = nil
}

func (b *Batch) flushExport(ctx context.Context) {
	failed, err := b.export.Flush(ctx)
	if err != nil {
		b.r.Log.Error("export", "outcome", "failed", "error", err.Error())
		failed = max(failed, 1)
	}
	b.ExportFailed += failed
}
