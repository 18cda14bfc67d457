package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	localinvoke.RemoveBuilds()
	os.Exit(code)
}

const root = "../.."

// start runs the DriftFunction bootstrap under the local invoke harness
// with the template's environment, against moto.
func start(t *testing.T, m *testbed.Moto, params map[string]string) *localinvoke.Runtime {
	t.Helper()
	return localinvoke.StartForTest(t, root, name, params, m.Env())
}

// sample returns an events/ file with the pool ID filled in.
func sample(t *testing.T, file, poolID string) []byte {
	t.Helper()
	raw, err := testbed.Sample(root, file, poolID, "")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestDriftFunctionEndToEnd(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "drift-findings")
	if err != nil {
		t.Fatal(err)
	}
	rt := start(t, m, map[string]string{"PolicyDocument": "{}", "ExistingFindingsBusName": bus.Name})

	for _, file := range []string{"drift-update-user-pool.json", "drift-create-user-pool.json", "drift-set-user-pool-mfa-config.json"} {
		t.Run(file, func(t *testing.T) {
			id, err := m.CreatePool(ctx, "drifted", nil, "OPTIONAL", policy.SMS)
			if err != nil {
				t.Fatal(err)
			}
			res, err := rt.Invoke(ctx, sample(t, file, id))
			if err != nil || res.Err != nil {
				t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
			}
			var f findings.Finding
			if err := json.Unmarshal(res.Payload, &f); err != nil {
				t.Fatal(err)
			}
			if f.PoolID != id || f.Status != "remediated" || f.Before == nil || f.After == nil || len(f.Violations) == 0 {
				t.Errorf("response %s", res.Payload)
			}
			got, err := m.GetMFA(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.MfaConfiguration != "ON" || !got.TOTP() || got.SmsMfaConfiguration == nil ||
				got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn != testbed.SNSCallerARN {
				t.Errorf("pool after correction: %s", got)
			}
			events, err := bus.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].DetailType != findings.DetailTypeFinding || events[0].Source != findings.Source {
				t.Fatalf("findings on the bus: %+v", events)
			}
			var d findings.Finding
			if err := json.Unmarshal(events[0].Detail, &d); err != nil {
				t.Fatal(err)
			}
			if d.PoolID != id || d.Status != "remediated" || d.Cause.EventID == "" {
				t.Errorf("finding detail %s", events[0].Detail)
			}

			// The same event again shares the check already made for it: no
			// read, no write, no finding.
			res, err = rt.Invoke(ctx, sample(t, file, id))
			if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `coalesced: the check made for event `) {
				t.Errorf("second invoke: %v %v %s", err, res.Err, res.Payload)
			}
			if events, _ := bus.Drain(ctx); len(events) != 0 {
				t.Errorf("compliant pool published %d findings", len(events))
			}
		})
	}

	t.Run("the enforcer's own change is not checked again", func(t *testing.T) {
		id, err := m.CreatePool(ctx, "own-change", nil, "OFF")
		if err != nil {
			t.Fatal(err)
		}
		// The harness resolves !GetAtt DriftFunctionRole.Arn to this placeholder.
		own := strings.Replace(string(sample(t, "drift-update-user-pool.json", id)),
			`"arn:aws:iam::123456789012:role/PlatformAdmin"`, `"arn:aws:local:us-east-1:123456789012:SweepFunctionRole/Arn"`, 1)
		res, err := rt.Invoke(ctx, []byte(own))
		if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"status":"ignored"`) {
			t.Fatalf("want ignored, got %v %v %s", err, res.Err, res.Payload)
		}
		if got, _ := m.GetMFA(ctx, id); got.MfaConfiguration != "OFF" {
			t.Errorf("pool checked and written after the enforcer's own change: %s", got)
		}
	})

	t.Run("malformed event changes nothing", func(t *testing.T) {
		id, err := m.CreatePool(ctx, "untouched", nil, "OFF")
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(sample(t, "drift-update-user-pool.json", id)), `"source": "aws.cognito-idp"`, `"source": "aws.s3"`, 1)
		res, err := rt.Invoke(ctx, []byte(bad))
		if err != nil || res.Err == nil || !strings.Contains(res.Err.Message, "event source") {
			t.Fatalf("want an error naming the source, got %v %+v", err, res.Err)
		}
		if got, _ := m.GetMFA(ctx, id); got.MfaConfiguration != "OFF" {
			t.Errorf("pool changed by a malformed event: %s", got)
		}
	})
}

func TestDriftFunctionRefusesInvalidPolicy(t *testing.T) {
	m := moto.Get(t)
	rt := start(t, m, map[string]string{"PolicyDocument": `{"mode":"dry-run"}`})
	res, err := rt.Invoke(context.Background(), []byte(`{}`))
	if err != nil || res.Err == nil || !strings.Contains(res.Err.Message, "MFA_POLICY: policy: mode") {
		t.Fatalf("want an init failure naming the field, got %v %+v", err, res.Err)
	}
}

// TestDriftFunctionRefusesInvalidPolicyParameter: with no valid version to
// start from, the function fails its init, naming the field and version.
func TestDriftFunctionRefusesInvalidPolicyParameter(t *testing.T) {
	m := moto.Get(t)
	const param = "/enforcer/drift/broken-policy"
	v, err := m.PutParameter(context.Background(), param, `{"factors":{"sms":"mandatory"}}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, param, want string
	}{
		{"invalid first version", param, fmt.Sprintf("MFA_POLICY_PARAMETER: policy parameter %s version %d: policy: factors.sms", param, v)},
		{"no such parameter", "/enforcer/drift/no-such-policy", "MFA_POLICY_PARAMETER: read policy parameter /enforcer/drift/no-such-policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := start(t, m, map[string]string{"PolicyParameter": tc.param})
			res, err := rt.Invoke(context.Background(), []byte(`{}`))
			if err != nil || res.Err == nil || !strings.Contains(res.Err.Message, tc.want) {
				t.Fatalf("want an init failure naming %q, got %v %+v", tc.want, err, res.Err)
			}
		})
	}
}

// The harness invokes the function as account 123456789012 in us-east-1;
// an event about another account or region must not touch the same-ID pool.
func TestForeignEventIgnored(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "foreign-findings")
	if err != nil {
		t.Fatal(err)
	}
	rt := start(t, m, map[string]string{"PolicyDocument": "{}", "ExistingFindingsBusName": bus.Name})
	id, err := m.CreatePool(ctx, "foreign", nil, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	_, suffix, _ := strings.Cut(id, "_")
	cases := []struct {
		name, from, to, reason string
	}{
		{"other account", `"account": "123456789012"`, `"account": "999999999999"`,
			"event account 999999999999 is not this function's account 123456789012"},
		{"other region", `"region": "us-east-1"`, `"region": "eu-west-1"`,
			"event region eu-west-1 is not this function's region us-east-1"},
		{"pool ID of another region", `"userPoolId": "` + id + `"`, `"userPoolId": "eu-west-1_` + suffix + `"`,
			"pool ID eu-west-1_" + suffix + " is from region eu-west-1, not this function's region us-east-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := string(sample(t, "drift-update-user-pool.json", id))
			if !strings.Contains(ev, tc.from) {
				t.Fatalf("sample has no %s", tc.from)
			}
			res, err := rt.Invoke(ctx, []byte(strings.Replace(ev, tc.from, tc.to, 1)))
			if err != nil || res.Err != nil {
				t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
			}
			var f findings.Finding
			if err := json.Unmarshal(res.Payload, &f); err != nil {
				t.Fatal(err)
			}
			if f.Status != "ignored" || f.Message != tc.reason {
				t.Errorf("response %s, want ignored: %s", res.Payload, tc.reason)
			}
			if got, err := m.GetMFA(ctx, id); err != nil || got.MfaConfiguration != "OFF" {
				t.Errorf("pool after a foreign event: %s, %v; want OFF", got, err)
			}
			if events, err := bus.Drain(ctx); err != nil || len(events) != 0 {
				t.Errorf("foreign event published %d findings (%v)", len(events), err)
			}
		})
	}
}

// TestDriftFunctionCountsItsCalls: a check writes the Cognito calls it
// made, by quota category, in an EMF line: the calls moto answered.
func TestDriftFunctionCountsItsCalls(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	rt := start(t, m, map[string]string{"PolicyDocument": "{}"})
	id, err := m.CreatePool(ctx, "counted", nil, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Throttle(0); err != nil { // the counters start over
		t.Fatal(err)
	}
	res, err := rt.Invoke(ctx, sample(t, "drift-update-user-pool.json", id))
	if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"status":"remediated"`) {
		t.Fatalf("invoke: %v %v %s\n%s", err, res.Err, res.Payload, rt.Logs())
	}
	answered, err := m.QuotaCounts()
	if err != nil {
		t.Fatal(err)
	}
	if answered[quota.UserPoolResourceUpdate].Calls != 1 {
		t.Fatalf("moto answered %v: want the one write", answered)
	}
	var lines int
	for line := range strings.Lines(rt.LogsWhen(`Calls":`, 1)) {
		var doc map[string]any
		if json.Unmarshal([]byte(line), &doc) != nil || doc["FunctionName"] == nil || !strings.Contains(line, "Calls") {
			continue
		}
		lines++
		for c, n := range answered {
			if doc[string(c)+"Calls"] != float64(n.Calls) || doc[string(c)+"Throttled"] != float64(n.Throttled) {
				t.Errorf("%s: the line says %v calls, %v throttled; moto answered %+v\n%s", c, doc[string(c)+"Calls"], doc[string(c)+"Throttled"], n, line)
			}
		}
	}
	if lines != 1 {
		t.Errorf("%d call lines, want 1\n%s", lines, rt.Logs())
	}
}

// TestLinksNoSchemaTables keeps the cold path's pins of aws-sdk-go-v2's
// ssm and cognitoidentityprovider (docs/design.md, dependencies): from
// their schema-serde releases (ssm v1.80.0, cognitoidentityprovider
// v1.71.0) each package's init builds its schema tables whether a client
// is built or not: 1.4 MB (7,882 allocations) for ssm, which took
// BenchmarkColdDriftCheck from 1.26 x to 1.85 x its floor, and 0.66 MB
// (3,720 allocations, 2.8 ms) for Cognito, about 4 ms of a 27 ms cold check.
func TestLinksNoSchemaTables(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for module, pin := range map[string]string{"ssm": "v1.79.3", "cognitoidentityprovider": "v1.70.0"} {
		pkg := "github.com/aws/aws-sdk-go-v2/service/" + module
		if !slices.Contains(deps, pkg) {
			t.Fatalf("the DriftFunction no longer links %s: this guard and the pin in go.mod can go", module)
		}
		if slices.Contains(deps, pkg+"/schemas") {
			t.Errorf("the DriftFunction links %s's schema tables: keep service/%s at %s, or measure "+
				"`go test -run '^$' -bench ColdDriftCheck -benchtime 60x ./pkg/drift/` and record the new ratio in docs/testing.md", module, module, pin)
		}
	}
}

// TestDriftRestoresLoweredAction: someone lowers an app client's high-risk
// action in a pool that counts as MFA ON by adaptive authentication; the
// SetRiskConfiguration event reaches the built bootstrap, which restores
// the action as it was, keeps the rest, leaves the pool OPTIONAL and says
// what it changed.
func TestDriftRestoresLoweredAction(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	ids, err := m.Seed(ctx, []testbed.PoolSpec{testbed.AdaptivePool("lowered", testbed.ClientSpec{Name: "web", Risk: testbed.RiskConfig("NO_ACTION", "MFA_IF_CONFIGURED", "MFA_REQUIRED")})})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := m.ClientIDs(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	lowered := `{"AccountTakeoverRiskConfiguration":{"Actions":{"LowAction":{"EventAction":"NO_ACTION","Notify":true},` +
		`"MediumAction":{"EventAction":"MFA_IF_CONFIGURED","Notify":true},"HighAction":{"EventAction":"NO_ACTION","Notify":true}},` +
		`"NotifyConfiguration":{"SourceArn":"` + testbed.NotifySourceARN + `","From":"security@example.com"}},` +
		`"RiskExceptionConfiguration":{"BlockedIPRangeList":["` + testbed.BlockedRange + `"]}}`
	if err := m.SetRisk(ctx, ids[0], clients["web"], lowered); err != nil {
		t.Fatal(err)
	}
	rt := start(t, m, map[string]string{"PolicyDocument": `{"adaptiveAuthentication":{"acceptAsOn":true}}`})
	res, err := rt.Invoke(ctx, sample(t, "drift-set-risk-configuration.json", ids[0]))
	if err != nil || res.Err != nil {
		t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var f findings.Finding
	if err := json.Unmarshal(res.Payload, &f); err != nil {
		t.Fatal(err)
	}
	want := policy.Change{Field: "adaptive.client:" + clients["web"] + ".high", Before: "NO_ACTION", After: "MFA_REQUIRED"}
	if f.Status != reconcile.Remediated || f.Equivalent != policy.Equivalent || len(f.Changes) != 1 || f.Changes[0] != want {
		t.Errorf("finding %s", res.Payload)
	}
	web, err := m.Risk(ctx, ids[0], clients["web"])
	if err != nil {
		t.Fatal(err)
	}
	if a := web.AccountTakeoverRiskConfiguration; a.Actions["HighAction"].EventAction != "MFA_REQUIRED" || !a.Actions["HighAction"].Notify ||
		a.NotifyConfiguration == nil || web.RiskExceptionConfiguration == nil {
		t.Errorf("web client after the correction: %+v", web)
	}
	if mfa, _ := m.GetMFA(ctx, ids[0]); mfa.MfaConfiguration != "OPTIONAL" {
		t.Errorf("pool raised: %s", mfa)
	}
}

// TestDriftKeepsEndUserMessagingSMS: a pool whose SMS MFA sends through
// AWS End User Messaging (EumsSms), raised to ON by the built bootstrap,
// keeps its SMS block byte for byte, as does an SNS pool.
func TestDriftKeepsEndUserMessagingSMS(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	ids, before, err := m.SMSPools(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(before[ids[0]], `"EumsSms"`) || !strings.Contains(before[ids[0]], "cognito-eums") {
		t.Fatalf("the test bed did not store End User Messaging: %s", before[ids[0]])
	}
	rt := start(t, m, map[string]string{"PolicyDocument": "{}"})
	for _, id := range ids {
		res, err := rt.Invoke(ctx, sample(t, "drift-update-user-pool.json", id))
		if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"status":"remediated"`) {
			t.Fatalf("invoke: %v %v %s\n%s", err, res.Err, res.Payload, rt.Logs())
		}
		if id == ids[0] && !strings.Contains(string(res.Payload), `"eumsSms":{"callerArn":"arn:aws:iam::123456789012:role/cognito-eums"`) {
			t.Errorf("the finding does not show the End User Messaging sender: %s", res.Payload)
		}
	}
	after, err := m.SMSBlocks(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if after[id] != before[id] {
			t.Errorf("%s: SMS block changed by the correction:\nbefore %s\nafter  %s", id, before[id], after[id])
		}
		if mfa, _ := m.GetMFA(ctx, id); mfa.MfaConfiguration != "ON" {
			t.Errorf("%s not raised: %s", id, mfa)
		}
	}
}

// TestHangingCallFailsInTime (G2): a Cognito call that never answers ends
// at the margin before the invocation's deadline: the built bootstrap
// publishes the failed check and answers with an error (so Lambda's
// retries and dead-letter queue apply), never a timeout.
func TestHangingCallFailsInTime(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	bus, err := m.FindingsBus(ctx, "drift-hanging")
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.CreatePool(ctx, "hanging", nil, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	proxy := m.Record()
	t.Cleanup(proxy.Close) // after the bootstrap stops: its last call is held until then
	proxy.Hang("cognito-idp:GetUserPoolMfaConfig")
	rt := localinvoke.StartForTest(t, root, name, map[string]string{"PolicyDocument": "{}", "ExistingFindingsBusName": bus.Name}, proxy.Env())
	rt.SetTimeout(12 * time.Second)
	res, err := rt.Invoke(ctx, sample(t, "drift-update-user-pool.json", id))
	if err != nil || res.Err == nil || res.Err.Type == "Sandbox.Timedout" {
		t.Fatalf("want the check's error before the deadline, got %v %+v\n%s", err, res.Err, rt.Logs())
	}
	evs, err := bus.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var f findings.Finding
	if len(evs) != 1 || json.Unmarshal(evs[0].Detail, &f) != nil || f.PoolID != id || f.Status != "failed" {
		t.Errorf("findings on the bus: %+v", evs)
	}
}
