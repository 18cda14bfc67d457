package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	localinvoke.RemoveBuilds()
	os.Exit(code)
}

const root = "../.."

var scheduled = []byte(`{"version":"0","id":"5e0b6a4c-0f64-4b8e-9a3b-8c1e2f3a4b5c","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-20T12:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/enforcer-SweepSchedule"],"detail":{}}`)

func run(t *testing.T, rt *localinvoke.Runtime) sweep.Report {
	t.Helper()
	res, err := rt.Invoke(context.Background(), scheduled)
	if err != nil || res.Err != nil {
		t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var rep sweep.Report
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestSweepFunctionEndToEnd runs the built bootstrap against moto over
// more than one ListUserPools page of pools with a mix of drift.
func TestSweepFunctionEndToEnd(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	var specs []testbed.PoolSpec
	for i := range 66 {
		switch i % 6 {
		case 0, 1:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprintf("ok-%d", i), Level: "ON", Factors: []policy.Factor{policy.SoftwareToken}})
		case 2:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprintf("off-%d", i), Level: "OFF"})
		case 3:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprintf("sms-%d", i), Level: "OPTIONAL", Factors: []policy.Factor{policy.SMS}})
		case 4:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprintf("exempt-%d", i), Level: "OFF", Tags: map[string]string{"mfa-policy-exempt": "legacy"}})
		case 5:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprintf("opt-totp-%d", i), Level: "OPTIONAL", Factors: []policy.Factor{policy.SoftwareToken}})
		}
	}
	t0 := time.Now()
	ids, err := m.Seed(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d pools in %s", len(ids), time.Since(t0))
	bus, err := m.FindingsBus(ctx, "sweep-findings")
	if err != nil {
		t.Fatal(err)
	}
	const doc = `{"exemptions":{"tagKey":"mfa-policy-exempt"}%s}`
	params := func(mode string) map[string]string {
		return map[string]string{"ExistingFindingsBusName": bus.Name, "PolicyDocument": fmt.Sprintf(doc, mode)}
	}

	// moto never throttles: the highest cap allowed, so the test spends its time on checks.
	env := append(m.Env(), "MAX_REQUESTS_PER_SECOND=15")
	t0 = time.Now()
	rep := run(t, localinvoke.StartForTest(t, root, name, params(`,"mode":"report"`), env))
	t.Logf("report sweep %s", time.Since(t0))
	if rep.Checked != 66 || rep.Compliant != 22 || rep.Drift != 33 || rep.Exempt != 11 || rep.Failed != 0 || rep.Incomplete || len(rep.Pools) != 44 {
		t.Fatalf("report mode: %+v (%d pools listed)", rep.Summary, len(rep.Pools))
	}
	events, err := bus.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 45 || events[len(events)-1].DetailType != findings.DetailTypeSummary {
		t.Errorf("%d events on the bus, want 44 findings and the summary", len(events))
	}
	for i, id := range ids {
		got, err := m.GetMFA(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.MfaConfiguration != specs[i].Level {
			t.Fatalf("report mode changed %s: %s", specs[i].Name, got)
		}
		if i > 6 {
			break // the CLI is slow; the counts above cover the rest
		}
	}

	rt := localinvoke.StartForTest(t, root, name, params(""), env)
	rep = run(t, rt)
	if rep.Remediated != 33 || rep.Exempt != 11 || rep.Compliant != 22 || rep.Failed != 0 {
		t.Fatalf("enforce mode: %+v", rep.Summary)
	}
	for i := range 6 {
		got, err := m.GetMFA(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		want := "ON"
		if strings.HasPrefix(specs[i].Name, "exempt") {
			want = "OFF"
		}
		if got.MfaConfiguration != want {
			t.Errorf("%s after enforce: %s", specs[i].Name, got)
		}
		if strings.HasPrefix(specs[i].Name, "sms") && (got.SmsMfaConfiguration == nil ||
			got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn != testbed.SNSCallerARN || got.SmsMfaConfiguration.SmsAuthenticationMessage != testbed.SMSMessage) {
			t.Errorf("SMS settings lost: %s", got)
		}
	}
	if !strings.Contains(rt.Logs(), `"_aws"`) || !strings.Contains(rt.Logs(), `"PoolsRemediated":33`) {
		t.Errorf("no EMF metrics line in the logs")
	}

	// A second sweep writes nothing: everything is compliant or exempt.
	rep = run(t, rt)
	if rep.Remediated != 0 || rep.Compliant != 55 || rep.Exempt != 11 {
		t.Errorf("second sweep: %+v", rep.Summary)
	}
}

// TestSweepFunctionUnderThrottling runs the built bootstrap against the
// fast fake, which throttles above 5 calls per second and at random.
func TestSweepFunctionUnderThrottling(t *testing.T) {
	if testing.Short() {
		t.Skip("sustained throttling runs for seconds: skipped with -short")
	}
	f := cognitofake.New()
	f.ThrottleRate, f.ThrottleProb = 5, 0.05
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 30 {
		f.AddPool(fmt.Sprintf("p%d", i), nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	}
	rep := run(t, localinvoke.StartForTest(t, root, name, map[string]string{"MaxRequestsPerSecond": "10"}, f.Env()))
	if rep.Failed != 0 || rep.Remediated != 30 || rep.Incomplete {
		t.Errorf("%+v", rep.Summary)
	}
	if f.Throttled() == 0 {
		t.Error("the fake never throttled")
	}
}
