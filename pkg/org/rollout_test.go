package org

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/pack"
)

// TestRolloutCommands runs the rollout's StackSet commands (rollout.sh,
// the README's steps) through the AWS CLI against moto: the member
// template uploaded to S3 and read from its URL (it is past the
// --template-body limit), the parameters from a JSON file (the policy is
// a JSON value, which the CLI's shorthand cannot carry), instances in an
// OU (an empty one: moto cannot deploy the member stack itself), then
// enforce mode with every other parameter kept. It also shows
// why: the shorthand the README used fails in the CLI's own parsing.
func TestRolloutCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("the SAM transform and moto: skipped with -short")
	}
	m := moto.Get(t)
	ctx := context.Background()
	dir := t.TempDir()
	tpl, _, err := pack.Template(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(tpl)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("member template: %d bytes (--template-body limit %d)", st.Size(), pack.BodyLimit)
	for _, id := range []string{"DriftFunction", "SweepFunction", "TriggerFunction"} {
		if err := os.WriteFile(filepath.Join(dir, id+".zip"), []byte("zip"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	const prefix = "acme-mfa-code"
	var root struct{ Roots []struct{ Id string } }
	var ou struct{ OrganizationalUnit struct{ Id string } }
	if err := m.CLI(ctx, nil, "organizations", "create-organization", "--feature-set", "ALL"); err != nil && !strings.Contains(err.Error(), "AlreadyInOrganization") {
		t.Fatal(err)
	}
	if err := m.CLI(ctx, &root, "organizations", "list-roots"); err != nil {
		t.Fatal(err)
	}
	if err := m.CLI(ctx, &ou, "organizations", "create-organizational-unit", "--parent-id", root.Roots[0].Id, "--name", "rollout"); err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		args := []string{"s3api", "create-bucket", "--bucket", prefix + "-" + region, "--region", region}
		if region != "us-east-1" {
			args = append(args, "--create-bucket-configuration", "LocationConstraint="+region)
		}
		if err := m.CLI(ctx, nil, args...); err != nil {
			t.Fatal(err)
		}
	}
	env := append(m.Env(), "PREFIX="+prefix, "REGIONS=us-east-1 eu-west-1", "PACKAGE="+dir, "OU_IDS="+ou.OrganizationalUnit.Id,
		"CENTRAL_BUS_ARN=arn:aws:events:us-east-1:222222222222:event-bus/cognito-mfa-enforcer-central")
	rollout := func(step string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, "bash", "rollout.sh", step)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rollout.sh %s: %v\n%s", step, err, out)
		}
	}
	type stackSet struct {
		StackSet struct {
			TemplateBody, PermissionModel string
			Parameters                    []struct{ ParameterKey, ParameterValue string }
		}
	}
	describe := func() (map[string]string, string) {
		t.Helper()
		var out stackSet
		if err := m.CLI(ctx, &out, "cloudformation", "describe-stack-set", "--stack-set-name", "cognito-mfa-enforcer"); err != nil {
			t.Fatal(err)
		}
		params := map[string]string{}
		for _, p := range out.StackSet.Parameters {
			params[p.ParameterKey] = p.ParameterValue
		}
		return params, out.StackSet.TemplateBody
	}

	rollout("upload")
	for _, key := range []string{"us-east-1/cognito-mfa-enforcer/SweepFunction.zip", "eu-west-1/cognito-mfa-enforcer/SweepFunction.zip", "us-east-1/cognito-mfa-enforcer/member.template.json"} {
		region, k, _ := strings.Cut(key, "/")
		if err := m.CLI(ctx, nil, "s3api", "head-object", "--bucket", prefix+"-"+region, "--key", k); err != nil {
			t.Errorf("not uploaded: %s: %v", key, err)
		}
	}
	rollout("create")
	params, body := describe()
	want, _ := os.ReadFile(tpl)
	if params["PolicyDocument"] != `{"mode":"report"}` || params["CodeBucketPrefix"] != prefix || params["EnableSecurityHub"] != "true" ||
		!strings.HasSuffix(params["CentralFindingsBusArn"], ":event-bus/cognito-mfa-enforcer-central") || body != string(want) {
		t.Errorf("stack set parameters %v, template of %d bytes (want %d)", params, len(body), len(want))
	}
	// The OU holds no account: moto would deploy the whole member stack
	// into each, Lambda code from S3 included, which it cannot. The
	// instances call went through the CLI's parsing and moto's checks of
	// the OU ID and Regions.

	rollout("enforce")
	enforced, _ := describe()
	if enforced["PolicyDocument"] != "{}" || enforced["CodeBucketPrefix"] != prefix || enforced["CentralFindingsBusArn"] != params["CentralFindingsBusArn"] {
		t.Errorf("after enforce: %v", enforced)
	}

	// What the README said before: the CLI refuses it before any call.
	for _, bad := range []struct{ arg, why string }{
		{`ParameterKey=PolicyDocument,ParameterValue={"mode":"report"}`, `Expected: '='`},
		{`ParameterKey=PolicyDocument,ParameterValue={}`, "Invalid type for parameter Parameters[0].ParameterValue"},
	} {
		err := m.CLI(ctx, nil, "cloudformation", "create-stack-set", "--stack-set-name", "old-readme", "--template-body", "{}", "--parameters", bad.arg)
		if err == nil || !strings.Contains(err.Error(), bad.why) {
			t.Errorf("%s: %v, want the CLI's %q", bad.arg, err, bad.why)
		}
	}
	script, _ := os.ReadFile("rollout.sh")
	for _, line := range strings.Split(string(script), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "--template-body") {
			t.Errorf("rollout.sh passes the template inline, past the limit: %s", line)
		}
	}
}
