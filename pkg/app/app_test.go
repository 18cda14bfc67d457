package app

import (
	"context"
	"slices"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// TestEveryFunctionPaced: every function that calls Cognito is built with
// its pacer, at its share of every quota divided by its maximum
// concurrency, and its Cognito calls go through that pacer. A function
// missing from setup.MaxConcurrency would pace each instance at the whole
// share.
func TestEveryFunctionPaced(t *testing.T) {
	f, _ := cognitofake.StartForTest(t)
	pool := f.AddPool("paced", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
	checking := 0
	for id, vars := range setup.Vars {
		if !slices.ContainsFunc(vars, func(v setup.Var) bool { return v.Env == setup.QuotaShareVar.Env }) {
			continue // the trigger: it calls no Cognito API
		}
		checking++
		t.Run(id, func(t *testing.T) {
			n := setup.MaxConcurrency[id]
			if n < 1 {
				t.Fatalf("%s has no maximum concurrency: each instance would pace at the whole share", id)
			}
			share := quota.Share{Percent: 50}
			fn, err := Build(context.Background(), setup.Function(id), setup.Settings{Policy: policy.Default(), Share: share}, Options{Backoff: pace.CheckBackoff})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range quota.Table {
				if _, capped := fn.Pacer.Rate(l.Category); capped != share.Rate(l.Category, n) {
					t.Errorf("%s paced at %v per second, want %v (the share over %d instances)", l.Category, capped, share.Rate(l.Category, n), n)
				}
			}
			if _, err := fn.Checks.Gateway().GetMFA(context.Background(), pool); err != nil {
				t.Fatal(err)
			}
			if got := fn.Pacer.Counts()[quota.UserPoolResourceRead].Calls; got != 1 {
				t.Errorf("the gateway's read was not paced by the function's pacer: %d calls counted", got)
			}
		})
	}
	if checking < 3 {
		t.Fatalf("%d checking functions: the test tests nothing", checking)
	}
}
