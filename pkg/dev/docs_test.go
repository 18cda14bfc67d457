package dev

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
)

// The documentation: the README, the changelog and the pages under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages under docs/: %v", err)
	}
	return append([]string{"../../README.md", "../../CHANGELOG.md"}, pages...)
}

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	fence   = regexp.MustCompile("(?ms)^```.*?^```")
)

// anchor is GitHub's anchor for a heading: lower case, punctuation other
// than '-' and '_' dropped, spaces to hyphens.
func anchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func anchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(string(doc), ""), -1) {
		out[anchor(m[1])] = true
	}
	return out
}

// TestDocLinks: every relative link in the documentation names a file
// that exists and, with a #fragment, a heading of that file.
func TestDocLinks(t *testing.T) {
	links := 0
	for _, file := range docFiles(t) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(fence.ReplaceAllString(string(doc), ""), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			path, frag, _ := strings.Cut(target, "#")
			resolved := file
			if path != "" {
				resolved = filepath.Join(filepath.Dir(file), path)
				if _, err := os.Stat(resolved); err != nil {
					t.Errorf("%s: link %q: %v", file, target, err)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(resolved, ".md") && !anchors(t, resolved)[frag] {
				t.Errorf("%s: link %q: %s has no heading with anchor #%s", file, target, resolved, frag)
			}
		}
	}
	if links == 0 {
		t.Fatal("no relative links found: the documentation lost its links")
	}
}

// TestReadmeIsAFrontDoor: the README stays short; reference material
// belongs in docs/.
func TestReadmeIsAFrontDoor(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(doc), "\n"); n > 300 {
		t.Errorf("README.md has %d lines, at most 300: move reference material to docs/", n)
	}
}

// TestInvokeAsksForTheAccount: without AWS_ENDPOINT_URL, `make invoke`
// would act on the account the credentials reach; it refuses unless
// CONFIRM_AWS_ACCOUNT names that account. moto stands in for STS (through
// AWS_ENDPOINT_URL_STS, which points only the identity call at it).
func TestInvokeAsksForTheAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto")
	}
	m, err := testbed.StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "CONFIRM_AWS_ACCOUNT=") && !strings.HasPrefix(kv, "MAKEFLAGS=") {
			base = append(base, kv)
		}
	}
	base = append(base, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_STS="+m.Endpoint)
	for _, tc := range []struct {
		name  string
		env   []string
		ok    bool
		names string // in the refusal
	}{
		{name: "real AWS, not confirmed", ok: false, names: testbed.Account},
		{name: "real AWS, another account confirmed", env: []string{"CONFIRM_AWS_ACCOUNT=111122223333"}, ok: false, names: testbed.Account},
		{name: "real AWS, its account confirmed", env: []string{"CONFIRM_AWS_ACCOUNT=" + testbed.Account}, ok: true},
		{name: "a local AWS", env: []string{"AWS_ENDPOINT_URL=" + m.Endpoint}, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("make", "-s", "-C", "../..", "confirm-account")
			cmd.Env = append(slices.Clone(base), tc.env...)
			out, err := cmd.CombinedOutput()
			if tc.ok != (err == nil) {
				t.Fatalf("ok = %v, want %v: %v\n%s", err == nil, tc.ok, err, out)
			}
			if !tc.ok && !strings.Contains(string(out), "account "+tc.names) {
				t.Errorf("the refusal does not name account %s:\n%s", tc.names, out)
			}
		})
	}
}

// TestReadmeParameters: the README's table of template parameters lists
// every parameter template.yaml declares, and no other.
func TestReadmeParameters(t *testing.T) {
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Parameters map[string]yaml.Node `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "\n| parameter | default | meaning |\n")
	if !ok {
		t.Fatal("README.md has no table of parameters")
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		first := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([A-Za-z]+)`").FindAllStringSubmatch(first, -1) {
			listed[m[1]] = true
		}
	}
	for name := range tmpl.Parameters {
		if !listed[name] {
			t.Errorf("README's parameter table lacks %s", name)
		}
		delete(listed, name)
	}
	for name := range listed {
		t.Errorf("README's parameter table lists %s, which template.yaml does not declare", name)
	}
}

// TestDocsNameRealTests: every test, benchmark or fuzz target the
// documentation names as evidence exists, so no claim cites a test that
// was renamed or deleted.
func TestDocsNameRealTests(t *testing.T) {
	defined := map[string]bool{}
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz)\w+)\(`).FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, file := range docFiles(t) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("`((?:Test|Benchmark|Fuzz)[A-Z]\\w*)`").FindAllStringSubmatch(string(doc), -1) {
			named++
			if !defined[m[1]] {
				t.Errorf("%s names %s, which no test file defines", file, m[1])
			}
		}
	}
	if named == 0 {
		t.Fatal("the documentation names no test")
	}
}

// TestChangelogVersion: CHANGELOG.md's latest release is the version the
// findings carry (findings.EnforcerVersion).
func TestChangelogVersion(t *testing.T) {
	raw, err := os.ReadFile("../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^## (\S+)`).FindStringSubmatch(string(raw))
	if m == nil || m[1] != findings.EnforcerVersion {
		t.Errorf("CHANGELOG.md's latest release %v; the findings say %s", m, findings.EnforcerVersion)
	}
}

// TestQuickStartRunsInCI: every command of the README's quick start is one
// CI runs (.ci/run), so a quick start that stops working fails CI.
func TestQuickStartRunsInCI(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	_, quick, _ := strings.Cut(string(doc), "\n## Quick start\n")
	_, block, _ := strings.Cut(quick, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	commands := 0
	for _, line := range strings.Split(block, "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		if cmd = strings.TrimSpace(cmd); cmd == "" {
			continue
		}
		commands++
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cmd) + `(\s|$)`).Match(ci) {
			t.Errorf("the quick start runs %q; .ci/run does not", cmd)
		}
	}
	if commands < 3 {
		t.Errorf("%d commands in the README's quick start: the check reads nothing", commands)
	}
}
