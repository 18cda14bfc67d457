package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// published counts the rig's findings by pool and its summary events.
func published(t *testing.T, rg *rig) (perPool map[string]int, summaries []string) {
	t.Helper()
	perPool = map[string]int{}
	for _, e := range rg.bus.Received {
		if *e.DetailType == findings.DetailTypeSummary {
			summaries = append(summaries, *e.Detail)
			continue
		}
		var f struct {
			PoolID string `json:"poolId"`
		}
		if err := json.Unmarshal([]byte(*e.Detail), &f); err != nil {
			t.Fatal(err)
		}
		perPool[f.PoolID]++
	}
	return perPool, summaries
}

// TestContinuation: a sweep cut into legs by short deadlines checks every
// pool exactly once, in either mode, and adds up to one sweep: cumulative
// counts, one summary at the end, one finding per non-compliant pool.
func TestContinuation(t *testing.T) {
	cases := []struct {
		name    string
		doc     string
		enforce bool
	}{
		{"report mode", `{"mode":"report","exemptions":{"tagKey":"mfa-policy-exempt"}}`, false},
		{"enforce mode", `{"exemptions":{"tagKey":"mfa-policy-exempt"}}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, client := fakeCognito(t)
			const n = 300
			drifted := populate(f, n)
			f.Latency = 10 * time.Millisecond
			rg := newRig(t, client, tc.doc, 1000, 4)
			reps := rg.sweepAll(t, 500*time.Millisecond)
			if len(reps) < 3 {
				t.Fatalf("%d legs: the deadline did not cut the sweep", len(reps))
			}
			last, checked := reps[len(reps)-1], 0
			for i, rep := range reps {
				checked += rep.Leg.Checked
				if rep.Legs != i+1 || rep.Incomplete || rep.Failed != 0 {
					t.Errorf("leg %d: %+v", i+1, rep.Summary)
				}
			}
			if checked != n || last.Checked != n || last.Exempt != n/4 || last.Compliant != n/4 || last.Drift+last.Remediated != drifted {
				t.Errorf("legs checked %d, last report %+v", checked, last.Summary)
			}
			if want := fakeCalls(f); !maps.Equal(last.Calls, want) {
				t.Errorf("calls %+v, the fake answered %+v", last.Calls, want)
			}
			for _, id := range allIDs(t, client) {
				gets, sets := f.PoolCalls("GetUserPoolMfaConfig", id), f.PoolCalls("SetUserPoolMfaConfig", id)
				// Checked once: one read, and one re-read right before a write.
				if gets != 1+sets || sets > 1 || !tc.enforce && sets != 0 {
					t.Errorf("pool %s read %d times, written %d times", id, gets, sets)
				}
			}
			perPool, summaries := published(t, rg)
			if len(perPool) != n-last.Compliant {
				t.Errorf("findings for %d pools, want %d", len(perPool), n-last.Compliant)
			}
			for id, k := range perPool {
				if k != 1 {
					t.Errorf("%d findings for %s", k, id)
				}
			}
			if len(summaries) != 1 || !strings.Contains(summaries[0], fmt.Sprintf(`"checked":%d,`, n)) || !strings.Contains(summaries[0], fmt.Sprintf(`"legs":%d`, len(reps))) ||
				*rg.bus.Received[len(rg.bus.Received)-1].DetailType != findings.DetailTypeSummary {
				t.Errorf("summaries %v: want one, last, for the whole sweep", summaries)
			}
		})
	}
}

// TestCutOffPoolsAreCheckedNextLeg: pools still in flight at a leg's
// cut-off are neither counted nor failed; the continuation carries them
// and the next leg checks them first.
func TestCutOffPoolsAreCheckedNextLeg(t *testing.T) {
	f, client := fakeCognito(t)
	const n = 24
	for range n {
		f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	}
	f.Latency = 50 * time.Millisecond // a correction takes four calls: 200 ms
	rg := newRig(t, client, ``, 1000, 4)
	rg.sweeper.StopMargin, rg.sweeper.FinishMargin = 500*time.Millisecond, 450*time.Millisecond
	reps := rg.sweepAll(t, time.Second)
	retried := 0
	for _, rep := range reps[:len(reps)-1] {
		retried += len(rep.Continuation.Retry)
	}
	last := reps[len(reps)-1]
	if retried == 0 {
		t.Fatal("no pool was cut off: the test tests nothing")
	}
	if last.Checked != n || last.Remediated != n || last.Failed != 0 || last.Incomplete {
		t.Errorf("%+v", last.Summary)
	}
	for _, id := range allIDs(t, client) {
		if sets := f.PoolCalls("SetUserPoolMfaConfig", id); sets != 1 {
			t.Errorf("pool %s written %d times", id, sets)
		}
	}
	if perPool, _ := published(t, rg); len(perPool) != n {
		t.Errorf("findings for %d pools, want %d", len(perPool), n)
	}
}

// TestLegWithoutProgressEndsTheSweep: a leg that could check nothing
// before its deadline ends the sweep as incomplete rather than handing on
// a continuation that could loop for ever.
func TestLegWithoutProgressEndsTheSweep(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 10)
	rg := newRig(t, client, ``, 1000, 2)
	reps := rg.sweepAll(t, 200*time.Millisecond) // inside the 300 ms stop margin
	rep := reps[0]
	if len(reps) != 1 || rep.Continuation != nil || !rep.Incomplete || rep.Checked != 0 || !strings.Contains(rep.Error, "checked no pool") {
		t.Errorf("%d legs, %+v", len(reps), rep.Summary)
	}
	if _, summaries := published(t, rg); len(summaries) != 1 || !strings.Contains(summaries[0], `"incomplete":true`) {
		t.Errorf("summaries %v", summaries)
	}
}

// TestReportFitsBetweenStates: however many pools drift, a leg's response
// stays within what Step Functions passes between states; the pools it
// does not list are counted, and every one of them is a finding.
func TestReportFitsBetweenStates(t *testing.T) {
	f, client := fakeCognito(t)
	const n = 2000
	for range n {
		f.AddPool("a pool with a name long enough to make each entry count", nil, optSMS)
	}
	rg := newRig(t, client, `{"mode":"report"}`, 1e6, 4)
	rep := rg.sweeper.Run(context.Background(), "", "", nil)
	size, err := json.Marshal(rep)
	if err != nil || len(size) >= 256<<10 {
		t.Fatalf("response of %d bytes (%v)", len(size), err)
	}
	if rep.Drift != n || rep.PoolsNotListed == 0 || len(rep.Pools)+rep.PoolsNotListed != n {
		t.Errorf("%d listed, %d not, of %+v", len(rep.Pools), rep.PoolsNotListed, rep.Summary)
	}
	if perPool, _ := published(t, rg); len(perPool) != n {
		t.Errorf("findings for %d pools, want %d", len(perPool), n)
	}
}

func TestContinuationOf(t *testing.T) {
	cases := []struct {
		name  string
		event string
		want  *Continuation
		err   string
	}{
		{name: "a schedule's event starts a sweep", event: `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`},
		{name: "an empty object starts a sweep", event: `{}`},
		{name: "not an object starts a sweep", event: `"sweep now"`},
		{name: "a null continuation: the sweep is over, a new one starts", event: `{"continuation":null}`},
		{name: "a continuation carries on", event: `{"continuation":{"page":"120","done":7,"legs":2,"started":"2026-11-20T12:00:00Z","tally":{"checked":127,"calls":{"UserPoolResourceRead":{"calls":130}}}}}`,
			want: &Continuation{Page: "120", Done: 7, Legs: 2, Started: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
				Tally: Tally{Counts: reconcile.Counts{Checked: 127}, Calls: Calls{quota.UserPoolResourceRead: {Calls: 130}}}}},
		{name: "a misspelt field is refused", event: `{"continuation":{"pgae":"120"}}`, err: `unknown field "pgae"`},
		{name: "a mistyped field is refused", event: `{"continuation":{"done":"7"}}`, err: "event with a continuation"},
		{name: "anything beside the continuation is refused", event: `{"continuation":{},"force":true}`, err: `unknown field "force"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := continuationOf(json.RawMessage(tc.event))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (got.Page != tc.want.Page || got.Done != tc.want.Done || got.Legs != tc.want.Legs ||
				!got.Started.Equal(tc.want.Started) || !reflect.DeepEqual(got.Tally, tc.want.Tally)) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestHandlerCarriesOn: the handler answers a schedule's event with the
// first leg and an event carrying that leg's continuation with the next,
// writing one EMF line per leg.
func TestHandlerCarriesOn(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 200)
	f.Latency = 10 * time.Millisecond
	rg := newRig(t, client, `{"mode":"report"}`, 1000, 2)
	var emf strings.Builder
	h := &Handler{Sweeper: rg.sweeper, Function: "SweepFunction", Region: "us-east-1", Metrics: &emf}
	event := json.RawMessage(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)
	var legs int
	for ; legs < 50; legs++ {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		rep, err := h.Handle(ctx, event)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if rep.Continuation == nil {
			if rep.Checked != 200 || rep.Legs != legs+1 {
				t.Errorf("%+v", rep.Summary)
			}
			break
		}
		if event, err = json.Marshal(Event{Continuation: rep.Continuation}); err != nil {
			t.Fatal(err)
		}
	}
	if legs == 0 {
		t.Error("one leg did it all: the test tests nothing")
	}
	if lines := strings.Count(emf.String(), "\n"); lines != legs+1 {
		t.Errorf("%d EMF lines for %d legs", lines, legs+1)
	}
}
