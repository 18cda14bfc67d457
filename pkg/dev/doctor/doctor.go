// Package doctor checks the prerequisites of this repository in one run:
// every tool a make target or the tests call, its version against the
// minimum the repository needs, and how to install what is missing.
package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Tool is one prerequisite and how to check it.
type Tool struct {
	Name     string
	NeededBy string   // the targets and commands that need it
	Command  []string // prints the version; fails when the tool is missing
	// Min holds the lowest version accepted, one per major version where
	// majors differ (the AWS CLI's v1 and v2); empty when any will do.
	Min      []string
	Optional bool   // missing or too old is only a warning
	Hint     string // one line: how to install it
}

// Tools is what this repository needs; goMin is go.mod's go line.
func Tools(goMin string) []Tool {
	const importMoto = "import moto, moto.server, werkzeug; print(moto.__version__)"
	const importSAM = "import samtranslator; print(samtranslator.__version__)"
	return []Tool{
		{Name: "go", NeededBy: "everything (go.mod's go line)", Command: []string{"go", "version"}, Min: []string{goMin},
			Hint: "install Go " + goMin + " or later: https://go.dev/dl/"},
		{Name: "make", NeededBy: "every make target; sam build (BuildMethod: makefile)", Command: []string{"make", "--version"},
			Hint: "install GNU make (Debian: apt-get install make; macOS: xcode-select --install)"},
		{Name: "git", NeededBy: "make lint (gofmt over git ls-files)", Command: []string{"git", "--version"},
			Hint: "install git (Debian: apt-get install git)"},
		// moto 5.2 and today's cfn-lint need Python 3.10.
		{Name: "python3", NeededBy: "make test, make demo (moto, SAM transform, cfn-lint)", Command: []string{"python3", "--version"}, Min: []string{"3.10"},
			Hint: "install Python 3.10 or later as python3, with pip"},
		// pkg/dev/testbed/moto_launcher.py patches moto 5.2's internals.
		{Name: "moto[server]", NeededBy: "make test, make demo, make demo-org, make invoke-moto", Command: []string{"python3", "-c", importMoto}, Min: []string{"5.2"},
			Hint: "python3 -m pip install -U 'moto[server]' (make test installs it when missing, but does not upgrade it)"},
		// The tests create pools with UserPoolTier and SignInPolicy
		// (cognito-idp, 2024-11-22): AWS CLI 1.36.9 and 2.22.4 know them.
		{Name: "aws", NeededBy: "make test, make demo (the tests' independent client), make invoke", Command: []string{"aws", "--version"}, Min: []string{"1.36.9", "2.22.4"},
			Hint: "python3 -m pip install -U awscli, or install AWS CLI v2"},
		// The packaged template's test expects cfn-lint 1.x's wording of W3037.
		{Name: "cfn-lint", NeededBy: "make lint, make test", Command: []string{"cfn-lint", "--version"}, Min: []string{"1.0"},
			Hint: "python3 -m pip install -U cfn-lint"},
		// SAM's LoggingConfig on AWS::Serverless::Function came in 1.80.0.
		{Name: "samtranslator", NeededBy: "make test (template tests), make package", Command: []string{"python3", "-c", importSAM}, Min: []string{"1.80.0"},
			Hint: "installed with cfn-lint; else python3 -m pip install -U aws-sam-translator"},
		// SAM CLI 1.103.0 is the first to bundle samtranslator 1.80.0.
		{Name: "sam", NeededBy: "sam build, sam deploy; make invoke (uses the local harness without it)", Command: []string{"sam", "--version"}, Min: []string{"1.103.0"},
			Optional: true, Hint: "python3 -m pip install -U aws-sam-cli, or the AWS SAM CLI installer"},
	}
}

var goLine = regexp.MustCompile(`(?m)^go[ \t]+(\S+)[ \t]*$`)

// GoMin reads the go line of dir/go.mod.
func GoMin(dir string) (string, error) {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read go.mod (run from the repository root): %w", err)
	}
	m := goLine.FindSubmatch(mod)
	if m == nil {
		return "", fmt.Errorf("go.mod in %s has no go line", dir)
	}
	return string(m[1]), nil
}

// Status is the outcome of one check.
type Status string

const (
	OK              Status = "ok"
	Missing         Status = "missing"
	TooOld          Status = "too old"
	OptionalMissing Status = "optional-missing"
	OptionalTooOld  Status = "optional-too-old"
)

// Result is one tool's check.
type Result struct {
	Tool   Tool
	Status Status
	Found  string // the version found; "" when missing
	Detail string // why it is not ok
}

// Checker runs the checks.
type Checker struct {
	Dir     string        // where the commands run: the repository root
	Path    string        // searched for the commands, and passed on as PATH
	Timeout time.Duration // for each command
}

// Check checks every tool, all of them whatever fails.
func (c Checker) Check(ctx context.Context, tools []Tool) Report {
	report := make(Report, len(tools))
	var wg sync.WaitGroup
	for i, t := range tools {
		wg.Go(func() { report[i] = c.check(ctx, t) })
	}
	wg.Wait()
	return report
}

func (c Checker) check(ctx context.Context, t Tool) Result {
	r := Result{Tool: t}
	out, err := c.run(ctx, t.Command)
	if err == nil {
		r.Found = firstVersion.FindString(out)
		if r.Found == "" {
			err = fmt.Errorf("no version in %q", firstLine(out))
		}
	}
	switch {
	case err != nil:
		r.Status, r.Detail = Missing, err.Error()
	case !atLeastOne(r.Found, t.Min):
		r.Status = TooOld
	default:
		r.Status = OK
	}
	if t.Optional {
		switch r.Status {
		case Missing:
			r.Status = OptionalMissing
		case TooOld:
			r.Status = OptionalTooOld
		}
	}
	return r
}

// run runs a command found on c.Path and returns its output, stdout first.
func (c Checker) run(ctx context.Context, command []string) (string, error) {
	bin, err := lookPath(command[0], c.Path)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, command[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "PATH="+c.Path)
	cmd.WaitDelay = time.Second // a child left holding the output does not hold the check
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return "", fmt.Errorf("%s: no answer within %s", command[0], c.Timeout)
	}
	if err != nil {
		if msg := lastLine(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return "", fmt.Errorf("%s: %w", command[0], err)
	}
	return stdout.String() + "\n" + stderr.String(), nil
}

// lookPath finds name in a PATH list, as exec.LookPath does in the
// process's own PATH.
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		bin := filepath.Join(dir, name)
		if info, err := os.Stat(bin); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return bin, nil
		}
	}
	return "", fmt.Errorf("%s: not found on PATH", name)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// firstVersion is the first dotted number in a tool's output.
var firstVersion = regexp.MustCompile(`\d+(\.\d+)*`)

// parseVersion reads the first dotted number in s: "go1.26.8" is [1 26 8].
func parseVersion(s string) ([]int, error) {
	m := firstVersion.FindString(s)
	if m == "" {
		return nil, fmt.Errorf("no version in %q", s)
	}
	var v []int
	for _, part := range strings.Split(m, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("version %q: %w", s, err)
		}
		v = append(v, n)
	}
	return v, nil
}

// compareVersions orders two versions part by part; a missing part is 0,
// so 1.26 equals 1.26.0.
func compareVersions(a, b []int) int {
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// atLeastOne reports whether found meets mins: the minimum of its own
// major version or, with none, the lowest (a later major passes). Every
// version meets an empty mins; an unreadable one meets none.
func atLeastOne(found string, mins []string) bool {
	if len(mins) == 0 {
		return true
	}
	v, err := parseVersion(found)
	if err != nil {
		return false
	}
	var lowest []int
	for _, s := range mins {
		m, err := parseVersion(s)
		if err != nil {
			return false
		}
		if m[0] == v[0] {
			return compareVersions(v, m) >= 0
		}
		if lowest == nil || compareVersions(m, lowest) < 0 {
			lowest = m
		}
	}
	return compareVersions(v, lowest) >= 0
}

// Report is the checks of every tool, in the order given.
type Report []Result

// Write prints one line per tool (the hint where it is not ok), then what
// only warns and whether every required tool is here.
func (r Report) Write(w io.Writer) error {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tTOOL\tFOUND\tMINIMUM\tNEEDED BY\tTO FIX")
	var warn []string
	for _, res := range r {
		fix := ""
		if res.Status != OK {
			fix = res.Tool.Hint
			if res.Detail != "" {
				fix += " [" + res.Detail + "]"
			}
		}
		if res.Status == OptionalMissing || res.Status == OptionalTooOld {
			warn = append(warn, res.Tool.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", res.Status, res.Tool.Name, dash(res.Found), dash(strings.Join(res.Tool.Min, " / ")), res.Tool.NeededBy, fix)
	}
	if len(warn) > 0 {
		fmt.Fprintln(tw, "warning: optional, missing or too old:", strings.Join(warn, ", "))
	}
	summary := "ready: every required tool is here"
	if err := r.Err(); err != nil {
		summary = "not ready: " + err.Error()
	}
	fmt.Fprintln(tw, summary)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	// An ok line's empty TO FIX column leaves padding behind it.
	if _, err := io.WriteString(w, trailingSpace.ReplaceAllString(table.String(), "")); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

var trailingSpace = regexp.MustCompile(`(?m) +$`)

// Err names the required tools missing or too old; nil when there are none.
func (r Report) Err() error {
	var bad []string
	for _, res := range r {
		if res.Status == Missing || res.Status == TooOld {
			bad = append(bad, res.Tool.Name+" ("+string(res.Status)+")")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New("required, missing or too old: " + strings.Join(bad, ", "))
}

// dash stands in for an empty column.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
