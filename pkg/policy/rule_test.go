package policy

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// docRow renders r as its row in the table of codes in docs/policy.md.
func docRow(r Rule) []string {
	var notes []string
	if r.Scope == "user" {
		notes = append(notes, "user")
	}
	if r.PerFactor {
		notes = append(notes, "`factor`")
	}
	code := "`" + r.Code + "`"
	if len(notes) > 0 {
		code += " (" + strings.Join(notes, ", ") + ")"
	}
	return []string{code, r.Meaning, r.Corrected}
}

// writeRulesTable replaces the table of codes in docs/policy.md with one
// written from Rules.
func writeRulesTable(t *testing.T) {
	t.Helper()
	const path = "../../docs/policy.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, after, ok := strings.Cut(string(doc), "\n"+rulesHeading+"\n")
	if !ok {
		t.Fatalf("docs/policy.md has no heading %q", rulesHeading)
	}
	start := strings.Index(after, "\n|")
	end := start + 1
	for end < len(after) && after[end] == '|' {
		end += strings.IndexByte(after[end:], '\n') + 1
	}
	table := []string{"| code | meaning | corrected how |", "| --- | --- | --- |"}
	for _, r := range Rules {
		table = append(table, "| "+strings.Join(docRow(r), " | ")+" |")
	}
	out := before + "\n" + rulesHeading + "\n" + after[:start+1] + strings.Join(table, "\n") + "\n" + after[end:]
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// docTable returns the cells of the table under heading, header first.
func docTable(t *testing.T, heading string) [][]string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/policy.md has no heading %q", heading)
	}
	var rows [][]string
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break // the table has ended
			}
			continue // text before the table
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, cells)
	}
	return rows
}

var update = flag.Bool("update", false, "rewrite the table of codes in docs/policy.md from Rules")

const rulesHeading = "### What is checked and corrected"

// TestRulesTableDoc: the table of codes in docs/policy.md says what Rules says,
// row for row, so neither can change without the other. Each row's text is
// its rule's (rule_*.go); -update writes the table from them.
func TestRulesTableDoc(t *testing.T) {
	if *update {
		writeRulesTable(t)
	}
	rows := docTable(t, rulesHeading)
	columns := []string{"code", "meaning", "corrected how"}
	if len(rows) == 0 {
		t.Fatal("docs/policy.md has no table of codes")
	}
	if strings.Join(rows[0], "|") != strings.Join(columns, "|") {
		t.Fatalf("docs/policy.md table header is %q, want %q", rows[0], columns)
	}
	rows = rows[1:]
	seen := map[string]bool{}
	for i := 0; i < max(len(rows), len(Rules)); i++ {
		if i >= len(rows) {
			t.Errorf("docs/policy.md table lacks row %d:\n| %s |", i+1, strings.Join(docRow(Rules[i]), " | "))
			continue
		}
		if i >= len(Rules) {
			t.Errorf("docs/policy.md table row %d has no rule in Rules: %q", i+1, rows[i])
			continue
		}
		r := Rules[i]
		if seen[r.Code] {
			t.Errorf("Rules lists %s twice", r.Code)
		}
		seen[r.Code] = true
		want := docRow(r)
		if len(rows[i]) != len(want) {
			t.Errorf("docs/policy.md table row %d has %d cells, want %d: %q", i+1, len(rows[i]), len(want), rows[i])
			continue
		}
		for c := range want {
			if rows[i][c] != want[c] {
				t.Errorf("docs/policy.md table row %d (%s), column %q:\ndoc:   %s\nRules:  %s", i+1, r.Code, columns[c], rows[i][c], want[c])
			}
		}
	}
}

// TestRuleScopes: Evaluate finds exactly the pool rules and PlanUser exactly
// the user rules, so each rule's scope is true and none is unused.
func TestRuleScopes(t *testing.T) {
	found := map[string]string{}
	for _, lim := range allLimits {
		for _, p := range passkeyPolicies() {
			for _, c := range passkeyConfigs() {
				for _, v := range Evaluate(p, c, lim) {
					found[v.Code] = "pool"
				}
			}
		}
	}
	for _, p := range allPolicies() {
		for bits := range 8 {
			var u UserMFA
			for i, f := range AllFactors {
				if bits&(1<<i) != 0 {
					u.Enabled = append(u.Enabled, f)
				}
			}
			for _, pref := range append([]Factor{""}, u.Enabled...) {
				u.Preferred = pref
				_, vs := PlanUser(p, u)
				for _, v := range vs {
					found[v.Code] = "user"
				}
			}
		}
	}
	adaptive := Default()
	adaptive.Adaptive.AcceptAsOn = true
	plus := Limits{Tier: TierPlus, ThreatProtection: Enforced, Risk: &Risk{Pool: NoActions}}
	for _, v := range Evaluate(adaptive, PoolMFA{Level: LevelOptional, SoftwareToken: true}, plus) {
		found[v.Code] = "pool"
	}
	for _, v := range Decide(adaptive, PoolMFA{Level: LevelOptional, SoftwareToken: true}, plus).Risk.Violations {
		found[v.Code] = "pool"
	}
	for _, ratio := range []float64{0, 0.5, 1} {
		c := Coverage{ActiveUsers: 2, WithMFA: int(2 * ratio), WindowDays: 30}
		c.setRatio()
		p := Default()
		p.Users.MinimumCoverage = 0.9
		for _, v := range EvaluateCoverage(p, LevelOptional, c) {
			found[v.Code] = "pool"
		}
	}
	for _, r := range Rules {
		if found[r.Code] != r.Scope {
			t.Errorf("%s has scope %q but was found by the %q check", r.Code, r.Scope, found[r.Code])
		}
	}
	if len(found) != len(Rules) {
		t.Errorf("checks found %d codes, Rules lists %d: %v", len(found), len(Rules), found)
	}
}

func TestEveryRuleHasASeverity(t *testing.T) {
	for _, r := range Rules {
		if r.Severity != "LOW" && r.Severity != "MEDIUM" && r.Severity != "HIGH" {
			t.Errorf("%s: severity %q", r.Code, r.Severity)
		}
	}
	if SeverityOf(CodeLevelBelowPolicy) != "HIGH" || SeverityOf("NO_SUCH_CODE") != "MEDIUM" {
		t.Error("SeverityOf does not read the table")
	}
}
