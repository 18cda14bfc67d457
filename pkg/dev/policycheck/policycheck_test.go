package policycheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

const root = "../../.."

func loadTemplate(t *testing.T) *localinvoke.Template {
	t.Helper()
	tpl, err := localinvoke.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestCheck(t *testing.T) {
	tpl := loadTemplate(t)
	for _, tc := range []struct {
		name      string
		doc       string
		parameter bool
		wantOut   string
		wantErr   string
	}{
		{"valid", `{"mode":"report"}`, false, `p.json: valid, 17 bytes: fits a Standard or Advanced SSM parameter`, ""},
		{"defaults shown", `{}`, false, `"mfaConfiguration":"ON"`, ""},
		{"field named", `{"factors":{"sms":"mandatory"}}`, false, "", `p.json: policy: factors.sms: "mandatory" is not one of required, allowed, forbidden`},
		{"case of a key", `{"Mode":"report"}`, false, "", `p.json: policy: Mode: unknown field "Mode" (did you mean "mode"?`},
		{"empty file refused", ``, false, "", "p.json: policy: the document is blank"},
		{"blank file refused", " \n\t", false, "", "p.json: policy: the document is blank"},
		{"over 4 KB, inline", `{"exemptions":{"poolIds":[` + pools(200) + `]}}`, false, "", "too large for MFA_POLICY"},
		{"over 4 KB, as the parameter", `{"exemptions":{"poolIds":[` + pools(200) + `]}}`, true, "needs an Advanced-tier SSM parameter", ""},
		{"over 4 KB, noted as the parameter", `{"exemptions":{"poolIds":[` + pools(200) + `]}}`, true, "too large for MFA_POLICY, fine as the parameter", ""},
		{"over 8 KB", `{"exemptions":{"poolIds":[` + pools(400) + `]}}`, true, "", "larger than an SSM parameter holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Check(&out, "p.json", []byte(tc.doc), Options{Template: tpl, Parameter: tc.parameter})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("Check = %v, %q; want %q", err, out.String(), tc.wantOut)
			}
		})
	}
}

// TestEnvironmentLimit: the 4 KB is the whole environment's. The expected
// numbers come from the template: each function's environment without a
// policy, plus the policy as Lambda measures it (JSON-escaped).
func TestEnvironmentLimit(t *testing.T) {
	tpl := loadTemplate(t)
	base, err := Environments(tpl, "")
	if err != nil {
		t.Fatal(err)
	}
	largest := base[0] // the function a growing policy overflows first
	room := LambdaEnvironmentMax - largest.Total
	grows := func(doc string) int {
		escaped, _ := json.Marshal(doc)
		return len(escaped) - len(`""`)
	}
	// padded is a valid policy that grows the environment by n bytes.
	padded := func(n int) string {
		doc := `{"mode":"report"}`
		return doc[:len(doc)-1] + strings.Repeat(" ", n-grows(doc)) + "}"
	}
	// quoted is the smallest list of exempt pools that overflows: its
	// bytes alone would fit, its escaped quotes do not.
	quoted := func(n int) string { return `{"exemptions":{"poolIds":[` + pools(n) + `]}}` }
	n := 1
	for grows(quoted(n)) <= room {
		n++
	}
	if len(quoted(n)) > room {
		t.Fatalf("%d pools take %d bytes unescaped, more than the %d to spare", n, len(quoted(n)), room)
	}
	for _, tc := range []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{"fits", `{"mode":"report","exemptions":{"tagKey":"mfa-policy-exempt"}}`, false},
		{"the environment exactly 4096 bytes", padded(room), false},
		{"fits alone under 4 KB, not in the environment", padded(room + 1), true},
		{"quotes count twice", quoted(n), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.doc) >= StandardParameterMax {
				t.Fatalf("the case's policy alone is %d bytes: it must fit 4 KB by itself", len(tc.doc))
			}
			total := largest.Total + grows(tc.doc)
			var out bytes.Buffer
			err := Check(&out, "p.json", []byte(tc.doc), Options{Template: tpl})
			if tc.wantErr {
				want := fmt.Sprintf("%s's environment would be %d bytes, over Lambda's 4096 for all its variables together; the policy takes %d",
					largest.Function, total, grows(tc.doc))
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("Check = %v, want an error with %q", err, want)
				}
				return
			}
			want := fmt.Sprintf("the largest environment is %s's, %d of Lambda's 4096 bytes (the policy takes %d): %d bytes to spare",
				largest.Function, total, grows(tc.doc), LambdaEnvironmentMax-total)
			if err != nil || !strings.Contains(out.String(), want) {
				t.Errorf("Check = %v, %q; want %q", err, out.String(), want)
			}
		})
	}
}

// TestEnvironments: every function that reads MFA_POLICY is sized, largest
// first, each larger than the harness's own environment (whose stand-ins
// for the stack's names are shorter than any deploy's).
func TestEnvironments(t *testing.T) {
	tpl := loadTemplate(t)
	doc := `{"mode":"report"}`
	envs, err := Environments(tpl, doc)
	if err != nil {
		t.Fatal(err)
	}
	var readers []string
	for fn, vars := range setup.Vars {
		for _, v := range vars {
			if v.Env == setup.PolicyVar.Env {
				readers = append(readers, fn)
			}
		}
	}
	if len(envs) != len(readers) {
		t.Fatalf("sized %v, want every function that reads %s: %v", envs, setup.PolicyVar.Env, readers)
	}
	for i, e := range envs {
		if i > 0 && e.Total > envs[i-1].Total {
			t.Errorf("not largest first: %v", envs)
		}
		spec, err := tpl.Function(e.Function, map[string]string{setup.PolicyVar.Param: doc})
		if err != nil {
			t.Fatal(err)
		}
		local, _ := json.Marshal(spec.Env)
		if e.Total <= len(local) {
			t.Errorf("%s: %d bytes, no more than the harness's %d: the stack's names are not bounded", e.Function, e.Total, len(local))
		}
	}
}

// TestDeployedBounds: each bound holds a long real value, from a StackSet
// instance (the stack names rollout.sh's StackSet makes are 66
// characters) in the Region and partition with the longest names.
func TestDeployedBounds(t *testing.T) {
	tpl := loadTemplate(t)
	stack := "StackSet-cognito-mfa-enforcer-0f8fad5b-d9cb-469f-a165-70867728950e"
	for _, tc := range []struct {
		id, attr string
		real     string
	}{
		{"SignInDeadLetterQueue", "", "https://sqs.ap-southeast-5.amazonaws.com/123456789012/" + (stack + "-SignInDeadLetterQueue-1AB2C3D4E5F6G")[:80]},
		{"CoverageTable", "", stack + "-CoverageTable-1AB2C3D4E5F6G"},
		{"FindingsBus", "", stack + "-findings"},
		{"DriftFunctionRole", "Arn", "arn:aws-us-gov:iam::123456789012:role/" + (stack + "-DriftFunctionRole-1AB2C3D4E5F6G")[:64]},
	} {
		t.Run(tc.id, func(t *testing.T) {
			n, err := deployedLen(tpl, tc.id, tc.attr)
			if err != nil || n < len(tc.real) {
				t.Errorf("deployedLen = %d, %v; want at least %d (%s)", n, err, len(tc.real), tc.real)
			}
		})
	}
	if _, err := deployedLen(tpl, "Dashboard", ""); err == nil || !strings.Contains(err.Error(), "no bound") {
		t.Errorf("a reference with no bound: %v, want an error naming it", err)
	}
}

// TestExample: docs/examples/policy.json, the policy the README starts
// from, is accepted and reports only.
func TestExample(t *testing.T) {
	path := filepath.Join(root, "docs/examples/policy.json")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Check(&out, path, doc, Options{Template: loadTemplate(t)}); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != policy.Report {
		t.Errorf("mode %q, want %q: a first policy writes nothing", p.Mode, policy.Report)
	}
	for name, prof := range p.Profiles {
		if prof.Mode != policy.Report {
			t.Errorf("profile %s: mode %q, want %q", name, prof.Mode, policy.Report)
		}
	}
}

// pools returns n quoted pool IDs, 21 bytes each with the comma.
func pools(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = `"us-east-1_Pool` + strings.Repeat("x", 4) + `"`
	}
	return strings.Join(ids, ",")
}
