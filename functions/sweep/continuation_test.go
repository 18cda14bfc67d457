package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

// TestSweepFunctionRefusesForgedContinuations (F4): the built bootstrap
// answers each forged continuation with an error naming the field, makes
// no AWS call, and keeps running (no panic in any goroutine).
func TestSweepFunctionRefusesForgedContinuations(t *testing.T) {
	t.Parallel()
	f := cognitofake.New()
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": `{"mode":"report"}`}, f.Env())
	started := `"started":"` + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `","legs":1`
	for _, tc := range []struct{ name, continuation, field string }{
		{"done -1", `{"done":-1,` + started + `}`, "continuation.done"},
		{"done 1000000", `{"done":1000000,` + started + `}`, "continuation.done"},
		{"listed with nothing left", `{"listed":true,` + started + `}`, "continuation.listed"},
		{"a path to retry", `{"retry":[{"id":"../../etc"}],` + started + `}`, "continuation.retry[0].id"},
		{"a negative tally", `{` + started + `,"tally":{"checked":-6}}`, "continuation.tally.checked"},
		{"a negative call count", `{` + started + `,"tally":{"calls":{"UserPoolRead":{"throttled":-3}}}}`, "continuation.tally.calls.UserPoolRead.throttled"},
		{"started in the future", `{"started":"2099-01-01T00:00:00Z","legs":1}`, "continuation.started"},
		{"endless legs", `{` + started[:strings.Index(started, `,"legs"`)] + `,"legs":100000}`, "continuation.legs"},
		{"an overflowing tally", `{` + started + `,"sent":8,"tally":{"checked":8,"compliant":9223372036854775807}}`, "continuation.tally.compliant"},
		{"more users with MFA than active", `{` + started + `,"sent":1,"tally":{"checked":1,"compliant":1,"coverage":{"activeUsers":1000,"withMfa":5000000}}}`, "continuation.tally.coverage.withMfa"},
		{"a sweep of last year", `{"started":"2025-12-01T00:00:00Z","legs":1}`, "continuation.started"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := rt.Invoke(context.Background(), []byte(`{"continuation":`+tc.continuation+`}`))
			if err != nil {
				t.Fatalf("invoke: %v\n%s", err, rt.Logs())
			}
			if res.Err == nil || !strings.Contains(res.Err.Error(), tc.field) {
				t.Fatalf("answered %s (%v), want an error naming %s", res.Payload, res.Err, tc.field)
			}
		})
	}
	if n := f.Calls("ListUserPools") + f.Calls("GetUserPoolMfaConfig") + f.Calls("GetResources"); n != 0 {
		t.Errorf("%d AWS calls for forged continuations", n)
	}
	// Still alive: a schedule's event sweeps.
	if rep := run(t, rt); rep.Checked != 1 || rep.Incomplete {
		t.Errorf("after the forged events: %+v", rep.Summary)
	}
	// A continuation that holds but was not handed on within an execution
	// (replayed, by hand): the sweep carries on and ends incomplete, saying why.
	res, err := rt.Invoke(context.Background(), []byte(`{"continuation":{`+started+`,"execution":"arn:aws:states:us-east-1:123456789012:execution:SweepStateMachine:old"},`+
		`"execution":"arn:aws:states:us-east-1:123456789012:execution:SweepStateMachine:new"}`))
	var rep sweep.Report
	if err != nil || res.Err != nil || json.Unmarshal(res.Payload, &rep) != nil || !rep.Incomplete ||
		!strings.Contains(strings.Join(rep.Notes, " "), "cannot prove it checked every pool") {
		t.Errorf("a replayed continuation: %v %v %s", err, res.Err, res.Payload)
	}
}

// TestSweepFunctionResumesByIdentity (F3) runs the built bootstrap against
// moto with the continuations a cut-off leg writes, after deleting pools
// between legs: a pool of the page in progress already checked (which
// shifted the next pool out when legs resumed by position), and the pool
// moto's page token names (moto then refuses the token, and the leg lists
// again from the start). Every remaining pool after the last one started
// is checked exactly once, none before it, and the sweep is complete. It
// has an account of its own: the other tests count the default one's pools.
func TestSweepFunctionResumesByIdentity(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	const account = "666666666666"
	acct, err := m.AssumeAccount(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	var specs []testbed.PoolSpec
	for i := range 70 {
		specs = append(specs, testbed.PoolSpec{Name: fmt.Sprintf("resume-%d", i), Level: "OFF"})
	}
	if _, err := acct.Seed(ctx, specs); err != nil {
		t.Fatal(err)
	}
	bus, err := acct.FindingsBus(ctx, "resume-findings")
	if err != nil {
		t.Fatal(err)
	}
	client, err := acct.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The account's pools in ListUserPools order.
	list := func() (ids []string, firstToken string) {
		t.Helper()
		var token *string
		for {
			out, err := client.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.UserPools {
				ids = append(ids, aws.ToString(p.Id))
			}
			if firstToken == "" {
				firstToken = aws.ToString(out.NextToken)
			}
			if token = out.NextToken; token == nil {
				return ids, firstToken
			}
		}
	}
	rt := localinvoke.StartForTestIn(t, root, name, account, map[string]string{"ExistingFindingsBusName": bus.Name, "PolicyDocument": `{"mode":"report"}`},
		append(acct.Env, "MAX_READS_PER_SECOND=15", "MAX_WRITES_PER_SECOND=15"))
	started := time.Now().Add(-time.Minute).UTC()

	cases := []struct {
		name string
		// cut returns the continuation a leg cut off there writes, and the
		// pools to delete before the next leg.
		cut func(ids []string, token string) (sweep.Continuation, []string)
	}{
		{"a checked pool of the page in progress deleted", func(ids []string, _ string) (sweep.Continuation, []string) {
			return sweep.Continuation{PageStarted: ids[:30], Last: ids[29], Started: started, Legs: 1}, []string{ids[3]}
		}},
		{"the pool the page token names deleted", func(ids []string, token string) (sweep.Continuation, []string) {
			return sweep.Continuation{Page: token, Last: ids[59], Started: started, Legs: 1}, []string{ids[60]}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids, token := list()
			if len(ids) <= 60 || token == "" {
				t.Fatalf("%d pools: one page", len(ids))
			}
			c, gone := tc.cut(ids, token)
			for _, id := range gone {
				if err := acct.CLI(ctx, nil, "cognito-idp", "delete-user-pool", "--user-pool-id", id); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := bus.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			const execution = "arn:aws:states:us-east-1:666666666666:execution:SweepStateMachine:resumes"
			c.Execution = execution
			event, _ := json.Marshal(sweep.Event{Continuation: &c, Execution: execution})
			res, err := rt.Invoke(ctx, event)
			if err != nil || res.Err != nil {
				t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
			}
			var rep sweep.Report
			if err := json.Unmarshal(res.Payload, &rep); err != nil {
				t.Fatal(err)
			}
			events, err := bus.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, e := range events {
				var d struct{ PoolID string }
				if e.DetailType != findings.DetailTypeSummary && json.Unmarshal(e.Detail, &d) == nil {
					seen[d.PoolID]++
				}
			}
			var after []string // the pools left after the last one started
			for _, id := range ids[slices.Index(ids, c.Last)+1:] {
				if !slices.Contains(gone, id) {
					after = append(after, id)
				}
			}
			for _, id := range after {
				if seen[id] != 1 {
					t.Errorf("pool %s: %d findings, want 1", id, seen[id])
				}
			}
			if len(seen) != len(after) {
				t.Errorf("findings for %d pools, want the %d after %s", len(seen), len(after), c.Last)
			}
			if rep.Incomplete || rep.Continuation != nil || rep.Checked != c.Tally.Checked+len(after) {
				t.Errorf("%+v", rep.Summary)
			}
			if c.Page != "" && !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "refused the page token") }) {
				t.Errorf("no note of the listing started again: %v", rep.Notes)
			}
		})
	}
}
