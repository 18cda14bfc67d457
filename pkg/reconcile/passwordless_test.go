package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

var (
	singleFactorPasskeys = &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("auth.example.com"), UserVerification: "preferred", FactorConfiguration: "SINGLE_FACTOR"}
	passkeyFirst         = []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}
	emailFirst           = []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}
)

// refusedWrites counts the writes the fake refused: every Set call that
// did not land.
func refusedWrites(f *fakes.Pools) int {
	return strings.Count(strings.Join(f.Calls, " "), "Set") - len(f.Sets)
}

// TestPlanWithTheSignInPolicy: each kind of pool gets the write Cognito
// accepts, in one try, and what cannot be corrected is reported with why.
func TestPlanWithTheSignInPolicy(t *testing.T) {
	const multi = `{"passkeys":{"factorConfiguration":"multi-factor"}}`
	cases := []struct {
		name       string
		policy     string
		start      *cip.GetUserPoolMfaConfigOutput
		first      []types.AuthFactorType
		tier       types.UserPoolTierType
		refuse     func(*cip.SetUserPoolMfaConfigInput) error
		status     Status
		calls      string
		wantLevel  types.UserPoolMfaType
		wantFactor types.WebAuthnFactorConfigurationType // "": no WebAuthn block stored
		code       string                                // a violation the result must carry
		correct    bool                                  // whether that violation is corrected
		reason     string                                // in its reason (when not corrected)
	}{
		{name: "passkey first at OFF: ON and multi-factor passkeys in one write", policy: multi,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF", WebAuthnConfiguration: singleFactorPasskeys}, first: passkeyFirst,
			status: Remediated, calls: "Get Describe Get Set", wantLevel: "ON", wantFactor: "MULTI_FACTOR_WITH_USER_VERIFICATION",
			code: policy.CodePasskeyFirstFactor, correct: true},
		{name: "passkey first, passkeys not governed: OPTIONAL and why", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF", WebAuthnConfiguration: singleFactorPasskeys},
			first: passkeyFirst, status: Unremediable, calls: "Get Describe Get Set", wantLevel: "OPTIONAL", wantFactor: "SINGLE_FACTOR",
			code: policy.CodePasskeyFirstFactor, reason: "set passkeys.factorConfiguration to multi-factor"},
		{name: "passkey first without a WebAuthn configuration: none invented", policy: multi,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, first: passkeyFirst,
			status: Unremediable, calls: "Get Describe Get Set", wantLevel: "OPTIONAL",
			code: policy.CodePasskeyFirstFactor, reason: "never creates one"},
		{name: "email OTP first: OPTIONAL in one write, the first factor named", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			first: emailFirst, status: Unremediable, calls: "Get Describe Get Set", wantLevel: "OPTIONAL",
			code: policy.CodeOTPFirstFactor, reason: "remove EMAIL_OTP"},
		{name: "email OTP first, already OPTIONAL: nothing written", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: totpOn},
			first: emailFirst, status: Unremediable, calls: "Get Describe", wantLevel: "OPTIONAL",
			code: policy.CodeOTPFirstFactor, reason: "remove EMAIL_OTP"},
		{name: "report mode: the finding says what enforce would leave", policy: `{"mode":"report"}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, first: emailFirst,
			status: Drift, calls: "Get Describe", wantLevel: "OFF", code: policy.CodeLevelBelowPolicy, reason: "first sign-in factors"},
		{name: "Lite plan: passkey settings not attempted, the plan named", policy: `{"passkeys":{"userVerification":"required"}}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF", WebAuthnConfiguration: singleFactorPasskeys}, tier: types.UserPoolTierTypeLite,
			status: Unremediable, calls: "Get Describe Get Set", wantLevel: "ON", wantFactor: "SINGLE_FACTOR",
			code: policy.CodePasskeyVerification, reason: "the pool's plan is LITE"},
		{name: "tag rule: one DescribeUserPool serves tags and sign-in policy", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, first: emailFirst,
			status: Unremediable, calls: "Get Describe Get Set", wantLevel: "OPTIONAL", code: policy.CodeOTPFirstFactor},
		{name: "SMS removal refused, unpredicted: kept, with that reason", policy: `{"factors":{"sms":"forbidden"}}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: totpOn, SmsMfaConfiguration: sms},
			refuse: func(in *cip.SetUserPoolMfaConfigInput) error {
				if in.SmsMfaConfiguration == nil {
					return &types.InvalidParameterException{Message: aws.String("Can't turn off SMS_MFA when SMS configuration is set for the user pool")}
				}
				return nil
			},
			// Every write is planned from a read just before it (the pacer may
			// wait between the check's first read and the write).
			status: Unremediable, calls: "Get Get Set", wantLevel: "ON",
			code: policy.CodeForbiddenEnabled, reason: "the pool sends SMS for other messages"},
		{name: "replica: the write not enabled here is neither failed nor retried", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			refuse: func(*cip.SetUserPoolMfaConfigInput) error {
				return &types.OperationNotEnabledException{Message: aws.String("Operation not enabled in this region")}
			},
			status: Replica, calls: "Get Describe Get Set", wantLevel: "OFF", code: policy.CodeLevelBelowPolicy, correct: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = tc.start
			f.FirstFactors[pool], f.Tiers[pool] = tc.first, tc.tier
			f.Refuse = tc.refuse
			r, logs := reconciler(t, f, tc.policy)
			res := r.Reconcile(context.Background(), pool)
			if res.Status != tc.status {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Message, tc.status)
			}
			if got := strings.Join(f.Calls, " "); got != tc.calls {
				t.Errorf("calls %q, want %q", got, tc.calls)
			}
			if tc.refuse == nil && refusedWrites(f) != 0 {
				t.Errorf("%d writes refused that the enforcer could have predicted", refusedWrites(f))
			}
			end := f.MFA[pool]
			if end.MfaConfiguration != tc.wantLevel {
				t.Errorf("stored level %s, want %s", end.MfaConfiguration, tc.wantLevel)
			}
			var factor types.WebAuthnFactorConfigurationType
			if w := end.WebAuthnConfiguration; w != nil {
				factor = w.FactorConfiguration
				if aws.ToString(w.RelyingPartyId) != "auth.example.com" {
					t.Errorf("relying party lost: %+v", w)
				}
			}
			if factor != tc.wantFactor {
				t.Errorf("stored passkey factor configuration %q, want %q", factor, tc.wantFactor)
			}
			found := false
			for _, v := range res.Violations {
				if v.Code != tc.code {
					continue
				}
				found = true
				if v.Correctable != tc.correct || !strings.Contains(v.Reason, tc.reason) {
					t.Errorf("%s correctable %v reason %q; want %v and a reason with %q", v.Code, v.Correctable, v.Reason, tc.correct, tc.reason)
				}
			}
			if !found {
				t.Errorf("violations %+v lack %s", res.Violations, tc.code)
			}
			if res.Status == Replica && (res.Err != nil || res.Status.Retried()) {
				t.Errorf("replica result failed or retried: %v", res.Err)
			}
			assertNoOutcomeLine(t, logs)
		})
	}
}

// TestReplicaDescribe: a replica Region may not enable DescribeUserPool
// either; that too is a replica, not a failure.
func TestReplicaDescribe(t *testing.T) {
	f := fakes.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	f.Errs["Describe"] = []error{&types.OperationNotEnabledException{Message: aws.String("Operation not enabled in this region")}}
	r, _ := reconciler(t, f, "")
	res := r.Reconcile(context.Background(), pool)
	if res.Status != Replica || !strings.Contains(res.Message, "secondary replica") || strings.Join(f.Calls, " ") != "Get Describe" {
		t.Errorf("status %s (%s) after %v, want replica after Get Describe", res.Status, res.Message, f.Calls)
	}
}

// compliantKinds are compliant pools of every kind, with the policy they
// comply with.
var compliantKinds = []struct {
	name, policy string
	mfa          cognitofake.MFA
	tier         string
	first        []string
}{
	{"password, ON+TOTP", ``, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}, "ESSENTIALS", nil},
	{"passkey first, multi-factor passkeys, ON", `{"passkeys":{"userVerification":"required","factorConfiguration":"multi-factor"}}`,
		cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true},
			WebAuthnConfiguration: []byte(`{"RelyingPartyId":"auth.example.com","UserVerification":"required","FactorConfiguration":"MULTI_FACTOR_WITH_USER_VERIFICATION"}`)},
		"ESSENTIALS", []string{"PASSWORD", "WEB_AUTHN"}},
	{"email OTP first, OPTIONAL policy", `{"mfaConfiguration":"OPTIONAL"}`,
		cognitofake.MFA{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}, "PLUS", []string{"PASSWORD", "EMAIL_OTP"}},
	{"Lite, ON+TOTP", ``, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}}, "LITE", nil},
}

// TestCompliantPoolsCostOneRead: as in a sweep without tag rules (a pacer,
// no known tags), a compliant pool of any kind costs one Cognito call, its
// GetUserPoolMfaConfig: the sign-in policy is read only to raise a level.
func TestCompliantPoolsCostOneRead(t *testing.T) {
	for _, kind := range compliantKinds {
		t.Run(kind.name, func(t *testing.T) {
			f, sdk := cognitofake.StartForTest(t)
			id := f.AddPool(kind.name, nil, kind.mfa)
			f.SetSignIn(id, kind.tier, kind.first...)
			p, err := policy.Load(cmp.Or(kind.policy, "{}"))
			if err != nil {
				t.Fatal(err)
			}
			var waits []string
			r := New(cognito.NewGateway(sdk, &pacerLog{calls: &waits}, fakes.QuickBackoff), p, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if res := r.Reconcile(context.Background(), id); res.Status != Compliant {
				t.Fatalf("status %s (%s), want compliant", res.Status, res.Message)
			}
			if f.Calls("GetUserPoolMfaConfig") != 1 || f.Calls("DescribeUserPool") != 0 || f.Calls("SetUserPoolMfaConfig") != 0 {
				t.Errorf("calls: get %d describe %d set %d, want 1, 0, 0", f.Calls("GetUserPoolMfaConfig"), f.Calls("DescribeUserPool"), f.Calls("SetUserPoolMfaConfig"))
			}
		})
	}
}

// BenchmarkCompliantPoolCalls reconciles 1,000 compliant pools of every
// kind through the SDK and the HTTP fake and reports Cognito calls per pool.
func BenchmarkCompliantPoolCalls(b *testing.B) {
	f, sdk := cognitofake.StartForTest(b)
	type target struct {
		id string
		r  *Reconciler
	}
	var targets []target
	for i := range 1000 {
		kind := compliantKinds[i%len(compliantKinds)]
		id := f.AddPool(fmt.Sprint(kind.name, i), nil, kind.mfa)
		f.SetSignIn(id, kind.tier, kind.first...)
		p, err := policy.Load(cmp.Or(kind.policy, "{}"))
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, target{id, New(cognito.NewGateway(sdk, fakes.Uncapped(), fakes.QuickBackoff), p, slog.New(slog.NewJSONHandler(io.Discard, nil)))})
	}
	b.ReportAllocs()
	checked := 0
	for b.Loop() {
		for _, tg := range targets {
			if res := tg.r.Reconcile(context.Background(), tg.id); res.Status != Compliant {
				b.Fatalf("%s: %s (%s)", tg.id, res.Status, res.Message)
			}
			checked++
		}
	}
	calls := f.Calls("GetUserPoolMfaConfig") + f.Calls("DescribeUserPool") + f.Calls("SetUserPoolMfaConfig")
	b.ReportMetric(float64(calls)/float64(checked), "calls/pool")
	b.ReportMetric(float64(f.Calls("GetUserPoolMfaConfig"))/float64(checked), "reads/pool")
}
