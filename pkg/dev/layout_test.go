// Package dev holds the development and test tooling: the moto test bed,
// the Cognito fakes, the local invoke harness, the demo and the template
// reader. Nothing under pkg/dev ships in a Lambda.
package dev

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// topLevel is the layout the README describes: every entry allowed at the
// top of the repository. Anything else (a binary built at the root, a stray
// script) fails TestLayout.
var topLevel = []string{
	".ci", ".gitignore", "CHANGELOG.md", "LICENSE", "Makefile", "README.md", "docs", "events",
	"functions", "go.mod", "go.sum", "pkg", "samconfig.toml", "template.yaml",
}

// maxTracked bounds a tracked file: source, docs and samples, never a build.
const maxTracked = 1 << 20

// TestLayout: the tracked files keep the README's layout (only the entries
// it names at the top) and none is over 1 MB.
func TestLayout(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 50 {
		t.Fatalf("only %d tracked files: the listing is broken", len(files))
	}
	for _, f := range files {
		top, _, _ := strings.Cut(f, "/")
		if !slices.Contains(topLevel, top) {
			t.Errorf("%s: the top level holds only %s (README, Development: Layout)", f, strings.Join(topLevel, ", "))
		}
		if info, err := os.Stat(filepath.Join("../..", f)); err == nil && info.Size() > maxTracked {
			t.Errorf("%s: %d bytes tracked; builds and binaries are not committed (at most %d)", f, info.Size(), maxTracked)
		}
	}
	for _, top := range topLevel {
		if !strings.HasPrefix(top, ".") && top != "LICENSE" && top != "README.md" && !strings.Contains(string(readme), "`"+top) {
			t.Errorf("the README's layout does not name %s", top)
		}
	}
}

// TestEveryPackageInTheLayout: docs/design.md's layout table names every
// package under pkg/ (a command under a cmd/ directory is its parent's).
func TestEveryPackageInTheLayout(t *testing.T) {
	out, err := exec.Command("go", "list", module+"/pkg/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(doc), "| package | holds |")
	table, _, _ = strings.Cut(table, "\n\n")
	for _, pkg := range strings.Fields(string(out)) {
		dir := strings.TrimPrefix(pkg, module+"/")
		if before, _, ok := strings.Cut(dir, "/cmd/"); ok {
			dir = before
		}
		if !strings.Contains(table, "`"+dir+"`") {
			t.Errorf("docs/design.md's layout table does not name %s", dir)
		}
	}
}
