package reconcile

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// The risk configuration of a pool whose adaptive authentication may count
// as MFA ON: read only for such pools, raised only where an action is below
// the policy's minimum.

// readRisk reads the pool's risk configuration and each app client's.
func (r *Reconciler) readRisk(ctx context.Context, poolID string) (policy.Risk, error) {
	pool, err := r.gw.Risk(ctx, poolID, "")
	if err != nil {
		return policy.Risk{}, err
	}
	risk := policy.Risk{Pool: pool.Actions}
	clients, err := r.gw.Clients(ctx, poolID)
	if err != nil {
		return policy.Risk{}, err
	}
	for _, id := range clients {
		c, err := r.gw.Risk(ctx, poolID, id)
		if err != nil {
			return policy.Risk{}, err
		}
		risk.Clients = append(risk.Clients, policy.ClientRisk{Client: id, Own: c.Own, Actions: c.Actions})
	}
	return risk, nil
}

// Steps of a risk write, named in errors.
const stepRisk = "raise risk configuration"

// raised is what one target's raise read and wrote.
type raised struct {
	target        string
	before, after policy.RiskActions
	wrote         bool // Cognito accepted the write
	sent          bool // a write was sent, answered or not
	inherits      bool // a client that no longer has its own configuration
	err           error
}

// applyRisk raises, target by target (the pool's first), every action
// below the minimum, each from a read made just before its write, and
// settles the result: the violations assessed against what was written,
// the changes added, the status the stronger of the MFA write's and this.
func (r *Reconciler) applyRisk(ctx context.Context, res Result, d policy.RiskDecision) Result {
	if res.Status == Failed || !res.Status.Judged() {
		res.Violations = append(res.Violations, d.Violations...)
		return res
	}
	x := r.raiseAll(ctx, &res, d)
	if x.err != nil {
		res.Violations = append(res.Violations, d.Violations...)
		res.Status, res.Message, res.Err = failure(stepRisk+" of "+where(x.failed), res.PoolID, "the user pool", x.err)
		return res
	}
	why := ""
	if len(x.refused) > 0 {
		why = "Cognito refused the risk correction of " + strings.Join(x.refused, "; ")
	}
	res.Violations = append(res.Violations, d.Assess(x.achieved, why)...)
	switch {
	case len(x.refused) > 0:
		res.Status, res.Message = Unremediable, addNote(why, res.Message)
	case x.wrote && res.Status == Compliant:
		res.Status = Remediated
	case !x.wrote && res.Status == Compliant:
		res.Message = addNote("the risk configuration changed after it was first read and now meets the minimum: nothing written", res.Message)
	}
	if len(x.gone) > 0 {
		res.Message = addNote(res.Message, "app clients deleted during the check: "+strings.Join(x.gone, ", "))
	}
	return res
}

// raisedAll is what raising every target achieved.
type raisedAll struct {
	achieved      policy.Risk
	refused, gone []string
	wrote         bool
	failed        string // the target whose raise failed, with err
	err           error
}

// raiseAll raises each target of d (the pool's first) and adds the changes
// to res; it stops at the first failure that is neither a refusal nor an
// app client deleted since it was listed.
func (r *Reconciler) raiseAll(ctx context.Context, res *Result, d policy.RiskDecision) raisedAll {
	all := raisedAll{achieved: d.Observed}
	for _, target := range slices.Sorted(maps.Keys(d.Raise)) {
		x := r.raiseRisk(ctx, res.PoolID, target, d.Minimum)
		res.Sent = res.Sent || x.sent
		switch {
		case x.err != nil && cognito.IsRefusal(x.err):
			all.refused = append(all.refused, where(target)+": "+x.err.Error())
			continue
		case x.err != nil && target != "" && cognito.IsNotFound(x.err):
			all.gone = append(all.gone, target) // the client was deleted since it was listed
			continue
		case x.err != nil:
			all.failed, all.err = target, x.err
			return all
		}
		setTarget(&all.achieved, target, x.after, x.inherits)
		res.Changes = append(res.Changes, riskChanges(target, x.before, x.after)...)
		all.wrote = all.wrote || x.wrote
	}
	return all
}

// raiseRisk raises one target's actions to min: with the backoff, take the
// write's and the re-read's tokens, re-read, raise what is below min and
// write everything else back as read.
func (r *Reconciler) raiseRisk(ctx context.Context, poolID, target string, min policy.RiskActions) raised {
	x := raised{target: target}
	x.err = r.gw.Retry(ctx, func() error {
		x.wrote = false
		pair, err := r.gw.Reserve(ctx, poolID, quota.SetRiskConfiguration, quota.DescribeRiskConfiguration)
		if err != nil {
			return err
		}
		cur, err := pair.GetRisk(ctx, target)
		if err != nil {
			return err
		}
		x.before, x.after = cur.Actions, cur.Actions.Raise(min)
		if target != "" && !cur.Own {
			// The pool's configuration applies to it now; its own target is gone.
			x.inherits, x.after = true, cur.Actions
			return nil
		}
		if x.after == x.before {
			return nil // raised meanwhile
		}
		r.log.Info("applying", "poolId", poolID, "changes", riskChanges(target, x.before, x.after))
		x.sent = true
		if err := pair.SetRisk(ctx, cur, x.after); err != nil {
			return err
		}
		x.wrote = true
		return nil
	})
	return x
}

// setTarget puts a target's actions into risk.
func setTarget(risk *policy.Risk, target string, actions policy.RiskActions, inherits bool) {
	if target == "" {
		risk.Pool = actions
		return
	}
	clients := slices.Clone(risk.Clients)
	for i := range clients {
		if clients[i].Client == target {
			clients[i].Own, clients[i].Actions = !inherits, actions
		}
	}
	risk.Clients = clients
}

// where names a risk target in messages.
func where(target string) string {
	if target == "" {
		return "the pool"
	}
	return "app client " + target
}

// riskChanges lists a target's actions that differ, as changes named
// adaptive.<pool|client:ID>.<level>.
func riskChanges(target string, before, after policy.RiskActions) []policy.Change {
	name := "adaptive.pool"
	if target != "" {
		name = "adaptive.client:" + target
	}
	return policy.DiffActions(name, before, after)
}

// addNote joins two parts of a message, either of which may be empty.
func addNote(a, b string) string {
	return strings.Trim(a+"; "+b, "; ")
}
