// Package reconcile brings one user pool's MFA configuration in line with
// the policy: observe, evaluate, plan, apply, report.
package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Result is what one pool check found and did; findings.Detail is how it
// is published.
type Result struct {
	PoolID     string
	PoolName   string
	Status     Status
	Mode       policy.Mode
	Policy     policy.Origin
	Profile    string // the version 2 profile that judged the pool
	Violations []policy.Violation
	// Before is the state the decision was made on: the last read, which
	// is the re-read just before the write when the pool was re-read.
	Before  *policy.PoolMFA
	After   *policy.PoolMFA
	Changes []policy.Change // Before -> After: what the enforcer changed
	// ConcurrentChanges is what someone else changed between the first read
	// and Before; the write kept it.
	ConcurrentChanges []policy.Change
	// StoredDifferently is sent -> stored, where Cognito's answer to the
	// write differs from the configuration sent.
	StoredDifferently []policy.Change
	Message           string
	// Coverage is the pool's MFA coverage among active users, where the
	// sweep measured it (from the coverage ledger).
	Coverage *policy.Coverage
	// Equivalent names the control the pool counts as MFA ON by
	// (policy.Equivalent), and Adaptive is what the check made of its
	// adaptive authentication; nil where the policy does not ask.
	Equivalent string
	Adaptive   *policy.AdaptiveJudgement
	// Sent is set once the check sent a write, whether or not its answer
	// came: Cognito may have applied it, so a check cut off after it is
	// reported, never dropped as if nothing happened.
	Sent bool
	Err  error
}

// Reconciler checks pools against the policy in force, through the
// function's one Cognito gateway.
type Reconciler struct {
	gw  *cognito.Gateway
	log *slog.Logger

	// mu guards policy: a new policy version may be set while a check the
	// trigger detached from an earlier invocation still runs.
	mu     sync.RWMutex
	policy policy.Policy
}

// New returns a reconciler that checks pools against p through gw.
func New(gw *cognito.Gateway, p policy.Policy, log *slog.Logger) *Reconciler {
	return &Reconciler{gw: gw, policy: p, log: log}
}

// SetPolicy puts p in force for the checks that start from now on.
func (r *Reconciler) SetPolicy(p policy.Policy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.policy = p
}

// CurrentPolicy returns the policy in force.
func (r *Reconciler) CurrentPolicy() policy.Policy {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.policy
}

// Gateway is the Cognito gateway the checks call through.
func (r *Reconciler) Gateway() *cognito.Gateway { return r.gw }

// Known is what a caller already knows of a pool, so the reconciler need
// not read it again.
type Known struct {
	Name string
	// Tags holds every tag the policy's rules look at (an empty map: none
	// of them); nil means unknown, and a tag rule then reads the pool's
	// tags with DescribeUserPool.
	Tags map[string]string
}

// Reconcile brings one pool in line with the policy. AWS errors become a
// failed, deleted or replica result, never a panic. The caller reports
// the result (findings.Recorder: one log line, its counts, its finding),
// once it is final.
func (r *Reconciler) Reconcile(ctx context.Context, poolID string) Result {
	return r.ReconcileKnown(ctx, poolID, Known{})
}

// ReconcileKnown is Reconcile for a caller that already knows the pool's
// name or tags: the sweep, which reads every pool's tags in bulk.
func (r *Reconciler) ReconcileKnown(ctx context.Context, poolID string, known Known) Result {
	return r.pool(ctx, poolID, known)
}

// decide is policy.Decide; tests count the decisions made per read.
var decide = policy.Decide

// observation is what a check read of a pool before judging it.
type observation struct {
	name      string
	tags      map[string]string // nil: not known
	exempt    bool
	why       string          // why the pool is exempt
	mfa       *policy.PoolMFA // nil until read
	lim       policy.Limits
	described bool
	pol       policy.Policy // the profile the pool's tags choose
	polErr    error         // no profile could be chosen
}

func (r *Reconciler) pool(ctx context.Context, poolID string, known Known) Result {
	all := r.CurrentPolicy() // one version for the whole check
	o, step, err := r.observePool(ctx, all, poolID, known)
	res := Result{PoolID: poolID, PoolName: o.name, Mode: all.Mode, Policy: all.Origin, Violations: []policy.Violation{}, Before: o.mfa}
	if err != nil {
		return res.fail(step, err)
	}
	res, d, act := judge(all, res, o)
	if !act {
		return res
	}
	return r.apply(ctx, o.pol, res, d)
}

// observePool reads the pool's MFA configuration, and its name, tags,
// sign-in policy and plan where the policy needs them; on error it names
// the step that failed. Tags the caller knew may be older than this read:
// an exemption tag added since still keeps the pool from being written.
func (r *Reconciler) observePool(ctx context.Context, all policy.Policy, poolID string, known Known) (observation, string, error) {
	o := observation{name: known.Name, tags: known.Tags}
	o.exempt, o.why = all.Exempt(poolID, known.Tags)
	mfa, err := r.gw.GetMFA(ctx, poolID)
	if err != nil {
		return o, "get MFA config", err
	}
	o.mfa = &mfa
	if !o.exempt && len(all.TagKeys()) > 0 && o.tags == nil {
		if err := r.describeInto(ctx, all, poolID, &o); err != nil {
			return o, "describe pool for tags", err
		}
	}
	o.pol, o.polErr = all.For(poolID, o.tags)
	// Whether Cognito accepts ON depends on the pool's first sign-in
	// factors and plan: read them rather than learn from a refusal.
	if !o.exempt && !o.described && o.polErr == nil && policy.NeedsLimits(o.pol, mfa) {
		if err := r.describeInto(ctx, all, poolID, &o); err != nil {
			return o, "describe pool for its sign-in policy and plan", err
		}
		// The tags just read may name another profile than the tags the
		// caller knew: the pool is judged by the profile its tags name now.
		o.pol, o.polErr = all.For(poolID, o.tags)
	}
	// Only a pool whose adaptive authentication may count as ON costs the
	// risk reads.
	if !o.exempt && o.polErr == nil && policy.NeedsRisk(o.pol, mfa, o.lim) {
		risk, err := r.readRisk(ctx, poolID)
		if err != nil {
			return o, "read risk configuration", err
		}
		o.lim.Risk = &risk
	}
	return o, "", nil
}

// describeInto reads the pool's name, tags, sign-in policy and plan into o.
func (r *Reconciler) describeInto(ctx context.Context, all policy.Policy, poolID string, o *observation) error {
	p, err := r.gw.Describe(ctx, poolID)
	if err != nil {
		return err
	}
	o.name, o.tags = p.Name, p.Tags
	o.exempt, o.why = all.Exempt(poolID, p.Tags)
	o.lim, o.described = p.Limits(), true
	return nil
}

// judge settles what a check makes of an observation without writing; act
// reports whether the decision's corrections are to be written.
func judge(all policy.Policy, res Result, o observation) (_ Result, d policy.Decision, act bool) {
	pol := o.pol
	switch {
	case o.polErr != nil && !o.exempt:
		// Neither judged by rules its owner did not choose nor passed over.
		res.Status, res.Message = Failed, "no profile to judge the pool by: "+o.polErr.Error()
		res.Err = fmt.Errorf("choose the profile for %s: %w", res.PoolID, o.polErr)
		return res, d, false
	case o.polErr != nil:
		pol = all // exempt: reported against the default profile
	default:
		res.Mode, res.Profile = pol.Mode, pol.Profile
	}
	d = decide(pol, *o.mfa, o.lim)
	res.Violations = append(append(res.Violations, d.Violations...), d.Risk.Violations...)
	res.Adaptive, res.Equivalent = d.Adaptive, d.Equivalent()
	switch {
	case o.exempt:
		res.Status, res.Message = Exempt, o.why
	case len(res.Violations) == 0:
		res.Status = Compliant
	case pol.Mode == policy.Report:
		res.Status = Drift
	case len(d.Corrections) == 0 && len(d.Risk.Raise) == 0:
		res.Status, res.Message = Unremediable, "no correction is possible: "+reasons(res.Violations)
	default:
		return res, d, true
	}
	return res, d, false
}

// Steps of a write attempt, named in errors.
const (
	stepWait  = "wait for the pacer"
	stepRead  = "re-read MFA config"
	stepWrite = "set MFA config"
)

// apply writes the MFA plan, or the strongest fallback Cognito accepts,
// then raises the risk configuration where the decision says so. Every
// write is planned from a read made just before it, with the read and
// write tokens taken before that read, so a change someone else makes is
// lost only if it lands within one round trip. A transient failure repeats
// the whole pair. Plans and fallbacks stay within the pool's limits, so
// Cognito refuses only what nobody predicted; each refusal's message is
// kept.
func (r *Reconciler) apply(ctx context.Context, pol policy.Policy, res Result, first policy.Decision) Result {
	res.Violations = first.Violations // the MFA write's; the risk write adds its own
	switch {
	case len(first.Corrections) > 0:
		res = r.applyMFA(ctx, pol, res, first)
	case len(res.Violations) > 0:
		res.Status, res.Message = Unremediable, "no correction is possible: "+reasons(res.Violations)
	default:
		res.Status = Compliant
	}
	if len(first.Risk.Raise) == 0 {
		return res
	}
	return r.applyRisk(ctx, res, first.Risk)
}

// applyMFA writes the MFA plan, or the strongest fallback Cognito accepts.
func (r *Reconciler) applyMFA(ctx context.Context, pol policy.Policy, res Result, first policy.Decision) Result {
	w := write{first: first, read: first}
	for i := 0; ; i++ {
		w = r.writeOne(ctx, pol, res.PoolID, w, i)
		if w.refused() {
			w.refusals = append(w.refusals, refusal(w.err))
			r.log.Warn("write refused", "poolId", res.PoolID, "error", w.err.Error(), "fallback", i > 0)
			if i+1 < len(w.read.Corrections) {
				continue
			}
		}
		out := settle(res, w)
		if len(out.StoredDifferently) > 0 {
			r.log.Warn("stored configuration differs from the one sent", "poolId", res.PoolID, "differences", out.StoredDifferently)
		}
		return out
	}
}

// write is what one write attempt of apply read, sent and Cognito stored.
type write struct {
	first    policy.Decision // on the check's first read
	read     policy.Decision // on the read the write was planned from
	wrote    bool            // a correction was sent (sent and stored are set)
	sent     policy.PoolMFA
	stored   policy.PoolMFA
	step     string // the step err comes from
	err      error
	refusals []string // Cognito's refusals of earlier corrections, in order
}

func (w write) refused() bool { return w.step == stepWrite && cognito.IsRefusal(w.err) }

// writeOne is the I/O of apply: with the backoff, take the tokens,
// re-read the pool, decide on what was read, and write its i-th
// correction, if it has one.
func (r *Reconciler) writeOne(ctx context.Context, pol policy.Policy, poolID string, w write, i int) write {
	w.wrote, w.step = false, ""
	w.err = r.gw.Retry(ctx, func() error {
		w.wrote, w.step = false, stepWait
		pair, err := r.gw.Reserve(ctx, poolID, quota.SetUserPoolMfaConfig, quota.GetUserPoolMfaConfig)
		if err != nil {
			return err
		}
		w.step = stepRead
		c, err := pair.GetMFA(ctx)
		if err != nil {
			return err
		}
		w.read = decide(pol, c, w.read.Limits())
		if i >= len(w.read.Corrections) {
			return nil
		}
		w.sent, w.step, w.wrote = w.read.Corrections[i], stepWrite, true
		r.log.Info("applying", "poolId", poolID, "changes", policy.Diff(w.read.Observed, w.sent), "fallback", i > 0)
		w.stored, err = pair.SetMFA(ctx, w.sent)
		return err
	})
	if w.wrote && w.err != nil && ctx.Err() != nil {
		return r.confirm(ctx, poolID, w)
	}
	return w
}

// confirmGrace bounds the read that confirms a write whose answer the
// check's deadline cut off: every function's margin leaves it the time.
const confirmGrace = 2 * time.Second

// confirm reads the pool once more after a write whose answer the check's
// deadline cut off, Cognito having perhaps applied it: a read that shows
// what was sent settles the write as accepted, so the correction is
// reported as made; one that shows the pool as it was read settles it as
// not applied (the check was cut off before it wrote). Otherwise the write
// stays failed, its outcome unknown.
func (r *Reconciler) confirm(ctx context.Context, poolID string, w write) write {
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmGrace)
	defer cancel()
	got, err := r.gw.GetMFA(grace, poolID)
	switch {
	case err != nil:
	case len(policy.Diff(w.sent, got)) == 0:
		r.log.Info("write confirmed after the deadline cut its answer off", "poolId", poolID, "outcome", "confirmed")
		w.stored, w.err, w.step = got, nil, ""
	case len(policy.Diff(w.read.Observed, got)) == 0:
		w.wrote = false
	}
	return w
}

// settle is the pure step of apply: the outcome of a write attempt.
func settle(res Result, w write) Result {
	fresh := w.read.Observed
	res.Before = &fresh
	res.ConcurrentChanges = policy.Diff(w.first.Observed, fresh)
	res.Violations = append([]policy.Violation{}, w.read.Violations...)
	var notes []string
	concurrent := "the pool changed after it was first read (" + changeList(res.ConcurrentChanges) + ")"
	if len(res.ConcurrentChanges) > 0 {
		notes = append(notes, concurrent+" and the enforcer acted on the new state")
	}
	everyRefused := w.refused() || w.err == nil && !w.wrote && len(w.refusals) > 0 && len(res.Violations) > 0
	switch {
	case everyRefused:
		refused := "Cognito refused every correction: " + strings.Join(w.refusals, "; ")
		res.Violations = append([]policy.Violation{}, w.read.Assess(fresh, refused)...)
		res.Status, res.Message = Unremediable, joinNotes(refused, notes)
		return res
	case w.err != nil:
		res.Sent = w.wrote
		return res.fail(w.step, w.err)
	case !w.wrote && len(res.Violations) == 0:
		res.Status, res.Message = Compliant, concurrent+" and now complies: nothing written"
		return res
	case !w.wrote:
		res.Status, res.Message = Unremediable, joinNotes("no correction is possible: "+reasons(res.Violations), notes)
		return res
	}
	return settleWritten(res, w, notes)
}

// settleWritten is the outcome of a write Cognito accepted.
func settleWritten(res Result, w write, notes []string) Result {
	fresh := w.read.Observed
	res.Sent = true
	res.After = &w.stored
	res.Changes = policy.Diff(fresh, w.stored)
	if res.StoredDifferently = policy.Diff(w.sent, w.stored); len(res.StoredDifferently) > 0 {
		notes = append(notes, "Cognito stored a different configuration than sent: "+changeList(res.StoredDifferently))
	}
	var why []string
	if remaining := decide(w.read.Policy(), w.stored, w.read.Limits()).Violations; len(remaining) > 0 {
		why = append(why, reasons(remaining))
	}
	// Why Cognito's answer keeps a violation the plan would have corrected.
	kept := ""
	switch {
	case len(w.refusals) > 0:
		kept = "Cognito refused the full correction: " + strings.Join(w.refusals, "; ")
		why = append(why, kept)
	case len(res.StoredDifferently) > 0:
		kept = "Cognito stored a different configuration than sent"
	}
	// The violations found, each corrected or not by what Cognito stored.
	res.Violations = append([]policy.Violation{}, w.read.Assess(w.stored, kept)...)
	res.Status = Remediated
	if len(why) > 0 {
		res.Status = Unremediable
	}
	res.Message = strings.Join(append(why, notes...), "; ")
	return res
}

// refusal is how a refused write reads in a result: Cognito's message,
// after its cause where the enforcer knows it.
func refusal(err error) string {
	if cognito.IsSMSInUse(err) {
		return "the pool sends SMS for other messages (its SMS configuration is set), so Cognito keeps SMS MFA until those uses are removed: " + err.Error()
	}
	return err.Error()
}

func (res Result) fail(step string, err error) Result {
	res.Status, res.Message, res.Err = failure(step, res.PoolID, "the user pool", err)
	return res
}

// joinNotes appends informational notes to a message.
func joinNotes(msg string, notes []string) string {
	return strings.Join(append([]string{msg}, notes...), "; ")
}

// changeList renders changes as "field: before -> after, ...".
func changeList(cs []policy.Change) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Field + ": " + c.Before + " -> " + c.After
	}
	return strings.Join(out, ", ")
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
