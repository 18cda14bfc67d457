package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
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
	pacer   *Pacer
}

func newRig(t testing.TB, api cognito.API, doc string, rate float64, concurrency int) *rig {
	t.Helper()
	p, err := policy.Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	pacer := NewPacer(rate)
	client := cognito.New(api)
	r := reconcile.New(client, p, log)
	r.Backoff = reconcile.Backoff{Attempts: 10, Base: 5 * time.Millisecond, Max: 200 * time.Millisecond}
	r.Pacer = pacer
	bus := &fakes.Bus{}
	pub := findings.NewPublisher(bus, "findings", log)
	return &rig{bus: bus, pacer: pacer, sweeper: &Sweeper{Lister: client, Reconciler: r, Publisher: pub, Log: log,
		Concurrency: concurrency, StopMargin: 300 * time.Millisecond, FinishMargin: 100 * time.Millisecond, Now: time.Now}}
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
	rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1")
	if rep.Checked != n || rep.Drift != drifted || rep.Compliant != n/4+1 || rep.Exempt != n/4 || rep.Failed != 0 || rep.Incomplete {
		t.Fatalf("report mode: %+v", rep.Summary)
	}
	if got := f.Calls("SetUserPoolMfaConfig"); got != 0 {
		t.Fatalf("report mode wrote %d times", got)
	}
	if f.Calls("ListUserPools") != 3 || f.Calls("GetUserPoolMfaConfig") != n || f.Calls("DescribeUserPool") != n {
		t.Errorf("calls: list %d get %d describe %d", f.Calls("ListUserPools"), f.Calls("GetUserPoolMfaConfig"), f.Calls("DescribeUserPool"))
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
	rep = rg.sweeper.Run(context.Background(), "123456789012", "us-east-1")
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
	rep = rg.sweeper.Run(context.Background(), "123456789012", "us-east-1")
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
	rep := newRig(t, client, ``, 1000, 3).sweeper.Run(context.Background(), "", "")
	// Without the tag exemption the tagged OFF pools drift too.
	if rep.Remediated != drifted+61/4 || f.Calls("SetUserPoolMfaConfig") != int64(rep.Remediated) {
		t.Errorf("%+v with %d writes", rep.Summary, f.Calls("SetUserPoolMfaConfig"))
	}
	// One read per pool, and one re-read right before each write.
	if f.Calls("DescribeUserPool") != 0 || f.Calls("GetUserPoolMfaConfig") != int64(61+rep.Remediated) || f.Calls("ListUserPools") != 2 {
		t.Errorf("describe %d get %d list %d", f.Calls("DescribeUserPool"), f.Calls("GetUserPoolMfaConfig"), f.Calls("ListUserPools"))
	}
}

func TestOnePoolFailingNeverStopsTheSweep(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 20)
	bad := f.AddPool("broken", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	gone := f.AddPool("gone", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	f.Fail = map[string]string{bad: "NotAuthorizedException", gone: "ResourceNotFoundException"}
	rep := newRig(t, client, ``, 1000, 4).sweeper.Run(context.Background(), "", "")
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
			rep := rg.sweeper.Run(context.Background(), "", "")
			if rep.Failed != 0 || rep.Checked != 120 || rep.Incomplete {
				t.Fatalf("%+v", rep.Summary)
			}
			if f.Throttled() == 0 {
				t.Fatal("the fake never throttled: the test tests nothing")
			}
		})
	}
}

func TestDeadlineGivesPartialReport(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 400)
	f.Latency = 20 * time.Millisecond
	rg := newRig(t, client, ``, 1000, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rep := rg.sweeper.Run(ctx, "", "")
	if !rep.Incomplete || rep.Checked == 0 || rep.Checked >= 400 || rep.Failed != 0 {
		t.Errorf("want a partial report without failures: %+v", rep.Summary)
	}
	if ctx.Err() != nil {
		t.Error("the sweep ran into the deadline instead of stopping before it")
	}
	if last := rg.bus.Received[len(rg.bus.Received)-1]; !strings.Contains(*last.Detail, `"incomplete":true`) {
		t.Errorf("summary %s", *last.Detail)
	}
}

func TestListingFailureIsReported(t *testing.T) {
	f, client := fakeCognito(t)
	populate(f, 5)
	f.ThrottleProb = 1
	rg := newRig(t, client, ``, 1000, 1)
	rg.sweeper.Reconciler.Backoff.Attempts = 2
	rep := rg.sweeper.Run(context.Background(), "", "")
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
	line := EMF(Summary{Counts: reconcile.Counts{Checked: 5, Compliant: 2, Remediated: 1, Drift: 0, Unremediable: 1, Failed: 1}, DurationMs: 1234}, "SweepFunction", time.UnixMilli(42))
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		FunctionName                                                                    string
		PoolsChecked, PoolsCompliant, DriftDetected, PoolsRemediated, PoolsUnremediable int
		PoolsFailed, SweepDurationMs                                                    int
	}
	if err := json.Unmarshal(line, &doc); err != nil || line[len(line)-1] != '\n' {
		t.Fatalf("not one JSON line: %q %v", line, err)
	}
	m := doc.AWS.CloudWatchMetrics
	if doc.AWS.Timestamp != 42 || len(m) != 1 || m[0].Namespace != "CognitoMfaEnforcer" || len(m[0].Metrics) != 8 || doc.FunctionName != "SweepFunction" ||
		len(m[0].Dimensions) != 2 || m[0].Dimensions[0][0] != "Service" {
		t.Errorf("EMF envelope %s", line)
	}
	if doc.PoolsChecked != 5 || doc.DriftDetected != 2 || doc.PoolsFailed != 1 || doc.SweepDurationMs != 1234 || doc.PoolsUnremediable != 1 {
		t.Errorf("EMF values %s", line)
	}
}
