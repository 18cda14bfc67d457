package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// stormEvent is the golden SetUserPoolMfaConfig event about pool, made at
// at (to the second, as CloudTrail records it).
func stormEvent(t *testing.T, pool string, i int, at time.Time) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(golden(t, "drift-set-user-pool-mfa-config.json"), &ev); err != nil {
		t.Fatal(err)
	}
	d := detailOf(ev)
	d["eventTime"] = at.UTC().Format(time.RFC3339)
	d["eventID"] = fmt.Sprintf("storm-%02d", i)
	d["requestParameters"].(map[string]any)["userPoolId"] = pool
	raw, _ := json.Marshal(ev)
	return raw
}

// TestDriftStorm: a script changes one pool 30 times in three seconds, and
// CloudTrail delivers the 30 events after it to the DriftFunction's
// instances (as many as the template allows), each handling its events
// one at a time as Lambda does, behind a Cognito that throttles every
// category and each operation on one pool at the share. No check fails,
// nothing is throttled, and the pool costs far fewer calls than 30 checks.
func TestDriftStorm(t *testing.T) {
	f, client := cognitofake.StartForTest(t)
	share := quota.Share{Percent: 50}
	f.ThrottleByTable(float64(share.Percent) / 100)
	pool := f.AddPool("storm", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	conc := setup.MaxConcurrency["DriftFunction"]
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	bus := &fakes.Bus{}
	instances := make([]*Handler, conc)
	for i := range instances {
		r := reconcile.New(cognito.NewGateway(client, pace.ForFunction(share, conc), pace.CheckBackoff), policy.Default(), log)
		instances[i] = &Handler{Reconciler: r, Recorder: findings.Recorder{Publisher: findings.NewPublisher(bus, "findings", log), Log: log}, Log: log, Now: time.Now}
	}

	end := time.Now()
	queue := make(chan []byte, 30)
	for i := range 30 {
		queue <- stormEvent(t, pool, i, end.Add(-3*time.Second+time.Duration(i)*100*time.Millisecond))
	}
	close(queue)
	var mu sync.Mutex
	outcomes := map[reconcile.Status]int{}
	var wg sync.WaitGroup
	for _, h := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range queue {
				fnd, err := h.Handle(context.Background(), ev)
				mu.Lock()
				outcomes[fnd.Status]++
				if err != nil {
					outcomes["error"]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if outcomes[reconcile.Failed] != 0 || outcomes["error"] != 0 || outcomes[reconcile.Remediated] == 0 {
		t.Errorf("outcomes %v", outcomes)
	}
	calls := f.Calls("GetUserPoolMfaConfig") + f.Calls("DescribeUserPool") + f.Calls("SetUserPoolMfaConfig")
	// One check of a pool costs at least one read: 30 checks, 30 calls.
	if calls >= 30 || f.Throttled() != 0 {
		t.Errorf("%d Cognito calls (%d throttled) for 30 events", calls, f.Throttled())
	}
	if got, _ := f.Pool(pool); got.MfaConfiguration != "ON" {
		t.Errorf("pool left %+v", got)
	}
	t.Logf("30 events: %d Cognito calls, outcomes %v", calls, outcomes)
}

// TestChecksShareOnlyWhatSawTheChange: an event shares a check, done or in
// flight, only if the check started well after the event's call; a failed
// check and an event of unknown time share nothing.
func TestChecksShareOnlyWhatSawTheChange(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := t0
	now := func() time.Time { return clock }
	var c checks
	runs := 0
	do := func(s reconcile.Status) func() reconcile.Result {
		return func() reconcile.Result { runs++; return reconcile.Result{Status: s} }
	}
	step := func(name string, event time.Time, s reconcile.Status, wantShared bool) {
		t.Helper()
		before := runs
		if _, with := c.run("p", name, event, now, do(s)); (with != "") != wantShared || (runs == before) != wantShared {
			t.Errorf("%s: shared with %q (runs %d -> %d), want shared %v", name, with, before, runs, wantShared)
		}
	}
	step("first event", t0.Add(-time.Minute), reconcile.Remediated, false)
	step("an event a minute before that check", t0.Add(-time.Minute), reconcile.Compliant, true)
	step("an event in the second the check started", t0, reconcile.Compliant, false)
	clock = t0.Add(time.Minute)
	step("a failing check", t0, reconcile.Failed, false)
	step("after a failed check", t0, reconcile.Compliant, false)
	step("an event of unknown time", time.Time{}, reconcile.Compliant, false)

	// In flight: the second event waits for the running check and shares it.
	release := make(chan struct{})
	started := make(chan struct{})
	clock = t0.Add(2 * time.Minute)
	go c.run("q", "first", t0, now, func() reconcile.Result {
		close(started)
		<-release
		return reconcile.Result{Status: reconcile.Remediated}
	})
	<-started
	done := make(chan string)
	go func() { _, with := c.run("q", "second", t0, now, do(reconcile.Compliant)); done <- with }()
	select {
	case <-done:
		t.Fatal("the second event did not wait for the check in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if with := <-done; with != "first" {
		t.Errorf("the second event shared %q, want the check in flight", with)
	}
}
