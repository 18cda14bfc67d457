package template

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// overrides reads an environment's parameter_overrides from samconfig.toml.
func overrides(t *testing.T, env string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "["+env+".deploy.parameters]")
	if !ok {
		t.Fatalf("samconfig.toml has no %s.deploy.parameters", env)
	}
	section, _, _ = strings.Cut(section, "\n[")
	line := regexp.MustCompile(`(?m)^parameter_overrides = (".*")$`).FindStringSubmatch(section)
	if line == nil {
		return nil
	}
	value, err := strconv.Unquote(line[1]) // a TOML basic string: the same escapes
	if err != nil {
		t.Fatalf("%s parameter_overrides: %v", env, err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*")`).FindAllStringSubmatch(value, -1) {
		if out[m[1]], err = strconv.Unquote(m[2]); err != nil {
			t.Fatalf("%s %s: %v", env, m[1], err)
		}
	}
	return out
}

// TestFirstDeployReports: a deploy with the parameters' defaults (the
// guided path) or samconfig.toml's environments writes nothing: every
// function that reads the policy loads it in report mode. With a policy
// parameter the document is not passed (the parameter is the policy), and
// the template's rule refuses a document other than the default.
func TestFirstDeployReports(t *testing.T) {
	tpl, err := localinvoke.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	deploys := map[string]map[string]string{"parameter defaults": nil, "samconfig default": overrides(t, "default"), "samconfig prod": overrides(t, "prod")}
	for id := range functions {
		if !slices.ContainsFunc(setup.Vars[id], func(v setup.Var) bool { return v.Env == setup.PolicyVar.Env }) {
			continue
		}
		for name, params := range deploys {
			spec, err := tpl.Function(id, params)
			if err != nil {
				t.Fatal(err)
			}
			p, err := policy.Load(spec.Env[setup.PolicyVar.Env])
			if err != nil || p.Mode != policy.Report {
				t.Errorf("%s, %s: %s=%q is not report mode (%v)", id, name, setup.PolicyVar.Env, spec.Env[setup.PolicyVar.Env], err)
			}
		}
		spec, err := tpl.Function(id, map[string]string{"PolicyParameter": "/org/mfa-policy"})
		if err != nil {
			t.Fatal(err)
		}
		if got := spec.Env[setup.PolicyVar.Env]; got != "" {
			t.Errorf("%s with a policy parameter is also given the document %q", id, got)
		}
	}
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	def := tpl.Parameters["PolicyDocument"]
	if !strings.Contains(string(raw), "OnePolicySource:") || !strings.Contains(string(raw), `!Equals [!Ref PolicyDocument, '`+def+`']`) {
		t.Errorf("no rule refusing a document beside the policy parameter other than the default %s", def)
	}
}
