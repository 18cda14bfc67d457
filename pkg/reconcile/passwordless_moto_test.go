package reconcile

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// writeCounter is the real SDK client counting each pool's
// SetUserPoolMfaConfig calls and keeping the refused ones.
type writeCounter struct {
	*cip.Client
	mu      sync.Mutex
	writes  map[string]int
	refused map[string][]string
}

func (w *writeCounter) SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	out, err := w.Client.SetUserPoolMfaConfig(ctx, in, o...)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes[*in.UserPoolId]++
	if err != nil {
		w.refused[*in.UserPoolId] = append(w.refused[*in.UserPoolId], err.Error())
	}
	return out, err
}

// TestPasswordlessPoolsAgainstMoto: one pool of each kind in moto, which
// refuses what Cognito refuses (the launcher's patch). Report mode writes
// nothing; enforce mode gives each pool the write Cognito accepts in one
// SetUserPoolMfaConfig, with no refused write; a second pass writes nothing.
func TestPasswordlessPoolsAgainstMoto(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	singleFactor := &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("auth.example.com"), UserVerification: "preferred", FactorConfiguration: "SINGLE_FACTOR"}
	totp := []policy.Factor{policy.SoftwareToken}
	kinds := []struct {
		spec    testbed.PoolSpec
		report  Status
		enforce Status
		writes  int
		level   string // read back with the AWS CLI
		factor  string // passkeys' FactorConfiguration read back; "" for none
		code    string // a violation the enforce result carries ("" for none)
		names   string // in that violation's text
	}{
		{spec: testbed.PoolSpec{Name: "password-off", Level: "OFF"},
			report: Drift, enforce: Remediated, writes: 1, level: "ON"},
		{spec: testbed.PoolSpec{Name: "passkey-first-off", Level: "OFF", WebAuthn: singleFactor,
			FirstFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}},
			report: Drift, enforce: Remediated, writes: 1, level: "ON", factor: "MULTI_FACTOR_WITH_USER_VERIFICATION", code: policy.CodePasskeyFirstFactor},
		{spec: testbed.PoolSpec{Name: "email-otp-first-off", Level: "OFF", FirstFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}},
			report: Drift, enforce: Unremediable, writes: 1, level: "OPTIONAL", code: policy.CodeOTPFirstFactor, names: "EMAIL_OTP"},
		{spec: testbed.PoolSpec{Name: "sms-otp-first-optional", Level: "OPTIONAL", Factors: totp, FirstFactors: []types.AuthFactorType{types.AuthFactorTypeSmsOtp, types.AuthFactorTypePassword}},
			report: Drift, enforce: Unremediable, writes: 0, level: "OPTIONAL", code: policy.CodeOTPFirstFactor, names: "SMS_OTP"},
		{spec: testbed.PoolSpec{Name: "password-on", Level: "ON", Factors: totp},
			report: Compliant, enforce: Compliant, level: "ON"},
		{spec: testbed.PoolSpec{Name: "passkey-first-on", Level: "ON", Factors: totp, FirstFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn},
			WebAuthn: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("auth.example.com"), UserVerification: "preferred", FactorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"}},
			report: Compliant, enforce: Compliant, level: "ON", factor: "MULTI_FACTOR_WITH_USER_VERIFICATION"},
	}
	specs := make([]testbed.PoolSpec, len(kinds))
	for i, k := range kinds {
		specs[i] = k.spec
	}
	ids, err := m.Seed(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := m.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := &writeCounter{Client: sdk, writes: map[string]int{}, refused: map[string][]string{}}
	p, err := policy.Load(`{"passkeys":{"factorConfiguration":"multi-factor"}}`)
	if err != nil {
		t.Fatal(err)
	}
	run := func(mode policy.Mode) []Result {
		p.Mode = mode
		r := New(cognito.NewGateway(api, fakes.Uncapped(), fakes.QuickBackoff), p, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
		out := make([]Result, len(ids))
		for i, id := range ids {
			out[i] = r.Reconcile(ctx, id)
		}
		return out
	}

	for i, res := range run(policy.Report) {
		if res.Status != kinds[i].report || api.writes[ids[i]] != 0 {
			t.Errorf("report mode, %s: %s (%s) after %d writes, want %s and none", kinds[i].spec.Name, res.Status, res.Message, api.writes[ids[i]], kinds[i].report)
		}
	}
	for i, res := range run(policy.Enforce) {
		k := kinds[i]
		if res.Status != k.enforce || api.writes[ids[i]] != k.writes {
			t.Errorf("%s: %s (%s) after %d writes, want %s after %d", k.spec.Name, res.Status, res.Message, api.writes[ids[i]], k.enforce, k.writes)
		}
		if len(api.refused[ids[i]]) > 0 {
			t.Errorf("%s: writes refused that the enforcer could have predicted: %v", k.spec.Name, api.refused[ids[i]])
		}
		if k.code != "" && !hasViolation(res.Violations, k.code, k.names) {
			t.Errorf("%s: violations %+v lack %s naming %q", k.spec.Name, res.Violations, k.code, k.names)
		}
		got, err := m.GetMFA(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		factor := ""
		if w := got.WebAuthnConfiguration; w != nil {
			factor = w.FactorConfiguration
			if w.RelyingPartyId != "auth.example.com" {
				t.Errorf("%s: relying party lost: %s", k.spec.Name, got)
			}
		}
		if got.MfaConfiguration != k.level || !got.TOTP() || factor != k.factor {
			t.Errorf("%s: AWS CLI reads %s, want %s with TOTP and passkeys %q", k.spec.Name, got, k.level, k.factor)
		}
	}
	before := len(api.writes)
	for i, res := range run(policy.Enforce) {
		if want := map[Status]Status{Remediated: Compliant}[kinds[i].enforce]; want != "" && res.Status != want {
			t.Errorf("second pass %s: %s (%s)", kinds[i].spec.Name, res.Status, res.Message)
		}
	}
	total := func() (n int) {
		for _, w := range api.writes {
			n += w
		}
		return n
	}
	if total() != 3 || len(api.writes) != before {
		t.Errorf("%d writes in all (%v), want the 3 of the first enforce pass", total(), api.writes)
	}
}

func hasViolation(vs []policy.Violation, code, text string) bool {
	for _, v := range vs {
		if v.Code == code && strings.Contains(v.Text+" "+v.Reason, text) {
			return true
		}
	}
	return false
}
