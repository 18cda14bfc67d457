package reconcile

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

const pool = "us-east-1_Pool1"

var sms = &types.SmsMfaConfigType{
	SmsAuthenticationMessage: aws.String("Code {####}"),
	SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/sns"), ExternalId: aws.String("ext"), SnsRegion: aws.String("us-east-1")},
}

var totpOn = &types.SoftwareTokenMfaConfigType{Enabled: true}

func reconciler(t *testing.T, f *fakes.Pools, doc string) (*Reconciler, *bytes.Buffer) {
	t.Helper()
	p, err := policy.Load(cmp.Or(doc, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return New(cognito.NewGateway(f, fakes.Uncapped(), fakes.QuickBackoff), p, slog.New(slog.NewJSONHandler(&logs, nil))), &logs
}

// reconcilerOver is a reconciler over api with pacer and backoff.
func reconcilerOver(t *testing.T, api cognito.API, doc string, pacer cognito.Pacer, b pace.Backoff) *Reconciler {
	t.Helper()
	p, err := policy.Load(cmp.Or(doc, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	return New(cognito.NewGateway(api, pacer, b), p, slog.New(slog.DiscardHandler))
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
			status: Remediated, calls: "Get Describe Get Set", wantLevel: "ON", wantTOTP: true},
		{name: "report mode never writes", policy: `{"mode":"report"}`, start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: Drift, calls: "Get Describe", wantLevel: "OFF"},
		{name: "OPTIONAL+SMS: SMS kept, TOTP added", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms},
			status: Remediated, calls: "Get Describe Get Set", wantLevel: "ON", wantTOTP: true, wantSMS: true},
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
			status: Remediated, calls: "Get Get Describe Get Set Get Set", wantLevel: "ON", wantTOTP: true},
		{name: "throttled past the bound fails", errs: map[string][]error{"Get": {throttle, throttle, throttle, throttle}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Failed, calls: "Get Get Get", wantLevel: "OFF", msgContain: "Rate exceeded"},
		{name: "concurrent modification and internal error retried",
			errs:  map[string][]error{"Set": {&types.ConcurrentModificationException{}, &types.InternalErrorException{}}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Remediated, calls: "Get Describe Get Set Get Set Get Set", wantLevel: "ON", wantTOTP: true},
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
			status: Unremediable, calls: "Get Describe Get Set Get Set", wantLevel: "OPTIONAL", wantTOTP: true, msgContain: "EMAIL_OTP"},
		{name: "SMS removal refused: SMS kept, rest applied", policy: `{"factors":{"sms":"forbidden"}}`,
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms},
			refuse: func(in *cip.SetUserPoolMfaConfigInput) error {
				if in.SmsMfaConfiguration == nil {
					return &types.InvalidParameterException{Message: aws.String("Can't turn off SMS_MFA when SMS configuration is set for the user pool")}
				}
				return nil
			},
			status: Unremediable, calls: "Get Describe Get Set Get Set", wantLevel: "ON", wantTOTP: true, wantSMS: true, msgContain: "SMS_MFA"},
		{name: "tier refusal of everything", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			refuse: func(*cip.SetUserPoolMfaConfigInput) error {
				return &types.FeatureUnavailableInTierException{Message: aws.String("not in this tier")}
			},
			status: Unremediable, calls: "Get Describe Get Set Get Set", wantLevel: "OFF", msgContain: "not in this tier"},
		{name: "required SMS cannot be created: no write", policy: `{"factors":{"sms":"required"}}`,
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: totpOn},
			status: Unremediable, calls: "Get", wantLevel: "ON", wantTOTP: true, msgContain: "SNS"},
		{name: "required SMS: other drift still fixed", policy: `{"factors":{"sms":"required"}}`,
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			status: Unremediable, calls: "Get Describe Get Set", wantLevel: "ON", wantTOTP: true, msgContain: "SNS"},
		{name: "OPTIONAL keeps a forbidden SMS users rely on", policy: `{"mfaConfiguration":"OPTIONAL","factors":{"sms":"forbidden","softwareToken":"allowed"}}`,
			start:  &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms, SoftwareTokenMfaConfiguration: totpOn},
			status: Unremediable, calls: "Get", wantLevel: "OPTIONAL", wantTOTP: true, wantSMS: true, msgContain: "password alone"},
		{name: "pool deleted before the write", errs: map[string][]error{"Set": {&types.ResourceNotFoundException{}}},
			start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}, status: Deleted, calls: "Get Describe Get Set", wantLevel: "OFF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			if tc.start != nil {
				f.MFA[pool] = tc.start
			}
			f.Tags[pool] = tc.tags
			for k, v := range tc.errs {
				f.Errs[k] = v
			}
			f.Refuse = tc.refuse
			r, logs := reconciler(t, f, tc.policy)
			res := r.Reconcile(context.Background(), pool)
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
			assertNoOutcomeLine(t, logs)
		})
	}
}

// assertNoOutcomeLine: the reconciler logs what it does (a write, a
// refusal) but not the check's outcome, which the recorder logs once the
// result is final (findings.TestRecorderOneLinePerResult).
func assertNoOutcomeLine(t *testing.T, logs *bytes.Buffer) {
	t.Helper()
	dec := json.NewDecoder(logs)
	for {
		var line map[string]any
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		if line["outcome"] != nil {
			t.Errorf("the reconciler logged an outcome: %v", line)
		}
	}
}

func TestSecondPassWritesNothing(t *testing.T) {
	f := fakes.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms,
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("example.com"), UserVerification: "preferred"}}
	r, _ := reconciler(t, f, `{"factors":{"email":"forbidden"}}`)
	if res := r.Reconcile(context.Background(), pool); res.Status != Remediated {
		t.Fatalf("first pass %s: %s", res.Status, res.Message)
	}
	if got := *f.MFA[pool].WebAuthnConfiguration.RelyingPartyId; got != "example.com" {
		t.Errorf("WebAuthn relying party lost: %q", got)
	}
	if res := r.Reconcile(context.Background(), pool); res.Status != Compliant || len(f.Sets) != 1 {
		t.Fatalf("second pass %s with %d writes, want compliant after 1", res.Status, len(f.Sets))
	}
}

// cancelOnCall is the fake with the caller's context ending at its first call.
type cancelOnCall struct {
	*fakes.Pools
	cancel context.CancelFunc
}

func (c *cancelOnCall) GetUserPoolMfaConfig(ctx context.Context, in *cip.GetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error) {
	c.cancel()
	return c.Pools.GetUserPoolMfaConfig(ctx, in, o...)
}

// TestRetryStopsWhenContextEnds: a throttled call is not tried again once
// the context has ended, and no call starts on an ended context.
func TestRetryStopsWhenContextEnds(t *testing.T) {
	f := fakes.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	for range 10 {
		f.Errs["Get"] = append(f.Errs["Get"], &types.TooManyRequestsException{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := reconcilerOver(t, &cancelOnCall{Pools: f, cancel: cancel}, "", fakes.Uncapped(), pace.Backoff{Attempts: 10, Base: time.Hour, Max: time.Hour})
	if res := r.Reconcile(ctx, pool); res.Status != Failed || len(f.Calls) != 1 {
		t.Fatalf("status %s after %d calls, want failed after 1", res.Status, len(f.Calls))
	}
	if res := r.Reconcile(ctx, pool); res.Status != Failed || len(f.Calls) != 1 {
		t.Fatalf("status %s after %d calls, want failed with no call on an ended context", res.Status, len(f.Calls))
	}
}

// pacerLog records each wait in calls, in order with the API calls the fake
// records there, and counts the outcomes reported to it.
type pacerLog struct {
	calls    *[]string
	observed int
}

// Wait records the quota category of the call; a call about no pool is
// marked "no pool".
func (p *pacerLog) Wait(_ context.Context, op quota.Op, poolID string) error {
	c, _ := quota.Of(op)
	if poolID == "" {
		c += " no pool"
	}
	*p.calls = append(*p.calls, fmt.Sprintf("Wait(%s)", c))
	return nil
}

func (p *pacerLog) Observe(quota.Op, error) { p.observed++ }

// changedAfterFirstRead is the fake with someone changing the pool right
// after the enforcer's first read of it.
type changedAfterFirstRead struct {
	*fakes.Pools
	change func(*fakes.Pools)
	reads  int
}

func (c *changedAfterFirstRead) GetUserPoolMfaConfig(ctx context.Context, in *cip.GetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error) {
	out, err := c.Pools.GetUserPoolMfaConfig(ctx, in, o...)
	if c.reads++; c.reads == 1 {
		c.change(c.Pools)
	}
	return out, err
}

// An admin's new SMS message, SNS role and external ID, made while the
// enforcer waits to write.
var adminSMS = &types.SmsMfaConfigType{
	SmsAuthenticationMessage: aws.String("Your new code is {####}"),
	SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/sns-rotated"), ExternalId: aws.String("ext-rotated"), SnsRegion: aws.String("us-east-1")},
}

func TestConcurrentChangeKept(t *testing.T) {
	adminEdit := func(f *fakes.Pools) {
		f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: adminSMS}
	}
	cases := []struct {
		name    string
		policy  string
		paced   bool
		errs    map[string][]error
		change  func(*fakes.Pools)
		status  Status
		calls   string
		wantSMS *types.SmsMfaConfigType // stored at the end; nil: not checked
		msg     string
	}{
		{name: "paced: re-read after the wait", paced: true, change: adminEdit, status: Remediated,
			calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set", wantSMS: adminSMS, msg: "changed after it was first read"},
		{name: "tag lookup in between: re-read", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`, change: adminEdit, status: Remediated,
			calls: "Get Describe Get Set", wantSMS: adminSMS, msg: "sms.settings"},
		{name: "throttled write: the pair is retried", errs: map[string][]error{"Set": {&types.TooManyRequestsException{}}},
			change: adminEdit, status: Remediated, calls: "Get Describe Get Set Get Set", wantSMS: adminSMS, msg: "changed after it was first read"},
		{name: "someone fixed it: nothing written", paced: true,
			change: func(f *fakes.Pools) {
				f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SmsMfaConfiguration: adminSMS, SoftwareTokenMfaConfiguration: totpOn}
			},
			status: Compliant, calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get", wantSMS: adminSMS, msg: "now complies: nothing written"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms}
			for k, v := range tc.errs {
				f.Errs[k] = v
			}
			waits := &f.Calls // where the pacer's waits are recorded: with the calls when the case says so
			if !tc.paced {
				waits = &[]string{}
			}
			r := reconcilerOver(t, &changedAfterFirstRead{Pools: f, change: tc.change}, tc.policy, &pacerLog{calls: waits}, fakes.QuickBackoff)
			res := r.Reconcile(context.Background(), pool)
			if res.Status != tc.status {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Message, tc.status)
			}
			if got := strings.Join(f.Calls, " "); got != tc.calls {
				t.Errorf("calls %q, want %q", got, tc.calls)
			}
			if got := f.MFA[pool].SmsMfaConfiguration; !reflect.DeepEqual(got, tc.wantSMS) {
				t.Errorf("stored SMS %+v, want the admin's %+v", got, tc.wantSMS)
			}
			if !strings.Contains(res.Message, tc.msg) {
				t.Errorf("message %q lacks %q", res.Message, tc.msg)
			}
			if !hasField(res.ConcurrentChanges, "sms.settings") {
				t.Errorf("concurrent changes %+v lack the admin's SMS settings", res.ConcurrentChanges)
			}
			// Before is the state the write was planned from; the diff is the enforcer's own.
			if res.Before == nil || res.Before.SMS == nil || *res.Before.SMS.ExternalID != "ext-rotated" {
				t.Errorf("Before %+v is not the re-read state", res.Before)
			}
			if hasField(res.Changes, "sms.settings") {
				t.Errorf("the admin's change is shown as the enforcer's: %+v", res.Changes)
			}
		})
	}
}

func hasField(cs []policy.Change, field string) bool {
	for _, c := range cs {
		if c.Field == field {
			return true
		}
	}
	return false
}

// TestPacerWaitsBeforeTheReread: both tokens are taken before the re-read,
// none between the re-read and the write; compliant pools cost one read.
// Each call waits in its own quota category (GetUserPoolMfaConfig is
// UserPoolResourceRead, DescribeUserPool UserPoolRead), for its pool.
func TestPacerWaitsBeforeTheReread(t *testing.T) {
	off := &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	cases := []struct {
		name   string
		policy string
		start  *cip.GetUserPoolMfaConfigOutput
		errs   map[string][]error
		refuse func(*cip.SetUserPoolMfaConfigInput) error
		known  Known
		calls  string
	}{
		{name: "compliant", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: totpOn}, calls: "Wait(UserPoolResourceRead) Get"},
		{name: "report mode", policy: `{"mode":"report"}`, start: off, calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe"},
		{name: "exempt", policy: `{"exemptions":{"poolIds":["us-east-1_Pool1"]}}`, start: off, calls: "Wait(UserPoolResourceRead) Get"},
		{name: "drift corrected", start: off, calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set"},
		{name: "tag lookup", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`, start: off, calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set"},
		{name: "tags known: no lookup", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`, start: off, known: Known{Tags: map[string]string{}},
			calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set"},
		{name: "known exemption tag: one read", policy: `{"exemptions":{"tagKey":"mfa-exempt"}}`, start: off,
			known: Known{Tags: map[string]string{"mfa-exempt": ""}}, calls: "Wait(UserPoolResourceRead) Get"},
		{name: "throttled write retries the pair with fresh tokens", start: off,
			errs: map[string][]error{"Set": {&types.TooManyRequestsException{}}}, calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set"},
		{name: "throttled re-read retries the pair", start: off,
			errs: map[string][]error{"Get": {nil, &types.TooManyRequestsException{}}}, calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set"},
		{name: "refused write: the fallback is a new pair", start: off,
			refuse: func(in *cip.SetUserPoolMfaConfigInput) error {
				if in.MfaConfiguration == "ON" {
					return &types.InvalidParameterException{Message: aws.String("refused")}
				}
				return nil
			},
			calls: "Wait(UserPoolResourceRead) Get Wait(UserPoolRead) Describe Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set Wait(UserPoolResourceUpdate) Wait(UserPoolResourceRead) Get Set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = tc.start
			for k, v := range tc.errs {
				f.Errs[k] = v
			}
			f.Refuse = tc.refuse
			pacer := &pacerLog{calls: &f.Calls}
			r := reconcilerOver(t, f, tc.policy, pacer, fakes.QuickBackoff)
			if res := r.ReconcileKnown(context.Background(), pool, tc.known); res.Status == Failed {
				t.Fatalf("failed: %s", res.Message)
			}
			if got := strings.Join(f.Calls, " "); got != tc.calls {
				t.Errorf("calls %q, want %q", got, tc.calls)
			}
			apiCalls := 0
			for i, c := range f.Calls {
				if !strings.HasPrefix(c, "Wait") {
					apiCalls++
				}
				if c == "Set" && (i == 0 || f.Calls[i-1] != "Get") {
					t.Errorf("write not right after a read: %v", f.Calls)
				}
			}
			if pacer.observed != apiCalls {
				t.Errorf("%d outcomes observed for %d calls", pacer.observed, apiCalls)
			}
		})
	}
}

// storesDifferently is Cognito answering a write with a configuration
// other than the one sent.
type storesDifferently struct {
	*fakes.Pools
	alter func(*cip.SetUserPoolMfaConfigOutput)
}

func (s *storesDifferently) SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	out, err := s.Pools.SetUserPoolMfaConfig(ctx, in, o...)
	if err == nil {
		s.alter(out)
	}
	return out, err
}

func TestStoredConfigurationDiffers(t *testing.T) {
	cases := []struct {
		name   string
		start  *cip.GetUserPoolMfaConfigOutput
		alter  func(*cip.SetUserPoolMfaConfigOutput)
		after  func(policy.PoolMFA) bool // what After must show: Cognito's answer
		status Status
		field  string
	}{
		{name: "SMS external ID dropped", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: sms},
			alter: func(o *cip.SetUserPoolMfaConfigOutput) {
				c := *o.SmsMfaConfiguration.SmsConfiguration
				c.ExternalId = nil
				o.SmsMfaConfiguration = &types.SmsMfaConfigType{SmsAuthenticationMessage: o.SmsMfaConfiguration.SmsAuthenticationMessage, SmsConfiguration: &c}
			},
			after: func(c policy.PoolMFA) bool {
				return c.SMS != nil && c.SMS.ExternalID == nil && c.Level == policy.LevelOn
			},
			status: Remediated, field: "sms.settings"},
		{name: "level stored lower than sent", start: &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"},
			alter:  func(o *cip.SetUserPoolMfaConfigOutput) { o.MfaConfiguration = "OPTIONAL" },
			after:  func(c policy.PoolMFA) bool { return c.Level == policy.LevelOptional && c.SoftwareToken },
			status: Unremediable, field: "mfaConfiguration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = tc.start
			r := reconcilerOver(t, &storesDifferently{Pools: f, alter: tc.alter}, "", fakes.Uncapped(), fakes.QuickBackoff)
			res := r.Reconcile(context.Background(), pool)
			if res.Status != tc.status {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Message, tc.status)
			}
			if len(res.StoredDifferently) != 1 || res.StoredDifferently[0].Field != tc.field {
				t.Errorf("stored differently %+v, want one difference in %s", res.StoredDifferently, tc.field)
			}
			if !strings.Contains(res.Message, "Cognito stored a different configuration than sent: "+tc.field) {
				t.Errorf("message %q does not report the difference", res.Message)
			}
			if res.After == nil || !tc.after(*res.After) {
				t.Errorf("After %+v is not what Cognito stored", res.After)
			}
		})
	}
}
