package drift

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

const samplePool = "us-east-1_EXAMPLE11"

func golden(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// edit decodes an event, applies fn to it and encodes it again.
func edit(t *testing.T, raw []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, _ := json.Marshal(m)
	return out
}

func detailOf(m map[string]any) map[string]any { return m["detail"].(map[string]any) }

func TestGoldenEvents(t *testing.T) {
	cases := []struct {
		file, eventName, poolName, caller, issuer string
	}{
		{"drift-update-user-pool.json", "UpdateUserPool", "", "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/jane.doe", "arn:aws:iam::123456789012:role/PlatformAdmin"},
		{"drift-create-user-pool.json", "CreateUserPool", "customer-portal", "arn:aws:sts::123456789012:assumed-role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1/AWSCloudFormation", "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"},
		{"drift-set-user-pool-mfa-config.json", "SetUserPoolMfaConfig", "", "arn:aws:iam::123456789012:user/ci-deployer", ""},
		{"drift-set-risk-configuration.json", "SetRiskConfiguration", "", "arn:aws:sts::123456789012:assumed-role/AppTeam/sam.lee", "arn:aws:iam::123456789012:role/AppTeam"},
	}
	for _, tc := range cases {
		t.Run(tc.eventName, func(t *testing.T) {
			c, err := ParseEvent(golden(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.EventName != tc.eventName || c.PoolID != samplePool || c.PoolName != tc.poolName ||
				c.CallerARN != tc.caller || c.IssuerARN != tc.issuer || c.Account != "123456789012" ||
				c.Region != "us-east-1" || c.EventID == "" || c.ErrorCode != "" {
				t.Errorf("parsed %+v", c)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	base := golden(t, "drift-update-user-pool.json")
	cases := []struct {
		name  string
		event []byte
		field string
	}{
		{"not JSON", []byte(`{`), "not an EventBridge event"},
		{"array", []byte(`[]`), "not an EventBridge event"},
		{"scheduled event", []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`), "event source"},
		{"wrong detail-type", edit(t, base, func(m map[string]any) { m["detail-type"] = "AWS Console Sign In via CloudTrail" }), "detail-type"},
		{"no detail", edit(t, base, func(m map[string]any) { delete(m, "detail") }), "event detail: missing"},
		{"null detail", edit(t, base, func(m map[string]any) { m["detail"] = nil }), "event detail: missing"},
		{"other service", edit(t, base, func(m map[string]any) { detailOf(m)["eventSource"] = "iam.amazonaws.com" }), "detail.eventSource"},
		{"read-only call", edit(t, base, func(m map[string]any) { detailOf(m)["eventName"] = "DescribeUserPool" }), "detail.eventName"},
		{"no pool ID", edit(t, base, func(m map[string]any) { delete(detailOf(m)["requestParameters"].(map[string]any), "userPoolId") }), "detail.requestParameters.userPoolId"},
		{"create without response", edit(t, golden(t, "drift-create-user-pool.json"), func(m map[string]any) { detailOf(m)["responseElements"] = nil }), "detail.responseElements.userPool.id"},
		{"bad pool ID", edit(t, base, func(m map[string]any) {
			detailOf(m)["requestParameters"].(map[string]any)["userPoolId"] = "../../etc"
		}), "not a user pool ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEvent(tc.event)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %v, want one naming %q", err, tc.field)
			}
		})
	}
}

type fixture struct {
	pools *fakes.Pools
	bus   *fakes.Bus
	h     *Handler
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, doc string) *fixture {
	t.Helper()
	p, err := policy.Load(cmp.Or(doc, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pools: fakes.New(), bus: &fakes.Bus{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	r := reconcile.New(cognito.NewGateway(f.pools, fakes.Uncapped(), pace.Backoff{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}), p, log)
	pub := findings.NewPublisher(f.bus, "findings", log)
	pub.Backoff.Base, pub.Backoff.Max = time.Millisecond, time.Millisecond
	f.h = &Handler{Reconciler: r, Recorder: findings.Recorder{Publisher: pub, Log: log}, Log: log, Now: time.Now,
		OwnRoles: []string{"arn:aws:iam::123456789012:role/enforcer-DriftFunctionRole-ABC"}}
	return f
}

func TestHandle(t *testing.T) {
	update := golden(t, "drift-update-user-pool.json")
	cases := []struct {
		name      string
		event     []byte
		start     *cip.GetUserPoolMfaConfigOutput
		errs      map[string][]error
		status    reconcile.Status
		wantErr   bool
		calls     string
		published int
	}{
		{name: "drift corrected and published", event: update, start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: reconcile.Remediated, calls: "Get Describe Get Set", published: 1},
		{name: "compliant: nothing published", event: update,
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}},
			status: reconcile.Compliant, calls: "Get"},
		{name: "failed call ignored", event: edit(t, update, func(m map[string]any) {
			detailOf(m)["errorCode"] = "InvalidParameterException"
			delete(detailOf(m)["requestParameters"].(map[string]any), "userPoolId")
		}), status: reconcile.Ignored},
		{name: "empty errorCode is a successful call", event: edit(t, update, func(m map[string]any) { detailOf(m)["errorCode"] = "" }),
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: reconcile.Remediated, calls: "Get Describe Get Set", published: 1},
		{name: "own role ignored", event: edit(t, update, func(m map[string]any) {
			detailOf(m)["userIdentity"].(map[string]any)["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)["arn"] = "arn:aws:iam::123456789012:role/enforcer-DriftFunctionRole-ABC"
		}), start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: reconcile.Ignored},
		{name: "deleted pool reported, not retried", event: update, status: reconcile.Deleted, calls: "Get", published: 1},
		{name: "transient failure returns an error", event: update, start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			errs:   map[string][]error{"Get": {&types.TooManyRequestsException{}, &types.TooManyRequestsException{}}},
			status: reconcile.Failed, wantErr: true, calls: "Get Get", published: 1},
		{name: "malformed event: nothing read", event: []byte(`{"source":"aws.cognito-idp"}`), wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "")
			if tc.start != nil {
				f.pools.MFA[samplePool] = tc.start
			}
			for k, v := range tc.errs {
				f.pools.Errs[k] = v
			}
			got, err := f.h.Handle(context.Background(), tc.event)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if got.Status != tc.status {
				t.Errorf("status %q (%s), want %q", got.Status, got.Message, tc.status)
			}
			if calls := strings.Join(f.pools.Calls, " "); calls != tc.calls {
				t.Errorf("Cognito calls %q, want %q", calls, tc.calls)
			}
			if len(f.bus.Received) != tc.published {
				t.Errorf("published %d findings, want %d", len(f.bus.Received), tc.published)
			}
			for _, e := range f.bus.Received {
				var d findings.Finding
				if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
					t.Fatal(err)
				}
				if d.PoolID != samplePool || d.Status != tc.status || d.Cause.EventName != "UpdateUserPool" ||
					d.Cause.CallerARN == "" || d.Cause.EventID == "" || d.Account != "123456789012" || d.Region != "us-east-1" {
					t.Errorf("finding %+v", d)
				}
				if aws.ToString(e.DetailType) != findings.DetailTypeFinding {
					t.Errorf("detail-type %q", aws.ToString(e.DetailType))
				}
			}
		})
	}
}

func TestPublishFailureDoesNotHideCorrection(t *testing.T) {
	f := newFixture(t, "")
	f.pools.MFA[samplePool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	f.bus.Err = errors.New("AccessDeniedException")
	got, err := f.h.Handle(context.Background(), golden(t, "drift-update-user-pool.json"))
	if err != nil || got.Status != reconcile.Remediated || got.After == nil || got.After.Level != policy.LevelOn {
		t.Fatalf("got %+v, %v; want remediated despite the bus", got, err)
	}
	if f.h.Recorder.Publisher.Failed.Load() != 1 || !strings.Contains(f.logs.String(), "AccessDeniedException") {
		t.Errorf("publish failure not counted (%d) or not logged", f.h.Recorder.Publisher.Failed.Load())
	}
}

func TestSecondEventWritesNothing(t *testing.T) {
	f := newFixture(t, "")
	f.pools.MFA[samplePool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	ev := golden(t, "drift-set-user-pool-mfa-config.json")
	for range 2 {
		if _, err := f.h.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.pools.Sets) != 1 {
		t.Errorf("%d writes for two events, want 1", len(f.pools.Sets))
	}
}

func TestMetricsLine(t *testing.T) {
	f := newFixture(t, "")
	f.pools.MFA[samplePool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	var out bytes.Buffer
	f.h.Recorder.Metrics, f.h.Recorder.Function = &out, "DriftFunction"
	if _, err := f.h.Handle(context.Background(), golden(t, "drift-update-user-pool.json")); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not one EMF JSON line: %q", out.String())
	}
	if doc["PoolsRemediated"] != 1.0 || doc["DriftDetected"] != 1.0 || doc["FunctionName"] != "DriftFunction" || doc["_aws"] == nil {
		t.Errorf("EMF line %s", out.String())
	}
}

func TestParseNamesJSONTypes(t *testing.T) {
	base := golden(t, "drift-update-user-pool.json")
	identity := func(m map[string]any) map[string]any { return detailOf(m)["userIdentity"].(map[string]any) }
	cases := []struct {
		name  string
		event []byte
		want  string
	}{
		{"userIdentity a string", edit(t, base, func(m map[string]any) { detailOf(m)["userIdentity"] = "jane.doe" }),
			"detail.userIdentity: expected an object, got string"},
		{"userIdentity a number", edit(t, base, func(m map[string]any) { detailOf(m)["userIdentity"] = 42 }),
			"detail.userIdentity: expected an object, got number"},
		{"userIdentity an array", edit(t, base, func(m map[string]any) { detailOf(m)["userIdentity"] = []any{} }),
			"detail.userIdentity: expected an object, got array"},
		{"userIdentity.arn a number", edit(t, base, func(m map[string]any) { identity(m)["arn"] = 42 }),
			"detail.userIdentity.arn: expected a string, got number"},
		{"sessionIssuer.arn a boolean", edit(t, base, func(m map[string]any) {
			identity(m)["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)["arn"] = true
		}), "detail.userIdentity.sessionContext.sessionIssuer.arn: expected a string, got boolean"},
		{"userPoolId an object", edit(t, base, func(m map[string]any) {
			detailOf(m)["requestParameters"].(map[string]any)["userPoolId"] = map[string]any{}
		}), "detail.requestParameters.userPoolId: expected a string, got object"},
		{"huge number", []byte(strings.Replace(string(base), `"eventName": "UpdateUserPool"`, `"eventName": 1e999`, 1)),
			"detail.eventName: expected a string, got number"},
		{"detail a string", edit(t, base, func(m map[string]any) { m["detail"] = "UpdateUserPool" }),
			"detail: expected an object, got string"},
		{"account a number", edit(t, base, func(m map[string]any) { m["account"] = 123456789012 }),
			"event is not an EventBridge event object: account: expected a string, got number"},
		{"event an array", []byte(`[]`), "event is not an EventBridge event object: expected an object, got array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEvent(tc.event)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// EventBridge always sets account and region; an event without them is
// refused as malformed rather than guessed to be this function's.
func TestParseRequiresAccountAndRegion(t *testing.T) {
	base := golden(t, "drift-update-user-pool.json")
	cases := []struct {
		name  string
		event []byte
		want  string
	}{
		{"empty account", edit(t, base, func(m map[string]any) { m["account"] = "" }), "event account: missing"},
		{"no account", edit(t, base, func(m map[string]any) { delete(m, "account") }), "event account: missing"},
		{"empty region", edit(t, base, func(m map[string]any) { m["region"] = "" }), "event region: missing"},
		{"null region", edit(t, base, func(m map[string]any) { m["region"] = nil }), "event region: missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEvent(tc.event)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// invoked is the context of an invocation of a function in account and region.
func invoked(account, region string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:" + region + ":" + account + ":function:DriftFunction"})
}

func TestForeignEventIgnored(t *testing.T) {
	update := golden(t, "drift-update-user-pool.json")
	create := golden(t, "drift-create-user-pool.json")
	here := invoked("123456789012", "us-east-1")
	const otherPool = "eu-west-1_EXAMPLE11"
	cases := []struct {
		name   string
		ctx    context.Context
		region string // the function's configured region
		event  []byte
		reason string
	}{
		{"other account", here, "us-east-1", edit(t, update, func(m map[string]any) { m["account"] = "999999999999" }),
			"event account 999999999999 is not this function's account 123456789012"},
		{"other region", here, "us-east-1", edit(t, update, func(m map[string]any) { m["region"] = "eu-west-1" }),
			"event region eu-west-1 is not this function's region us-east-1"},
		{"UpdateUserPool: pool ID of another region", here, "us-east-1", edit(t, update, func(m map[string]any) {
			detailOf(m)["requestParameters"].(map[string]any)["userPoolId"] = otherPool
		}), "pool ID eu-west-1_EXAMPLE11 is from region eu-west-1, not this function's region us-east-1"},
		{"CreateUserPool: pool ID of another region", here, "us-east-1", edit(t, create, func(m map[string]any) {
			detailOf(m)["responseElements"].(map[string]any)["userPool"].(map[string]any)["id"] = otherPool
		}), "pool ID eu-west-1_EXAMPLE11 is from region eu-west-1, not this function's region us-east-1"},
		{"failed call in another account", here, "us-east-1", edit(t, update, func(m map[string]any) {
			m["account"] = "999999999999"
			detailOf(m)["errorCode"] = "InvalidParameterException"
		}), "event account 999999999999 is not this function's account 123456789012"},
		{"invocation region wins over the configured one", invoked("123456789012", "eu-west-1"), "us-east-1", update,
			"event region us-east-1 is not this function's region eu-west-1"},
		{"own account unknown: regions still checked", context.Background(), "us-east-1",
			edit(t, update, func(m map[string]any) { m["region"] = "eu-west-1" }),
			"event region eu-west-1 is not this function's region us-east-1"},
		{"own account unknown: pool ID region still checked", context.Background(), "us-east-1", edit(t, update, func(m map[string]any) {
			detailOf(m)["requestParameters"].(map[string]any)["userPoolId"] = otherPool
		}), "pool ID eu-west-1_EXAMPLE11 is from region eu-west-1, not this function's region us-east-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "")
			for _, id := range []string{samplePool, otherPool} {
				f.pools.MFA[id] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
			}
			var emf bytes.Buffer
			f.h.Region, f.h.Recorder.Metrics = tc.region, &emf
			got, err := f.h.Handle(tc.ctx, tc.event)
			if err != nil || got.Status != reconcile.Ignored || got.Message != tc.reason {
				t.Fatalf("got %q %q, %v; want ignored: %s", got.Status, got.Message, err, tc.reason)
			}
			if len(f.pools.Calls) != 0 || len(f.bus.Received) != 0 || emf.Len() != 0 {
				t.Errorf("Cognito calls %v, %d published, metrics %q; want none", f.pools.Calls, len(f.bus.Received), emf.String())
			}
			if logs := f.logs.String(); strings.Count(logs, "\n") != 1 || !strings.Contains(logs, `"msg":"event ignored"`) || !strings.Contains(logs, tc.reason) {
				t.Errorf("want one log line with the reason, got %s", logs)
			}
		})
	}
}

func TestOwnEventChecked(t *testing.T) {
	update := golden(t, "drift-update-user-pool.json")
	cases := []struct {
		name   string
		ctx    context.Context
		region string
		event  []byte
	}{
		{"same account and region", invoked("123456789012", "us-east-1"), "", update},
		{"configured region when not invoked by Lambda", context.Background(), "us-east-1", update},
		{"own account unknown: account not checked", context.Background(), "us-east-1",
			edit(t, update, func(m map[string]any) { m["account"] = "999999999999" })},
		{"nothing known: nothing checked", context.Background(), "", update},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "")
			f.pools.MFA[samplePool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
			f.h.Region = tc.region
			got, err := f.h.Handle(tc.ctx, tc.event)
			if err != nil || got.Status != reconcile.Remediated {
				t.Fatalf("got %q %q, %v; want remediated", got.Status, got.Message, err)
			}
		})
	}
}
