package sweep

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

var update = flag.Bool("update", false, "rewrite the golden files from today's output")

// TestGoldenSummary holds the detail of a "Cognito MFA Sweep Summary"
// event, every field set, to testdata/summary.json (docs/findings.md).
func TestGoldenSummary(t *testing.T) {
	ratio := 0.75
	s := Summary{Account: "123456789012", Region: "eu-west-1", Mode: policy.Enforce, Policy: policy.Origin{Source: "parameter", Version: 3},
		Tally: Tally{
			Counts:   reconcile.Counts{Checked: 9, Compliant: 2, Remediated: 1, Drift: 1, Exempt: 1, Unremediable: 1, Failed: 1, Deleted: 1, Replica: 1},
			Profiles: map[string]reconcile.Counts{"strict": {Checked: 1, Remediated: 1}},
			Calls:    pace.Counts{quota.UserPoolRead: pace.Count{Calls: 12, Throttled: 1}},
			Coverage: &CoverageTotals{ActiveUsers: 4, WithMFA: 3, Ratio: &ratio, Factors: policy.FactorCounts{SoftwareToken: 3}, Pools: 2, BelowPolicy: 1, Unknown: 1,
				Cost: coverage.Cost{Pages: 2, Items: 5, ReadUnits: 1.5}},
			ExportFailed: 2,
		},
		Legs: 2, DurationMs: 1234, Incomplete: true, Error: "cut off", SecurityHubResolved: 1, Notes: []string{"tags read one pool at a time"}}
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "summary.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed:\n%s\nwant:\n%s", path, got, want)
	}
}
