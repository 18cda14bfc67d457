package sweep

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestExemptionTagsInBulk: with a tag exemption the sweep reads every
// pool's exemption tag with one GetResources per 100 tagged pools, instead
// of a DescribeUserPool per pool; only if that API is denied does it fall
// back to DescribeUserPool, and says so.
func TestExemptionTagsInBulk(t *testing.T) {
	const doc = `{"mode":"report","exemptions":{"tagKey":"mfa-policy-exempt"}}`
	cases := []struct {
		name      string
		pools     int
		failOp    string // GetResources answers this error; "": none
		tagCalls  int64
		describes func(pools, drifted int) int64
		note      string
		err       string
	}{
		{name: "in bulk", pools: 150, tagCalls: 1,
			describes: func(_, drifted int) int64 { return int64(drifted) }}, // for the sign-in policy of the pools to raise
		{name: "in bulk, more than a page of tagged pools", pools: 450, tagCalls: 2,
			describes: func(_, drifted int) int64 { return int64(drifted) }},
		{name: "denied: DescribeUserPool per pool", pools: 150, failOp: "AccessDeniedException", tagCalls: 1,
			describes: func(pools, _ int) int64 { return int64(pools) }, // the sign-in policy comes with the tags
			note:      "tag:GetResources was denied"},
		{name: "failing otherwise: the sweep stops", pools: 150, failOp: "InvalidParameterException", tagCalls: 1,
			describes: func(int, int) int64 { return 0 }, err: "read the pools tagged mfa-policy-exempt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, client := fakeCognito(t)
			drifted := populate(f, tc.pools)
			if tc.failOp != "" {
				f.FailOp = map[string]string{"GetResources": tc.failOp}
			}
			rg := newRig(t, client, doc, 1e6, 4)
			rep := rg.sweeper.Run(context.Background(), "", "", nil)
			if got := f.Calls("GetResources"); got != tc.tagCalls {
				t.Errorf("%d GetResources calls, want %d", got, tc.tagCalls)
			}
			if got, want := f.Calls("DescribeUserPool"), tc.describes(tc.pools, drifted); got != want {
				t.Errorf("%d DescribeUserPool calls, want %d", got, want)
			}
			if tc.err != "" {
				if !rep.Incomplete || !strings.Contains(rep.Error, tc.err) || rep.Checked != 0 || rep.Continuation != nil {
					t.Errorf("want the sweep stopped: %+v", rep.Summary)
				}
				return
			}
			if rep.Checked != tc.pools || rep.Exempt != tc.pools/4 || rep.Drift != drifted || rep.Incomplete {
				t.Errorf("%+v", rep.Summary)
			}
			notes := slices.DeleteFunc(rep.Notes, func(n string) bool { return n == noLedgerNote })
			if note := strings.Join(notes, "; "); tc.note == "" && note != "" || !strings.Contains(note, tc.note) {
				t.Errorf("notes %q, want %q", note, tc.note)
			}
		})
	}
}
