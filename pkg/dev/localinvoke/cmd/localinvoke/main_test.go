package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
)

const root = "../../../../.."

// TestInvokeMotoIsClean runs `make invoke-moto` as a new user would: its
// output has no ERROR line and no stray <nil>, and the finding reaches the
// bus it creates.
func TestInvokeMotoIsClean(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto")
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "MAKEFLAGS=") {
			env = append(env, kv)
		}
	}
	for _, tc := range []struct {
		function, event string
		want            string // in the output
	}{
		{"DriftFunction", "events/drift-update-user-pool.json", "moto: finding on the bus: Cognito MFA Policy Finding"},
	} {
		t.Run(tc.function, func(t *testing.T) {
			cmd := exec.Command("make", "-s", "-C", root, "invoke-moto", "FUNCTION="+tc.function, "EVENT="+tc.event)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make invoke-moto: %v\n%s", err, out)
			}
			for _, bad := range []string{"<nil>", `"level":"ERROR"`} {
				if bytes.Contains(out, []byte(bad)) {
					t.Errorf("output has %s:\n%s", bad, out)
				}
			}
			if !bytes.Contains(out, []byte(tc.want)) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestNoBus: outside -moto, the template's own bus exists only in a
// deployed stack, so it is not published to; a bus that was named is.
func TestNoBus(t *testing.T) {
	tpl, err := localinvoke.LoadTemplate(root + "/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
		note   bool
	}{
		{"the template's bus", nil, "", true},
		{"an existing bus", map[string]string{busParam: "org-findings"}, "org-findings", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := tpl.Function("DriftFunction", tc.params)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			noBus(tpl, spec.Env, &out)
			if got := spec.Env["EVENT_BUS_NAME"]; got != tc.want {
				t.Errorf("EVENT_BUS_NAME = %q, want %q", got, tc.want)
			}
			if note := strings.Contains(out.String(), "not published"); note != tc.note {
				t.Errorf("note = %v, want %v: %q", note, tc.note, out.String())
			}
		})
	}
}

// TestFill: the seeded pool and user's sub replace the samples' own, in
// an SQS message's body too, or the sign-in check refuses the message.
func TestFill(t *testing.T) {
	raw, err := os.ReadFile(root + "/events/signin-sqs-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	sb := &sandbox{pool: "us-east-1_seeded", sub: "0f0f0f0f-seeded-sub"}
	got := string(sb.fill(raw))
	for _, sample := range []string{testbed.SamplePoolID, testbed.SampleSub} {
		if strings.Contains(got, sample) {
			t.Errorf("the event still names %s", sample)
		}
	}
	for _, seeded := range []string{`\"poolId\":\"us-east-1_seeded\"`, `\"sub\":\"0f0f0f0f-seeded-sub\"`} {
		if !strings.Contains(got, seeded) {
			t.Errorf("the event lacks %s", seeded)
		}
	}
}
