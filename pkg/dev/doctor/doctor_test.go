package doctor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"1.26.8", []int{1, 26, 8}},
		{"go1.26.8", []int{1, 26, 8}},
		{"go version go1.26.8 linux/amd64", []int{1, 26, 8}},
		{"go version go1.27rc1 linux/amd64", []int{1, 27}},
		{"aws-cli/2.22.4 Python/3.12.6 Linux/6.1", []int{2, 22, 4}},
		{"Python 3.11.7", []int{3, 11, 7}},
		{"GNU Make 4.3", []int{4, 3}},
		{"SAM CLI, version 1.103.0", []int{1, 103, 0}},
		{"1.0.0.a1", []int{1, 0, 0}},
		{"5", []int{5}},
	} {
		got, err := parseVersion(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseVersion(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "no version here", "v."} {
		if got, err := parseVersion(in); err == nil {
			t.Errorf("parseVersion(%q) = %v, want an error", in, got)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.26.8", "1.26", 1},
		{"1.26", "1.26.0", 0},
		{"1.26.8", "1.26.8", 0},
		{"1.26.7", "1.26.8", -1},
		{"1.9", "1.10", -1},
		{"1.10", "1.9.9", 1},
		{"2", "1.99.99", 1},
		{"go1.25.3", "1.26.8", -1},
	} {
		a, _ := parseVersion(tc.a)
		b, _ := parseVersion(tc.b)
		if got := compareVersions(a, b); got != tc.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAtLeastOne(t *testing.T) {
	aws := []string{"1.36.9", "2.22.4"}
	for _, tc := range []struct {
		found string
		mins  []string
		want  bool
	}{
		{"1.26.8", []string{"1.26.8"}, true},
		{"1.27", []string{"1.26.8"}, true},
		{"1.26.7", []string{"1.26.8"}, false},
		{"3.9.18", []string{"3.10"}, false},
		{"3.10", []string{"3.10"}, true},
		{"4.3", nil, true},
		{"1.45.11", aws, true},
		{"1.36.8", aws, false},
		{"2.22.4", aws, true},
		{"2.10.0", aws, false}, // v2 is held to v2's minimum, not v1's
		{"3.0", aws, true},
		{"0.9", aws, false},
		{"", []string{"1.0"}, false},
	} {
		if got := atLeastOne(tc.found, tc.mins); got != tc.want {
			t.Errorf("atLeastOne(%q, %v) = %v, want %v", tc.found, tc.mins, got, tc.want)
		}
	}
}

func TestGoMin(t *testing.T) {
	dir := t.TempDir()
	mod := "module example.com/x\n\ngo 1.26.8\n\ntoolchain go1.26.9\n\nrequire golang.org/x/time v0.16.0 // go 1.20\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := GoMin(dir); err != nil || got != "1.26.8" {
		t.Errorf("GoMin = %q, %v; want 1.26.8", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := GoMin(dir); err == nil {
		t.Error("GoMin of a go.mod without a go line: no error")
	}
	if _, err := GoMin(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("GoMin without go.mod: %v", err)
	}
}

// TestTools: every tool can be checked and explained, and its minimums
// are versions.
func TestTools(t *testing.T) {
	for _, tool := range Tools("1.26.8") {
		if tool.Name == "" || len(tool.Command) == 0 || tool.NeededBy == "" || tool.Hint == "" {
			t.Errorf("%+v: a tool needs a name, a command, what needs it and a hint", tool)
		}
		for _, m := range tool.Min {
			if _, err := parseVersion(m); err != nil {
				t.Errorf("%s: minimum %q: %v", tool.Name, m, err)
			}
		}
	}
}

// fakes are shell scripts standing in for the real tools, each printing a
// version as the real one does.
func fakes() map[string]string {
	return map[string]string{
		"go":   `echo "go version go1.26.8 linux/amd64"`,
		"make": `echo "GNU Make 4.3"; echo "Built for x86_64-pc-linux-gnu"`,
		"git":  `echo "git version 2.39.5"`,
		"python3": `case "$*" in
*moto*) echo 5.2.1 ;;
*samtranslator*) echo 1.110.0 ;;
*) echo "Python 3.11.7" ;;
esac`,
		"aws":      `echo "aws-cli/2.22.4 Python/3.12.6 Linux/6.1.0 exe/x86_64.debian.12"`,
		"cfn-lint": `echo "cfn-lint 1.51.0"`,
		"sam":      `echo "SAM CLI, version 1.103.0"`,
	}
}

// pathOf writes the scripts into a new folder: the only one on the PATH
// the checks are given.
func pathOf(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineOf is the report's line for one tool: its name follows the status
// (two words when "too old").
func lineOf(t *testing.T, report, tool string) string {
	t.Helper()
	for _, line := range strings.Split(report, "\n") {
		if f := strings.Fields(line); len(f) > 2 && (f[1] == tool || f[0] == "too" && f[2] == tool) {
			return line
		}
	}
	t.Fatalf("the report has no line for %s:\n%s", tool, report)
	return ""
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(map[string]string)
		want    map[string]Status // the others are ok
		errs    []string          // named by Err; none: no error
		inLines map[string][]string
	}{
		{name: "all present", change: func(map[string]string) {}},
		{
			name: "required missing",
			change: func(f map[string]string) {
				delete(f, "cfn-lint")
				f["python3"] = `case "$*" in
*moto*) echo "ModuleNotFoundError: No module named 'moto'" >&2; exit 1 ;;
*samtranslator*) echo 1.110.0 ;;
*) echo "Python 3.11.7" ;;
esac`
			},
			want: map[string]Status{"cfn-lint": Missing, "moto[server]": Missing},
			errs: []string{"cfn-lint (missing)", "moto[server] (missing)"},
			inLines: map[string][]string{
				"cfn-lint":     {"missing", "make lint, make test", "python3 -m pip install -U cfn-lint", "not found on PATH"},
				"moto[server]": {"missing", "make test installs it when missing", "No module named 'moto'"},
			},
		},
		{
			name:    "go too old",
			change:  func(f map[string]string) { f["go"] = `echo "go version go1.25.3 linux/amd64"` },
			want:    map[string]Status{"go": TooOld},
			errs:    []string{"go (too old)"},
			inLines: map[string][]string{"go": {"too old", "1.25.3", "1.26.8", "install Go 1.26.8 or later"}},
		},
		{
			name:    "aws v2 older than v2's minimum",
			change:  func(f map[string]string) { f["aws"] = `echo "aws-cli/2.15.0 Python/3.11.6"` },
			want:    map[string]Status{"aws": TooOld},
			errs:    []string{"aws (too old)"},
			inLines: map[string][]string{"aws": {"too old", "2.15.0", "1.36.9 / 2.22.4"}},
		},
		{
			name:    "sam missing only warns",
			change:  func(f map[string]string) { delete(f, "sam") },
			want:    map[string]Status{"sam": OptionalMissing},
			inLines: map[string][]string{"sam": {"optional-missing", "aws-sam-cli"}},
		},
		{
			name:   "sam too old only warns",
			change: func(f map[string]string) { f["sam"] = `echo "SAM CLI, version 1.99.0"` },
			want:   map[string]Status{"sam": OptionalTooOld},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scripts := fakes()
			tc.change(scripts)
			c := Checker{Dir: t.TempDir(), Path: pathOf(t, scripts), Timeout: 20 * time.Second}
			report := c.Check(context.Background(), Tools("1.26.8"))
			var out strings.Builder
			if err := report.Write(&out); err != nil {
				t.Fatal(err)
			}
			text := out.String()
			if len(report) != len(Tools("1.26.8")) {
				t.Fatalf("%d results for %d tools:\n%s", len(report), len(Tools("1.26.8")), text)
			}
			for _, res := range report {
				want, ok := tc.want[res.Tool.Name]
				if !ok {
					want = OK
				}
				if res.Status != want {
					t.Errorf("%s: %s (%s), want %s", res.Tool.Name, res.Status, res.Detail, want)
				}
				if res.Status == OK && strings.Contains(lineOf(t, text, res.Tool.Name), res.Tool.Hint) {
					t.Errorf("%s is ok, yet its line has the hint", res.Tool.Name)
				}
			}
			err := report.Err()
			if len(tc.errs) == 0 {
				if err != nil {
					t.Errorf("Err = %v, want none", err)
				}
				if !strings.Contains(text, "ready: every required tool is here") {
					t.Errorf("no ready line:\n%s", text)
				}
			}
			for _, name := range tc.errs {
				if err == nil || !strings.Contains(err.Error(), name) {
					t.Errorf("Err = %v, want it to name %s", err, name)
				}
				if !strings.Contains(text, "not ready: ") {
					t.Errorf("no not-ready line:\n%s", text)
				}
			}
			for tool, parts := range tc.inLines {
				line := lineOf(t, text, tool)
				for _, part := range parts {
					if !strings.Contains(line, part) {
						t.Errorf("%s's line lacks %q:\n%s", tool, part, line)
					}
				}
			}
			if strings.Contains(text, " \n") {
				t.Errorf("trailing spaces:\n%s", text)
			}
			if t.Failed() {
				t.Logf("report:\n%s", text)
			}
		})
	}
}

// TestCheckTimeout: a tool that does not answer is reported missing after
// the timeout, not waited for.
func TestCheckTimeout(t *testing.T) {
	c := Checker{Dir: t.TempDir(), Path: pathOf(t, map[string]string{"aws": "exec /bin/sleep 30"}), Timeout: 300 * time.Millisecond}
	start := time.Now()
	report := c.Check(context.Background(), []Tool{{Name: "aws", Command: []string{"aws", "--version"}}})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the check took %s", took)
	}
	if r := report[0]; r.Status != Missing || !strings.Contains(r.Detail, "no answer within 300ms") {
		t.Errorf("a hanging tool: %s (%s)", r.Status, r.Detail)
	}
}
