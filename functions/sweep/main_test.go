package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

// own gives a test a moto of its own and runs it beside the package's
// other tests: each sweeps a whole account, and most of a sweep is waiting
// on its pace.
func own(t *testing.T) *testbed.Moto {
	t.Helper()
	t.Parallel()
	return testbed.Own(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
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
	m := own(t)
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
	env := append(m.Env(), "QUOTA_SHARE=100")
	t0 = time.Now()
	rep := run(t, localinvoke.StartForTest(t, root, name, params(`,"mode":"report"`), env))
	t.Logf("report sweep %s", time.Since(t0))
	if rep.Checked != 66 || rep.Compliant != 22 || rep.Drift != 33 || rep.Exempt != 11 || rep.Failed != 0 || rep.Incomplete || len(rep.Pools) != 44 {
		t.Fatalf("report mode: %+v (%d pools listed)", rep.Summary, len(rep.Pools))
	}
	// moto's tagging API (with the launcher's patch) told the exempt pools:
	// no note of a fallback to DescribeUserPool, one leg, no continuation.
	if len(rep.Notes) != 0 || rep.Legs != 1 || rep.Continuation != nil || rep.Calls[quota.UserPoolResourceRead].Calls == 0 {
		t.Errorf("report mode: %+v", rep.Summary)
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
	if logs := rt.LogsWhen(`"PoolsRemediated":33`, 1); !strings.Contains(logs, `"_aws"`) || !strings.Contains(logs, `"PoolsRemediated":33`) {
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
	t.Parallel()
	f := cognitofake.New()
	f.ThrottleRate, f.ThrottleProb = 5, 0.05
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 30 {
		f.AddPool(fmt.Sprintf("p%d", i), nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	}
	rep := run(t, localinvoke.StartForTest(t, root, name, map[string]string{"QuotaSharePercent": "50", "PolicyDocument": "{}"}, f.Env()))
	if rep.Failed != 0 || rep.Remediated != 30 || rep.Incomplete {
		t.Errorf("%+v", rep.Summary)
	}
	if f.Throttled() == 0 {
		t.Error("the fake never throttled")
	}
}

// TestSweepFunctionContinues runs the continuation contract end to end:
// the built bootstrap under a deadline so close that each leg checks a few
// dozen pools, invoked as the state machine does, with {"continuation": ...}
// from the last answer until it is null. Every pool is read exactly once
// and the last answer counts them all.
func TestSweepFunctionContinues(t *testing.T) {
	if testing.Short() {
		t.Skip("legs paced at 15 reads per second run for seconds: skipped with -short")
	}
	t.Parallel()
	f := cognitofake.New()
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const n = 90
	var ids []string
	for i := range n {
		switch i % 3 {
		case 0:
			ids = append(ids, f.AddPool(fmt.Sprintf("ok-%d", i), nil, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}))
		case 1:
			ids = append(ids, f.AddPool(fmt.Sprintf("off-%d", i), nil, cognitofake.MFA{MfaConfiguration: "OFF"}))
		case 2:
			ids = append(ids, f.AddPool(fmt.Sprintf("exempt-%d", i), map[string]string{"mfa-policy-exempt": "legacy"}, cognitofake.MFA{MfaConfiguration: "OFF"}))
		}
	}
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"QuotaSharePercent": "100",
		"PolicyDocument": `{"mode":"report","exemptions":{"tagKey":"mfa-policy-exempt"}}`}, f.Env())
	// 2 s of each leg before its stop margin (20 s before the deadline).
	rt.SetTimeout(sweep.StopMargin + 2*time.Second)

	const execution = "arn:aws:states:us-east-1:123456789012:execution:SweepStateMachine:continues"
	event := []byte(`{"continuation":null,"execution":"` + execution + `"}`)
	var reps []sweep.Report
	for len(reps) < 30 {
		res, err := rt.Invoke(context.Background(), event)
		if err != nil || res.Err != nil {
			t.Fatalf("leg %d: %v %v\n%s", len(reps)+1, err, res.Err, rt.Logs())
		}
		var rep sweep.Report
		var raw struct{ Continuation json.RawMessage }
		if err := json.Unmarshal(res.Payload, &rep); err != nil || json.Unmarshal(res.Payload, &raw) != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
		if rep.Continuation == nil {
			break
		}
		// As the state machine does: the answer's continuation, as it is,
		// and the execution's ID.
		event = []byte(`{"continuation":` + string(raw.Continuation) + `,"execution":"` + execution + `"}`)
	}
	last := reps[len(reps)-1]
	t.Logf("%d legs", len(reps))
	if len(reps) < 3 || last.Continuation != nil {
		t.Fatalf("%d legs: the deadline did not cut the sweep, or it never ended", len(reps))
	}
	if last.Checked != n || last.Compliant != n/3 || last.Drift != n/3 || last.Exempt != n/3 || last.Failed != 0 || last.Incomplete || last.Legs != len(reps) {
		t.Errorf("last leg: %+v", last.Summary)
	}
	for _, id := range ids {
		if got := f.PoolCalls("GetUserPoolMfaConfig", id); got != 1 {
			t.Errorf("pool %s read %d times", id, got)
		}
	}
	// One EMF line per leg; the last may still be in the pipe.
	emf := func() int { return strings.Count(rt.Logs(), `"_aws"`) }
	for wait := time.Now().Add(5 * time.Second); emf() < len(reps) && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	if got := emf(); got != len(reps) {
		t.Errorf("%d EMF lines for %d legs", got, len(reps))
	}
}

// TestSweepFunctionFollowsThePolicyParameter: a warm SweepFunction reads
// its policy from an SSM parameter, takes a new version after the refresh
// interval without a redeploy, and refuses an invalid version while the
// last valid one keeps working. Findings and the summary name the version.
func TestSweepFunctionFollowsThePolicyParameter(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 30 s refresh interval twice")
	}
	m := own(t)
	ctx := context.Background()
	ids, err := m.Seed(ctx, []testbed.PoolSpec{{Name: "param-off", Level: "OFF"},
		{Name: "param-sms", Level: "OPTIONAL", Factors: []policy.Factor{policy.SMS}}})
	if err != nil {
		t.Fatal(err)
	}
	bus, err := m.FindingsBus(ctx, "param-findings")
	if err != nil {
		t.Fatal(err)
	}
	const param = "/enforcer/param-test/policy"
	put := func(doc string) int64 {
		t.Helper()
		v, err := m.PutParameter(ctx, param, doc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := put(`{"mode":"report"}`)
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"ExistingFindingsBusName": bus.Name, "PolicyParameter": param,
		"PolicyRefreshSeconds": "30"}, append(m.Env(), "QUOTA_SHARE=100"))
	source := "ssm:" + param

	steps := []struct {
		name        string
		publish     string // a new version before the run; "" none
		wait        time.Duration
		wantVersion int64 // in force for the run
		want        reconcile.Status
	}{
		{"first version: report", "", 0, first, reconcile.Drift},
		{"invalid version, not read yet", `{"mode":"Enforce"}`, 0, first, reconcile.Drift},
		{"invalid version refused after the interval", "", 31 * time.Second, first, reconcile.Drift},
		{"valid version taken after the interval", `{"mode":"enforce"}`, 31 * time.Second, first + 2, reconcile.Remediated},
	}
	for _, step := range steps {
		if step.publish != "" {
			put(step.publish)
		}
		time.Sleep(step.wait)
		rep := run(t, rt)
		if rep.Policy != (policy.Origin{Source: source, Version: step.wantVersion}) {
			t.Fatalf("%s: summary under %+v, want version %d", step.name, rep.Policy, step.wantVersion)
		}
		// Other tests' pools share the account: look at this test's alone.
		for _, id := range ids {
			i := slices.IndexFunc(rep.Pools, func(p sweep.PoolReport) bool { return p.PoolID == id })
			if i < 0 || rep.Pools[i].Status != step.want {
				t.Fatalf("%s: pool %s not %s: %+v", step.name, id, step.want, rep.Pools)
			}
		}
	}
	logs := rt.LogsWhen(`"PolicyVersionRefused":1`, 1)
	if n := strings.Count(logs, `"PolicyVersionRefused":1`); n != 1 || !strings.Contains(logs, fmt.Sprintf("version %d: policy: mode", first+1)) {
		t.Errorf("want one refusal naming version %d and the field, got %d:\n%s", first+1, n, logs)
	}
	for _, id := range ids {
		if got, _ := m.GetMFA(ctx, id); got.MfaConfiguration != "ON" {
			t.Errorf("pool %s not corrected by the new version: %s", id, got)
		}
	}
	events, err := bus.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if !slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(string(e.Detail), id) }) && e.DetailType != findings.DetailTypeSummary {
			continue
		}
		var d struct{ Policy policy.Origin }
		if err := json.Unmarshal(e.Detail, &d); err != nil || d.Policy.Source != source || d.Policy.Version == 0 {
			t.Errorf("%s lacks the policy's source and version (%v): %s", e.DetailType, err, e.Detail)
		}
	}
}

// TestSweepFunctionProfiles: a sweep over pools tagged with two profiles
// and one untagged corrects each to its own profile (tags read in bulk
// from moto's tagging API); findings and the summary name the profile.
func TestSweepFunctionProfiles(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	const tag = "mfa-policy-profile"
	specs := []testbed.PoolSpec{
		{Name: "profile-workforce", Level: "OFF", Tags: map[string]string{tag: "workforce"}},
		{Name: "profile-consumer", Level: "OFF", Tags: map[string]string{tag: "consumer"}},
		{Name: "profile-untagged", Level: "OFF"},
	}
	ids, err := m.Seed(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	bus, err := m.FindingsBus(ctx, "profile-findings")
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"version": 2,
	  "profiles": {
	    "workforce": {"mfaConfiguration": "ON", "factors": {"softwareToken": "required", "sms": "forbidden"}},
	    "consumer": {"mfaConfiguration": "OPTIONAL", "factors": {"softwareToken": "required", "sms": "allowed"}},
	    "baseline": {"mfaConfiguration": "OPTIONAL", "mode": "report"}
	  },
	  "default": "baseline", "profileTag": "` + tag + `"}`
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"ExistingFindingsBusName": bus.Name, "PolicyDocument": doc},
		append(m.Env(), "QUOTA_SHARE=100"))
	rep := run(t, rt)

	want := []struct {
		profile string
		status  reconcile.Status
		level   string
	}{
		{"workforce", reconcile.Remediated, "ON"},
		{"consumer", reconcile.Remediated, "OPTIONAL"},
		{"baseline", reconcile.Drift, "OFF"},
	}
	for i, w := range want {
		j := slices.IndexFunc(rep.Pools, func(p sweep.PoolReport) bool { return p.PoolID == ids[i] })
		if j < 0 || rep.Pools[j].Profile != w.profile || rep.Pools[j].Status != w.status {
			t.Errorf("%s: want %s by %s in %+v", specs[i].Name, w.status, w.profile, rep.Pools)
		}
		got, err := m.GetMFA(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if got.MfaConfiguration != w.level || w.level != "OFF" && !got.TOTP() {
			t.Errorf("%s after the sweep: %s, want %s with TOTP", specs[i].Name, got, w.level)
		}
	}
	if len(rep.Notes) != 0 {
		t.Errorf("tags not read in bulk: %v", rep.Notes)
	}
	// Other tests' pools share the account and fall to the default profile.
	if rep.Profiles["workforce"].Remediated != 1 || rep.Profiles["consumer"].Remediated != 1 || rep.Profiles["baseline"].Drift < 1 {
		t.Errorf("summary by profile: %+v", rep.Profiles)
	}
	events, err := bus.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range events {
		var d struct {
			PoolID, Profile string
			Profiles        map[string]reconcile.Counts
		}
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if e.DetailType == findings.DetailTypeSummary && d.Profiles["consumer"].Remediated != 1 {
			t.Errorf("summary event without the counts by profile: %s", e.Detail)
		}
		seen[d.PoolID] = d.Profile
	}
	for i, w := range want {
		if seen[ids[i]] != w.profile {
			t.Errorf("%s: finding names profile %q, want %q", specs[i].Name, seen[ids[i]], w.profile)
		}
	}
}

// TestSweepFunctionAdaptive runs the built bootstrap over pools with
// adaptive authentication under a policy that accepts it as MFA ON: an
// equivalent pool stays OPTIONAL and its finding names the control; an
// app client's override below the minimum is found in report mode (no
// write) and raised in enforce mode with its other settings kept; a pool
// below Plus and one in AUDIT mode are raised to ON with the reason in
// their findings; a pool at ON is never lowered.
func TestSweepFunctionAdaptive(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	specs := []testbed.PoolSpec{
		testbed.AdaptivePool("equivalent", testbed.ClientSpec{Name: "web"}),
		testbed.AdaptivePool("override", testbed.ClientSpec{Name: "web"}, testbed.ClientSpec{Name: "kiosk", Risk: testbed.RiskConfig("NO_ACTION", "BLOCK", "NO_ACTION")}),
		testbed.AdaptivePool("essentials"),
		testbed.AdaptivePool("audit"),
		testbed.AdaptivePool("on"),
	}
	specs[2].Tier, specs[2].ThreatProtection, specs[2].Risk = types.UserPoolTierTypeEssentials, "", nil
	specs[3].ThreatProtection = types.AdvancedSecurityModeTypeAudit
	specs[4].Level = "ON"
	ids, err := m.Seed(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	bus, err := m.FindingsBus(ctx, "adaptive-findings")
	if err != nil {
		t.Fatal(err)
	}
	params := func(mode string) map[string]string {
		doc := fmt.Sprintf(`{"mode":%q,"adaptiveAuthentication":{"acceptAsOn":true}}`, mode)
		return map[string]string{"ExistingFindingsBusName": bus.Name, "PolicyDocument": doc}
	}
	env := append(m.Env(), "QUOTA_SHARE=100")
	byPool := func(t *testing.T) map[string]findings.Finding { return lastFindings(t, bus, ids...) }
	clients, err := m.ClientIDs(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}

	run(t, localinvoke.StartForTest(t, root, name, params("report"), env))
	got := byPool(t)
	if f := got[ids[0]]; f.Status != reconcile.Compliant || f.Equivalent != policy.Equivalent || f.Adaptive == nil || len(f.Adaptive.Effective) != 2 {
		t.Errorf("equivalent pool, report mode: %+v", f)
	}
	if f := got[ids[1]]; f.Status != reconcile.Drift || len(f.Violations) != 1 || f.Violations[0].Client != clients["kiosk"] || f.Violations[0].RiskLevel != "high" {
		t.Errorf("override, report mode: %+v", f)
	}
	if kiosk, _ := m.Risk(ctx, ids[1], clients["kiosk"]); kiosk.AccountTakeoverRiskConfiguration.Actions["HighAction"].EventAction != "NO_ACTION" {
		t.Errorf("report mode wrote the kiosk client: %+v", kiosk)
	}

	run(t, localinvoke.StartForTest(t, root, name, params("enforce"), env))
	got = byPool(t)
	for i, want := range []struct {
		status reconcile.Status
		level  string
		reason string
	}{
		{reconcile.Compliant, "OPTIONAL", ""},
		{reconcile.Remediated, "OPTIONAL", ""},
		{reconcile.Remediated, "ON", "plan is ESSENTIALS"},
		{reconcile.Remediated, "ON", "threat protection is AUDIT"},
		{"", "ON", ""}, // compliant, not equivalent: no finding
	} {
		f, published := got[ids[i]]
		if published && (f.Status != want.status || want.reason != "" && (f.Adaptive == nil || !strings.Contains(f.Adaptive.Reason, want.reason))) ||
			!published && want.status != "" {
			t.Errorf("%s: published %v, %s, judgement %+v; want %s (%s)", specs[i].Name, published, f.Status, f.Adaptive, want.status, want.reason)
		}
		if mfa, err := m.GetMFA(ctx, ids[i]); err != nil || mfa.MfaConfiguration != want.level {
			t.Errorf("%s: %s, want %s", specs[i].Name, mfa, want.level)
		}
	}
	kiosk, err := m.Risk(ctx, ids[1], clients["kiosk"])
	if err != nil {
		t.Fatal(err)
	}
	at := kiosk.AccountTakeoverRiskConfiguration
	if at.Actions["HighAction"].EventAction != "MFA_REQUIRED" || at.Actions["MediumAction"].EventAction != "BLOCK" || at.Actions["LowAction"].EventAction != "NO_ACTION" ||
		!at.Actions["HighAction"].Notify || at.NotifyConfiguration == nil || at.NotifyConfiguration.SourceArn != testbed.NotifySourceARN ||
		kiosk.RiskExceptionConfiguration == nil || !slices.Equal(kiosk.RiskExceptionConfiguration.BlockedIPRangeList, []string{testbed.BlockedRange}) {
		t.Errorf("the kiosk client after the correction: %+v", kiosk)
	}
}

// TestSweepFunctionTodaysCognito runs the built bootstrap over a pool whose
// SMS MFA sends through AWS End User Messaging and an SNS pool, both
// raised to ON with their SMS blocks kept byte for byte; with a raised
// provisioned limit the sweep paces at it, and with GetProvisionedLimit
// denied it paces at AWS's published defaults and says so.
func TestSweepFunctionTodaysCognito(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	ids, before, err := m.SMSPools(ctx, "-sweep")
	if err != nil {
		t.Fatal(err)
	}
	const doc = "{}" // the default policy, enforced: ON
	t.Cleanup(func() { _ = m.Provision(nil, false) })
	if err := m.Provision(map[string]int{"UserPoolResourceRead": 40}, false); err != nil {
		t.Fatal(err)
	}
	rep := run(t, localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": doc}, m.Env()))
	if rep.Remediated != 2 || rep.Failed != 0 {
		t.Fatalf("%+v", rep.Summary)
	}
	if got := rep.Limits[quota.UserPoolResourceRead]; got.RPS != 40 || got.Source != "provisioned" {
		t.Errorf("UserPoolResourceRead %+v, want the provisioned 40", got)
	}
	if got := rep.Limits[quota.UserPoolRead]; got.RPS != 15 || got.Source != "provisioned" {
		t.Errorf("UserPoolRead %+v, want the provisioned 15 (the published default, as the account has it)", got)
	}
	after, err := m.SMSBlocks(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if after[id] != before[id] || !strings.Contains(before[ids[0]], `"EumsSms"`) {
			t.Errorf("%s: SMS block changed by the sweep:\nbefore %s\nafter  %s", id, before[id], after[id])
		}
	}

	if err := m.Provision(nil, true); err != nil {
		t.Fatal(err)
	}
	rep = run(t, localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": doc}, m.Env()))
	if got := rep.Limits[quota.UserPoolResourceRead]; got.RPS != 20 || got.Source != "published default" ||
		!strings.Contains(strings.Join(rep.Notes, " "), "GetProvisionedLimit was denied") {
		t.Errorf("with GetProvisionedLimit denied: %+v, notes %v", got, rep.Notes)
	}
}

// TestSweepFunctionPublishesTheWriteAtTheCut: Cognito applies a
// correction whose answer never comes before the leg's cut-off; the built
// bootstrap confirms the write with one read and publishes the pool as
// remediated, counted so, rather than leaving it to a next leg that would
// find it compliant and say nothing.
func TestSweepFunctionPublishesTheWriteAtTheCut(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "sweep-cut")
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.CreatePool(ctx, "cut", nil, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	proxy := m.Record()
	t.Cleanup(proxy.Close) // after the bootstrap stops: the held answer ends then
	proxy.HoldAnswer("cognito-idp:SetUserPoolMfaConfig", id)
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": "{}", "ExistingFindingsBusName": bus.Name}, proxy.Env())
	rt.SetTimeout(sweep.StopMargin + time.Second) // the cut-off comes sweep.FinishMargin before the deadline
	rep := run(t, rt)
	if rep.Remediated != 1 || rep.Failed != 0 || rep.Continuation != nil || !strings.Contains(rt.LogsWhen(`"outcome":"confirmed"`, 1), `"outcome":"confirmed"`) {
		t.Errorf("%+v\n%s", rep.Summary, rt.Logs())
	}
	if got, _ := m.GetMFA(ctx, id); got.MfaConfiguration != "ON" {
		t.Errorf("pool %s", got)
	}
	if f, ok := lastFindings(t, bus, id)[id]; !ok || f.Status != reconcile.Remediated || len(f.Changes) == 0 {
		t.Errorf("the correction is not published as remediated: %+v", f)
	}
}

// lastFindings drains bus and returns the last pool finding of each of ids.
func lastFindings(t *testing.T, bus *testbed.Bus, ids ...string) map[string]findings.Finding {
	t.Helper()
	events, err := bus.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]findings.Finding{}
	for _, e := range events {
		var f findings.Finding
		if e.DetailType == findings.DetailTypeFinding && json.Unmarshal(e.Detail, &f) == nil && slices.Contains(ids, f.PoolID) {
			out[f.PoolID] = f
		}
	}
	return out
}
