package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
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
			rg := newRig(t, client, tc.doc, 1000, 4)
			reps := rg.sweepAll(t, f, 80)
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

// cutter ends each leg by count: once Cognito has applied a leg's after-th
// SetUserPoolMfaConfig, it cancels the leg's context before the answer
// comes back, as a leg's cut-off would just as Cognito accepts a write. A
// write sent before the cut is applied and its answer lost; one not sent
// before the cut never is: whatever the timing, never a write half sent.
type cutter struct {
	cognito.API
	after int

	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
	atCut  []string // the pools whose write was answered as their leg was cut
}

func (c *cutter) SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, optFns ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // cut before it was sent
	}
	out, err := c.API.SetUserPoolMfaConfig(context.WithoutCancel(ctx), in, optFns...)
	c.mu.Lock()
	if err == nil {
		if c.n++; c.n == c.after {
			c.atCut = append(c.atCut, aws.ToString(in.UserPoolId))
			c.cancel()
		}
	}
	c.mu.Unlock()
	if ctx.Err() != nil {
		return nil, ctx.Err() // applied; the answer comes after the cut
	}
	return out, err
}

// TestCutOffPoolsAreCheckedNextLeg: each leg is cut just as Cognito
// applies its fifth write: that pool's correction, and any other applied
// but unanswered, is confirmed, published and counted as remediated at
// once; pools in flight that wrote nothing are neither counted nor failed,
// and the next leg checks them first. Every pool is written once and
// published once.
func TestCutOffPoolsAreCheckedNextLeg(t *testing.T) {
	f, client := fakeCognito(t)
	const n = 24
	for range n {
		f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	}
	f.Latency = 2 * time.Millisecond // workers are in flight at the cut
	c := &cutter{API: client, after: 5}
	rg := newRig(t, c, ``, 1000, 4)
	var reps []Report
	var from *Continuation
	for len(reps) < 50 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		c.mu.Lock()
		c.n, c.cancel = 0, cancel
		c.mu.Unlock()
		rep := rg.sweeper.Run(ctx, "123456789012", "us-east-1", from)
		cancel()
		reps = append(reps, rep)
		if from = rep.Continuation; from == nil {
			break
		}
	}
	retried := 0
	for _, rep := range reps[:len(reps)-1] {
		retried += len(rep.Continuation.Retry)
	}
	last := reps[len(reps)-1]
	if len(c.atCut) < 2 || retried == 0 {
		t.Fatalf("%d legs cut at a write, %d pools retried: the test tests nothing", len(c.atCut), retried)
	}
	if last.Checked != n || last.Remediated != n || last.Failed != 0 || last.Incomplete {
		t.Errorf("%+v", last.Summary)
	}
	for _, id := range allIDs(t, client) {
		if sets := f.PoolCalls("SetUserPoolMfaConfig", id); sets != 1 {
			t.Errorf("pool %s written %d times", id, sets)
		}
	}
	perPool, _ := published(t, rg)
	if len(perPool) != n {
		t.Errorf("findings for %d pools, want %d", len(perPool), n)
	}
	for _, id := range c.atCut {
		if perPool[id] != 1 {
			t.Errorf("the write answered at the cut (%s) published %d times", id, perPool[id])
		}
	}
}

// TestLegWithoutProgressEndsTheSweep: a leg that could check nothing
// before its deadline ends the sweep as incomplete rather than handing on
// a continuation that could loop for ever.
func TestLegWithoutProgressEndsTheSweep(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 10)
	rg := newRig(t, client, ``, 1000, 2)
	reps := rg.sweepAll(t, f, 0) // the stop margin has passed as the leg starts
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

var now = time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)

// TestDecode: a continuation carries on only when every field holds; any
// other answers with an error naming the field.
func TestDecode(t *testing.T) {
	const ok = `"started":"2026-11-20T12:00:00Z","legs":2`
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
		{name: "a continuation carries on", event: `{"continuation":{"page":"tok","pageStarted":["us-east-1_a","us-east-1_b"],"last":"us-east-1_b",` + ok +
			`,"sent":130,"tally":{"checked":127,"compliant":100,"calls":{"UserPoolResourceRead":{"calls":130}}}}}`,
			want: &Continuation{Page: "tok", PageStarted: []string{"us-east-1_a", "us-east-1_b"}, Last: "us-east-1_b", Legs: 2, Sent: 130,
				Started: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
				Tally:   Tally{Counts: reconcile.Counts{Checked: 127, Compliant: 100}, Calls: pace.Counts{quota.UserPoolResourceRead: {Calls: 130}}}}},
		{name: "a misspelt field is refused", event: `{"continuation":{"pgae":"120"}}`, err: `unknown field "pgae"`},
		{name: "a mistyped field is refused", event: `{"continuation":{"last":7}}`, err: "event with a continuation"},
		{name: "anything beside the continuation is refused", event: `{"continuation":{},"force":true}`, err: `unknown field "force"`},
		// F4: forged continuations.
		{name: "done -1, the old format", event: `{"continuation":{"done":-1,` + ok + `}}`, err: "continuation.done"},
		{name: "done 1000000, the old format", event: `{"continuation":{"page":"x","done":1000000,` + ok + `}}`, err: "continuation.done"},
		{name: "listed with nothing left", event: `{"continuation":{"listed":true,"last":"us-east-1_a",` + ok + `}}`, err: "continuation.listed"},
		{name: "listed with a page in progress", event: `{"continuation":{"listed":true,"page":"x","last":"us-east-1_a","retry":[{"id":"us-east-1_a"}],` + ok + `}}`, err: "continuation.listed"},
		{name: "a path for a pool", event: `{"continuation":{"retry":[{"id":"../../etc"}],` + ok + `}}`, err: "continuation.retry[0].id"},
		{name: "another Region's pool", event: `{"continuation":{"retry":[{"id":"us-east-1_a"},{"id":"eu-west-1_a"}],` + ok + `}}`, err: "continuation.retry[1].id"},
		{name: "too many to retry", event: `{"continuation":{"retry":[` + strings.Repeat(`{"id":"us-east-1_a"},`, maxRetry) + `{"id":"us-east-1_a"}],` + ok + `}}`, err: "continuation.retry:"},
		{name: "a forged pool in the page", event: `{"continuation":{"page":"x","pageStarted":["x_","us-east-1_a"],"last":"us-east-1_a",` + ok + `}}`, err: "continuation.pageStarted[0]"},
		{name: "a pool twice in the page", event: `{"continuation":{"page":"x","pageStarted":["us-east-1_a","us-east-1_a"],"last":"us-east-1_a",` + ok + `}}`, err: "continuation.pageStarted[1]"},
		{name: "more than a page started", event: `{"continuation":{"pageStarted":[` + strings.Repeat(`"us-east-1_a",`, maxPage) + `"us-east-1_a"],"last":"us-east-1_a",` + ok + `}}`, err: "continuation.pageStarted:"},
		{name: "last is not the last started", event: `{"continuation":{"pageStarted":["us-east-1_a"],"last":"us-east-1_b",` + ok + `}}`, err: "continuation.last"},
		{name: "listed without a last pool", event: `{"continuation":{"listed":true,"retry":[{"id":"us-east-1_a"}],` + ok + `}}`, err: "continuation.last"},
		{name: "a page token before any pool (an empty first page)", event: `{"continuation":{"page":"x",` + ok + `}}`,
			want: &Continuation{Page: "x", Legs: 2, Started: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}},
		{name: "a page token with spaces", event: `{"continuation":{"page":"a b","last":"us-east-1_a",` + ok + `}}`, err: "continuation.page:"},
		{name: "a negative count", event: `{"continuation":{` + ok + `,"tally":{"checked":-6}}}`, err: "continuation.tally.checked: -6"},
		{name: "a negative call count", event: `{"continuation":{` + ok + `,"tally":{"calls":{"UserPoolRead":{"calls":-1}}}}}`, err: "continuation.tally.calls.UserPoolRead.calls"},
		{name: "calls of no quota category", event: `{"continuation":{` + ok + `,"tally":{"calls":{"../../etc":{"calls":1}}}}}`, err: "continuation.tally.calls.../../etc"},
		{name: "a negative profile count", event: `{"continuation":{` + ok + `,"tally":{"profiles":{"a":{"drift":-1}}}}}`, err: "continuation.tally.profiles.a.drift"},
		{name: "statuses beyond the pools checked", event: `{"continuation":{` + ok + `,"sent":9,"tally":{"checked":1,"drift":5}}}`, err: "continuation.tally.checked"},
		// G5: tallies that cannot add up.
		{name: "a count that would overflow", event: `{"continuation":{` + ok + `,"sent":8,"tally":{"checked":8,"compliant":9223372036854775807}}}`, err: "continuation.tally.compliant"},
		{name: "more checked than sent", event: `{"continuation":{` + ok + `,"sent":2,"tally":{"checked":8,"compliant":8}}}`, err: "more than the pools handed to checks"},
		{name: "more users with MFA than active", event: `{"continuation":{` + ok + `,"sent":1,"tally":{"checked":1,"compliant":1,"coverage":{"activeUsers":1000,"withMfa":5000000}}}}`, err: "continuation.tally.coverage.withMfa"},
		{name: "unrecorded carried on", event: `{"continuation":{` + ok + `,"sent":1,"tally":{"checked":1,"compliant":1,"coverage":{"activeUsers":10,"withMfa":2,"unrecorded":3}}}}`, err: "continuation.tally.coverage.unrecorded"},
		{name: "a factor counted beyond MFA", event: `{"continuation":{` + ok + `,"sent":1,"tally":{"checked":1,"compliant":1,"coverage":{"activeUsers":10,"withMfa":2,"factors":{"sms":3}}}}}`, err: "continuation.tally.coverage.factors"},
		{name: "profiles beyond the pools checked", event: `{"continuation":{` + ok + `,"sent":2,"tally":{"checked":2,"compliant":2,"profiles":{"a":{"checked":2,"compliant":2},"b":{"checked":1,"compliant":1}}}}}`, err: "continuation.tally.profiles:"},
		{name: "started more than a day ago", event: `{"continuation":{"started":"2026-11-19T12:00:00Z","legs":1}}`, err: "more than 24h0m0s ago"},
		{name: "started in the future", event: `{"continuation":{"started":"2026-11-21T12:00:00Z","legs":1}}`, err: "continuation.started"},
		{name: "no start", event: `{"continuation":{"legs":1}}`, err: "continuation.started"},
		{name: "no legs", event: `{"continuation":{"started":"2026-11-20T12:00:00Z"}}`, err: "continuation.legs"},
		{name: "too many legs", event: `{"continuation":{"started":"2026-11-20T12:00:00Z","legs":1000}}`, err: "continuation.legs"},
		{name: "too many notes", event: `{"continuation":{` + ok + `,"notes":["a","a","a","a","a","a","a","a","a"]}}`, err: "continuation.notes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := Decode([]byte(tc.event), "us-east-1", now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (got.Page != tc.want.Page || !reflect.DeepEqual(got.PageStarted, tc.want.PageStarted) ||
				got.Last != tc.want.Last || got.Legs != tc.want.Legs || got.Sent != tc.want.Sent || !got.Started.Equal(tc.want.Started) || !reflect.DeepEqual(got.Tally, tc.want.Tally)) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzDecode: no event panics the decoder, and what it accepts holds and
// goes through JSON unchanged (the state machine passes it on as JSON).
// The seeds run with every go test.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"continuation":{"done":-1}}`, `{"continuation":{"done":1000000}}`, `{"continuation":{"listed":true}}`,
		`{"continuation":{"retry":[{"id":"../../etc"}],"started":"2026-11-20T12:00:00Z","legs":1}}`,
		`{"continuation":{"tally":{"checked":-6}}}`, `{"continuation":null}`, `{}`, `[]`, `null`, `{"continuation":[]}`,
		`{"continuation":{"page":"tok","pageStarted":["us-east-1_a"],"last":"us-east-1_a","started":"2026-11-20T12:00:00Z","legs":3,"sent":1,"tally":{"checked":1,"drift":1,"profiles":{"p":{"checked":1}}}}}`,
		`{"continuation":{"listed":true,"last":"us-east-1_a","retry":[{"id":"us-east-1_b","name":"b"}],"started":"2026-11-20T12:00:00Z","legs":1}}`,
		`{"continuation":{"tally":{"calls":{"userPoolRead":1e400}}}}`, `{"continuation":{"tally":{"profiles":null}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		c, _, err := Decode(event, "us-east-1", now)
		if err != nil || c == nil {
			return
		}
		if err := c.Check("us-east-1", now); err != nil {
			t.Fatalf("accepted, yet: %v", err)
		}
		b, err := json.Marshal(Event{Continuation: c})
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := Decode(b, "us-east-1", now)
		if err != nil || again == nil {
			t.Fatalf("%s: its own JSON refused: %v", b, err)
		}
	})
}

// shiftingLister lists pools as moto does: pages of 60, each token naming
// the first pool of the next page, refused once that pool is gone. Pools
// can be deleted from it between legs. The other calls go to the API.
type shiftingLister struct {
	cognito.API
	mu      sync.Mutex
	pools   []cognito.PoolRef
	refused int
}

func (l *shiftingLister) ListUserPools(_ context.Context, in *cip.ListUserPoolsInput, _ ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := 0
	if token := aws.ToString(in.NextToken); token != "" {
		start = slices.IndexFunc(l.pools, func(p cognito.PoolRef) bool { return p.ID == token })
		if start < 0 {
			l.refused++
			return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "invalid token", Fault: smithy.FaultClient}
		}
	}
	end := min(start+60, len(l.pools))
	out := &cip.ListUserPoolsOutput{}
	if end < len(l.pools) {
		out.NextToken = aws.String(l.pools[end].ID)
	}
	for _, p := range l.pools[start:end] {
		out.UserPools = append(out.UserPools, types.UserPoolDescriptionType{Id: aws.String(p.ID), Name: aws.String(p.Name)})
	}
	return out, nil
}

func (l *shiftingLister) delete(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pools = slices.DeleteFunc(l.pools, func(p cognito.PoolRef) bool { return p.ID == id })
}

// TestDeletionBetweenLegs (F3): pools deleted between legs, one the next
// leg's page already started and one the page token names, shift no
// existing pool out of the sweep: every pool still listed at the end is
// checked exactly once, and the sweep is complete.
func TestDeletionBetweenLegs(t *testing.T) {
	f, client := fakeCognito(t)
	const n = 240
	populate(f, n)
	f.Latency = 5 * time.Millisecond
	rg := newRig(t, client, `{"mode":"report","exemptions":{"tagKey":"mfa-policy-exempt"}}`, 1000, 2)
	l := &shiftingLister{API: client}
	for _, id := range allIDs(t, client) {
		l.pools = append(l.pools, cognito.PoolRef{ID: id})
	}
	rg.use(l, nil, pace.Backoff{})
	// Each leg stops after about 25 pool reads, not at the deadline: a cut
	// by time could fall on page boundaries (a slow run, -race, reads one
	// page a leg) and leave no started pool to delete.
	const perLeg = 25
	var legStart int64
	rg.sweeper.Now = func() time.Time {
		if f.Calls("GetUserPoolMfaConfig")-legStart >= perLeg {
			return time.Now().Add(time.Hour)
		}
		return time.Now()
	}
	deleted := map[string]bool{}
	var from *Continuation
	var last Report
	startedGone := 0
	for legs := 0; ; legs++ {
		if legs > 100 {
			t.Fatal("no end")
		}
		legStart = f.Calls("GetUserPoolMfaConfig")
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		last = rg.sweeper.Run(ctx, "123456789012", "us-east-1", from)
		cancel()
		if from = last.Continuation; from == nil {
			break
		}
		// Delete a pool the page in progress already started, and the pool
		// the page token names.
		if len(from.PageStarted) > 1 {
			l.delete(from.PageStarted[0])
			deleted[from.PageStarted[0]] = true
			startedGone++
		}
		if from.Page != "" && legs%2 == 0 {
			l.delete(from.Page)
			deleted[from.Page] = true
		}
	}
	if startedGone == 0 || l.refused == 0 {
		t.Fatalf("deleted %d started pools, %d tokens refused: the test tests nothing (%+v)", startedGone, l.refused, last.Summary)
	}
	if last.Incomplete || last.Error != "" || len(last.Notes) == 0 || last.Legs < 3 {
		t.Errorf("%+v", last.Summary)
	}
	for _, p := range l.pools {
		if got := f.PoolCalls("GetUserPoolMfaConfig", p.ID); got != 1 {
			t.Errorf("pool %s read %d times", p.ID, got)
		}
	}
	if want := n - len(deleted); last.Checked < want || last.Checked > n {
		t.Errorf("checked %d, want %d to %d", last.Checked, want, n)
	}
}

// TestLostPlaceIsIncomplete: when the page token is refused and the last
// pool started is gone too, the sweep cannot tell which pools it missed:
// it ends incomplete, saying why, rather than complete.
func TestLostPlaceIsIncomplete(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 130)
	rg := newRig(t, client, `{"mode":"report"}`, 1000, 2)
	l := &shiftingLister{API: client}
	for _, id := range allIDs(t, client) {
		l.pools = append(l.pools, cognito.PoolRef{ID: id})
	}
	rg.use(l, nil, pace.Backoff{})
	from := &Continuation{Page: l.pools[60].ID, Last: l.pools[59].ID, Started: time.Now(), Legs: 1}
	l.delete(l.pools[60].ID)
	l.delete(l.pools[59].ID)
	rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", from)
	if !rep.Incomplete || rep.Continuation != nil || !strings.Contains(rep.Error, "lost its place") || !strings.Contains(rep.Error, from.Last) {
		t.Errorf("%+v", rep.Summary)
	}
}

// TestHandlerCarriesOn: the handler answers a schedule's event with the
// first leg and an event carrying that leg's continuation with the next,
// writing one EMF line per leg.
func TestHandlerCarriesOn(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 200)
	rg := newRig(t, client, `{"mode":"report"}`, 1000, 2)
	legStarts := rg.legsOf(f, 60)
	var emf strings.Builder
	rg.sweeper.Recorder.Metrics, rg.sweeper.Recorder.Function = &emf, "SweepFunction"
	h := &Handler{Sweeper: rg.sweeper, Region: "us-east-1"}
	event := json.RawMessage(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)
	var legs int
	for ; legs < 50; legs++ {
		legStarts()
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
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
