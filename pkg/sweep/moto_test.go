package sweep

import (
	"context"
	"fmt"
	"maps"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// TestSweepWithinTheShareAgainstMoto: an enforcing sweep paced at
// QUOTA_SHARE=50, behind moto throttling every category (and each
// operation on one pool) at half of AWS's quotas, is never throttled, and
// its report counts the calls moto answered in each of AWS's categories.
func TestSweepWithinTheShareAgainstMoto(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	var specs []testbed.PoolSpec
	for i := range 8 {
		switch i % 4 {
		case 0:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprint("on-", i), Level: "ON", Factors: []policy.Factor{policy.SoftwareToken}})
		case 1, 2:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprint("off-", i), Level: "OFF"})
		case 3:
			specs = append(specs, testbed.PoolSpec{Name: fmt.Sprint("exempt-", i), Level: "OFF", Tags: map[string]string{"mfa-policy-exempt": "legacy"}})
		}
	}
	ids, err := m.Seed(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := cip.NewFromConfig(cfg)
	t.Cleanup(func() { _ = m.Throttle(0) })

	// The test bed throttles: unpaced reads of one pool pass its per-pool
	// limit (5/s, half of it here) at once.
	if err := m.Throttle(0.5); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		_, _ = client.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(ids[0])})
	}
	if counts, err := m.QuotaCounts(); err != nil || counts[quota.UserPoolResourceRead].Throttled == 0 {
		t.Fatalf("moto did not throttle 6 unpaced reads of one pool: %+v %v", counts, err)
	}

	if err := m.Throttle(0.5); err != nil { // and the counters start over
		t.Fatal(err)
	}
	rg := newRig(t, client, `{"exemptions":{"tagKey":"mfa-policy-exempt"}}`, 0, 4)
	rg.use(nil, pace.ForFunction(quota.Share{Percent: 50}, setup.MaxConcurrency["SweepFunction"]), pace.SweepBackoff)
	rep := rg.sweeper.Run(ctx, testbed.Account, testbed.Region, nil)
	if rep.Checked != 8 || rep.Remediated != 4 || rep.Exempt != 2 || rep.Compliant != 2 || rep.Failed != 0 || rep.Incomplete {
		t.Fatalf("%+v", rep.Summary)
	}
	counts, err := m.QuotaCounts()
	if err != nil {
		t.Fatal(err)
	}
	for c, n := range counts {
		if n.Throttled != 0 {
			t.Errorf("%s: %d of %d calls throttled at the share", c, n.Throttled, n.Calls)
		}
	}
	if !maps.Equal(rep.Calls, counts) {
		t.Errorf("report counts %v; moto answered %v", rep.Calls, counts)
	}
	// A pool to raise costs a read, its sign-in policy, a re-read and a write.
	want := pace.Counts{quota.UserPoolRead: {Calls: 1 + 4}, quota.UserPoolResourceRead: {Calls: 8 + 4}, quota.UserPoolResourceUpdate: {Calls: 4}}
	if !maps.Equal(rep.Calls, want) {
		t.Errorf("calls %v, want %v", rep.Calls, want)
	}
	for _, id := range ids[1:3] {
		if got, err := m.GetMFA(ctx, id); err != nil || got.MfaConfiguration != "ON" {
			t.Errorf("pool %s: %+v %v", id, got, err)
		}
	}
}
