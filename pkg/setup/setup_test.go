package setup

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"all defaults", map[string]string{}, ""},
		{"bad policy names the variable and field", map[string]string{EnvPolicy: `{"mode":"x"}`}, "MFA_POLICY: policy: mode"},
		{"bad log level", map[string]string{EnvLogLevel: "LOUD"}, "LOG_LEVEL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{EnvPolicy, EnvLogLevel, EnvEventBus} {
				t.Setenv(k, tc.env[k])
			}
			_, err := Load()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Load() error %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Setenv(EnvLogLevel, "debug")
	if s, err := Load(); err != nil || s.LogLevel != slog.LevelDebug {
		t.Errorf("Load() = %+v, %v", s, err)
	}
}

func TestARNs(t *testing.T) {
	t.Setenv(EnvRoleARNs, " arn:aws:iam::1:role/a ,,arn:aws:iam::1:role/b")
	if arns, err := ARNs(EnvRoleARNs); err != nil || len(arns) != 2 || arns[0] != "arn:aws:iam::1:role/a" {
		t.Errorf("ARNs = %v, %v", arns, err)
	}
	t.Setenv(EnvRoleARNs, "arn:aws:iam::1:role/a, role-b")
	if _, err := ARNs(EnvRoleARNs); err == nil || !strings.Contains(err.Error(), `ENFORCER_ROLE_ARNS: "role-b"`) {
		t.Errorf("a bad ARN was accepted: %v", err)
	}
}

func TestNumberAndDuration(t *testing.T) {
	t.Setenv("N", "")
	if v, err := Number("N", 10, 1, 15); v != 10 || err != nil {
		t.Errorf("default: %v %v", v, err)
	}
	for _, bad := range []string{"0", "16", "ten", "1e9"} {
		t.Setenv("N", bad)
		if _, err := Number("N", 10, 1, 15); err == nil || !strings.Contains(err.Error(), "N:") {
			t.Errorf("Number accepted %q (%v)", bad, err)
		}
	}
	t.Setenv("N", " 2.5 ")
	if v, err := Number("N", 10, 1, 15); v != 2.5 || err != nil {
		t.Errorf("2.5: %v %v", v, err)
	}
	t.Setenv("D", "90s")
	if d, err := Duration("D", time.Minute, time.Second, time.Hour); d != 90*time.Second || err != nil {
		t.Errorf("90s: %v %v", d, err)
	}
	t.Setenv("D", "5")
	if _, err := Duration("D", time.Minute, time.Second, time.Hour); err == nil {
		t.Error("a bare number was accepted as a duration")
	}
}
