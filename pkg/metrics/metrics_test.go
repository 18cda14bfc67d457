package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// TestCountCalls: an invocation that called AWS writes one line with the
// calls it made, by category; one that called nothing writes none.
func TestCountCalls(t *testing.T) {
	total := pace.Counts{quota.UserPoolResourceRead: {Calls: 7}}
	calls := 0 // what the next invocation calls in each category
	handle := func(_ context.Context, raw json.RawMessage) (string, error) {
		if calls > 0 {
			total = total.Plus(pace.Counts{quota.UserPoolResourceRead: {Calls: int64(calls)},
				quota.SecurityHubImport: {Calls: int64(calls), Throttled: int64(calls)}})
		}
		return string(raw), nil
	}
	var out bytes.Buffer
	h := CountCalls(func() pace.Counts { return total }, &out, "DriftFunction", handle)

	calls = 2
	if got, err := h(context.Background(), json.RawMessage(`"x"`)); got != `"x"` || err != nil {
		t.Fatalf("the handler's answer was changed: %q %v", got, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not one EMF line: %v\n%s", err, out.String())
	}
	want := map[string]float64{"UserPoolResourceReadCalls": 2, "UserPoolResourceReadThrottled": 0, "BatchImportFindingsCalls": 2, "BatchImportFindingsThrottled": 2}
	for name, v := range want {
		if doc[name] != v {
			t.Errorf("%s = %v, want %v", name, doc[name], v)
		}
	}
	if doc["FunctionName"] != "DriftFunction" || doc["UserPoolReadCalls"] != nil {
		t.Errorf("line %s", out.String())
	}

	out.Reset()
	calls = 0
	if _, err := h(context.Background(), json.RawMessage(`"y"`)); err != nil || strings.TrimSpace(out.String()) != "" {
		t.Errorf("an invocation without calls wrote %q (%v)", out.String(), err)
	}
}
