package pace

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

func caps(m map[quota.Category]float64) func(quota.Category) float64 {
	return func(c quota.Category) float64 { return m[c] }
}

var none = caps(nil)

// TestCategoriesAdaptAlone: throttling in one quota category slows that
// category only (multiplicative decrease), successes bring it back to its
// cap (additive climb), and calls and throttles are counted per category.
func TestCategoriesAdaptAlone(t *testing.T) {
	const reads, writes = 10.0, 20.0
	cases := []struct {
		name                string
		throttled, other    quota.Op
		wantRead, wantWrite float64
		want                map[quota.Category]Count
	}{
		{"a throttled write slows writes only", quota.SetUserPoolMfaConfig, quota.GetUserPoolMfaConfig, reads, writes * math.Pow(decrease, 4),
			map[quota.Category]Count{quota.UserPoolResourceUpdate: {Calls: 5, Throttled: 4}, quota.UserPoolResourceRead: {Calls: 1}}},
		{"a throttled read slows reads only", quota.GetUserPoolMfaConfig, quota.SetUserPoolMfaConfig, reads * math.Pow(decrease, 4), writes,
			map[quota.Category]Count{quota.UserPoolResourceRead: {Calls: 5, Throttled: 4}, quota.UserPoolResourceUpdate: {Calls: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(caps(map[quota.Category]float64{quota.UserPoolResourceRead: reads, quota.UserPoolResourceUpdate: writes}), none)
			for range 4 {
				p.Observe(tc.throttled, &types.TooManyRequestsException{})
			}
			p.Observe(tc.other, nil)
			p.Observe(tc.throttled, errors.New("some other failure")) // counted, rate unchanged
			r, _ := p.Rate(quota.UserPoolResourceRead)
			w, _ := p.Rate(quota.UserPoolResourceUpdate)
			if math.Abs(r-tc.wantRead) > 1e-9 || math.Abs(w-tc.wantWrite) > 1e-9 {
				t.Errorf("rates read %g write %g, want %g %g", r, w, tc.wantRead, tc.wantWrite)
			}
			if got := p.Counts(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("counts %v, want %v", got, tc.want)
			}
			for range 100 {
				p.Observe(tc.throttled, nil)
			}
			r, _ = p.Rate(quota.UserPoolResourceRead)
			w, _ = p.Rate(quota.UserPoolResourceUpdate)
			if r != reads || w != writes {
				t.Errorf("after successes: read %g write %g, want back at the caps", r, w)
			}
		})
	}
}

// TestSlowDownHasAFloor: sustained throttling never stops a category.
func TestSlowDownHasAFloor(t *testing.T) {
	p := New(caps(map[quota.Category]float64{quota.UserPoolRead: 8}), none)
	for range 1000 {
		p.Observe(quota.DescribeUserPool, &smithy.GenericAPIError{Code: "TooManyRequestsException"})
	}
	if r, _ := p.Rate(quota.UserPoolRead); r != 8*floor {
		t.Errorf("rate %g after sustained throttling, want the floor %g", r, 8*floor)
	}
}

// TestWaitForAWriteHoldsNoRead: a write category slowed to a crawl keeps
// writers waiting, not readers.
func TestWaitForAWriteHoldsNoRead(t *testing.T) {
	p := New(caps(map[quota.Category]float64{quota.UserPoolResourceRead: 1000, quota.UserPoolResourceUpdate: 0.1}), none) // the next write is 10 s after the first
	within := func(op quota.Op, pool string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		return p.Wait(ctx, op, pool)
	}
	if err := within(quota.SetUserPoolMfaConfig, "p1"); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := within(quota.SetUserPoolMfaConfig, "p2"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second write got its token early: %v", err)
	}
	for i := range 100 {
		if err := within(quota.GetUserPoolMfaConfig, fmt.Sprint("p", i)); err != nil {
			t.Fatalf("read %d waited behind the writes: %v", i, err)
		}
	}
}

// TestPerPoolLimit: one pool's calls of one operation are held to the
// per-pool rate while other pools, and other operations on the same pool,
// go on at the category's. The token of a wait cut short is given back.
func TestPerPoolLimit(t *testing.T) {
	p := ForFunction(quota.Share{Percent: 100}, 1) // UserPoolResourceRead: 19/s, 4.75/s per pool
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, quota.GetUserPoolMfaConfig, "hot"); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx, quota.GetUserPoolMfaConfig, "hot"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second read of one pool within 100 ms: %v (per-pool limit 5/s)", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if err := p.Wait(ctx2, quota.GetUserPoolMfaConfig, "cold"); err != nil {
		t.Errorf("another pool waited behind the hot one: %v", err)
	}
	if err := p.Wait(ctx2, quota.SetUserPoolMfaConfig, "hot"); err != nil {
		t.Errorf("another operation on the hot pool waited: %v", err)
	}
	if err := p.Wait(ctx2, quota.DescribeUserPool, "hot"); err != nil {
		t.Errorf("UserPoolRead has no per-pool limit: %v", err)
	}
}

// TestAllInstancesWithinTheShare: maxConcurrency pacers (one per instance)
// calling as fast as they may stay within the share of the category's
// quota in any one second, however it is cut (any 1 s window), from the
// first call on.
func TestAllInstancesWithinTheShare(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for two seconds: skipped with -short")
	}
	const instances, pct = 3, 50
	share := quota.Share{Percent: pct}
	var mu sync.Mutex
	var at []time.Time
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range instances {
		p := ForFunction(share, instances)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; p.Wait(ctx, quota.GetUserPoolMfaConfig, fmt.Sprint(g, "-", i)) == nil; i++ {
					mu.Lock()
					at = append(at, time.Now())
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	limit := 20 * pct / 100
	peak, first := 0, 0
	slices.SortFunc(at, time.Time.Compare)
	for i, t0 := range at {
		for t0.Sub(at[first]) >= time.Second {
			first++
		}
		peak = max(peak, i-first+1)
	}
	if peak > limit || len(at) < 10 {
		t.Errorf("%d calls in one second (of %d in all); the share allows %d", peak, len(at), limit)
	}
}

func TestIsThrottle(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&types.TooManyRequestsException{}, true},
		{fmt.Errorf("get: %w", &types.TooManyRequestsException{}), true},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&smithy.GenericAPIError{Code: "LimitExceededException"}, true}, // Security Hub
		{&types.InvalidParameterException{}, false},
		{context.DeadlineExceeded, false},
		{nil, false},
	} {
		if got := IsThrottle(tc.err); got != tc.want {
			t.Errorf("IsThrottle(%v) = %v", tc.err, got)
		}
	}
}

// TestCountsPlusMinus: Minus is the calls made between two readings, and
// a category with none is left out.
func TestCountsPlusMinus(t *testing.T) {
	before := Counts{quota.UserPoolRead: {Calls: 3, Throttled: 1}, quota.UserRead: {Calls: 2}}
	after := Counts{quota.UserPoolRead: {Calls: 5, Throttled: 1}, quota.UserRead: {Calls: 2}, quota.UserResourceUpdate: {Calls: 1}}
	got := after.Minus(before)
	want := Counts{quota.UserPoolRead: {Calls: 2}, quota.UserResourceUpdate: {Calls: 1}}
	if !maps.Equal(got, want) {
		t.Errorf("after - before = %v, want %v", got, want)
	}
	if sum := before.Plus(got); !maps.Equal(sum, Counts{quota.UserPoolRead: {Calls: 5, Throttled: 1}, quota.UserRead: {Calls: 2}, quota.UserResourceUpdate: {Calls: 1}}) {
		t.Errorf("before + (after - before) = %v, want after", sum)
	}
	if len(Counts(nil).Minus(nil)) != 0 {
		t.Error("nil - nil has calls")
	}
}

// TestSetShare: a new share reaches the categories already paced and
// those paced later.
func TestSetShare(t *testing.T) {
	p := ForFunction(quota.Share{Percent: 50}, 1)
	if err := p.Wait(context.Background(), quota.GetUserPoolMfaConfig, ""); err != nil {
		t.Fatal(err)
	}
	raised := quota.Share{Percent: 50, Limits: map[quota.Category]float64{quota.UserPoolResourceRead: 100, quota.UserPoolRead: 40}}
	p.SetShare(raised, 1)
	for _, c := range []quota.Category{quota.UserPoolResourceRead, quota.UserPoolRead} {
		if now, limit := p.Rate(c); limit != raised.Rate(c, 1) || now != limit {
			t.Errorf("%s at %v (cap %v), want %v", c, now, limit, raised.Rate(c, 1))
		}
	}
}
