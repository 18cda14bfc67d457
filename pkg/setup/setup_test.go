package setup

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
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

func TestLoadSweepBounds(t *testing.T) {
	t.Setenv("MAX_READS_PER_SECOND", "")
	t.Setenv("MAX_WRITES_PER_SECOND", "")
	if s, err := LoadSweep(); err != nil || s.MaxReads != 10 || s.MaxWrites != 10 || s.Concurrency != 4 {
		t.Errorf("defaults: %+v %v", s, err)
	}
	caps := []struct {
		env string
		get func(SweepSettings) float64
	}{
		{"MAX_READS_PER_SECOND", func(s SweepSettings) float64 { return s.MaxReads }},
		{"MAX_WRITES_PER_SECOND", func(s SweepSettings) float64 { return s.MaxWrites }},
	}
	for _, c := range caps {
		t.Run(c.env, func(t *testing.T) {
			for _, bad := range []string{"0", "0.5", "16", "ten", "1e9"} {
				t.Setenv(c.env, bad)
				if _, err := LoadSweep(); err == nil || !strings.Contains(err.Error(), c.env+":") {
					t.Errorf("accepted %q (%v)", bad, err)
				}
			}
			t.Setenv(c.env, " 2.5 ")
			if s, err := LoadSweep(); c.get(s) != 2.5 || err != nil {
				t.Errorf("2.5: %v %v", c.get(s), err)
			}
		})
	}
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
