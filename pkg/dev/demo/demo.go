// Package demo runs the enforcer end to end on this machine: moto stands in
// for AWS, the built functions run under the local invoke harness.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

// Policy is the demo's embedded policy: MFA ON, TOTP required, SMS
// forbidden, pools tagged mfa-policy-exempt left alone, at least half of
// each pool's active users with MFA, and adaptive authentication accepted
// as MFA ON at AWS's design (its default minimum actions).
const Policy = `{"mfaConfiguration":"ON","factors":{"softwareToken":"required","sms":"forbidden","email":"allowed"},"exemptions":{"tagKey":"mfa-policy-exempt"},"users":{"preferSoftwareToken":true,"minimumCoverage":0.5},"adaptiveAuthentication":{"acceptAsOn":true}}`

type pool struct {
	story string
	spec  testbed.PoolSpec
	id    string
}

var pools = []*pool{
	{story: "MFA turned OFF by an UpdateUserPool", spec: testbed.PoolSpec{Name: "orders-portal", Level: "OFF"}},
	{story: "OPTIONAL with SMS only", spec: testbed.PoolSpec{Name: "customer-app", Level: "OPTIONAL", Factors: []policy.Factor{policy.SMS}}},
	{story: "SMS forbidden but enabled", spec: testbed.PoolSpec{Name: "partner-api", Level: "ON", Factors: []policy.Factor{policy.SoftwareToken, policy.SMS}}},
	{story: "exempt (tag mfa-policy-exempt)", spec: testbed.PoolSpec{Name: "legacy-kiosk", Level: "OFF", Tags: map[string]string{"mfa-policy-exempt": "until-2027"}}},
	{story: "compliant", spec: testbed.PoolSpec{Name: "staff-sso", Level: "ON", Factors: []policy.Factor{policy.SoftwareToken}}},
	{story: "adaptive MFA: Plus, threat protection ENFORCED, OPTIONAL", spec: testbed.AdaptivePool("members", testbed.ClientSpec{Name: "web"})},
	{story: "adaptive MFA; app client kiosk: NO_ACTION at high risk", spec: testbed.AdaptivePool("events",
		testbed.ClientSpec{Name: "web"}, testbed.ClientSpec{Name: "kiosk", Risk: testbed.RiskConfig("NO_ACTION", "MFA_IF_CONFIGURED", "NO_ACTION")})},
}

const user = "jane.doe"

// Run performs the demo from the repository root, writing to w.
func Run(ctx context.Context, root string, w io.Writer) error {
	say := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	say("== cognito-mfa-enforcer demo: moto stands in for AWS; the functions run as built bootstraps")
	say("   policy: %s\n", Policy)

	m, err := testbed.StartMoto()
	if err != nil {
		return err
	}
	defer m.Stop()
	bus, err := m.FindingsBus(ctx, "demo-findings")
	if err != nil {
		return err
	}
	specs := make([]testbed.PoolSpec, len(pools))
	for i, p := range pools {
		specs[i] = p.spec
	}
	ids, err := m.Seed(ctx, specs)
	if err != nil {
		return err
	}
	for i, p := range pools {
		p.id = ids[i]
	}
	token, err := m.TOTPUser(ctx, pools[1].id, user)
	if err != nil {
		return err
	}
	// The user prefers SMS, set with their own access token.
	if err := m.CLI(ctx, nil, "cognito-idp", "set-user-mfa-preference", "--access-token", token,
		"--software-token-mfa-settings", "Enabled=true,PreferredMfa=false", "--sms-mfa-settings", "Enabled=true,PreferredMfa=true"); err != nil {
		return err
	}
	say("Created %d pools on moto and user %q (TOTP and SMS, prefers SMS) in %s.\n", len(pools), user, pools[1].spec.Name)

	dir, err := os.MkdirTemp("", "demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bins := map[string]string{}
	for _, fn := range []string{"SweepFunction", "DriftFunction", "TriggerFunction", "SignInCheckFunction"} {
		if bins[fn], err = localinvoke.Build(root, fn, filepath.Join(dir, fn)); err != nil {
			return err
		}
	}
	queue, err := m.Queue(ctx, "demo-sign-ins")
	if err != nil {
		return err
	}
	start := func(fn string, mode string) (*localinvoke.Runtime, error) {
		doc := strings.Replace(Policy, `{`, `{"mode":"`+mode+`",`, 1)
		return localinvoke.StartFunction(root, bins[fn], fn, map[string]string{"PolicyDocument": doc, "ExistingFindingsBusName": bus.Name,
			"SignInQueue": queue.URL}, m.Env(), nil)
	}
	measured, err := signIns(ctx, m, start, say)
	if err != nil {
		return err
	}
	before, err := snapshot(ctx, m)
	if err != nil {
		return err
	}

	for _, mode := range []string{"report", "enforce"} {
		rt, err := start("SweepFunction", mode)
		if err != nil {
			return err
		}
		rep, err := sweepOnce(ctx, rt)
		if err != nil {
			return err
		}
		say("-- SweepFunction, %s mode: checked %d, compliant %d, drift %d, remediated %d, exempt %d, unremediable %d, failed %d", mode,
			rep.Checked, rep.Compliant, rep.Drift, rep.Remediated, rep.Exempt, rep.Unremediable, rep.Failed)
		status := map[string]sweep.PoolReport{}
		for _, p := range rep.Pools {
			status[p.PoolID] = p
		}
		after, err := snapshot(ctx, m)
		if err != nil {
			return err
		}
		table(w, before, after, status)
		before = after
		if c := rep.Coverage; c != nil && mode == "report" {
			say("-- MFA coverage of active users (from the ledger): %d of %d in %d pools; %d pool(s) below the policy's 50%%", c.WithMFA, c.ActiveUsers, c.Pools, c.BelowPolicy)
			if err := coverageTable(ctx, m, w, measured); err != nil {
				return err
			}
		}
	}

	// Someone changes a pool: the CloudTrail event reaches the drift function.
	if err := m.SetMFA(ctx, pools[0].id, "OFF"); err != nil {
		return err
	}
	ev, err := testbed.Sample(root, "drift-update-user-pool.json", pools[0].id, "")
	if err != nil {
		return err
	}
	rt, err := start("DriftFunction", "enforce")
	if err != nil {
		return err
	}
	var f findings.Finding
	err = invoke(ctx, rt, ev, &f)
	rt.Close()
	if err != nil {
		return err
	}
	say("-- DriftFunction: UpdateUserPool by %s set %s to OFF again; result: %s, %s", f.Cause.CallerARN, pools[0].spec.Name, f.Status, changes(f))

	// A sign-in: the trigger enqueues it and lets the user in at once; the
	// sign-in check, fed from the queue, makes TOTP the user's preferred
	// factor and disables the forbidden SMS factor (the user keeps TOTP).
	u0, err := m.GetUserMFA(ctx, pools[1].id, user)
	if err != nil {
		return err
	}
	if ev, err = m.Sample(ctx, root, "trigger-post-authentication.json", pools[1].id, user); err != nil {
		return err
	}
	if rt, err = start("TriggerFunction", "enforce"); err != nil {
		return err
	}
	err = invoke(ctx, rt, ev, nil)
	rt.Close()
	if err != nil {
		return err
	}
	batch, n, err := queue.Batch(ctx)
	if err != nil {
		return err
	}
	say("-- TriggerFunction: %s signed in to %s: sign-in allowed at once, %d message on the sign-in queue", user, pools[1].spec.Name, n)
	if rt, err = start("SignInCheckFunction", "enforce"); err != nil {
		return err
	}
	var resp struct {
		BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
	}
	err = invoke(ctx, rt, batch, &resp)
	rt.Close()
	if err != nil {
		return err
	}
	u1, err := m.GetUserMFA(ctx, pools[1].id, user)
	if err != nil {
		return err
	}
	say("-- SignInCheckFunction: took the message from the queue (%d returned for retry)\n   before: factors %v, preferred %s\n   after:  factors %v, preferred %s\n",
		len(resp.BatchItemFailures), u0.UserMFASettingList, u0.PreferredMfaSetting, u1.UserMFASettingList, u1.PreferredMfaSetting)

	events, err := bus.Drain(ctx)
	if err != nil {
		return err
	}
	say("-- Findings received on the bus %q (%d events)", bus.Name, len(events))
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "  DETAIL-TYPE\tTRIGGER\tPOOL\tSTATUS\tVIOLATIONS")
	for _, e := range events {
		if e.DetailType == findings.DetailTypeSummary {
			var sum struct{ Checked, Remediated int }
			_ = json.Unmarshal(e.Detail, &sum)
			fmt.Fprintf(tw, "  %s\tschedule\t-\tchecked %d, remediated %d\t\n", e.DetailType, sum.Checked, sum.Remediated)
			continue
		}
		var d findings.Detail // a pool or a user finding: the published schema
		_ = json.Unmarshal(e.Detail, &d)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e.DetailType, d.Cause.Kind, name(d.PoolID), d.Status, codes(d.Violations))
	}
	tw.Flush()
	say("\nDone: moto stopped. Run `make test` for the full suite.")
	return nil
}

// sweepOnce starts a sweep as the schedule does, returns its report and
// stops the function.
func sweepOnce(ctx context.Context, rt *localinvoke.Runtime) (sweep.Report, error) {
	defer rt.Close()
	var rep sweep.Report
	err := invoke(ctx, rt, []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`), &rep)
	return rep, err
}

func invoke(ctx context.Context, rt *localinvoke.Runtime, event []byte, out any) error {
	res, err := rt.Invoke(ctx, event)
	if err != nil {
		return err
	}
	if res.Err != nil {
		return fmt.Errorf("%s\n%s", res.Err, rt.Logs())
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Payload, out)
}

func name(id string) string {
	for _, p := range pools {
		if p.id == id {
			return p.spec.Name
		}
	}
	return id
}

func snapshot(ctx context.Context, m *testbed.Moto) (map[string]testbed.PoolMFA, error) {
	out := map[string]testbed.PoolMFA{}
	for _, p := range pools {
		got, err := m.GetMFA(ctx, p.id)
		if err != nil {
			return nil, err
		}
		out[p.id] = got
	}
	return out, nil
}

func describe(c testbed.PoolMFA) string {
	var f []string
	if c.TOTP() {
		f = append(f, "TOTP")
	}
	if c.SmsMfaConfiguration != nil {
		f = append(f, "SMS")
	}
	if len(f) == 0 {
		f = append(f, "-")
	}
	return fmt.Sprintf("%-8s %s", c.MfaConfiguration, strings.Join(f, "+"))
}

func table(w io.Writer, before, after map[string]testbed.PoolMFA, status map[string]sweep.PoolReport) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "  POOL\tSTORY\tBEFORE\tAFTER\tSTATUS\tVIOLATIONS")
	for _, p := range pools {
		st, v := "compliant", ""
		if r, ok := status[p.id]; ok {
			st, v = string(r.Status), codes(r.Violations)
			if r.Equivalent != "" {
				st += " (equivalent: " + r.Equivalent + ")"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.spec.Name, p.story, describe(before[p.id]), describe(after[p.id]), st, v)
	}
	tw.Flush()
	// A pool written and still unremediable: what could be corrected was,
	// and the message says what could not.
	for _, p := range pools {
		if r, ok := status[p.id]; ok && r.Status == reconcile.Unremediable && describe(before[p.id]) != describe(after[p.id]) {
			fmt.Fprintf(w, "  note: %s was corrected as far as the enforcer can and stays %s: %s\n", p.spec.Name, r.Status, r.Message)
		}
	}
	fmt.Fprintln(w)
}

func codes(vs []policy.Violation) string {
	var out []string
	for _, v := range vs {
		c := v.Code
		if v.Factor != "" {
			c += "(" + string(v.Factor) + ")"
		}
		if v.RiskLevel != "" {
			c += "(client " + v.Client + ": " + v.RiskLevel + ")"
		}
		out = append(out, c)
	}
	return strings.Join(out, " ")
}

func changes(f findings.Finding) string {
	var out []string
	for _, c := range f.Changes {
		out = append(out, c.Field+" "+c.Before+" -> "+c.After)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
