package sweep

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/tagging"
)

var (
	smsBlock = json.RawMessage(`{"SmsAuthenticationMessage":"Code {####}","SmsConfiguration":{"SnsCallerArn":"arn:aws:iam::123456789012:role/sns","ExternalId":"ext"}}`)
	onTOTP   = cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}
	optSMS   = cognitofake.MFA{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: smsBlock}
)

func fakeCognito(t testing.TB) (*cognitofake.Server, *cip.Client) {
	t.Helper()
	return cognitofake.StartForTest(t)
}

type rig struct {
	sweeper *Sweeper
	bus     *fakes.Bus
	pacer   *pace.Pacer
	api     cognito.API
	backoff pace.Backoff
}

// testBackoff lets a throttled call wait, through the pacer, as the sweep does.
var testBackoff = pace.Backoff{Attempts: 10, Base: 5 * time.Millisecond, Max: 200 * time.Millisecond}

// use rebuilds the sweeper's gateway over api with pacer and b (nil and
// zero: the rig's own), keeping its policy.
func (rg *rig) use(api cognito.API, pacer *pace.Pacer, b pace.Backoff) {
	if api != nil {
		rg.api = api
	}
	if pacer != nil {
		rg.pacer = pacer
	}
	if b != (pace.Backoff{}) {
		rg.backoff = b
	}
	rg.sweeper.Reconciler = reconcile.New(cognito.NewGateway(rg.api, rg.pacer, rg.backoff), rg.sweeper.Reconciler.CurrentPolicy(), rg.sweeper.Log)
	rg.sweeper.Calls = rg.pacer.Counts
}

// newRig builds a sweeper over api, reading tags through the tagging API
// at the same endpoint (the fake's, from the environment), with every
// category capped at rate and no per-pool cap.
func newRig(t testing.TB, api cognito.API, doc string, rate float64, concurrency int) *rig {
	t.Helper()
	p, err := policy.Load(cmp.Or(doc, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	pacer := pace.New(func(quota.Category) float64 { return rate }, func(quota.Category) float64 { return 0 })
	r := reconcile.New(cognito.NewGateway(api, pacer, testBackoff), p, log)
	bus := &fakes.Bus{}
	pub := findings.NewPublisher(bus, "findings", log)
	return &rig{bus: bus, pacer: pacer, api: api, backoff: testBackoff, sweeper: &Sweeper{Reconciler: r, Calls: pacer.Counts,
		Recorder: findings.Recorder{Publisher: pub, Log: log}, Tags: tagging.NewTags(rgt.NewFromConfig(cfg)),
		Log: log, Concurrency: concurrency, StopMargin: 300 * time.Millisecond, FinishMargin: 100 * time.Millisecond, Now: time.Now}}
}

// legsOf makes each leg stop starting pools once it has made perLeg reads
// of MFA configurations (none: perLeg 0), as its stop margin would: legs
// end by count, never by the machine's speed. Call the function it returns
// as each leg starts; run the leg with a deadline an hour away.
func (rg *rig) legsOf(f *cognitofake.Server, perLeg int) (legStarts func()) {
	var start atomic.Int64
	rg.sweeper.Now = func() time.Time {
		if int64(f.Calls("GetUserPoolMfaConfig"))-start.Load() >= int64(perLeg) {
			return time.Now().Add(time.Hour) // past the stop time
		}
		return time.Now()
	}
	return func() { start.Store(int64(f.Calls("GetUserPoolMfaConfig"))) }
}

// sweepAll runs legs from the start until one returns no continuation,
// each stopping after perLeg reads (legsOf), and returns every leg's
// report.
func (rg *rig) sweepAll(t testing.TB, f *cognitofake.Server, perLeg int) []Report {
	t.Helper()
	legStarts := rg.legsOf(f, perLeg)
	var reps []Report
	var from *Continuation
	for len(reps) < 1000 {
		legStarts()
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		rep := rg.sweeper.Run(ctx, "123456789012", "us-east-1", from)
		cancel()
		reps = append(reps, rep)
		if from = rep.Continuation; from == nil {
			return reps
		}
	}
	t.Fatalf("no end after %d legs", len(reps))
	return nil
}

// populate adds n pools in a repeating mix and returns how many drift.
func populate(f *cognitofake.Server, n int) (drifted int) {
	for i := range n {
		switch i % 4 {
		case 0:
			f.AddPool("compliant", nil, onTOTP)
		case 1:
			f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
			drifted++
		case 2:
			f.AddPool("opt-sms", nil, optSMS)
			drifted++
		case 3:
			f.AddPool("exempt", map[string]string{"mfa-policy-exempt": "yes"}, cognitofake.MFA{MfaConfiguration: "OFF"})
		}
	}
	return drifted
}

func TestSweepReportThenEnforce(t *testing.T) {
	f, client := fakeCognito(t)
	const n = 150 // three ListUserPools pages
	drifted := populate(f, n)
	doc := `{"mode":"report","exemptions":{"tagKey":"mfa-policy-exempt"}}`

	rg := newRig(t, client, doc, 1000, 4)
	rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)
	if rep.Checked != n || rep.Drift != drifted || rep.Compliant != n/4+1 || rep.Exempt != n/4 || rep.Failed != 0 || rep.Incomplete {
		t.Fatalf("report mode: %+v", rep.Summary)
	}
	if got := f.Calls("SetUserPoolMfaConfig"); got != 0 {
		t.Fatalf("report mode wrote %d times", got)
	}
	// Tags come in bulk: one GetResources; a DescribeUserPool only for each
	// pool to raise (its sign-in policy and plan), none for tags.
	if f.Calls("ListUserPools") != 3 || f.Calls("GetUserPoolMfaConfig") != n || f.Calls("DescribeUserPool") != int64(drifted) || f.Calls("GetResources") != 1 {
		t.Errorf("calls: list %d get %d describe %d tags %d", f.Calls("ListUserPools"), f.Calls("GetUserPoolMfaConfig"), f.Calls("DescribeUserPool"), f.Calls("GetResources"))
	}
	if want := fakeCalls(f); !maps.Equal(rep.Calls, want) || rep.Calls[quota.UserPoolResourceUpdate].Calls != 0 || rep.Legs != 1 || rep.Continuation != nil {
		t.Errorf("report counts %+v, the fake %+v", rep.Summary, want)
	}
	if len(rep.Pools) != n-rep.Compliant {
		t.Errorf("%d pools listed, want every non-compliant one (%d)", len(rep.Pools), n-rep.Compliant)
	}
	// One finding per non-compliant pool plus the summary, in batches of 10.
	if len(rg.bus.Received) != len(rep.Pools)+1 {
		t.Errorf("%d events, want %d", len(rg.bus.Received), len(rep.Pools)+1)
	}
	for _, c := range rg.bus.Calls {
		if len(c) > 10 {
			t.Errorf("PutEvents with %d entries", len(c))
		}
	}
	last := rg.bus.Received[len(rg.bus.Received)-1]
	if *last.DetailType != findings.DetailTypeSummary || strings.Contains(*last.Detail, `"pools"`) || !strings.Contains(*last.Detail, fmt.Sprintf(`"drift":%d`, drifted)) {
		t.Errorf("summary event %s: %s", *last.DetailType, *last.Detail)
	}

	f.ResetCounters()
	rg = newRig(t, client, strings.Replace(doc, "report", "enforce", 1), 1000, 4)
	rep = rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)
	if rep.Remediated != drifted || rep.Exempt != n/4 || rep.Failed != 0 {
		t.Fatalf("enforce mode: %+v", rep.Summary)
	}
	if got := f.Calls("SetUserPoolMfaConfig"); got != int64(drifted) {
		t.Errorf("%d writes, want one per drifted pool (%d)", got, drifted)
	}
	for _, p := range rep.Pools {
		mfa, _ := f.Pool(p.PoolID)
		switch p.Status {
		case reconcile.Remediated:
			if mfa.MfaConfiguration != "ON" || mfa.SoftwareTokenMfaConfiguration == nil {
				t.Errorf("%s not corrected: %+v", p.PoolID, mfa)
			}
			if p.PoolName == "opt-sms" && !sameJSON(mfa.SmsMfaConfiguration, smsBlock) {
				t.Errorf("SMS settings not preserved: %s", mfa.SmsMfaConfiguration)
			}
		case reconcile.Exempt:
			if mfa.MfaConfiguration != "OFF" {
				t.Errorf("exempt pool %s written", p.PoolID)
			}
		}
	}

	f.ResetCounters()
	rep = rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)
	if f.Calls("SetUserPoolMfaConfig") != 0 || rep.Compliant != n-n/4 {
		t.Errorf("second enforce sweep wrote %d times: %+v", f.Calls("SetUserPoolMfaConfig"), rep.Summary)
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestSweepCallsPerPoolWithoutTagExemption(t *testing.T) {
	f, client := fakeCognito(t)
	drifted := populate(f, 61)
	rep := newRig(t, client, ``, 1000, 3).sweeper.Run(context.Background(), "", "", nil)
	// Without the tag exemption the tagged OFF pools drift too.
	if rep.Remediated != drifted+61/4 || f.Calls("SetUserPoolMfaConfig") != int64(rep.Remediated) {
		t.Errorf("%+v with %d writes", rep.Summary, f.Calls("SetUserPoolMfaConfig"))
	}
	// One read per pool, one re-read right before each write, and for each
	// pool raised to ON its sign-in policy; no tags read.
	if f.Calls("DescribeUserPool") != int64(rep.Remediated) || f.Calls("GetUserPoolMfaConfig") != int64(61+rep.Remediated) || f.Calls("ListUserPools") != 2 ||
		f.Calls("GetResources") != 0 {
		t.Errorf("describe %d get %d list %d tags %d", f.Calls("DescribeUserPool"), f.Calls("GetUserPoolMfaConfig"), f.Calls("ListUserPools"), f.Calls("GetResources"))
	}
	want := fakeCalls(f)
	if !maps.Equal(rep.Calls, want) || !maps.Equal(rep.Leg.Calls, want) || want[quota.UserPoolResourceUpdate].Calls != int64(rep.Remediated) ||
		want[quota.UserPoolResourceRead].Calls != f.Calls("GetUserPoolMfaConfig") || want[quota.UserPoolRead].Calls != f.Calls("DescribeUserPool")+f.Calls("ListUserPools") {
		t.Errorf("calls reported %+v (leg %+v), made %+v", rep.Calls, rep.Leg.Calls, want)
	}
}

func TestOnePoolFailingNeverStopsTheSweep(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 20)
	bad := f.AddPool("broken", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	gone := f.AddPool("gone", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	f.Fail = map[string]string{bad: "NotAuthorizedException", gone: "ResourceNotFoundException"}
	rep := newRig(t, client, ``, 1000, 4).sweeper.Run(context.Background(), "", "", nil)
	if rep.Checked != 22 || rep.Failed != 1 || rep.Deleted != 1 || rep.Incomplete {
		t.Errorf("%+v", rep.Summary)
	}
}

func TestThrottlingSlowsNeverFails(t *testing.T) {
	if testing.Short() {
		t.Skip("sustained throttling runs for seconds: skipped with -short")
	}
	cases := []struct {
		name         string
		throttleRate float64
		throttleProb float64
	}{
		{"server allows half the cap", 50, 0},
		{"random throttling", 0, 0.1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, client := fakeCognito(t)
			populate(f, 120)
			f.ThrottleRate, f.ThrottleProb = tc.throttleRate, tc.throttleProb
			rg := newRig(t, client, ``, 100, 4)
			rep := rg.sweeper.Run(context.Background(), "", "", nil)
			if rep.Failed != 0 || rep.Checked != 120 || rep.Incomplete {
				t.Fatalf("%+v", rep.Summary)
			}
			if f.Throttled() == 0 {
				t.Fatal("the fake never throttled: the test tests nothing")
			}
			// The report counts every call the fake answered, throttled ones too.
			if want := fakeCalls(f); !maps.Equal(rep.Calls, want) {
				t.Errorf("calls reported %+v; the fake answered %+v", rep.Calls, want)
			}
		})
	}
}

// TestWriteThrottlingLeavesReadsAlone: Cognito throttling the writes (its
// UserPoolUpdate quota spent by someone else) slows the sweep's writes
// only: its reads keep their full rate and are never throttled.
func TestWriteThrottlingLeavesReadsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("sustained throttling runs for seconds: skipped with -short")
	}
	f, client := fakeCognito(t)
	const n, cap = 60, 100.0
	for range n {
		f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	}
	f.Quotas = map[string]float64{"UserPoolResourceUpdate": 20}
	rg := newRig(t, client, ``, cap, 4)
	rep := rg.sweeper.Run(context.Background(), "", "", nil)
	if rep.Remediated != n || rep.Failed != 0 {
		t.Fatalf("%+v", rep.Summary)
	}
	if rep.Calls[quota.UserPoolResourceUpdate].Throttled == 0 {
		t.Fatal("the writes were never throttled: the test tests nothing")
	}
	reads, _ := rg.pacer.Rate(quota.UserPoolResourceRead)
	if rep.Calls[quota.UserPoolResourceRead].Throttled != 0 || f.ThrottledIn("UserPoolResourceRead") != 0 || reads != cap {
		t.Errorf("reads slowed by throttled writes: %+v, read rate %g", rep.Calls, reads)
	}
}

// TestDeadlineGivesContinuation: a leg nearing its deadline stops with a
// continuation rather than running into the deadline, failing pools or
// leaving the rest to a sweep from the top; the summary waits for the end.
func TestDeadlineGivesContinuation(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 400)
	rg := newRig(t, client, ``, 1000, 2)
	rg.legsOf(f, 50)()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	rep := rg.sweeper.Run(ctx, "", "", nil)
	if rep.Continuation == nil || rep.Incomplete || rep.Checked == 0 || rep.Checked >= 400 || rep.Failed != 0 {
		t.Errorf("want a continuation without failures: %+v", rep.Summary)
	}
	for _, e := range rg.bus.Received {
		if *e.DetailType == findings.DetailTypeSummary {
			t.Errorf("summary published before the sweep ended: %s", *e.Detail)
		}
	}
}

func TestListingFailureIsReported(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 5)
	f.ThrottleProb = 1
	rg := newRig(t, client, ``, 1000, 1)
	rg.use(nil, nil, pace.Backoff{Attempts: 2})
	rep := rg.sweeper.Run(context.Background(), "", "", nil)
	if !rep.Incomplete || !strings.Contains(rep.Error, "list user pools") || rep.Checked != 0 {
		t.Errorf("%+v", rep.Summary)
	}
	// The SDK does not retry throttling itself: the reconciler's backoff
	// (through the pacer) is the only place that does.
	if got := f.Calls("ListUserPools"); got != 2 {
		t.Errorf("%d ListUserPools calls for 2 attempts: SDK retried behind the pacer", got)
	}
}

func TestEMF(t *testing.T) {
	leg := Tally{Counts: reconcile.Counts{Checked: 5, Compliant: 2, Remediated: 1, Drift: 0, Unremediable: 1, Failed: 1},
		Calls: pace.Counts{quota.UserPoolRead: {Calls: 3}, quota.UserPoolResourceRead: {Calls: 9, Throttled: 2}, quota.UserPoolResourceUpdate: {Calls: 1},
			quota.SecurityHubImport: {Calls: 1}}, ExportFailed: 3}
	whole := Summary{Tally: Tally{Counts: reconcile.Counts{Checked: 50}}, DurationMs: 1234, Incomplete: true}
	type doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		FunctionName                                                                             string
		PoolsChecked, PoolsCompliant, DriftDetected, PoolsRemediated, PoolsUnremediable          int
		PoolsFailed, UserPoolReadCalls, UserPoolResourceReadCalls, UserPoolResourceReadThrottled int
		UserPoolResourceUpdateCalls, UserPoolResourceUpdateThrottled, BatchImportFindingsCalls   *int
		SweepDurationMs, SweepIncomplete                                                         *int
		SecurityHubExportFailed                                                                  int
	}
	cases := []struct {
		name    string
		rep     Report
		metrics int
		last    bool
	}{
		{"a leg the sweep goes on from", Report{Summary: whole, Leg: leg, Continuation: &Continuation{}}, 17, false},
		{"the last leg", Report{Summary: whole, Leg: leg}, 19, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			line := EMF(tc.rep, "SweepFunction", time.UnixMilli(42))
			var d doc
			if err := json.Unmarshal(line, &d); err != nil || line[len(line)-1] != '\n' {
				t.Fatalf("not one JSON line: %q %v", line, err)
			}
			m := d.AWS.CloudWatchMetrics
			if d.AWS.Timestamp != 42 || len(m) != 1 || m[0].Namespace != "CognitoMfaEnforcer" || len(m[0].Metrics) != tc.metrics || d.FunctionName != "SweepFunction" ||
				len(m[0].Dimensions) != 2 || m[0].Dimensions[0][0] != "Service" {
				t.Errorf("EMF envelope %s", line)
			}
			// The leg's own counts: summed over legs they are the sweep's.
			if d.PoolsChecked != 5 || d.DriftDetected != 2 || d.PoolsFailed != 1 || d.PoolsUnremediable != 1 ||
				d.UserPoolReadCalls != 3 || d.UserPoolResourceReadCalls != 9 || d.UserPoolResourceReadThrottled != 2 ||
				d.UserPoolResourceUpdateCalls == nil || *d.UserPoolResourceUpdateCalls != 1 ||
				d.UserPoolResourceUpdateThrottled == nil || *d.UserPoolResourceUpdateThrottled != 0 || d.BatchImportFindingsCalls == nil ||
				d.SecurityHubExportFailed != 3 {
				t.Errorf("EMF values %s", line)
			}
			if got := d.SweepDurationMs != nil && *d.SweepDurationMs == 1234 && d.SweepIncomplete != nil && *d.SweepIncomplete == 1; got != tc.last {
				t.Errorf("the sweep's duration and outcome: %s", line)
			}
		})
	}
}

// fakeCalls is what the fake answered, by quota category, as the report
// counts it.
func fakeCalls(f *cognitofake.Server) pace.Counts {
	c := pace.Counts{}
	for _, l := range quota.Table {
		if n := (pace.Count{Calls: f.CallsIn(string(l.Category)), Throttled: f.ThrottledIn(string(l.Category))}); n != (pace.Count{}) {
			c[l.Category] = n
		}
	}
	return c
}
