package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile/reconciletest"
)

const pool = "us-east-1_Pool1"

var sms = &types.SmsMfaConfigType{
	SmsAuthenticationMessage: aws.String("Code {####}"),
	SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/sns"), ExternalId: aws.String("ext"), SnsRegion: aws.String("us-east-1")},
}

var totpOn = &types.SoftwareTokenMfaConfigType{Enabled: true}

func reconciler(t *testing.T, f *reconciletest.Pools, doc string) (*Reconciler, *bytes.Buffer) {
	t.Helper()
	p, err := policy.Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	r := New(f, p, slog.New(slog.NewJSONHandler(&logs, nil)))
	r.Backoff = Backoff{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}
	return r, &logs
}

func TestPool(t *testing.T) {
	throttle := &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}
	cases := []struct {
		name       string
		policy     string
		start      *cip.GetUserPoolMfaConfigOutput // nil: pool does not exist
		tags       map[string]string
		errs       map[string][]error
		refuse     func(*cip.SetUserPoolMfaConfigInput) error
		status     Status
		calls      string
		wantLevel  types.UserPoolMfaType // level stored at the end
		wantTOTP   bool
		wantSMS    bool
		msgContain string
	}{
		{name: "compliant: read only", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: totpOn},
			status: Compliant, calls: "Get", wantLevel: "ON", wantTOTP: true},
		{name: "OFF remediated", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: Remediated, calls: "Get Set", wantLevel: "ON", wantTOTP: true},
		{name: "report mode never writes", policy: `{"mode":"report"}`, start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: Drift, calls: "Get", wantLevel: "OFF"},
		{name: "OPTIONAL+SMS: SMS kept, TOTP added", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms},
			status: Remediated, calls: "Get Set", wantLevel: "ON", wantTOTP: true, wantSMS: true},
		{name: "exempt by ID: no write, no describe", policy: `{"exemptions":{"poolIds":["us-east-1_Pool1"],"tagKey":"x"}}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Exempt, calls: "Get", wantLevel: "OFF"},
		{name: "exempt by tag", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`, tags: map[string]string{"mfa-exempt": ""},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Exempt, calls: "Get Describe", wantLevel: "OFF"},
		{name: "tag read failure is not 'not exempt'", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`,
			errs:  map[string][]error{"Describe": {errors.New("access denied")}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Failed, calls: "Get Describe", wantLevel: "OFF"},
		{name: "pool gone", start: nil, status: Deleted, calls: "Get"},
		{name: "throttled then fine", errs: map[string][]error{"Get": {throttle}, "Set": {throttle}},
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: Remediated, calls: "Get Get Set Set", wantLevel: "ON", wantTOTP: true},
		{name: "throttled past the bound fails", errs: map[string][]error{"Get": {throttle, throttle, throttle, throttle}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Failed, calls: "Get Get Get", wantLevel: "OFF", msgContain: "Rate exceeded"},
		{name: "concurrent modification and internal error retried",
			errs:  map[string][]error{"Set": {&types.ConcurrentModificationException{}, &types.InternalErrorException{}}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Remediated, calls: "Get Set Set Set", wantLevel: "ON", wantTOTP: true},
		{name: "not authorized is not retried", errs: map[string][]error{"Get": {&types.NotAuthorizedException{Message: aws.String("no")}}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Failed, calls: "Get", wantLevel: "OFF"},
		{name: "unknown level is failed, not guessed", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "SOMETIMES"},
			status: Failed, calls: "Get", wantLevel: "SOMETIMES"},
		{name: "ON refused: TOTP at OPTIONAL applied", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			refuse: func(in *cip.SetUserPoolMfaConfigInput) error {
				if in.MfaConfiguration == "ON" {
					return &types.InvalidParameterException{Message: aws.String("MFA can't be ON when EMAIL_OTP is an allowed first factor")}
				}
				return nil
			},
			status: Unremediable, calls: "Get Set Set", wantLevel: "OPTIONAL", wantTOTP: true, msgContain: "EMAIL_OTP"},
		{name: "SMS removal refused: SMS kept, rest applied", policy: `{"factors":{"sms":"forbidden"}}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms},
			refuse: func(in *cip.SetUserPoolMfaConfigInput) error {
				if in.SmsMfaConfiguration == nil {
					return &types.InvalidParameterException{Message: aws.String("Can't turn off SMS_MFA when SMS configuration is set for the user pool")}
				}
				return nil
			},
			status: Unremediable, calls: "Get Set Set Set", wantLevel: "ON", wantTOTP: true, wantSMS: true, msgContain: "SMS_MFA"},
		{name: "tier refusal of everything", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			refuse: func(*cip.SetUserPoolMfaConfigInput) error {
				return &types.FeatureUnavailableInTierException{Message: aws.String("not in this tier")}
			},
			status: Unremediable, calls: "Get Set Set", wantLevel: "OFF", msgContain: "not in this tier"},
		{name: "required SMS cannot be created: no write", policy: `{"factors":{"sms":"required"}}`,
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: totpOn},
			status: Unremediable, calls: "Get", wantLevel: "ON", wantTOTP: true, msgContain: "SNS"},
		{name: "required SMS: other drift still fixed", policy: `{"factors":{"sms":"required"}}`,
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: Unremediable, calls: "Get Set", wantLevel: "ON", wantTOTP: true, msgContain: "SNS"},
		{name: "pool deleted before the write", errs: map[string][]error{"Set": {&types.ResourceNotFoundException{}}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Deleted, calls: "Get Set", wantLevel: "OFF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := reconciletest.New()
			if tc.start != nil {
				f.MFA[pool] = tc.start
			}
			f.Tags[pool] = tc.tags
			for k, v := range tc.errs {
				f.Errs[k] = v
			}
			f.Refuse = tc.refuse
			r, logs := reconciler(t, f, tc.policy)
			res := r.Pool(context.Background(), pool)
			if res.Status != tc.status {
				t.Fatalf("status = %s (%s), want %s", res.Status, res.Message, tc.status)
			}
			if got := strings.Join(f.Calls, " "); got != tc.calls {
				t.Errorf("calls = %q, want %q", got, tc.calls)
			}
			if tc.msgContain != "" && !strings.Contains(res.Message, tc.msgContain) {
				t.Errorf("message %q lacks %q", res.Message, tc.msgContain)
			}
			if tc.start != nil {
				end := f.MFA[pool]
				totp := end.SoftwareTokenMfaConfiguration != nil && end.SoftwareTokenMfaConfiguration.Enabled
				if end.MfaConfiguration != tc.wantLevel || totp != tc.wantTOTP || (end.SmsMfaConfiguration != nil) != tc.wantSMS {
					t.Errorf("stored level=%s totp=%v sms=%v, want %s %v %v", end.MfaConfiguration, totp, end.SmsMfaConfiguration != nil, tc.wantLevel, tc.wantTOTP, tc.wantSMS)
				}
				if tc.wantSMS && !reflect.DeepEqual(end.SmsMfaConfiguration, sms) {
					t.Errorf("SMS settings not preserved: %+v", end.SmsMfaConfiguration)
				}
			}
			if (res.Status == Remediated || (res.Status == Unremediable && len(f.Sets) > 0)) && res.After == nil {
				t.Error("a write happened but After is empty")
			}
			if res.Status == Failed && res.Err == nil {
				t.Error("failed result without an error")
			}
			assertOneDecisionLine(t, logs, string(res.Status))
		})
	}
}

func assertOneDecisionLine(t *testing.T, logs *bytes.Buffer, outcome string) {
	t.Helper()
	dec := json.NewDecoder(logs)
	n := 0
	for {
		var line map[string]any
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		if line["msg"] == "pool reconciled" {
			n++
			if line["outcome"] != outcome || line["poolId"] != pool {
				t.Errorf("decision line %v, want outcome %s for %s", line, outcome, pool)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d decision lines, want 1", n)
	}
}

func TestSecondPassWritesNothing(t *testing.T) {
	f := reconciletest.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms,
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("example.com"), UserVerification: "preferred"}}
	r, _ := reconciler(t, f, `{"factors":{"email":"forbidden"}}`)
	if res := r.Pool(context.Background(), pool); res.Status != Remediated {
		t.Fatalf("first pass %s: %s", res.Status, res.Message)
	}
	if got := *f.MFA[pool].WebAuthnConfiguration.RelyingPartyId; got != "example.com" {
		t.Errorf("WebAuthn relying party lost: %q", got)
	}
	if res := r.Pool(context.Background(), pool); res.Status != Compliant || len(f.Sets) != 1 {
		t.Fatalf("second pass %s with %d writes, want compliant after 1", res.Status, len(f.Sets))
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	f := reconciletest.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	for range 10 {
		f.Errs["Get"] = append(f.Errs["Get"], &types.TooManyRequestsException{})
	}
	r, _ := reconciler(t, f, "")
	r.Backoff = Backoff{Attempts: 10, Base: time.Hour, Max: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := r.Pool(ctx, pool); res.Status != Failed || len(f.Calls) != 1 {
		t.Fatalf("status %s after %d calls, want failed after 1", res.Status, len(f.Calls))
	}
}

func TestSetInputIsComplete(t *testing.T) {
	c := policy.Config{Level: policy.LevelOn, SoftwareToken: true,
		SMS:      &policy.SMSConfig{Message: aws.String("m"), SNSCallerARN: aws.String("arn"), ExternalID: aws.String("e"), SNSRegion: aws.String("r")},
		Email:    &policy.EmailConfig{Message: aws.String("em"), Subject: aws.String("es")},
		WebAuthn: &policy.WebAuthnConfig{RelyingPartyID: aws.String("rp"), UserVerification: "required", FactorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"}}
	in := setInput(pool, c)
	back, err := toConfig(mfaBlocks{in.MfaConfiguration, in.SoftwareTokenMfaConfiguration, in.SmsMfaConfiguration, in.EmailMfaConfiguration, in.WebAuthnConfiguration})
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip lost data: %+v, %v", back, err)
	}
	off := setInput(pool, policy.Config{Level: policy.LevelOff, SMS: c.SMS, WebAuthn: c.WebAuthn})
	if off.SmsMfaConfiguration != nil || off.SoftwareTokenMfaConfiguration != nil || off.WebAuthnConfiguration == nil {
		t.Errorf("OFF request must carry no factor block but keep WebAuthn: %+v", off)
	}
}
