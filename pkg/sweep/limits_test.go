package sweep

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// TestProvisionedLimits: the first leg reads each category's provisioned
// limit and paces at the share of it; the next leg on the instance does
// not read again; a denied read leaves the published default in force and
// says so.
func TestProvisionedLimits(t *testing.T) {
	share := quota.Share{Percent: 50}
	t.Run("raised", func(t *testing.T) {
		f, client := fakeCognito(t)
		populate(f, 4)
		f.Provisioned = map[string]int{"UserPoolResourceRead": 40}
		rg := newRig(t, client, `{"mode":"report"}`, 0, 2)
		rg.sweeper.Limits = &Limits{Share: share, Apply: func(s quota.Share) { rg.pacer.SetShare(s, 1) }}
		rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)
		if got := rep.Limits[quota.UserPoolResourceRead]; got != (LimitReport{RPS: 40, Source: sourceProvisioned}) {
			t.Errorf("UserPoolResourceRead %+v, want 40 provisioned", got)
		}
		if got := rep.Limits[quota.UserPoolRead]; got != (LimitReport{RPS: 15, Source: sourceProvisioned}) {
			t.Errorf("UserPoolRead %+v, want the provisioned 15", got)
		}
		raised := quota.Share{Percent: 50, Limits: map[quota.Category]float64{quota.UserPoolResourceRead: 40}}
		if _, capped := rg.pacer.Rate(quota.UserPoolResourceRead); capped != raised.Rate(quota.UserPoolResourceRead, 1) {
			t.Errorf("paced at %v, want %v", capped, raised.Rate(quota.UserPoolResourceRead, 1))
		}
		if got := f.Calls("GetProvisionedLimit"); got != int64(len(Categories)) || rep.Calls[quota.LimitManagement].Calls != got {
			t.Errorf("%d limit reads (%+v counted), want one per category", got, rep.Calls)
		}
		rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", &Continuation{Started: time.Now(), Legs: 1})
		if got := f.Calls("GetProvisionedLimit"); got != int64(len(Categories)) {
			t.Errorf("%d limit reads after a second leg, want the first leg's only", got)
		}
	})
	t.Run("denied", func(t *testing.T) {
		f, client := fakeCognito(t)
		populate(f, 4)
		f.FailOp = map[string]string{"GetProvisionedLimit": "AccessDeniedException"}
		rg := newRig(t, client, `{"mode":"report"}`, 0, 2)
		rg.sweeper.Limits = &Limits{Share: share, Apply: func(s quota.Share) { rg.pacer.SetShare(s, 1) }}
		rep := rg.sweeper.Run(context.Background(), "123456789012", "us-east-1", nil)
		if got := rep.Limits[quota.UserPoolResourceRead]; got != (LimitReport{RPS: 20, Source: sourceDefault}) {
			t.Errorf("UserPoolResourceRead %+v, want the published 20", got)
		}
		if !strings.Contains(strings.Join(rep.Notes, "\n"), "GetProvisionedLimit was denied") || rep.Checked != 4 {
			t.Errorf("summary %+v", rep.Summary)
		}
	})
}
