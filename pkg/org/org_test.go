// Package org holds what an AWS Organizations rollout deploys besides the
// member stack: hub.yaml, the security account's stack. Its tests check the
// hub template and run the rollout on moto: members forwarding to a hub,
// Security Hub in each member.
package org

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/template"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
)

const root = "../.."

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	localinvoke.RemoveBuilds()
	os.Exit(code)
}

// TestHubTemplate: cfn-lint clean; only the organisation may put events on
// the central bus; everything on it is archived and kept in a queue and a
// log group with metrics by account.
func TestHubTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("cfn-lint is Python: skipped with -short")
	}
	if b, err := exec.Command("cfn-lint", "hub.yaml").CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, b)
	}
	raw, err := os.ReadFile("hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
		Outputs map[string]any `yaml:"Outputs"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	// Only the members' forwarding roles, within the organisation (F11).
	policy := tpl.Resources["CentralBusPolicy"].Properties["Statement"].(map[string]any)
	cond, _ := json.Marshal(policy["Condition"])
	pattern := "arn:${AWS::Partition}:iam::*:role" + template.ForwardingRolePath + "*"
	if policy["Action"] != "events:PutEvents" || policy["Effect"] != "Allow" ||
		string(cond) != `{"ArnLike":{"aws:PrincipalArn":"`+pattern+`"},"StringEquals":{"aws:PrincipalOrgID":"OrganizationId"}}` ||
		!strings.Contains(string(raw), "aws:PrincipalOrgID: !Ref OrganizationId") || !strings.Contains(string(raw), `aws:PrincipalArn: !Sub "`+pattern+`"`) {
		t.Errorf("the bus policy is not scoped to the members' forwarding roles in the organisation: %s", cond)
	}
	memberRole := "arn:aws:iam::111111111111:role" + template.ForwardingRolePath + "cognito-mfa-enforcer-ForwardFindingsRole-1A2B3C"
	for arn, want := range map[string]bool{memberRole: true, "arn:aws:iam::111111111111:role/Admin": false, "arn:aws:iam::111111111111:user/cognito-mfa-enforcer/x": false} {
		if got := arnLike(strings.ReplaceAll(pattern, "${AWS::Partition}", "aws"), arn); got != want {
			t.Errorf("%s admitted: %v, want %v", arn, got, want)
		}
	}
	types := map[string]int{}
	for _, r := range tpl.Resources {
		types[r.Type]++
	}
	for _, want := range []string{"AWS::Events::EventBus", "AWS::Events::Archive", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::Events::Rule", "AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"} {
		if types[want] == 0 {
			t.Errorf("hub has no %s", want)
		}
	}
	metric, _ := json.Marshal(tpl.Resources["FindingsByAccountMetric"].Properties)
	// By the envelope's account, which EventBridge sets; the detail's is
	// written by the sender (F11).
	if !strings.Contains(string(metric), `"Key":"Account","Value":"$.account"`) || strings.Contains(string(raw), "$.detail.account") {
		t.Errorf("metrics by account not from the envelope: %s", metric)
	}
	if tpl.Outputs["CentralBusArn"] == nil {
		t.Error("no CentralBusArn output for the members")
	}
}

// arnLike is IAM's ArnLike for a pattern whose only wildcard is *.
func arnLike(pattern, arn string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(arn)
}

// Accounts in the rollout test.
const (
	hubAccount = "222222222222"
	memberA    = "111111111111"
	memberB    = "333333333333"
)

type member struct {
	acct *testbed.OtherAccount
	bus  *testbed.Bus
	pool string
}

// TestOrganizationRollout: two member accounts and a hub in one moto. Each
// member forwards its findings bus to the hub's central bus as the member
// stack does (ForwardFindingsRule) and imports into its own Security Hub.
// A drift event in each member (report mode): both members' findings reach
// the hub's queue with their own account, and each member's Security Hub
// holds its pool's findings, active. After a correction by hand, each
// member's sweep finds the pool compliant and archives them; the hub gets
// each member's sweep summary.
func TestOrganizationRollout(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	hub, err := m.AssumeAccount(ctx, hubAccount)
	if err != nil {
		t.Fatal(err)
	}
	central, err := hub.FindingsBus(ctx, "central")
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]*member{}
	for _, id := range []string{memberA, memberB} {
		a, err := m.AssumeAccount(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		bus, err := a.FindingsBus(ctx, "findings")
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"events", "put-rule", "--name", "forward", "--event-bus-name", "findings", "--event-pattern", `{"source":["cognito-mfa-enforcer"]}`},
			{"events", "put-targets", "--rule", "forward", "--event-bus-name", "findings", "--targets",
				"Id=central-findings-bus,Arn=" + central.ARN + ",RoleArn=arn:aws:iam::" + id + ":role" + template.ForwardingRolePath + "forward"},
		} {
			if err := a.CLI(ctx, nil, args...); err != nil {
				t.Fatal(err)
			}
		}
		var pool struct{ UserPool struct{ Id string } }
		if err := a.CLI(ctx, &pool, "cognito-idp", "create-user-pool", "--pool-name", "orders-"+id); err != nil {
			t.Fatal(err)
		}
		members[id] = &member{acct: a, bus: bus, pool: pool.UserPool.Id}
	}

	// A change in each member: the drift function reports it (report mode).
	for id, mb := range members {
		rt := localinvoke.StartForTestIn(t, root, "DriftFunction", id, map[string]string{
			"PolicyDocument": `{"mode":"report"}`, "ExistingFindingsBusName": "findings", "EnableSecurityHub": "true"}, mb.acct.Env)
		ev, err := testbed.Sample(root, "drift-update-user-pool.json", mb.pool, "")
		if err != nil {
			t.Fatal(err)
		}
		ev = []byte(strings.ReplaceAll(string(ev), `"account": "`+testbed.Account+`"`, `"account": "`+id+`"`))
		res, err := rt.Invoke(ctx, ev)
		if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"status":"drift"`) {
			t.Fatalf("%s: %v %v %s\n%s", id, err, res.Err, res.Payload, rt.Logs())
		}
		checkSecurityHub(t, mb, "ACTIVE")
	}
	got := hubFindings(t, central)
	slices.Sort(got)
	want := []string{memberA + " " + members[memberA].pool + " drift", memberB + " " + members[memberB].pool + " drift"}
	if !slices.Equal(got, want) {
		t.Errorf("the hub received %v, want %v", got, want)
	}

	// Each member's team corrects its pool by hand; the next sweep finds it
	// compliant and archives its Security Hub findings.
	for id, mb := range members {
		if err := mb.acct.CLI(ctx, nil, "cognito-idp", "set-user-pool-mfa-config", "--user-pool-id", mb.pool,
			"--mfa-configuration", "ON", "--software-token-mfa-configuration", "Enabled=true"); err != nil {
			t.Fatal(err)
		}
		rt := localinvoke.StartForTestIn(t, root, "SweepFunction", id, map[string]string{
			"PolicyDocument": `{"mode":"report"}`, "ExistingFindingsBusName": "findings", "EnableSecurityHub": "true"}, mb.acct.Env)
		res, err := rt.Invoke(ctx, []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
		if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"compliant":1`) {
			t.Fatalf("%s sweep: %v %v %s\n%s", id, err, res.Err, res.Payload, rt.Logs())
		}
		checkSecurityHub(t, mb, "ARCHIVED")
	}
	if got := hubFindings(t, central); !slices.Equal(got, []string{memberA + "  ", memberB + "  "}) && !slices.Equal(got, []string{memberB + "  ", memberA + "  "}) {
		t.Errorf("after the sweeps the hub received %v, want one summary from each member", got)
	}
}

// hubFindings drains the hub's queue: "account pool status" per finding,
// each from the test Region.
func hubFindings(t *testing.T, central *testbed.Bus) []string {
	t.Helper()
	events, err := central.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		var f findings.Finding
		if err := json.Unmarshal(e.Detail, &f); err != nil {
			t.Fatal(err)
		}
		if f.Region != testbed.Region {
			t.Errorf("finding from %s in region %q", f.Account, f.Region)
		}
		out = append(out, f.Account+" "+f.PoolID+" "+string(f.Status))
	}
	return out
}

// checkSecurityHub reads the member's Security Hub: the pool's two
// violations (level below the policy, TOTP not enabled), in state.
func checkSecurityHub(t *testing.T, mb *member, state string) {
	t.Helper()
	var out struct {
		Findings []struct {
			Id, AwsAccountId, RecordState, GeneratorId string
			Compliance                                 struct{ Status string }
		}
	}
	if err := mb.acct.CLI(context.Background(), &out, "securityhub", "get-findings"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range out.Findings {
		if !strings.Contains(f.Id, mb.pool) {
			continue
		}
		ids = append(ids, f.Id)
		if f.AwsAccountId != mb.acct.ID || f.RecordState != state || !strings.HasPrefix(f.GeneratorId, "cognito-mfa-enforcer/") {
			t.Errorf("Security Hub finding %+v, want %s in %s", f, state, mb.acct.ID)
		}
	}
	if len(ids) != 2 {
		t.Errorf("%s: %d Security Hub findings for the pool, want 2 (one per violation): %v", mb.acct.ID, len(ids), ids)
	}
}
