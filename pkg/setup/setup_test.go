package setup

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

func TestLoadSignIn(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"all defaults", map[string]string{}, ""},
		{"bad policy names the variable and field", map[string]string{"MFA_POLICY": `{"mode":"x"}`}, "MFA_POLICY: policy: mode"},
		{"policy enum values are case-sensitive", map[string]string{"MFA_POLICY": `{"mode":"Report"}`}, "MFA_POLICY: policy: mode"},
		{"inline policy of spaces refused", map[string]string{"MFA_POLICY": "  "}, "MFA_POLICY: policy: the document is blank"},
		{"bad log level", map[string]string{"LOG_LEVEL": "LOUD"}, `LOG_LEVEL: "LOUD" is not one of DEBUG, INFO, WARN, ERROR`},
		{"log level as the template spells it", map[string]string{"LOG_LEVEL": "debug"}, "LOG_LEVEL"},
		{"policy parameter alone", map[string]string{"MFA_POLICY_PARAMETER": "/org/mfa"}, ""},
		{"policy parameter and inline policy both set", map[string]string{"MFA_POLICY_PARAMETER": "/org/mfa", "MFA_POLICY": `{"mode":"report"}`},
			"MFA_POLICY and MFA_POLICY_PARAMETER are both set"},
		{"refresh under 30 s", map[string]string{"POLICY_REFRESH": "10s"}, "POLICY_REFRESH"},
		{"refresh over an hour", map[string]string{"POLICY_REFRESH": "2h"}, "POLICY_REFRESH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range Vars["SignInCheckFunction"] {
				t.Setenv(v.Env, tc.env[v.Env])
			}
			_, err := LoadSignIn()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("LoadSignIn() error %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Setenv("LOG_LEVEL", "DEBUG")
	s, err := LoadSignIn()
	if err != nil || s.LogLevel != slog.LevelDebug || s.Policy.Origin.Source != "inline" || s.PolicyParameter != "" || s.PolicyRefresh != 5*time.Minute {
		t.Errorf("LoadSignIn() = %+v, %v", s, err)
	}
}

func TestLoadTrigger(t *testing.T) {
	const url = "https://sqs.us-east-1.amazonaws.com/123456789012/sign-in"
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"queue set", map[string]string{"SIGN_IN_QUEUE_URL": url}, ""},
		{"no queue", map[string]string{}, "SIGN_IN_QUEUE_URL: not set"},
		{"a policy is not the trigger's concern", map[string]string{"SIGN_IN_QUEUE_URL": url, "MFA_POLICY": `{"mode":"x"}`}, ""},
		{"bad log level", map[string]string{"SIGN_IN_QUEUE_URL": url, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"},
		{"TTL of zero", map[string]string{"SIGN_IN_QUEUE_URL": url, "POOL_CHECK_TTL": "0s"}, "POOL_CHECK_TTL"},
		{"TTL under a second", map[string]string{"SIGN_IN_QUEUE_URL": url, "POOL_CHECK_TTL": "500ms"}, "POOL_CHECK_TTL"},
		{"TTL over a day", map[string]string{"SIGN_IN_QUEUE_URL": url, "POOL_CHECK_TTL": "48h"}, "POOL_CHECK_TTL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range append(Vars["TriggerFunction"], PolicyVar) {
				t.Setenv(v.Env, tc.env[v.Env])
			}
			_, err := LoadTrigger()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("LoadTrigger() error %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Setenv("SIGN_IN_QUEUE_URL", url)
	t.Setenv("LOG_LEVEL", "DEBUG")
	t.Setenv("POOL_CHECK_TTL", "90s")
	s, err := LoadTrigger()
	if err != nil || s.LogLevel != slog.LevelDebug || s.TTL != 90*time.Second || s.QueueURL != url {
		t.Errorf("LoadTrigger() = %+v, %v", s, err)
	}
}

func TestLoadDriftRoleARNs(t *testing.T) {
	t.Setenv("ENFORCER_ROLE_ARNS", " arn:aws:iam::1:role/a ,,arn:aws:iam::1:role/b")
	if s, err := LoadDrift(); err != nil || len(s.OwnRoles) != 2 || s.OwnRoles[0] != "arn:aws:iam::1:role/a" {
		t.Errorf("LoadDrift() = %v, %v", s.OwnRoles, err)
	}
	t.Setenv("ENFORCER_ROLE_ARNS", "arn:aws:iam::1:role/a, role-b")
	if _, err := LoadDrift(); err == nil || !strings.Contains(err.Error(), `ENFORCER_ROLE_ARNS: "role-b"`) {
		t.Errorf("a bad ARN was accepted: %v", err)
	}
}

func TestLoadSweepDefaults(t *testing.T) {
	s, err := LoadSweep()
	if err != nil || s.Concurrency != 4 || s.Share.Percent != 50 || s.Share.Quota(quota.UserRead) != 120 {
		t.Errorf("defaults: %+v %v", s, err)
	}
	t.Setenv("QUOTA_SHARE", " 100 ")
	if s, err := LoadSweep(); err != nil || s.Share.Percent != 100 || s.Share.Quota(quota.UserRead) != 120 {
		t.Errorf("share %+v, %v; want 100%% and UserRead at AWS's published 120", s.Share, err)
	}
}

// TestNumbersRefuseWhatIsNotANumber: every numeric variable of every
// function refuses NaN, infinities, text, values out of its bounds and,
// where a whole number is meant, fractions, with an error naming it. NaN
// once passed every bound check and turned pacing off.
func TestNumbersRefuseWhatIsNotANumber(t *testing.T) {
	seen := map[string]bool{}
	for function, vars := range Vars {
		for _, v := range vars {
			if (v.Kind != Number && v.Kind != Integer) || seen[v.Env] {
				continue
			}
			seen[v.Env] = true
			t.Run(v.Env, func(t *testing.T) {
				bad := []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "ten", "", "1e999",
					strconv.FormatFloat(v.Min-1, 'g', -1, 64), strconv.FormatFloat(v.Max+1, 'g', -1, 64)}
				if v.Kind == Integer {
					bad = append(bad, strconv.FormatFloat(v.Min+0.5, 'g', -1, 64), "1e2", "0x10")
				}
				for _, s := range bad {
					if err := v.Check(s); err == nil || !strings.HasPrefix(err.Error(), v.Env+": ") {
						t.Errorf("%s accepted %q (%v)", function, s, err)
					}
				}
				for _, good := range []float64{v.Min, v.Max} {
					if err := v.Check(" " + strconv.FormatFloat(good, 'f', -1, 64) + " "); err != nil {
						t.Errorf("%g refused: %v", good, err)
					}
				}
				t.Setenv(v.Env, "NaN")
				if _, err := load[function](); err == nil || !strings.Contains(err.Error(), v.Env) {
					t.Errorf("%s started with %s=NaN (%v)", function, v.Env, err)
				}
			})
		}
	}
	// A decimal setting takes fractions, and no more than an integer one.
	rate := Var{Env: "SOME_RATE", Kind: Number, Min: 1, Max: 15}
	for _, s := range []string{"NaN", "Inf", "-Inf", "16", "0.5"} {
		if err := rate.Check(s); err == nil || !strings.HasPrefix(err.Error(), "SOME_RATE: ") {
			t.Errorf("a Number accepted %q (%v)", s, err)
		}
	}
	if err := rate.Check("2.5"); err != nil {
		t.Errorf("a Number refused 2.5: %v", err)
	}
	for _, env := range []string{"QUOTA_SHARE", "SWEEP_CONCURRENCY"} {
		if !seen[env] {
			t.Errorf("%s is not a numeric variable of any function", env)
		}
	}
}

var load = map[string]func() (any, error){
	"DriftFunction":       func() (any, error) { return LoadDrift() },
	"SweepFunction":       func() (any, error) { return LoadSweep() },
	"TriggerFunction":     func() (any, error) { return LoadTrigger() },
	"SignInCheckFunction": func() (any, error) { return LoadSignIn() },
}

func TestDurationNeedsAUnit(t *testing.T) {
	if err := PoolCheckTTLVar.Check("5"); err == nil {
		t.Error("a bare number was accepted as a duration")
	}
	if err := PoolCheckTTLVar.Check("86400s"); err != nil {
		t.Errorf("the template's maximum was refused: %v", err)
	}
}

// TestRetryerLeavesCognitoTransientErrors: the SDK does not retry what
// pkg/reconcile retries (pkg/cognito's transient class), and still retries
// the rest as usual.
func TestRetryerLeavesCognitoTransientErrors(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retryer()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"Cognito throttling", &types.TooManyRequestsException{}, false},
		{"concurrent modification", &types.ConcurrentModificationException{}, false},
		{"Cognito internal error", &types.InternalErrorException{}, false},
		{"other throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"request timeout", &smithy.GenericAPIError{Code: "RequestTimeout"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.IsErrorRetryable(tc.err); got != tc.want {
				t.Errorf("%v: retryable %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestFunctionIdentity: one identity per function, its deployed name from
// Lambda's environment, the logical ID outside Lambda.
func TestFunctionIdentity(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	if id := Function("DriftFunction"); id.LogicalID != "DriftFunction" || id.Name != "DriftFunction" || id.MaxConcurrency() != MaxConcurrency["DriftFunction"] {
		t.Errorf("outside Lambda: %+v", id)
	}
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "enforcer-DriftFunction-AbC123")
	if id := Function("DriftFunction"); id.LogicalID != "DriftFunction" || id.Name != "enforcer-DriftFunction-AbC123" {
		t.Errorf("in Lambda: %+v", id)
	}
}
