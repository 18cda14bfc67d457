// Package policyparam reads the policy from an SSM Parameter Store
// parameter (MFA_POLICY_PARAMETER), at init and again on warm instances
// every refresh interval, keeping the last valid version in force when a
// new one is refused. The policy in force is the document, not the
// version number: a re-created parameter starts again at version 1.
package policyparam

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// DefaultTimeout bounds one read of the parameter, retries included: a
// slow or unreachable SSM delays a check by this much at most, and a cold
// start stays well within Lambda's 10 s init limit.
const DefaultTimeout = 2 * time.Second

// Metric names: a refused version (the alarm's metric) and a failed read.
const (
	VersionRefused = "PolicyVersionRefused"
	ReadFailed     = "PolicyReadFailed"
)

// ParameterAPI is the part of the SSM client the source uses.
type ParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ ParameterAPI = (*ssm.Client)(nil)

// Source is the policy held in one parameter. Lambda runs one invocation
// at a time per instance; the mutex covers callers that do not.
type Source struct {
	API      ParameterAPI
	Name     string        // parameter name, or ARN for a parameter shared with AWS RAM
	Refresh  time.Duration // least time between reads
	Timeout  time.Duration // longest a read may take; 0 means DefaultTimeout
	Now      func() time.Time
	Log      *slog.Logger
	Metrics  io.Writer // EMF lines; nil writes none
	Function string

	mu      sync.Mutex
	current policy.Policy
	doc     string // the document of current, as read
	valid   bool
	readAt  time.Time
}

// Init reads the parameter for the first time. An error means there is
// no valid policy: the caller must not enforce a guessed one.
func (s *Source) Init(ctx context.Context) (policy.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readAt = s.Now()
	p, doc, err := s.read(ctx)
	if err != nil {
		return policy.Policy{}, err
	}
	s.current, s.doc, s.valid = p, doc, true
	return p, nil
}

// Current returns the policy in force, reading the parameter first when
// the last read is older than Refresh. A failed read or a refused version
// keeps the policy in force, is logged at ERROR and counted in a metric;
// the next read waits another interval, so a broken parameter is not
// read on every invocation. The read takes at most Timeout, and at most a
// quarter of what is left of ctx, so it never eats a check's budget.
func (s *Source) Current(ctx context.Context) policy.Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if now.Sub(s.readAt) < s.Refresh {
		return s.current
	}
	s.readAt = now
	p, doc, err := s.read(ctx)
	switch {
	case err == nil:
		if p.Origin != s.current.Origin || doc != s.doc {
			s.Log.Info("policy version in force", "policySource", p.Origin.Source, "policyVersion", p.Origin.Version,
				"previousVersion", s.current.Origin.Version, "policy", p.String())
		}
		s.current, s.doc = p, doc
	case isRefusal(err):
		s.Log.Error("policy version refused: the last valid version stays in force", "outcome", "refused",
			"policySource", s.current.Origin.Source, "inForce", s.current.Origin.Version, "error", err.Error())
		metrics.Write(s.Metrics, s.Function, now, metrics.Value{Name: VersionRefused, Value: 1, Unit: "Count"})
	default:
		s.Log.Error("policy parameter not read: the last valid version stays in force", "outcome", "read-failed",
			"policySource", s.current.Origin.Source, "inForce", s.current.Origin.Version, "error", err.Error())
		metrics.Write(s.Metrics, s.Function, now, metrics.Value{Name: ReadFailed, Value: 1, Unit: "Count"})
	}
	return s.current
}

// refusal is a version that was read but is not a valid policy.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

func isRefusal(err error) bool {
	var r refusal
	return errors.As(err, &r)
}

// read reads the parameter's latest version and validates it with
// policy.Load, the same code that checks an inline policy. It returns the
// document as read with the policy.
func (s *Source) read(ctx context.Context) (policy.Policy, string, error) {
	timeout := cmp.Or(s.Timeout, DefaultTimeout)
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)/4)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// WithDecryption is ignored for String parameters and needed for a
	// SecureString one (with kms:Decrypt on its key).
	out, err := s.API.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return policy.Policy{}, "", fmt.Errorf("read policy parameter %s: %w", s.Name, err)
	}
	if out.Parameter == nil {
		return policy.Policy{}, "", fmt.Errorf("read policy parameter %s: the answer holds no parameter", s.Name)
	}
	origin := policy.Origin{Source: "ssm:" + s.Name, Version: out.Parameter.Version}
	doc := aws.ToString(out.Parameter.Value)
	// The version number alone does not name a document: a parameter
	// deleted and created again (CloudFormation replacing it, Terraform
	// re-creating it) starts again at version 1. The document does.
	if s.valid && origin == s.current.Origin && doc == s.doc {
		return s.current, s.doc, nil // the document in force: already validated
	}
	p, err := policy.Load(doc)
	if err != nil {
		return policy.Policy{}, "", refusal{fmt.Errorf("policy parameter %s version %d: %w", s.Name, origin.Version, err)}
	}
	p.Origin = origin
	return p, doc, nil
}

// Open returns the source of a policy held in the SSM parameter s names,
// after reading its first version into s.Policy; nil when the policy is
// inline. An error means there is no valid policy to enforce.
func Open(ctx context.Context, s *setup.Settings, cfg aws.Config, id setup.Identity, log *slog.Logger) (*Source, error) {
	if s.PolicyParameter == "" {
		return nil, nil
	}
	// Few retries: Timeout bounds every read, and a failed read keeps the
	// policy in force until the next interval.
	api := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.RetryMaxAttempts = pace.PolicyReadAttempts })
	src := &Source{API: api, Name: s.PolicyParameter, Refresh: s.PolicyRefresh,
		Now: time.Now, Log: log, Metrics: os.Stdout, Function: id.Name}
	p, err := src.Init(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", setup.PolicyParameterVar.Env, err)
	}
	s.Policy = p
	return src, nil
}

// Refreshing wraps a handler so each invocation starts with the policy in
// force, handed to set (the reconciler's SetPolicy) before the handler
// runs. With no source it returns handle unchanged.
func Refreshing[T any](src *Source, set func(policy.Policy), handle func(context.Context, json.RawMessage) (T, error)) func(context.Context, json.RawMessage) (T, error) {
	if src == nil {
		return handle
	}
	return func(ctx context.Context, raw json.RawMessage) (T, error) {
		set(src.Current(ctx))
		return handle(ctx, raw)
	}
}
