// Package setup reads a function's configuration from its environment and
// builds the AWS clients once, at init.
package setup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
)

// Identity is a function's one identity: its logical ID in template.yaml,
// which keys the settings table and names the function in its logs, and
// its deployed name, which names it in its metrics as in AWS/Lambda's.
type Identity struct {
	LogicalID string
	Name      string // AWS_LAMBDA_FUNCTION_NAME; the logical ID outside Lambda
}

// Function returns the identity of the function with logicalID.
func Function(logicalID string) Identity {
	return Identity{LogicalID: logicalID, Name: cmp.Or(os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), logicalID)}
}

// MaxConcurrency is the function's maximum concurrency (MaxConcurrency).
func (id Identity) MaxConcurrency() int { return MaxConcurrency[id.LogicalID] }

// Logger returns the JSON logger for one function.
func (s Settings) Logger(function string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: s.LogLevel})).With("function", function)
}

// cognitoRetried are Cognito's transient errors, which pkg/reconcile
// retries with backoff (and, in the sweep, through its pacer), so the SDK
// leaves them alone: one place decides.
var cognitoRetried = cognito.TransientCodes()

// AWS loads the SDK configuration from the environment (AWS_ENDPOINT_URL
// included). The standard retryer keeps its retries of connection and
// transport errors but drops its client-side retry quota, so sustained
// throttling can never turn into "retry quota exceeded" failures.
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.RateLimiter = ratelimit.None
			o.MaxAttempts = pace.SDKAttempts
			o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				var ae smithy.APIError
				if errors.As(err, &ae) && slices.Contains(cognitoRetried, ae.ErrorCode()) {
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

// Fatal logs an init error as JSON and exits, so Lambda reports an init failure.
func Fatal(function string, err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("init failed", "function", function, "error", err.Error())
	os.Exit(1)
}

// Origin returns the account and region a Lambda invocation runs in, from
// its function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME); outside
// Lambda, no account and the given region.
func Origin(ctx context.Context, region string) (account, reg string) {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if parts := strings.Split(lc.InvokedFunctionArn, ":"); len(parts) > 4 {
			return parts[4], parts[3]
		}
	}
	return "", region
}

// Work returns the context for an invocation's AWS calls: it ends margin
// before the invocation's deadline, so a call that hangs fails in time to
// record the failure and answer, never a timeout. Without a deadline, ctx.
func Work(ctx context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-margin))
	}
	return context.WithCancel(ctx)
}

// Foreign says why what (an event, a message) about poolID in account and
// region is not about the function's own account and Region (ownAccount,
// ownRegion), or returns "": the same pool ID there is not the pool it
// names. An own account or Region that is not known is not checked.
func Foreign(what, account, region, poolID, ownAccount, ownRegion string) string {
	if ownAccount != "" && account != ownAccount {
		return fmt.Sprintf("%s account %s is not this function's account %s", what, account, ownAccount)
	}
	if ownRegion == "" {
		return ""
	}
	if region != ownRegion {
		return fmt.Sprintf("%s region %s is not this function's region %s", what, region, ownRegion)
	}
	// A pool ID starts with its region: us-east-1_AbC123.
	if prefix, _, _ := strings.Cut(poolID, "_"); poolID != "" && prefix != ownRegion {
		return fmt.Sprintf("pool ID %s is from region %s, not this function's region %s", poolID, prefix, ownRegion)
	}
	return ""
}
