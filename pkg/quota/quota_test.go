package quota

import (
	"encoding/json"
	"math"
	"testing"
)

// TestTable: the operations the enforcer calls are in the categories AWS
// publishes, at AWS's rates, with the per-pool limit where footnote 3 puts
// one; every operation is in one category only.
func TestTable(t *testing.T) {
	cases := []struct {
		op         Op
		category   Category
		rps        float64
		adjustable bool
		perPool    float64
	}{
		{ListUserPools, UserPoolRead, 15, false, 0},
		{DescribeUserPool, UserPoolRead, 15, false, 0},
		{GetUserPoolMfaConfig, UserPoolResourceRead, 20, false, 5}, // not UserPoolRead
		{SetUserPoolMfaConfig, UserPoolResourceUpdate, 15, false, 5},
		{AdminGetUser, UserRead, 120, true, 0},
		{AdminSetUserMFAPreference, UserResourceUpdate, 25, false, 0},
		{"AssociateSoftwareToken", UserResourceUpdate, 25, false, 0},
		{"DescribeUserPoolClient", UserPoolClientRead, 15, false, 5},
		{"UpdateUserPoolClient", UserPoolClientUpdate, 15, false, 5},
		{BatchImportFindings, SecurityHubImport, 10, false, 0},
	}
	for _, tc := range cases {
		t.Run(string(tc.op), func(t *testing.T) {
			c, ok := Of(tc.op)
			if !ok || c != tc.category {
				t.Fatalf("%s is in %q (%v), want %s", tc.op, c, ok, tc.category)
			}
			l, _ := Lookup(c)
			if l.RPS != tc.rps || l.Adjustable != tc.adjustable || l.PerPool != tc.perPool {
				t.Errorf("%s: %g rps, adjustable %v, per pool %g; AWS publishes %g, %v, %g", c, l.RPS, l.Adjustable, l.PerPool, tc.rps, tc.adjustable, tc.perPool)
			}
		})
	}
	seen := map[Op]Category{}
	for _, l := range Table {
		if l.RPS <= 0 || len(l.Operations) == 0 || (l.Service != "cognito-idp" && l.Service != "securityhub") {
			t.Errorf("row %+v", l)
		}
		for _, op := range l.Operations {
			if c, dup := seen[op]; dup {
				t.Errorf("%s is in %s and %s", op, c, l.Category)
			}
			seen[op] = l.Category
		}
	}
	if _, ok := Of("NoSuchOperation"); ok {
		t.Error("an unknown operation has a category")
	}
	var back []Limit
	if err := json.Unmarshal([]byte(JSON()), &back); err != nil || len(back) != len(Table) || back[2].PerPool != 5 {
		t.Errorf("JSON does not round-trip: %v", err)
	}
}

// TestShare: each instance gets its part of the share, quota x share /
// maximum concurrency, in whole calls per second a little under (5%), so
// that all instances together never pass the share in any second; the
// account's own quota counts for the adjustable category only.
func TestShare(t *testing.T) {
	raised := map[Category]float64{UserRead: 300, UserPoolResourceRead: 40}
	const under = 0.95
	cases := []struct {
		name           string
		share          Share
		category       Category
		concurrency    int
		rate, poolRate float64
	}{
		{"the whole quota, one instance", Full, UserPoolResourceRead, 1, 20 * under, 5 * under},
		{"half, one instance: 7.5 is 7 whole calls", Share{Percent: 50}, UserPoolRead, 1, 7 * under, 0},
		{"half over two instances", Share{Percent: 50}, UserPoolResourceRead, 2, 5 * under, 1 * under},
		{"a tenth over two instances: under one call, kept", Share{Percent: 10}, UserPoolResourceUpdate, 2, 0.75, 0.25},
		{"a provisioned UserRead limit", Share{Percent: 50, Limits: raised}, UserRead, 4, 37 * under, 0},
		{"a provisioned UserPoolResourceRead limit", Share{Percent: 50, Limits: raised}, UserPoolResourceRead, 1, 20 * under, 2 * under},
		{"a category without one: the default", Share{Percent: 50, Limits: raised}, UserPoolRead, 1, 7 * under, 0},
		{"UserRead at AWS's default", Share{Percent: 100}, UserRead, 3, 40 * under, 0},
		{"concurrency 0 counts as 1", Share{Percent: 100}, UserResourceUpdate, 0, 25 * under, 0},
		{"share above 100 is 100", Share{Percent: 250}, SecurityHubImport, 1, 10 * under, 0},
		{"an unknown category is not paced", Full, "NoSuchCategory", 1, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.share.Rate(tc.category, tc.concurrency); math.Abs(got-tc.rate) > 1e-9 {
				t.Errorf("Rate = %g, want %g", got, tc.rate)
			}
			if got := tc.share.PoolRate(tc.category, tc.concurrency); math.Abs(got-tc.poolRate) > 1e-9 {
				t.Errorf("PoolRate = %g, want %g", got, tc.poolRate)
			}
		})
	}
	// The property: calls evenly spaced at Rate, by every instance at
	// once, put no more than the share in any one second, however it is
	// cut, even when each call arrives up to 25 ms early or late; and an
	// instance gets at least one call a second when its part is that big.
	const jitter = 0.025
	for _, l := range Table {
		for pct := 1; pct <= 100; pct++ {
			for conc := 1; conc <= 10; conc++ {
				s := Share{Percent: pct}
				share, r := l.RPS*float64(pct)/100, s.Rate(l.Category, conc)
				perInstance := 1 + math.Floor((1+2*jitter)*r-1e-9) // calls in a window of 1 s plus the jitter on both ends
				if part := share / float64(conc); part >= 1 && perInstance*float64(conc) > share+1e-9 {
					t.Fatalf("%s at %d%% over %d instances: %g calls in a second, the share is %g", l.Category, pct, conc, perInstance*float64(conc), share)
				}
				if part := share / float64(conc); part >= 1 && r < math.Floor(part)*0.95-1e-9 {
					t.Fatalf("%s at %d%% over %d instances: %g per second, under its part %g", l.Category, pct, conc, r, part)
				}
			}
		}
	}
}
