package setup

import (
	"log/slog"
	"strings"
	"testing"
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
		{"bad role", map[string]string{EnvRoleARNs: "arn:aws:iam::1:role/a, role-b"}, `ENFORCER_ROLE_ARNS: "role-b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{EnvPolicy, EnvLogLevel, EnvRoleARNs, EnvEventBus} {
				t.Setenv(k, tc.env[k])
			}
			_, err := Load()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Load() error %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Setenv(EnvRoleARNs, " arn:aws:iam::1:role/a ,,arn:aws:iam::1:role/b")
	t.Setenv(EnvLogLevel, "debug")
	s, err := Load()
	if err != nil || len(s.RoleARNs) != 2 || s.RoleARNs[0] != "arn:aws:iam::1:role/a" || s.LogLevel != slog.LevelDebug {
		t.Errorf("Load() = %+v, %v", s, err)
	}
}
