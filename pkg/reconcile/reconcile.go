// Package reconcile brings one user pool's MFA configuration in line with
// the policy: observe, evaluate, plan, apply, report.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Status is the outcome of one pool check.
type Status string

const (
	Compliant    Status = "compliant"    // nothing to do
	Remediated   Status = "remediated"   // drift corrected
	Drift        Status = "drift"        // drift found in report mode, nothing written
	Exempt       Status = "exempt"       // exempt by ID or tag, never written
	Unremediable Status = "unremediable" // some drift cannot be (or was refused to be) corrected
	Failed       Status = "failed"       // an AWS call failed; state unknown or unchanged
	Deleted      Status = "deleted"      // the pool no longer exists
)

// Counts tallies results by status.
type Counts struct {
	Checked      int `json:"checked"`
	Compliant    int `json:"compliant"`
	Remediated   int `json:"remediated"`
	Drift        int `json:"drift"`
	Exempt       int `json:"exempt"`
	Unremediable int `json:"unremediable"`
	Failed       int `json:"failed"`
	Deleted      int `json:"deleted"`
}

// Add counts one result's status.
func (c *Counts) Add(s Status) {
	c.Checked++
	switch s {
	case Compliant:
		c.Compliant++
	case Remediated:
		c.Remediated++
	case Drift:
		c.Drift++
	case Exempt:
		c.Exempt++
	case Unremediable:
		c.Unremediable++
	case Failed:
		c.Failed++
	case Deleted:
		c.Deleted++
	}
}

// Result is what one pool check found and did.
type Result struct {
	PoolID     string             `json:"poolId"`
	PoolName   string             `json:"poolName,omitempty"`
	Status     Status             `json:"status"`
	Mode       policy.Mode        `json:"mode"`
	Violations []policy.Violation `json:"violations"`
	Before     *policy.Config     `json:"before,omitempty"`
	After      *policy.Config     `json:"after,omitempty"`
	Changes    []policy.Change    `json:"changes,omitempty"`
	Message    string             `json:"message,omitempty"`
	Err        error              `json:"-"`
}

// Reconciler checks pools against one policy.
type Reconciler struct {
	API     PoolAPI
	Policy  policy.Policy
	Log     *slog.Logger
	Backoff Backoff
}

// New returns a reconciler with the default backoff.
func New(api PoolAPI, p policy.Policy, log *slog.Logger) *Reconciler {
	return &Reconciler{API: api, Policy: p, Log: log, Backoff: DefaultBackoff}
}

// Pool reconciles one pool and logs the decision. It never panics on AWS
// errors: they become a failed or deleted result.
func (r *Reconciler) Pool(ctx context.Context, poolID string) Result {
	res := r.pool(ctx, poolID)
	r.logResult(res)
	return res
}

func (r *Reconciler) pool(ctx context.Context, poolID string) Result {
	res := Result{PoolID: poolID, Mode: r.Policy.Mode, Violations: []policy.Violation{}}

	exempt, why := r.Policy.Exempt(poolID, nil)
	observed, err := r.observe(ctx, poolID)
	if err != nil {
		return res.fail("get MFA config", err)
	}
	res.Before = &observed
	if !exempt && r.Policy.Exemptions.TagKey != "" {
		var name string
		var tags map[string]string
		if name, tags, err = r.describe(ctx, poolID); err != nil {
			return res.fail("describe pool for tags", err)
		}
		res.PoolName = name
		exempt, why = r.Policy.Exempt(poolID, tags)
	}

	res.Violations = append(res.Violations, policy.Evaluate(r.Policy, observed)...)
	switch {
	case exempt:
		res.Status, res.Message = Exempt, why
		return res
	case len(res.Violations) == 0:
		res.Status = Compliant
		return res
	case r.Policy.Mode == policy.Report:
		res.Status = Drift
		return res
	}

	desired := policy.Plan(r.Policy, observed)
	if policy.Equal(desired, observed) {
		res.Status, res.Message = Unremediable, "no correction is possible: "+reasons(res.Violations)
		return res
	}
	return r.apply(ctx, res, observed, desired)
}

// apply writes desired, or the strongest fallback Cognito accepts.
func (r *Reconciler) apply(ctx context.Context, res Result, observed, desired policy.Config) Result {
	var refusals []string
	for i, c := range append([]policy.Config{desired}, policy.Fallbacks(observed, desired)...) {
		changes := policy.Diff(observed, c)
		r.Log.Info("applying", "poolId", res.PoolID, "changes", changes, "fallback", i > 0)
		after, err := r.write(ctx, res.PoolID, c)
		if isRefusal(err) {
			refusals = append(refusals, err.Error())
			r.Log.Warn("write refused", "poolId", res.PoolID, "error", err.Error(), "fallback", i > 0)
			continue
		}
		if err != nil {
			return res.fail("set MFA config", err)
		}
		res.After = &after
		res.Changes = policy.Diff(observed, after)
		remaining := policy.Evaluate(r.Policy, after)
		var why []string
		if len(remaining) > 0 {
			why = append(why, reasons(remaining))
		}
		if len(refusals) > 0 {
			why = append(why, "Cognito refused the full correction: "+strings.Join(refusals, "; "))
		}
		res.Status, res.Message = Remediated, strings.Join(why, "; ")
		if len(why) > 0 {
			res.Status = Unremediable
		}
		return res
	}
	res.Status = Unremediable
	res.Message = "Cognito refused every correction: " + strings.Join(refusals, "; ")
	return res
}

func (r *Reconciler) observe(ctx context.Context, poolID string) (policy.Config, error) {
	var out *cip.GetUserPoolMfaConfigOutput
	err := r.Backoff.Do(ctx, func() (err error) {
		out, err = r.API.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: &poolID})
		return err
	})
	if err != nil {
		return policy.Config{}, err
	}
	return fromGet(out)
}

func (r *Reconciler) describe(ctx context.Context, poolID string) (string, map[string]string, error) {
	var out *cip.DescribeUserPoolOutput
	err := r.Backoff.Do(ctx, func() (err error) {
		out, err = r.API.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if out.UserPool == nil {
		return "", nil, errors.New("DescribeUserPool returned no pool")
	}
	name := ""
	if out.UserPool.Name != nil {
		name = *out.UserPool.Name
	}
	return name, out.UserPool.UserPoolTags, nil
}

func (r *Reconciler) write(ctx context.Context, poolID string, c policy.Config) (policy.Config, error) {
	var out *cip.SetUserPoolMfaConfigOutput
	err := r.Backoff.Do(ctx, func() (err error) {
		out, err = r.API.SetUserPoolMfaConfig(ctx, setInput(poolID, c))
		return err
	})
	if err != nil {
		return policy.Config{}, err
	}
	return fromSet(out)
}

func (res Result) fail(what string, err error) Result {
	if isNotFound(err) {
		res.Status, res.Message = Deleted, "the user pool no longer exists"
		return res
	}
	res.Status = Failed
	res.Err = fmt.Errorf("%s for %s: %w", what, res.PoolID, err)
	res.Message = res.Err.Error()
	return res
}

func reasons(vs []policy.Violation) string {
	var out []string
	for _, v := range vs {
		if v.Reason != "" {
			out = append(out, v.Text+" ("+v.Reason+")")
		} else {
			out = append(out, v.Text)
		}
	}
	return strings.Join(out, "; ")
}

func (r *Reconciler) logResult(res Result) {
	codes := make([]string, len(res.Violations))
	for i, v := range res.Violations {
		codes[i] = v.Code
		if v.Factor != "" {
			codes[i] += ":" + string(v.Factor)
		}
	}
	level := slog.LevelInfo
	if res.Status == Failed {
		level = slog.LevelError
	}
	r.Log.Log(context.Background(), level, "pool reconciled",
		"poolId", res.PoolID, "outcome", string(res.Status), "mode", string(res.Mode),
		"violations", codes, "changes", res.Changes, "message", res.Message)
}
