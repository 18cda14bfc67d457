package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// TestAgainstMoto drives a real Cognito API (moto): the AWS CLI creates the
// drift and reads the result; the reconciler runs in report, then enforce mode.
func TestAgainstMoto(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	pools := map[string]string{
		"off":       must(m.CreatePool(ctx, "off", nil, "OFF")),
		"optSMS":    must(m.CreatePool(ctx, "opt-sms", nil, "OPTIONAL", policy.SMS)),
		"onTOTP":    must(m.CreatePool(ctx, "on-totp", nil, "ON", policy.SoftwareToken)),
		"exemptTag": must(m.CreatePool(ctx, "exempt-tag", map[string]string{"mfa-policy-exempt": "legacy"}, "OFF")),
		"exemptID":  must(m.CreatePool(ctx, "exempt-id", nil, "OFF")),
		"deleted":   must(m.CreatePool(ctx, "deleted", nil, "OFF")),
	}
	if err := m.DeletePool(ctx, pools["deleted"]); err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := cognito.NewGateway(cip.NewFromConfig(cfg), fakes.Uncapped(), fakes.QuickBackoff)
	doc := `{"exemptions":{"poolIds":["` + pools["exemptID"] + `"],"tagKey":"mfa-policy-exempt"}}`

	for _, mode := range []struct {
		name string
		want map[string]Status
		// level and TOTP each pool has afterwards, read with the AWS CLI
		level map[string]string
		totp  map[string]bool
	}{
		{"report", map[string]Status{"off": Drift, "optSMS": Drift, "onTOTP": Compliant, "exemptTag": Exempt, "exemptID": Exempt, "deleted": Deleted},
			map[string]string{"off": "OFF", "optSMS": "OPTIONAL", "onTOTP": "ON", "exemptTag": "OFF", "exemptID": "OFF"},
			map[string]bool{"onTOTP": true}},
		{"enforce", map[string]Status{"off": Remediated, "optSMS": Remediated, "onTOTP": Compliant, "exemptTag": Exempt, "exemptID": Exempt, "deleted": Deleted},
			map[string]string{"off": "ON", "optSMS": "ON", "onTOTP": "ON", "exemptTag": "OFF", "exemptID": "OFF"},
			map[string]bool{"off": true, "optSMS": true, "onTOTP": true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			p, err := policy.Load(doc)
			if err != nil {
				t.Fatal(err)
			}
			p.Mode = policy.Mode(mode.name)
			r := New(client, p, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
			for key, id := range pools {
				res := r.Reconcile(ctx, id)
				if res.Status != mode.want[key] {
					t.Errorf("%s: status %s (%s), want %s", key, res.Status, res.Message, mode.want[key])
				}
				if key == "deleted" {
					continue
				}
				got, err := m.GetMFA(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if got.MfaConfiguration != mode.level[key] || got.TOTP() != mode.totp[key] {
					t.Errorf("%s: AWS CLI reads %s, want level %s TOTP %v", key, got, mode.level[key], mode.totp[key])
				}
				if key == "optSMS" {
					s := got.SmsMfaConfiguration
					if s == nil || s.SmsAuthenticationMessage != testbed.SMSMessage ||
						s.SmsConfiguration.SnsCallerArn != testbed.SNSCallerARN || s.SmsConfiguration.ExternalId != testbed.ExternalID {
						t.Errorf("SMS role, external ID or message lost: %s", got)
					}
				}
				if res.Status == Remediated && (res.After == nil || res.After.Level != policy.LevelOn) {
					t.Errorf("%s: After not taken from the write: %+v", key, res.After)
				}
			}
		})
	}

	// A second enforce pass finds everything compliant and writes nothing.
	p, _ := policy.Load(doc)
	r := New(client, p, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	for _, key := range []string{"off", "optSMS", "onTOTP"} {
		if res := r.Reconcile(ctx, pools[key]); res.Status != Compliant {
			t.Errorf("second pass %s: %s (%s)", key, res.Status, res.Message)
		}
	}
}

// adminAfterFirstRead is the real SDK client with an administrator changing
// the pool (with the AWS CLI) right after the enforcer's first read of it.
type adminAfterFirstRead struct {
	*cip.Client
	once   sync.Once
	change func(context.Context) error
	err    error
}

func (a *adminAfterFirstRead) GetUserPoolMfaConfig(ctx context.Context, in *cip.GetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error) {
	out, err := a.Client.GetUserPoolMfaConfig(ctx, in, o...)
	a.once.Do(func() { a.err = a.change(ctx) })
	return out, err
}

// TestConcurrentAdminChangePreserved: an admin's new SMS message, SNS role
// and external ID, made while the paced enforcer waits to write, survive
// the correction to ON+TOTP.
func TestConcurrentAdminChangePreserved(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	id, err := m.CreatePool(ctx, "admin-edits", nil, "OPTIONAL", policy.SMS)
	if err != nil {
		t.Fatal(err)
	}
	const message, role, externalID = "Rotated: your code is {####}", "arn:aws:iam::123456789012:role/cognito-sms-rotated", "rotated-external-id"
	cfg, err := setup.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := &adminAfterFirstRead{Client: cip.NewFromConfig(cfg), change: func(ctx context.Context) error {
		return m.CLI(ctx, nil, "cognito-idp", "set-user-pool-mfa-config", "--user-pool-id", id, "--mfa-configuration", "OPTIONAL",
			"--sms-mfa-configuration", fmt.Sprintf(`{"SmsAuthenticationMessage":%q,"SmsConfiguration":{"SnsCallerArn":%q,"ExternalId":%q}}`, message, role, externalID))
	}}
	var waits []string
	r := New(cognito.NewGateway(api, &pacerLog{calls: &waits}, fakes.QuickBackoff), policy.Default(), slog.New(slog.NewJSONHandler(os.Stderr, nil)))

	res := r.Reconcile(ctx, id)
	if api.err != nil {
		t.Fatalf("admin change: %v", api.err)
	}
	if res.Status != Remediated || !hasField(res.ConcurrentChanges, "sms.settings") {
		t.Fatalf("status %s (%s), concurrent changes %+v; want remediated reporting the admin's change", res.Status, res.Message, res.ConcurrentChanges)
	}
	got, err := m.GetMFA(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	s := got.SmsMfaConfiguration
	if got.MfaConfiguration != "ON" || !got.TOTP() || s == nil || s.SmsAuthenticationMessage != message ||
		s.SmsConfiguration.SnsCallerArn != role || s.SmsConfiguration.ExternalId != externalID {
		t.Errorf("AWS CLI reads %s; want ON+TOTP with the admin's SMS message, role and external ID", got)
	}
}

// TestOptionalKeepsForbiddenFactor: at OPTIONAL a forbidden SMS
// factor stays (users relying on it would lose MFA) and is reported.
func TestOptionalKeepsForbiddenFactor(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	id, err := m.CreatePool(ctx, "optional-sms-totp", nil, "OPTIONAL", policy.SMS, policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(`{"mfaConfiguration":"OPTIONAL","factors":{"sms":"forbidden","softwareToken":"allowed"}}`)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := New(cognito.NewGateway(cip.NewFromConfig(cfg), fakes.Uncapped(), fakes.QuickBackoff), p, slog.New(slog.NewJSONHandler(os.Stderr, nil))).Reconcile(ctx, id)
	if res.Status != Unremediable || !strings.Contains(res.Message, "password alone") {
		t.Errorf("status %s (%s), want unremediable with the reason", res.Status, res.Message)
	}
	if len(res.Violations) != 1 || res.Violations[0].Code != policy.CodeForbiddenEnabled || res.Violations[0].Correctable || res.Violations[0].Reason == "" {
		t.Errorf("violations %+v, want one uncorrectable FORBIDDEN_FACTOR_ENABLED with a reason", res.Violations)
	}
	got, err := m.GetMFA(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.MfaConfiguration != "OPTIONAL" || !got.TOTP() || got.SmsMfaConfiguration == nil || got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn != testbed.SNSCallerARN {
		t.Errorf("AWS CLI reads %s; want OPTIONAL with SMS and TOTP untouched", got)
	}
}

// TestProfileChosenFromFreshTags: the sweep knows a pool's tags from its
// bulk read; when the check then reads the pool with DescribeUserPool (to
// raise it to ON) and its profile tag has changed since, the profile the
// fresh tag names judges it: here report mode, nothing written (F8).
func TestProfileChosenFromFreshTags(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	pool, err := m.CreatePool(ctx, "retagged", map[string]string{"mfa-profile": "lenient"}, "OFF")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(`{"version":2,"profiles":{"strict":{"mfaConfiguration":"ON"},"lenient":{"mfaConfiguration":"ON","mode":"report"}},
		"default":"strict","profileTag":"mfa-profile"}`)
	if err != nil {
		t.Fatal(err)
	}
	r := New(cognito.NewGateway(cip.NewFromConfig(cfg), fakes.Uncapped(), fakes.QuickBackoff), p, slog.New(slog.DiscardHandler))
	stale := Known{Tags: map[string]string{"mfa-profile": "strict"}} // the bulk read, before the pool was re-tagged
	res := r.ReconcileKnown(ctx, pool, stale)
	if res.Status != Drift || res.Profile != "lenient" {
		t.Errorf("%s by profile %q, want drift by lenient: %s", res.Status, res.Profile, res.Message)
	}
	if got, _ := m.GetMFA(ctx, pool); got.MfaConfiguration != "OFF" {
		t.Errorf("pool written under the stale profile: %s", got)
	}
}

// TestAdaptiveAgainstMoto: the launcher's model of risk configurations
// (set per pool or client, inherited, Plus only) is what the checks read
// and write: an app client's override below the minimum is raised on
// moto with its other settings kept, the pool left OPTIONAL, and the AWS
// CLI reads the result.
func TestAdaptiveAgainstMoto(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	spec := testbed.PoolSpec{Name: "adaptive", Level: "OPTIONAL", Factors: []policy.Factor{policy.SoftwareToken},
		Tier: "PLUS", ThreatProtection: "ENFORCED", Risk: &types.RiskConfigurationType{AccountTakeoverRiskConfiguration: awsDesign, RiskExceptionConfiguration: ipLists},
		Clients: []testbed.ClientSpec{{Name: "web"}, {Name: "kiosk", Risk: &types.RiskConfigurationType{AccountTakeoverRiskConfiguration: lax, RiskExceptionConfiguration: ipLists}}}}
	ids, err := m.Seed(ctx, []testbed.PoolSpec{spec})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(adaptivePolicy)
	if err != nil {
		t.Fatal(err)
	}
	res := New(cognito.NewGateway(cip.NewFromConfig(cfg), fakes.Uncapped(), fakes.QuickBackoff), p, slog.New(slog.DiscardHandler)).Reconcile(ctx, ids[0])
	if res.Status != Remediated || res.Equivalent != policy.Equivalent || len(res.Violations) != 2 {
		t.Fatalf("%s, equivalent %q, violations %v: %s", res.Status, res.Equivalent, policy.Labels(res.Violations), res.Message)
	}
	clients, err := m.ClientIDs(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	kiosk, err := m.Risk(ctx, ids[0], clients["kiosk"])
	if err != nil {
		t.Fatal(err)
	}
	at := kiosk.AccountTakeoverRiskConfiguration
	if kiosk.ClientId != clients["kiosk"] || at == nil || at.Actions["MediumAction"].EventAction != "MFA_IF_CONFIGURED" || at.Actions["HighAction"].EventAction != "MFA_REQUIRED" ||
		at.Actions["LowAction"].EventAction != "NO_ACTION" || !at.Actions["HighAction"].Notify || at.NotifyConfiguration == nil ||
		kiosk.RiskExceptionConfiguration == nil || len(kiosk.RiskExceptionConfiguration.BlockedIPRangeList) != 1 {
		t.Errorf("the kiosk client's configuration as the CLI reads it: %+v", kiosk)
	}
	web, err := m.Risk(ctx, ids[0], clients["web"])
	if err != nil || web.ClientId != "" || web.AccountTakeoverRiskConfiguration.Actions["HighAction"].EventAction != "MFA_REQUIRED" {
		t.Errorf("the web client has the pool's configuration: %+v %v", web, err)
	}
	if got, _ := m.GetMFA(ctx, ids[0]); got.MfaConfiguration != "OPTIONAL" {
		t.Errorf("the adaptive pool was raised: %s", got)
	}
}
