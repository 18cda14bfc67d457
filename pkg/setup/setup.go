// Package setup reads a function's configuration from its environment and
// builds the AWS clients once, at init.
package setup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Env names every variable the functions read; template.yaml declares them.
const (
	EnvPolicy   = "MFA_POLICY"
	EnvEventBus = "EVENT_BUS_NAME"
	EnvRoleARNs = "ENFORCER_ROLE_ARNS" // DriftFunction only
	EnvLogLevel = "LOG_LEVEL"
)

// Settings are the validated settings every function shares.
type Settings struct {
	Policy       policy.Policy
	EventBusName string // empty: findings are not published
	LogLevel     slog.Level
}

// Load reads and validates the shared settings. A bad value is an error
// naming the variable; a function must not start on a guessed policy.
func Load() (Settings, error) {
	p, err := policy.Load(os.Getenv(EnvPolicy))
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", EnvPolicy, err)
	}
	s := Settings{Policy: p, EventBusName: os.Getenv(EnvEventBus)}
	if v := os.Getenv(EnvLogLevel); v != "" {
		if err := s.LogLevel.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			return Settings{}, fmt.Errorf("%s: %q is not one of DEBUG, INFO, WARN, ERROR", EnvLogLevel, v)
		}
	}
	return s, nil
}

// Logger returns the JSON logger for one function.
func (s Settings) Logger(function string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: s.LogLevel})).With("function", function)
}

// cognitoRetried are retried by pkg/reconcile with backoff (and, in the
// sweep, through its pacer), so the SDK leaves them alone: one place decides.
var cognitoRetried = map[string]bool{
	"TooManyRequestsException":        true,
	"ConcurrentModificationException": true,
	"InternalErrorException":          true,
}

// AWS loads the SDK configuration from the environment (AWS_ENDPOINT_URL
// included). The standard retryer keeps its retries of connection and
// transport errors but drops its client-side retry quota, so sustained
// throttling can never turn into "retry quota exceeded" failures.
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.RateLimiter = ratelimit.None
			o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				var ae smithy.APIError
				if errors.As(err, &ae) && cognitoRetried[ae.ErrorCode()] {
					return aws.FalseTernary
				}
				return aws.UnknownTernary
			})}, o.Retryables...)
		})
	}))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// Init loads the shared settings and the AWS configuration for one
// function, and exits with the error when either is invalid: a function
// never starts on a guessed configuration.
func Init(function string) (Settings, aws.Config, *slog.Logger) {
	s, err := Load()
	if err != nil {
		Fatal(function, err)
	}
	cfg, err := AWS(context.Background())
	if err != nil {
		Fatal(function, err)
	}
	return s, cfg, s.Logger(function)
}

// Fatal logs an init error as JSON and exits, so Lambda reports an init failure.
func Fatal(function string, err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("init failed", "function", function, "error", err.Error())
	os.Exit(1)
}

// ARNs reads a comma-separated list of ARNs.
func ARNs(name string) ([]string, error) {
	var arns []string
	for _, arn := range strings.Split(os.Getenv(name), ",") {
		if arn = strings.TrimSpace(arn); arn != "" {
			if !strings.HasPrefix(arn, "arn:") {
				return nil, fmt.Errorf("%s: %q is not an ARN", name, arn)
			}
			arns = append(arns, arn)
		}
	}
	return arns, nil
}

// Number reads a numeric variable, with a default when it is unset, and
// refuses values outside [lo, hi] with an error naming the variable.
func Number(name string, def, lo, hi float64) (float64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < lo || f > hi {
		return 0, fmt.Errorf("%s: %q is not a number from %g to %g", name, v, lo, hi)
	}
	return f, nil
}

// Duration reads a Go duration variable ("5m", "1.5s") within [lo, hi].
func Duration(name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s: %q is not a duration from %s to %s", name, v, lo, hi)
	}
	return d, nil
}
