// Package dev holds the development and test tooling: the moto test bed,
// the Cognito fakes, the local invoke harness, the demo and the template
// reader. Nothing under pkg/dev ships in a Lambda.
package dev

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cognito-mfa-enforcer/cognito-mfa-enforcer"

// TestProductDoesNotImportTooling: no function and no product package
// depends on pkg/dev (their tests may), so the layout says what ships.
func TestProductDoesNotImportTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"/functions/...", module+"/pkg/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if strings.HasPrefix(fields[0], module+"/pkg/dev") {
			continue
		}
		checked++
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, module+"/pkg/dev") {
				t.Errorf("%s depends on tooling %s", fields[0], dep)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d product packages listed; the check is broken", checked)
	}
}
