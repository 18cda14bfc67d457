package reconcile

import (
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// TestStatusRules holds every status's meaning in one table: a status
// added to the enum without a meaning would read as not drifted, not
// judged and not known everywhere.
func TestStatusRules(t *testing.T) {
	cases := []struct {
		s                                          Status
		published, retried, drifted, judged, known bool
		counted                                    bool
	}{
		{Compliant, false, false, false, true, true, true},
		{Remediated, true, false, true, true, true, true},
		{Drift, true, false, true, true, true, true},
		{Exempt, true, false, false, true, true, true},
		{Unremediable, true, false, true, true, true, true},
		{Failed, true, true, false, false, false, true},
		{Deleted, true, false, false, false, true, true},
		{Replica, true, false, false, false, false, true},
		{Ignored, true, false, false, false, true, false},
	}
	if len(cases) != len(meanings) {
		t.Fatalf("%d statuses have a meaning, %d are tested", len(meanings), len(cases))
	}
	for _, tc := range cases {
		if _, ok := meanings[tc.s]; !ok {
			t.Errorf("%s has no meaning", tc.s)
		}
		got := [5]bool{tc.s.Published(), tc.s.Retried(), tc.s.Drifted(), tc.s.Judged(), tc.s.Known()}
		if want := [5]bool{tc.published, tc.retried, tc.drifted, tc.judged, tc.known}; got != want {
			t.Errorf("%s: published, retried, drifted, judged, known = %v, want %v", tc.s, got, want)
		}
		var c Counts
		c.Add(tc.s)
		if counted := c.of(tc.s) != nil && *c.of(tc.s) == 1; counted != tc.counted || c.Checked != 1 {
			t.Errorf("%s: counted = %v (checked %d), want %v", tc.s, counted, c.Checked, tc.counted)
		}
		if c.Drifted() != map[bool]int{true: 1}[tc.drifted] {
			t.Errorf("%s: Counts.Drifted = %d", tc.s, c.Drifted())
		}
	}
	c := Counts{Compliant: 1, Remediated: 2, Drift: 4, Unremediable: 8, Failed: 16, Exempt: 32}
	if c.Drifted() != 14 {
		t.Errorf("Counts.Drifted = %d, want remediated+drift+unremediable = 14", c.Drifted())
	}
}

// TestUncorrected: a violation nothing written corrects never leaves a pool
// compliant or remediated.
func TestUncorrected(t *testing.T) {
	for s := range meanings {
		for _, mode := range []policy.Mode{policy.Enforce, policy.Report} {
			got := s.Uncorrected(mode)
			want := s
			switch {
			case s == Compliant && mode == policy.Report:
				want = Drift
			case s == Compliant, s == Remediated:
				want = Unremediable
			}
			if got != want {
				t.Errorf("%s in %s mode: %s, want %s", s, mode, got, want)
			}
		}
	}
}
