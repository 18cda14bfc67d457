package policy

import (
	"fmt"
	"slices"
)

// Adaptive (risk-based) authentication: Cognito's threat protection, on the
// Plus plan and in ENFORCED mode, scores each sign-in and answers each risk
// level with an action (SetRiskConfiguration). A pool whose MFA is OPTIONAL
// with a factor the policy allows, whose every app client's actions meet
// the policy's minimum, counts as MFA ON when the policy accepts it
// (adaptiveAuthentication.acceptAsOn): a compensating control, never
// literally ON (sign-ins scored as no risk get no second factor), so it is
// accepted only when the policy says so, and findings say
// "equivalent: adaptiveAuthentication". The enforcer raises actions below
// the minimum; it never changes the plan or the mode (both through
// UpdateUserPool, a full replace, and the plan costs money).

// CodeAdaptiveBelowPolicy: a risk level's action is below the minimum.
const CodeAdaptiveBelowPolicy = "ADAPTIVE_ACTION_BELOW_POLICY"

// Equivalent names the control a pool is compliant by in place of MFA ON.
const Equivalent = "adaptiveAuthentication"

// Adaptive is the policy on adaptive authentication.
type Adaptive struct {
	// AcceptAsOn counts an adaptive pool as MFA ON (mfaConfiguration ON only).
	AcceptAsOn     bool        `json:"acceptAsOn"`
	MinimumActions RiskActions `json:"minimumActions"`
}

// RiskAction is what adaptive authentication does at a risk level, in
// Cognito's words, ordered NO_ACTION < MFA_IF_CONFIGURED < MFA_REQUIRED <
// BLOCK (MFA_REQUIRED blocks a user who cannot do MFA).
type RiskAction string

const (
	NoAction        RiskAction = "NO_ACTION"
	MFAIfConfigured RiskAction = "MFA_IF_CONFIGURED"
	MFARequired     RiskAction = "MFA_REQUIRED"
	Block           RiskAction = "BLOCK"
)

// Values are the actions in order.
func (RiskAction) Values() []string { return names(NoAction, MFAIfConfigured, MFARequired, Block) }

// Rank orders actions; an unknown action ranks below NO_ACTION.
func (a RiskAction) Rank() int { return slices.Index(a.Values(), string(a)) }

// CompromisedAction is what Cognito does with compromised credentials:
// NO_ACTION < BLOCK.
type CompromisedAction string

// Values are the actions in order.
func (CompromisedAction) Values() []string { return []string{string(NoAction), string(Block)} }

// Rank orders actions; an unknown action ranks below NO_ACTION.
func (a CompromisedAction) Rank() int { return slices.Index(a.Values(), string(a)) }

// RiskActions are the actions at each risk level: a minimum in the policy,
// or what a pool or app client has.
type RiskActions struct {
	Low                    RiskAction        `json:"low"`
	Medium                 RiskAction        `json:"medium"`
	High                   RiskAction        `json:"high"`
	CompromisedCredentials CompromisedAction `json:"compromisedCredentials"`
}

// NoActions are the actions of a configuration that sets none.
var NoActions = RiskActions{Low: NoAction, Medium: NoAction, High: NoAction, CompromisedCredentials: CompromisedAction(NoAction)}

// DefaultAdaptive is AWS's adaptive design: no action at low risk, MFA
// where set up at medium, MFA required at high; compromised credentials
// not governed. Not accepted as ON unless the policy says so.
func DefaultAdaptive() Adaptive {
	return Adaptive{MinimumActions: RiskActions{Low: NoAction, Medium: MFAIfConfigured, High: MFARequired, CompromisedCredentials: CompromisedAction(NoAction)}}
}

// riskLevel is one level of RiskActions: its name, and how to compare,
// raise and show it.
type riskLevel struct {
	name  string
	below func(have, min RiskActions) bool
	raise func(have *RiskActions, min RiskActions)
	show  func(a RiskActions) string
}

// riskLevels are the levels in order.
var riskLevels = []riskLevel{
	{"low", func(h, m RiskActions) bool { return h.Low.Rank() < m.Low.Rank() },
		func(h *RiskActions, m RiskActions) { h.Low = m.Low }, func(a RiskActions) string { return string(a.Low) }},
	{"medium", func(h, m RiskActions) bool { return h.Medium.Rank() < m.Medium.Rank() },
		func(h *RiskActions, m RiskActions) { h.Medium = m.Medium }, func(a RiskActions) string { return string(a.Medium) }},
	{"high", func(h, m RiskActions) bool { return h.High.Rank() < m.High.Rank() },
		func(h *RiskActions, m RiskActions) { h.High = m.High }, func(a RiskActions) string { return string(a.High) }},
	{"compromisedCredentials", func(h, m RiskActions) bool { return h.CompromisedCredentials.Rank() < m.CompromisedCredentials.Rank() },
		func(h *RiskActions, m RiskActions) { h.CompromisedCredentials = m.CompromisedCredentials },
		func(a RiskActions) string { return string(a.CompromisedCredentials) }},
}

// Raise returns have with every level below min raised to it, and the
// others as they are: only ever stronger.
func (have RiskActions) Raise(min RiskActions) RiskActions {
	for _, l := range riskLevels {
		if l.below(have, min) {
			l.raise(&have, min)
		}
	}
	return have
}

// Meets reports whether no level is below min.
func (have RiskActions) Meets(min RiskActions) bool { return have.Raise(min) == have }

// ThreatProtection is a pool's threat protection mode for standard
// authentication (UserPoolAddOns.AdvancedSecurityMode): OFF, AUDIT or
// ENFORCED; "" when the pool reports none.
type ThreatProtection string

// Enforced is the mode in which adaptive authentication acts.
const Enforced ThreatProtection = "ENFORCED"

// Risk is a pool's adaptive authentication as read: the pool's own
// configuration, which applies to every app client without its own, and
// each app client's.
type Risk struct {
	Pool    RiskActions  `json:"pool"`
	Clients []ClientRisk `json:"clients,omitempty"`
}

// ClientRisk is one app client's adaptive authentication.
type ClientRisk struct {
	Client string `json:"client"`
	// Own: the client has its own configuration, which replaces the
	// pool's; otherwise it has the pool's.
	Own     bool        `json:"own"`
	Actions RiskActions `json:"actions"`
}

// Effective is what applies to the client: its own actions, or the pool's.
func (c ClientRisk) Effective(r Risk) RiskActions {
	if c.Own {
		return c.Actions
	}
	return r.Pool
}

// Targets are the configurations the enforcer can write: the pool's ("")
// and each client's own, with their actions.
func (r Risk) Targets() map[string]RiskActions {
	out := map[string]RiskActions{"": r.Pool}
	for _, c := range r.Clients {
		if c.Own {
			out[c.Client] = c.Actions
		}
	}
	return out
}

// AdaptiveJudgement is what a check made of a pool's adaptive
// authentication, for its finding: whether it was accepted as MFA ON and,
// if not, why; the plan and mode it was judged on; and the effective
// actions of the pool and each app client.
type AdaptiveJudgement struct {
	Accepted         bool             `json:"accepted"`
	Reason           string           `json:"reason,omitempty"`
	Plan             Tier             `json:"plan,omitempty"`
	ThreatProtection ThreatProtection `json:"threatProtection,omitempty"`
	Minimum          RiskActions      `json:"minimumActions"`
	// Effective lists the pool's actions first ("pool"), then each app
	// client's, as they apply.
	Effective []TargetActions `json:"effectiveActions,omitempty"`
}

// TargetActions are the actions that apply to a target: "pool", or an app
// client (own: its own configuration).
type TargetActions struct {
	Target  string      `json:"target"`
	Own     bool        `json:"own,omitempty"`
	Actions RiskActions `json:"actions"`
}

// eligible reports whether p may accept the pool's adaptive authentication
// as MFA ON, the risk actions aside, and why not. relevant is false where
// the question does not arise: the policy does not accept it, or the pool
// is ON.
func eligible(p Policy, c PoolMFA, lim Limits) (relevant, ok bool, why string) {
	if !p.Adaptive.AcceptAsOn || p.MFAConfiguration != LevelOn || c.Level == LevelOn {
		return false, false, ""
	}
	allowed := slices.ContainsFunc(AllFactors, func(f Factor) bool { return c.Active(f) && p.Factors.Of(f) != Forbidden })
	switch {
	case c.Level != LevelOptional:
		return true, false, fmt.Sprintf("MFA is %s: adaptive MFA needs the pool's MFA at OPTIONAL", c.Level)
	case !allowed:
		return true, false, "no MFA factor the policy allows is enabled: adaptive MFA would have no second factor to ask for"
	case lim.Tier != TierPlus:
		return true, false, fmt.Sprintf("the pool's plan is %s: threat protection and adaptive authentication need the Plus plan", orNone(string(lim.Tier)))
	case lim.ThreatProtection != Enforced:
		return true, false, fmt.Sprintf("threat protection is %s: adaptive authentication acts only in ENFORCED (full-function) mode", orNone(string(lim.ThreatProtection)))
	}
	return true, true, ""
}

func orNone(s string) string {
	if s == "" {
		return "not reported"
	}
	return s
}

// NeedsRisk reports whether judging the pool needs its risk
// configuration: the policy accepts adaptive authentication for it and
// nothing else rules it out. Other pools cost no risk read.
func NeedsRisk(p Policy, c PoolMFA, lim Limits) bool {
	_, ok, _ := eligible(p, c, lim)
	return ok && lim.Risk == nil
}

// JudgeAdaptive is what the policy makes of the pool's adaptive
// authentication; nil where the question does not arise.
func JudgeAdaptive(p Policy, c PoolMFA, lim Limits) *AdaptiveJudgement {
	relevant, ok, why := eligible(p, c, lim)
	if !relevant {
		return nil
	}
	j := &AdaptiveJudgement{Accepted: ok && lim.Risk != nil, Reason: why, Plan: lim.Tier, ThreatProtection: lim.ThreatProtection,
		Minimum: p.Adaptive.MinimumActions}
	if ok && lim.Risk == nil {
		j.Reason = "the pool's risk configuration was not read"
	}
	if r := lim.Risk; r != nil {
		j.Effective = append(j.Effective, TargetActions{Target: "pool", Own: true, Actions: r.Pool})
		for _, c := range r.Clients {
			j.Effective = append(j.Effective, TargetActions{Target: c.Client, Own: c.Own, Actions: c.Effective(*r)})
		}
	}
	return j
}

// countsAsOn: an accepted adaptive pool counts as MFA ON; its actions
// below the minimum are this rule's violations, raised in place.
func adaptiveCountsAsOn(j judged) bool {
	_, ok, _ := eligible(j.policy, j.mfa, j.limits)
	return ok && j.limits.Risk != nil // JudgeAdaptive's Accepted
}

// RiskDecision is what the policy makes of an accepted adaptive pool's
// actions: the violations, and each configuration's raised actions (by
// target: "" the pool's, else an app client's own).
type RiskDecision struct {
	Violations []Violation
	Raise      map[string]RiskActions
	Observed   Risk        // what the decision was made on
	Minimum    RiskActions // the policy's
}

// decideRisk judges the actions of an accepted adaptive pool.
func decideRisk(p Policy, c PoolMFA, lim Limits) RiskDecision {
	d := RiskDecision{Minimum: p.Adaptive.MinimumActions}
	if !adaptiveCountsAsOn(judged{policy: p, mfa: c, limits: lim}) {
		return d
	}
	d.Observed = *lim.Risk
	for target, have := range lim.Risk.Targets() {
		if !have.Meets(d.Minimum) {
			if d.Raise == nil {
				d.Raise = map[string]RiskActions{}
			}
			d.Raise[target] = have.Raise(d.Minimum)
		}
	}
	for _, v := range check(p, c, lim) {
		if ruleOf(v.Code).writes == writesRisk {
			d.Violations = append(d.Violations, v) // correctable: the raise meets the minimum
		}
	}
	return d
}

// Assess re-judges the decision's violations against achieved, the actions
// after the writes: each is correctable when achieved no longer has it,
// and carries why otherwise.
func (d RiskDecision) Assess(achieved Risk, why string) []Violation {
	targets := achieved.Targets()
	out := slices.Clone(d.Violations)
	for i, v := range out {
		have, ok := targets[v.Client]
		fixed := ok && !slices.ContainsFunc(riskLevels, func(l riskLevel) bool {
			return l.name == v.RiskLevel && l.below(have, d.Minimum)
		})
		out[i].Correctable, out[i].Reason = fixed, ""
		if !fixed {
			out[i].Reason = why
		}
	}
	return out
}

var adaptiveBelowPolicy = Rule{
	Code: CodeAdaptiveBelowPolicy, Scope: "pool", Severity: "HIGH",
	Meaning: "`adaptiveAuthentication.acceptAsOn` and a pool accepted as MFA ON by adaptive authentication (Plus plan, threat " +
		"protection ENFORCED, MFA OPTIONAL with a factor the policy allows) whose own or an app client's own action at a risk " +
		"level is below `adaptiveAuthentication.minimumActions` (`client` names the app client; none: the pool's configuration, " +
		"which every client without its own has)",
	Corrected: "raised to the minimum with SetRiskConfiguration, read just before: only the levels below it; notification, " +
		"compromised-credentials and IP-range settings, stricter levels and the other clients stay as they were. " +
		"The plan, the threat protection mode and the MFA level are never changed for it",
	writes:     writesRisk,
	countsAsOn: adaptiveCountsAsOn,
	findAll: func(j judged) []subject {
		if !adaptiveCountsAsOn(j) {
			return nil
		}
		min := j.policy.Adaptive.MinimumActions
		var out []subject
		add := func(client string, have RiskActions) {
			for _, l := range riskLevels {
				if l.below(have, min) {
					out = append(out, subject{policy: j.policy, level: j.mfa.Level, client: client, riskLevel: l.name,
						action: l.show(have), minimum: l.show(min)})
				}
			}
		}
		add("", j.limits.Risk.Pool)
		for _, c := range j.limits.Risk.Clients {
			if c.Own {
				add(c.Client, c.Actions)
			}
		}
		return out
	},
	text: func(s subject) string {
		where := "the pool's configuration (every app client without its own)"
		if s.client != "" {
			where = "app client " + s.client + "'s own configuration"
		}
		at := s.riskLevel + " risk"
		if s.riskLevel == "compromisedCredentials" {
			at = "compromised credentials"
		}
		return fmt.Sprintf("%s takes %s at %s; the policy's minimum is %s", where, s.action, at, s.minimum)
	},
}

// DiffActions lists the levels that differ from before to after, each a
// change of field prefix.<level>.
func DiffActions(prefix string, before, after RiskActions) []Change {
	var cs []Change
	for _, l := range riskLevels {
		if b, a := l.show(before), l.show(after); b != a {
			cs = append(cs, Change{Field: prefix + "." + l.name, Before: b, After: a})
		}
	}
	return cs
}
