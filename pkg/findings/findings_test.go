package findings

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

func publisher(bus *fakes.Bus) *Publisher {
	p := NewPublisher(bus, "findings", slog.New(slog.NewJSONHandler(io.Discard, nil)))
	p.Backoff.Base, p.Backoff.Max = time.Millisecond, time.Millisecond
	return p
}

func entries(n, detailBytes int) []Entry {
	var out []Entry
	for i := range n {
		out = append(out, Entry{DetailType: DetailTypeFinding, Detail: map[string]any{"i": i, "pad": strings.Repeat("x", detailBytes)}})
	}
	return out
}

func TestBatching(t *testing.T) {
	cases := []struct {
		name        string
		n, size     int
		wantBatches []int
	}{
		{"one", 1, 10, []int{1}},
		{"ten fit one call", 10, 10, []int{10}},
		{"25 small", 25, 10, []int{10, 10, 5}},
		{"large entries split by bytes", 5, 100 * 1024, []int{2, 2, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bus := &fakes.Bus{}
			if err := publisher(bus).Publish(context.Background(), entries(tc.n, tc.size)); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, c := range bus.Calls {
				got = append(got, len(c))
				size := 0
				for _, e := range c {
					size += entrySize(e)
					if aws.ToString(e.Source) != Source || aws.ToString(e.EventBusName) != "findings" {
						t.Errorf("entry source %q bus %q", aws.ToString(e.Source), aws.ToString(e.EventBusName))
					}
				}
				if size > maxBatchBytes {
					t.Errorf("batch of %d bytes exceeds 256 KB", size)
				}
			}
			if !reflect.DeepEqual(got, tc.wantBatches) {
				t.Errorf("batches %v, want %v", got, tc.wantBatches)
			}
		})
	}
}

func TestRetriesRejectedEntries(t *testing.T) {
	bus := &fakes.Bus{RejectN: 3}
	p := publisher(bus)
	if err := p.Publish(context.Background(), entries(5, 1)); err != nil {
		t.Fatal(err)
	}
	if len(bus.Received) != 5 || len(bus.Calls) != 2 || len(bus.Calls[1]) != 3 {
		t.Errorf("received %d in %d calls, want all 5 with the 3 rejected resent", len(bus.Received), len(bus.Calls))
	}
}

// TestGivesUpAndCounts: a failed call is not tried again (the SDK's
// retryer has retried what was transient); its entries count as failed.
func TestGivesUpAndCounts(t *testing.T) {
	bus := &fakes.Bus{Err: errors.New("AccessDenied")}
	p := publisher(bus)
	err := p.Publish(context.Background(), entries(12, 1))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("error %v", err)
	}
	if p.Failed.Load() != 12 || len(bus.Calls) != 2 {
		t.Errorf("failed %d after %d calls, want 12 after 2", p.Failed.Load(), len(bus.Calls))
	}
}

// TestRetriesOnlyRetryableRejections: entries EventBridge rejects for good
// (a malformed detail, say) are not resent; throttled ones are, up to the
// backoff's attempts.
func TestRetriesOnlyRetryableRejections(t *testing.T) {
	cases := []struct {
		code          string
		calls, failed int
	}{
		{"MalformedDetail", 1, 2},
		{"AccessDeniedException", 1, 2},
		{"ThrottlingException", 2, 0},
		{"InternalFailure", 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			bus := &fakes.Bus{RejectN: 2, RejectCode: tc.code}
			p := publisher(bus)
			err := p.Publish(context.Background(), entries(5, 1))
			if len(bus.Calls) != tc.calls || p.Failed.Load() != int64(tc.failed) || (err != nil) != (tc.failed > 0) {
				t.Errorf("%d calls, %d failed, error %v; want %d calls, %d failed", len(bus.Calls), p.Failed.Load(), err, tc.calls, tc.failed)
			}
			if err != nil && !strings.Contains(err.Error(), tc.code) {
				t.Errorf("error %v does not name %s", err, tc.code)
			}
		})
	}
}

func TestNoBusPublishesNothing(t *testing.T) {
	bus := &fakes.Bus{}
	p := publisher(bus)
	p.Bus = ""
	if err := p.Publish(context.Background(), entries(3, 1)); err != nil || len(bus.Calls) != 0 {
		t.Errorf("published without a bus: %v, %d calls", err, len(bus.Calls))
	}
}

func TestFindingShape(t *testing.T) {
	res := reconcile.Result{PoolID: "us-east-1_X", Status: reconcile.Remediated, Mode: policy.Enforce,
		Violations: []policy.Violation{{Code: policy.CodeLevelBelowPolicy, Text: "t", Correctable: true}},
		Before:     &policy.PoolMFA{Level: policy.LevelOff}, After: &policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true}}
	e := ForFinding(New("123456789012", "us-east-1", res, Cause{Kind: "cloudtrail", EventName: "UpdateUserPool"}, time.Unix(0, 0)))
	if e.Resources[0] != "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X" {
		t.Errorf("resource %v", e.Resources)
	}
	raw, _ := json.Marshal(e.Detail)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	for _, k := range []string{"schemaVersion", "account", "region", "poolId", "status", "mode", "violations", "before", "after", "trigger", "observedAt"} {
		if _, ok := m[k]; !ok {
			t.Errorf("finding lacks %q: %s", k, raw)
		}
	}
}

type exporterFunc func(context.Context, Finding) error

func (f exporterFunc) Export(ctx context.Context, fd Finding) error { return f(ctx, fd) }

// TestRecorderCountsExportFailures (F13): a drift or trigger result that
// Security Hub did not take is counted in the EMF metrics for the alarm;
// one it took is not.
func TestRecorderCountsExportFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{{"refused", errors.New("refused by Security Hub: 1 findings"), true}, {"imported", nil, false}} {
		t.Run(tc.name, func(t *testing.T) {
			var emf strings.Builder
			r := Recorder{Publisher: publisher(&fakes.Bus{}), Log: slog.New(slog.DiscardHandler), Metrics: &emf, Function: "DriftFunction",
				Export: exporterFunc(func(context.Context, Finding) error { return tc.err })}
			r.Record(context.Background(), New("1", "eu-west-1", reconcile.Result{PoolID: "eu-west-1_a", Status: reconcile.Drift}, Cause{Kind: "cloudtrail"}, time.Now()))
			if got := strings.Contains(emf.String(), `"SecurityHubExportFailed":1`); got != tc.want {
				t.Errorf("counted %v, want %v: %s", got, tc.want, emf.String())
			}
		})
	}
}

// TestRecorderOneLinePerResult: each result is logged once, counted and
// published from the same value, pool and user checks alike, and a failed
// check is logged at ERROR by both.
func TestRecorderOneLinePerResult(t *testing.T) {
	for _, status := range []reconcile.Status{reconcile.Compliant, reconcile.Remediated, reconcile.Unremediable, reconcile.Failed, reconcile.Deleted} {
		t.Run(string(status), func(t *testing.T) {
			var logs, emf strings.Builder
			bus := &fakes.Bus{}
			r := Recorder{Publisher: publisher(bus), Log: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: &emf, Function: "SignInCheckFunction"}
			at := time.Now()
			r.Record(context.Background(), New("1", "eu-west-1", reconcile.Result{PoolID: "eu-west-1_a", Status: status}, Cause{Kind: "sign-in"}, at))
			r.RecordUser(context.Background(), NewUser("1", "eu-west-1", reconcile.UserResult{PoolID: "eu-west-1_a", Username: "u", Status: status}, Cause{Kind: "sign-in"}, at))
			var lines []map[string]any
			for line := range strings.Lines(logs.String()) {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, m)
			}
			want := "INFO"
			if status == reconcile.Failed {
				want = "ERROR"
			}
			if len(lines) != 2 || lines[0]["msg"] != "pool checked" || lines[1]["msg"] != "user checked" {
				t.Fatalf("log lines %v, want one per check", lines)
			}
			for _, l := range lines {
				if l["outcome"] != string(status) || l["level"] != want {
					t.Errorf("line %v, want outcome %s at %s", l, status, want)
				}
			}
			published := 0
			for _, c := range bus.Calls {
				for _, e := range c {
					published++
					if !strings.Contains(aws.ToString(e.Detail), `"status":"`+string(status)+`"`) {
						t.Errorf("published %s, want status %s", aws.ToString(e.Detail), status)
					}
				}
			}
			if want := map[bool]int{true: 2, false: 0}[status.Published()]; published != want {
				t.Errorf("%d findings published, want %d", published, want)
			}
			checked := `"PoolsChecked":1`
			if !strings.Contains(emf.String(), checked) || !strings.Contains(emf.String(), `"UsersChecked":1`) {
				t.Errorf("EMF %s lacks the counts", emf.String())
			}
		})
	}
}
