// Package metrics writes CloudWatch Embedded Metric Format lines: the
// functions log their counts and CloudWatch turns them into metrics with
// no API call.
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Namespace holds every enforcer metric. Each is published twice: by
// Service (all functions together, for alarms) and by Service and
// FunctionName.
const (
	Namespace = "CognitoMfaEnforcer"
	Service   = "cognito-mfa-enforcer"
)

// Value is one metric value.
type Value struct {
	Name  string
	Value int64
	Unit  string
}

// CountValues turns reconcile counts into metric values.
func CountValues(c reconcile.Counts) []Value {
	return []Value{
		{"PoolsChecked", int64(c.Checked), "Count"},
		{"PoolsCompliant", int64(c.Compliant), "Count"},
		{"DriftDetected", int64(c.Drifted()), "Count"},
		{"PoolsRemediated", int64(c.Remediated), "Count"},
		{"PoolsUnremediable", int64(c.Unremediable), "Count"},
		{"PoolsFailed", int64(c.Failed), "Count"},
	}
}

// UserCountValues turns the counts of user checks into metric values.
func UserCountValues(c reconcile.Counts) []Value {
	return []Value{
		{"UsersChecked", int64(c.Checked), "Count"},
		{"UserDriftDetected", int64(c.Drifted()), "Count"},
		{"UsersRemediated", int64(c.Remediated), "Count"},
		{"UsersFailed", int64(c.Failed), "Count"},
	}
}

// CallValues are the metrics <Category>Calls and <Category>Throttled of
// each category in c, and of each in always (zeros included, so that a
// dashboard's lines do not break), in the order of quota.Table.
func CallValues(c pace.Counts, always ...quota.Category) []Value {
	var out []Value
	for _, l := range quota.Table {
		n, called := c[l.Category]
		if !called && !slices.Contains(always, l.Category) {
			continue
		}
		out = append(out, Value{string(l.Category) + "Calls", n.Calls, "Count"},
			Value{string(l.Category) + "Throttled", n.Throttled, "Count"})
	}
	return out
}

// CountCalls wraps a handler so that each invocation that called AWS
// writes its calls by quota category (CallValues), as counts reads them
// from the function's pacer. The sweep writes its own, per leg.
func CountCalls[T any](counts func() pace.Counts, w io.Writer, function string, handle func(context.Context, json.RawMessage) (T, error)) func(context.Context, json.RawMessage) (T, error) {
	return func(ctx context.Context, raw json.RawMessage) (T, error) {
		before := counts()
		out, err := handle(ctx, raw)
		if calls := counts().Minus(before); len(calls) > 0 {
			Write(w, function, time.Now(), CallValues(calls)...)
		}
		return out, err
	}
}

// ExportFailed counts results not brought to Security Hub: findings it
// refused, calls that failed, exports that could not start.
const ExportFailed = "SecurityHubExportFailed"

// ConfigInvalid counts sign-ins the TriggerFunction let through unchecked
// because its own configuration is invalid.
const ConfigInvalid = "TriggerConfigInvalid"

// WriteResult writes the counts of one pool check.
func WriteResult(w io.Writer, function string, at time.Time, s reconcile.Status) {
	var c reconcile.Counts
	c.Add(s)
	Write(w, function, at, CountValues(c)...)
}

// WriteUserResult writes the counts of one user check.
func WriteUserResult(w io.Writer, function string, at time.Time, s reconcile.Status) {
	var c reconcile.Counts
	c.Add(s)
	Write(w, function, at, UserCountValues(c)...)
}

// Line renders one EMF document, newline-terminated.
func Line(function string, at time.Time, values ...Value) []byte {
	defs := make([]map[string]string, len(values))
	doc := map[string]any{"Service": Service, "FunctionName": function}
	for i, v := range values {
		defs[i] = map[string]string{"Name": v.Name, "Unit": v.Unit}
		doc[v.Name] = v.Value
	}
	doc["_aws"] = map[string]any{
		"Timestamp": at.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace": Namespace, "Dimensions": [][]string{{"Service"}, {"Service", "FunctionName"}}, "Metrics": defs,
		}},
	}
	line, _ := json.Marshal(doc) // only strings and integers: cannot fail
	return append(line, '\n')
}

// writing serialises the lines of checks that run at once: each line is
// written whole, and a writer need not be safe for concurrent use.
var writing sync.Mutex

// Write writes one EMF line to w; a nil w writes nothing.
func Write(w io.Writer, function string, at time.Time, values ...Value) {
	if w != nil {
		line := Line(function, at, values...)
		writing.Lock()
		defer writing.Unlock()
		_, _ = w.Write(line)
	}
}
