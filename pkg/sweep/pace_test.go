package sweep

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
)

// TestPacerCategories: throttling in one quota category slows that
// category only, and the pacer counts calls and throttles per category.
func TestPacerCategories(t *testing.T) {
	const reads, writes = 10.0, 20.0
	cases := []struct {
		name                 string
		throttled            cognito.Quota
		wantRead, wantUpdate float64
		wantCalls            Calls
	}{
		{"a throttled write slows writes only", cognito.UserPoolUpdate, reads, writes * math.Pow(0.75, 4),
			Calls{UserPoolUpdate: 5, UserPoolUpdateThrottled: 4, UserPoolRead: 1}},
		{"a throttled read slows reads only", cognito.UserPoolRead, reads * math.Pow(0.75, 4), writes,
			Calls{UserPoolRead: 5, UserPoolReadThrottled: 4, UserPoolUpdate: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPacer(reads, writes)
			other := cognito.UserPoolRead
			if tc.throttled == cognito.UserPoolRead {
				other = cognito.UserPoolUpdate
			}
			for range 4 {
				p.Observe(tc.throttled, &types.TooManyRequestsException{})
			}
			p.Observe(other, nil)
			p.Observe(tc.throttled, errors.New("some other failure")) // counted, rate unchanged
			if r, u := p.rate(cognito.UserPoolRead), p.rate(cognito.UserPoolUpdate); math.Abs(r-tc.wantRead) > 1e-9 || math.Abs(u-tc.wantUpdate) > 1e-9 {
				t.Errorf("rates read %g update %g, want %g %g", r, u, tc.wantRead, tc.wantUpdate)
			}
			if got := p.Calls(); got != tc.wantCalls {
				t.Errorf("calls %+v, want %+v", got, tc.wantCalls)
			}
			for range 100 {
				p.Observe(tc.throttled, nil)
			}
			if r, u := p.rate(cognito.UserPoolRead), p.rate(cognito.UserPoolUpdate); r != reads || u != writes {
				t.Errorf("after successes: read %g update %g, want back at the caps", r, u)
			}
		})
	}
}

// TestWaitForAWriteHoldsNoRead: a write category slowed to a crawl keeps
// writers waiting, not readers; a pair waiting for its write token has not
// taken a read slot.
func TestWaitForAWriteHoldsNoRead(t *testing.T) {
	p := NewPacer(1000, 0.1) // the next write is 10 s after the first
	within := func(reads, writes int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		return p.Wait(ctx, reads, writes)
	}
	if err := within(0, 1); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := within(1, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a pair got its write token early: %v", err)
	}
	for i := range 100 {
		if err := within(1, 0); err != nil {
			t.Fatalf("read %d waited behind the writes: %v", i, err)
		}
	}
}
