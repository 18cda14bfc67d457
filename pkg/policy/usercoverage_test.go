package policy

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCoverageFields(t *testing.T) {
	cases := []struct {
		name, doc string
		min       float64
		window    int
		err       string
	}{
		{"defaults", `{}`, 0, DefaultCoverageWindowDays, ""},
		{"set", `{"users": {"minimumCoverage": 0.95, "coverageWindowDays": 90}}`, 0.95, 90, ""},
		{"bounds", `{"users": {"minimumCoverage": 1, "coverageWindowDays": 365}}`, 1, 365, ""},
		{"zero", `{"users": {"minimumCoverage": 0, "coverageWindowDays": 1}}`, 0, 1, ""},
		{"above one", `{"users": {"minimumCoverage": 1.5}}`, 0, 0, "users.minimumCoverage: must be a share from 0 to 1"},
		{"percent by mistake", `{"users": {"minimumCoverage": 90}}`, 0, 0, "users.minimumCoverage: must be a share from 0 to 1 (0.9 is 90%), got 90"},
		{"negative", `{"users": {"minimumCoverage": -0.1}}`, 0, 0, "users.minimumCoverage"},
		{"a string", `{"users": {"minimumCoverage": "0.9"}}`, 0, 0, "users.minimumCoverage: expected a number, got string"},
		{"window zero", `{"users": {"coverageWindowDays": 0}}`, 0, 0, "users.coverageWindowDays: must be 1 to 365 days, got 0"},
		{"window too long", `{"users": {"coverageWindowDays": 366}}`, 0, 0, "users.coverageWindowDays: must be 1 to 365 days, got 366"},
		{"window fraction", `{"users": {"coverageWindowDays": 1.5}}`, 0, 0, "users.coverageWindowDays: expected an integer"},
		{"in a profile", `{"version": 2, "default": "a", "profiles": {"a": {"users": {"minimumCoverage": 0.5, "coverageWindowDays": 7}}}}`, 0.5, 7, ""},
		{"in a profile, wrong", `{"version": 2, "default": "a", "profiles": {"a": {"users": {"coverageWindowDays": 400}}}}`, 0, 0, "profiles.a.users.coverageWindowDays"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(tc.doc)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Load = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Users.MinimumCoverage != tc.min || p.Users.CoverageWindowDays != tc.window {
				t.Errorf("users = %+v, want minimumCoverage %v, coverageWindowDays %d", p.Users, tc.min, tc.window)
			}
		})
	}
}

func TestCoverageCount(t *testing.T) {
	users := []UserMFA{
		{},
		{Enabled: []Factor{SoftwareToken}, Preferred: SoftwareToken},
		{Enabled: []Factor{SMS, SoftwareToken}},
		{Enabled: []Factor{Email}},
		{Enabled: []Factor{SoftwareToken}, PasskeyMFA: true},
	}
	var c Coverage
	for _, u := range users {
		c.Count(u)
	}
	want := FactorCounts{SoftwareToken: 3, SMS: 1, Email: 1, PasskeyMFA: 1}
	if c.ActiveUsers != 5 || c.WithMFA != 4 || c.Factors != want || c.Ratio == nil || *c.Ratio != 0.8 {
		t.Errorf("coverage = %+v (ratio %v)", c, c.Ratio)
	}
	var total Coverage
	total.Merge(c)
	total.Merge(Coverage{})
	total.Merge(c)
	if total.ActiveUsers != 10 || total.WithMFA != 8 || *total.Ratio != 0.8 || total.Factors.SoftwareToken != 6 {
		t.Errorf("merged = %+v", total)
	}
	if (Coverage{}).Ratio != nil {
		t.Error("no active user has a ratio")
	}
}

func TestEvaluateCoverage(t *testing.T) {
	cov := func(active, with int) Coverage {
		c := Coverage{ActiveUsers: active, WithMFA: with, WindowDays: 30}
		c.setRatio()
		return c
	}
	withMin := func(m float64) Policy {
		p := Default()
		p.Users.MinimumCoverage = m
		return p
	}
	cases := []struct {
		name  string
		p     Policy
		level Level
		c     Coverage
		want  bool
	}{
		{"no minimum", Default(), LevelOptional, cov(10, 0), false},
		{"below", withMin(0.9), LevelOptional, cov(10, 4), true},
		{"at the minimum", withMin(0.4), LevelOptional, cov(10, 4), false},
		{"above", withMin(0.9), LevelOn, cov(10, 10), false},
		{"nobody active", withMin(1), LevelOptional, cov(0, 0), false},
		{"below at ON", withMin(1), LevelOn, cov(3, 2), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := EvaluateCoverage(tc.p, tc.level, tc.c)
			if (len(vs) == 1) != tc.want || len(vs) > 1 {
				t.Fatalf("violations = %+v, want one: %v", vs, tc.want)
			}
			if !tc.want {
				return
			}
			v := vs[0]
			if v.Code != CodeCoverageBelowPolicy || v.Correctable || v.Reason == "" || v.Factor != "" {
				t.Errorf("violation = %+v", v)
			}
			if !strings.Contains(v.Text, "of 10 users") && !strings.Contains(v.Text, "of 3 users") {
				t.Errorf("text %q does not give the numbers", v.Text)
			}
			if tc.level != LevelOn && !strings.Contains(v.Reason, "MFA to ON") {
				t.Errorf("reason %q does not say ON would raise it", v.Reason)
			}
		})
	}
}

// TestCoverageAtOrAboveMinimumNeverViolates is the rule as a property:
// a ratio at or above the minimum never yields the violation, and one
// below always does.
func TestCoverageAtOrAboveMinimumNeverViolates(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 1))
	for range 20000 {
		active := r.IntN(2000)
		c := Coverage{ActiveUsers: active, WindowDays: 30}
		if active > 0 {
			c.WithMFA = r.IntN(active + 1)
		}
		c.setRatio()
		p := Default()
		p.Users.MinimumCoverage = float64(r.IntN(101)) / 100
		if r.IntN(4) == 0 && active > 0 {
			p.Users.MinimumCoverage = *c.Ratio // exactly at the minimum
		}
		vs := EvaluateCoverage(p, LevelOptional, c)
		below := active > 0 && p.Users.MinimumCoverage > 0 && float64(c.WithMFA) < p.Users.MinimumCoverage*float64(active)-1e-9
		atOrAbove := active == 0 || *c.Ratio >= p.Users.MinimumCoverage
		switch {
		case atOrAbove && len(vs) > 0:
			t.Fatalf("%d of %d (ratio %v) with minimum %v: violation %+v", c.WithMFA, active, *c.Ratio, p.Users.MinimumCoverage, vs)
		case below && len(vs) != 1:
			t.Fatalf("%d of %d with minimum %v: no violation", c.WithMFA, active, p.Users.MinimumCoverage)
		}
	}
}
