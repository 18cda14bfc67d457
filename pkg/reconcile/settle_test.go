package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// TestSettle settles write attempts from tables, without I/O.
func TestSettle(t *testing.T) {
	p := policy.Default()
	off := policy.PoolMFA{Level: policy.LevelOff}
	on := policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true}
	optional := policy.PoolMFA{Level: policy.LevelOptional, SoftwareToken: true}
	first := policy.Decide(p, off, policy.Limits{})
	refused := &types.InvalidParameterException{Message: aws.String("MFA can't be ON")}
	cases := []struct {
		name       string
		w          write
		status     Status
		msgContain string
		changes    int // len(Changes)
		concurrent int // len(ConcurrentChanges)
		stored     int // len(StoredDifferently)
		correct    bool
	}{
		{name: "plan accepted", w: write{first: first, read: first, wrote: true, sent: on, stored: on},
			status: Remediated, changes: 2, correct: true},
		{name: "fallback accepted after a refusal", w: write{first: first, read: first, wrote: true, sent: optional, stored: optional, refusals: []string{"MFA can't be ON"}},
			status: Unremediable, msgContain: "Cognito refused the full correction: MFA can't be ON", changes: 2},
		{name: "stored differently", w: write{first: first, read: first, wrote: true, sent: on, stored: optional},
			status: Unremediable, msgContain: "Cognito stored a different configuration than sent", changes: 2, stored: 1},
		{name: "last correction refused", w: write{first: first, read: first, wrote: true, sent: on, step: stepWrite, err: refused, refusals: []string{"MFA can't be ON"}},
			status: Unremediable, msgContain: "Cognito refused every correction: MFA can't be ON"},
		{name: "re-read failed", w: write{first: first, read: first, step: stepRead, err: errors.New("boom")},
			status: Failed, msgContain: "re-read MFA config for us-east-1_Pool1: boom", correct: true},
		{name: "pool deleted before the write", w: write{first: first, read: first, wrote: true, sent: on, step: stepWrite, err: &types.ResourceNotFoundException{}},
			status: Deleted, correct: true},
		{name: "someone else corrected it first", w: write{first: first, read: policy.Decide(p, on, policy.Limits{})},
			status: Compliant, msgContain: "now complies: nothing written", concurrent: 2, correct: true},
		{name: "nothing left to write after refusals", w: write{first: first, read: policy.Decide(p, policy.PoolMFA{Level: policy.LevelOff, SoftwareToken: true}, policy.Limits{}), refusals: []string{"no"}},
			status: Unremediable, msgContain: "Cognito refused every correction: no", concurrent: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := settle(Result{PoolID: pool}, tc.w)
			if res.Status != tc.status {
				t.Fatalf("status = %s (%s), want %s", res.Status, res.Message, tc.status)
			}
			if !strings.Contains(res.Message, tc.msgContain) {
				t.Errorf("message %q lacks %q", res.Message, tc.msgContain)
			}
			if len(res.Changes) != tc.changes || len(res.ConcurrentChanges) != tc.concurrent || len(res.StoredDifferently) != tc.stored {
				t.Errorf("changes %v, concurrent %v, stored differently %v; want %d, %d, %d", res.Changes, res.ConcurrentChanges, res.StoredDifferently, tc.changes, tc.concurrent, tc.stored)
			}
			if res.Before == nil || !policy.Equal(*res.Before, tc.w.read.Observed) {
				t.Errorf("before = %+v, want the state the write was planned from", res.Before)
			}
			if tc.w.wrote && tc.w.err == nil && (res.After == nil || !policy.Equal(*res.After, tc.w.stored)) {
				t.Errorf("after = %+v, want what Cognito stored", res.After)
			}
			allCorrected := len(res.Violations) > 0
			for _, v := range res.Violations {
				allCorrected = allCorrected && v.Correctable
			}
			if tc.status != Compliant && allCorrected != tc.correct {
				t.Errorf("violations %+v: all corrected = %v, want %v", res.Violations, allCorrected, tc.correct)
			}
		})
	}
}

// TestOneDecisionPerRead counts the decisions of an OFF-to-ON correction:
// one on each state read (the first read, the re-read before the write,
// what Cognito stored).
func TestOneDecisionPerRead(t *testing.T) {
	count := 0
	decide = func(p policy.Policy, c policy.PoolMFA, lim policy.Limits) policy.Decision {
		count++
		return policy.Decide(p, c, lim)
	}
	t.Cleanup(func() { decide = policy.Decide })
	f := fakes.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	r, _ := reconciler(t, f, "")
	if res := r.Reconcile(context.Background(), pool); res.Status != Remediated {
		t.Fatalf("status = %s (%s)", res.Status, res.Message)
	}
	if reads := strings.Count(strings.Join(f.Calls, " "), "Get") + len(f.Sets); count != reads {
		t.Errorf("%d decisions for %d reads (%v)", count, reads, f.Calls)
	}
}
