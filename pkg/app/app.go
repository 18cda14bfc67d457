// Package app builds, once at init, what every function that checks pools
// shares: its settings, logger and AWS configuration, the policy in force
// (inline or from its parameter), the pacer, the one Cognito gateway, the
// reconciler and the recorder; and starts its handler. A function's main
// reads its settings through Start, adds what is its own and calls Run.
package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// Function is what a checking function builds once and every invocation
// reuses.
type Function struct {
	ID  setup.Identity
	AWS aws.Config
	Log *slog.Logger
	// Pacer paces every AWS call the function makes against a quota (the
	// gateway's, Security Hub's): the share of each quota divided by the
	// function's maximum concurrency.
	Pacer *pace.Pacer
	// Checks checks pools and users through the function's one Cognito
	// gateway, under the policy in force.
	Checks *reconcile.Reconciler
	// Recorder reports each result: a log line, its counts, its finding.
	Recorder findings.Recorder

	source *policyparam.Source // nil: the inline policy
	// countsCalls: the handler writes its AWS calls itself (the sweep, per leg).
	countsCalls bool
}

// Settings is what Start needs of a function's settings: the ones every
// checking function shares.
type Settings interface{ Common() setup.Settings }

// Options are how functions differ in what Start builds.
type Options struct {
	// Backoff bounds the retries of Cognito's transient errors.
	Backoff pace.Backoff
	// CountsCalls: the handler writes its own AWS call metrics.
	CountsCalls bool
}

// Start reads the function's settings with load, its AWS configuration
// and its policy, and builds the function. It exits with the error when
// any of them is invalid: a checking function never starts on a guessed
// configuration.
func Start[S Settings](id setup.Identity, load func() (S, error), o Options) (S, *Function) {
	s, err := load()
	if err != nil {
		setup.Fatal(id.LogicalID, err)
	}
	fn, err := Build(context.Background(), id, s.Common(), o)
	if err != nil {
		setup.Fatal(id.LogicalID, err)
	}
	return s, fn
}

// Build builds a function from its shared settings: Start without exiting.
func Build(ctx context.Context, id setup.Identity, s setup.Settings, o Options) (*Function, error) {
	cfg, err := setup.AWS(ctx)
	if err != nil {
		return nil, err
	}
	log := s.Logger(id.LogicalID)
	src, err := policyparam.Open(ctx, &s, cfg, id, log)
	if err != nil {
		return nil, err
	}
	pacer := pace.ForFunction(s.Share, id.MaxConcurrency())
	gw := cognito.NewGateway(cip.NewFromConfig(cfg), pacer, o.Backoff)
	return &Function{ID: id, AWS: cfg, Log: log, Pacer: pacer, Checks: reconcile.New(gw, s.Policy, log),
		Recorder: findings.Recorder{Publisher: findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			Log: log, Metrics: os.Stdout, Function: id.Name},
		source: src, countsCalls: o.CountsCalls}, nil
}

// Handler is what Run starts: a Lambda handler of raw events.
type Handler[T any] func(context.Context, json.RawMessage) (T, error)

// Run starts the Lambda handler: each invocation starts with the policy in
// force put into the checks and, unless the handler writes its own, ends
// with its AWS calls written by quota category.
func Run[T any](fn *Function, handle Handler[T]) {
	lambda.Start(Wrap(fn, handle))
}

// Wrap is the handler Run starts: handle with the policy refreshed and the
// calls counted.
func Wrap[T any](fn *Function, handle Handler[T]) Handler[T] {
	h := handle
	if !fn.countsCalls {
		h = metrics.CountCalls(fn.Pacer.Counts, os.Stdout, fn.ID.Name, h)
	}
	return policyparam.Refreshing(fn.source, fn.Checks.SetPolicy, h)
}

// SetShare puts share in force on the function's pacer, divided by its
// maximum concurrency: the sweep's, with the account's provisioned limits.
func (fn *Function) SetShare(share quota.Share) {
	fn.Pacer.SetShare(share, fn.ID.MaxConcurrency())
}
