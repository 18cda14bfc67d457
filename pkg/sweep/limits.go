package sweep

import (
	"context"
	"fmt"
	"slices"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Limits reads, once per sweep, the account's provisioned limit of each
// category the sweep draws on (GetProvisionedLimit: an account can raise a
// category above AWS's published default) and puts the share of them in
// force on the function's pacer. Where the call is denied or fails, the
// published default stays, and the summary says so.
type Limits struct {
	Share quota.Share       // the function's share, without provisioned limits
	Apply func(quota.Share) // puts a share in force (the pacer's SetShare)

	report map[quota.Category]LimitReport // nil: not read on this instance
}

// LimitReport is one category's limit the sweep paced at, and where it
// came from.
type LimitReport struct {
	RPS    float64 `json:"rps"`
	Source string  `json:"source"` // "provisioned", or "published default" and why
}

const (
	sourceProvisioned = "provisioned"
	sourceDefault     = "published default"
)

// refresh reads the limits at the first leg of a sweep, and at a later leg
// on an instance that has not read them, beside the leg's checks (which go
// on at the published defaults, never above an account's limits, until
// the limits are in force); wait returns what is in force, noting in c
// where a default stayed.
func (l *Limits) refresh(ctx context.Context, gw *cognito.Gateway, first bool) (wait func(c *Continuation) map[quota.Category]LimitReport) {
	if l == nil {
		return func(*Continuation) map[quota.Category]LimitReport { return nil }
	}
	if l.report != nil && !first {
		return func(*Continuation) map[quota.Category]LimitReport { return l.report }
	}
	done := make(chan struct{})
	var notes []string
	go func() {
		defer close(done)
		share := quota.Share{Percent: l.Share.Percent, Limits: map[quota.Category]float64{}}
		report := map[quota.Category]LimitReport{}
		for _, cat := range Categories {
			rps, err := gw.ProvisionedLimit(ctx, cat)
			if err != nil {
				report[cat] = LimitReport{RPS: l.Share.Quota(cat), Source: sourceDefault}
				why := "GetProvisionedLimit failed: " + err.Error()
				if cognito.IsAccessDenied(err) {
					why = "GetProvisionedLimit was denied: grant cognito-idp:GetProvisionedLimit to the sweep's role"
				}
				notes = append(notes, fmt.Sprintf("%s paced at AWS's published default (%g per second): %s", cat, report[cat].RPS, why))
				continue
			}
			share.Limits[cat] = rps
			report[cat] = LimitReport{RPS: rps, Source: sourceProvisioned}
		}
		l.Apply(share)
		l.report = report
	}()
	return func(c *Continuation) map[quota.Category]LimitReport {
		<-done
		for _, n := range notes {
			note(c, n)
		}
		return l.report
	}
}

// limitList renders limits in the order of Categories, for logs.
func limitList(r map[quota.Category]LimitReport) []string {
	var out []string
	for _, c := range Categories {
		if l, ok := r[c]; ok {
			out = append(out, fmt.Sprintf("%s %g (%s)", c, l.RPS, l.Source))
		}
	}
	return slices.Clip(out)
}
