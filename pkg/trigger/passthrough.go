package trigger

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
)

// PassThrough is the TriggerFunction's handler when its own configuration
// is invalid: Cognito fails a sign-in whose trigger fails, so instead every
// sign-in passes through unchecked (nothing read or written) and is counted
// in the TriggerConfigInvalid metric, which an alarm watches.
type PassThrough struct {
	Metrics  io.Writer
	Function string
	Now      func() time.Time
}

// Handle returns the event unchanged.
func (p PassThrough) Handle(_ context.Context, raw json.RawMessage) (json.RawMessage, error) {
	metrics.Write(p.Metrics, p.Function, p.Now(), metrics.Value{Name: metrics.ConfigInvalid, Value: 1, Unit: "Count"})
	return raw, nil
}
