package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
)

// Accounts of the organisation demo.
var (
	hubAccount = "222222222222"
	members    = []string{"111111111111", "333333333333"}
)

// orgPools are created in each member: level and factor arguments for the
// AWS CLI.
var orgPools = []struct{ name, level, factors string }{
	{"orders-portal", "OFF", ""},
	{"customer-app", "OPTIONAL", "sms"},
	{"staff-sso", "ON", "totp"},
}

// RunOrg performs the organisation demo from the repository root: a hub
// account with the central bus, two member accounts that forward to it and
// import into their own Security Hub, a sweep in each member in report
// mode and then enforce mode.
func RunOrg(ctx context.Context, root string, w io.Writer) error {
	say := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	say("== cognito-mfa-enforcer organisation demo: one moto holds a hub account and two members")
	m, err := testbed.StartMoto()
	if err != nil {
		return err
	}
	defer m.Stop()
	hub, err := m.AssumeAccount(ctx, hubAccount)
	if err != nil {
		return err
	}
	central, err := hub.FindingsBus(ctx, "central")
	if err != nil {
		return err
	}
	say("Hub %s: central bus %s, kept in a queue.", hubAccount, central.ARN)

	accts := map[string]*testbed.OtherAccount{}
	for _, id := range members {
		a, err := m.AssumeAccount(ctx, id)
		if err != nil {
			return err
		}
		accts[id] = a
		if err := memberSetUp(ctx, a, central.ARN); err != nil {
			return fmt.Errorf("member %s: %w", id, err)
		}
		say("Member %s: findings bus forwarding to the hub, %d pools (OFF; OPTIONAL+SMS; ON+TOTP).", id, len(orgPools))
	}

	dir, err := os.MkdirTemp("", "demo-org-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := localinvoke.Build(root, "SweepFunction", filepath.Join(dir, "SweepFunction"))
	if err != nil {
		return err
	}
	for _, mode := range []string{"report", "enforce"} {
		say("\n-- SweepFunction in each member, %s mode", mode)
		for _, id := range members {
			rt, err := localinvoke.StartFunctionIn(root, bin, "SweepFunction", id, map[string]string{
				"PolicyDocument": `{"mode":"` + mode + `"}`, "ExistingFindingsBusName": "findings", "EnableSecurityHub": "true"}, accts[id].Env, nil)
			if err != nil {
				return err
			}
			rep, err := sweepOnce(ctx, rt)
			if err != nil {
				return err
			}
			active, archived, err := securityHub(ctx, accts[id])
			if err != nil {
				return err
			}
			say("   %s: checked %d, compliant %d, drift %d, remediated %d; Security Hub: %d active, %d archived",
				id, rep.Checked, rep.Compliant, rep.Drift, rep.Remediated, active, archived)
		}
		events, err := central.Drain(ctx)
		if err != nil {
			return err
		}
		say("   the hub received %d events:", len(events))
		tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "     ACCOUNT\tDETAIL-TYPE\tPOOL\tSTATUS")
		for _, e := range events {
			var f findings.Finding
			_ = json.Unmarshal(e.Detail, &f)
			fmt.Fprintf(tw, "     %s\t%s\t%s\t%s\n", f.Account, e.DetailType, f.PoolName, f.Status)
		}
		tw.Flush()
	}
	say("\nDone: moto stopped. docs/organisation.md has the real rollout.")
	return nil
}

// memberSetUp creates the member's findings bus, the rule forwarding it to
// the hub (as the member stack's ForwardFindingsRule), and its pools.
func memberSetUp(ctx context.Context, a *testbed.OtherAccount, centralARN string) error {
	if _, err := a.FindingsBus(ctx, "findings"); err != nil {
		return err
	}
	steps := [][]string{
		{"events", "put-rule", "--name", "forward", "--event-bus-name", "findings", "--event-pattern", `{"source":["cognito-mfa-enforcer"]}`},
		{"events", "put-targets", "--rule", "forward", "--event-bus-name", "findings", "--targets",
			"Id=central-findings-bus,Arn=" + centralARN + ",RoleArn=arn:aws:iam::" + a.ID + ":role/forward"},
	}
	for _, p := range orgPools {
		var out struct{ UserPool struct{ Id string } }
		if err := a.CLI(ctx, &out, "cognito-idp", "create-user-pool", "--pool-name", p.name); err != nil {
			return err
		}
		set := []string{"cognito-idp", "set-user-pool-mfa-config", "--user-pool-id", out.UserPool.Id, "--mfa-configuration", p.level}
		switch p.factors {
		case "sms":
			set = append(set, "--sms-mfa-configuration", fmt.Sprintf(`{"SmsAuthenticationMessage":%q,"SmsConfiguration":{"SnsCallerArn":"arn:aws:iam::%s:role/sms","ExternalId":"x"}}`, testbed.SMSMessage, a.ID))
		case "totp":
			set = append(set, "--software-token-mfa-configuration", "Enabled=true")
		}
		if p.level != "OFF" {
			steps = append(steps, set)
		}
	}
	for _, args := range steps {
		if err := a.CLI(ctx, nil, args...); err != nil {
			return err
		}
	}
	return nil
}

// securityHub counts the member's enforcer findings by record state.
func securityHub(ctx context.Context, a *testbed.OtherAccount) (active, archived int, err error) {
	var out struct {
		Findings []struct{ RecordState, GeneratorId string }
	}
	if err := a.CLI(ctx, &out, "securityhub", "get-findings"); err != nil {
		return 0, 0, err
	}
	for _, f := range out.Findings {
		switch f.RecordState {
		case "ACTIVE":
			active++
		case "ARCHIVED":
			archived++
		}
	}
	return active, archived, nil
}
