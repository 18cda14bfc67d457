package pace

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// bucket is the sweep's own token arithmetic that this package replaced,
// kept as the baseline the benchmarks measure against.
type bucket struct {
	mu   sync.Mutex
	rate float64
	next time.Time
}

func (b *bucket) wait(ctx context.Context) error {
	b.mu.Lock()
	now := time.Now()
	at := b.next
	if at.Before(now) {
		at = now
	}
	b.next = at.Add(time.Duration(float64(time.Second) / b.rate))
	b.mu.Unlock()
	return Sleep(ctx, time.Until(at))
}

// BenchmarkWaitOverhead: the cost of one Wait when the cap is never
// reached, from 8 goroutines, for the old bucket and the pacer (with its
// per-pool limiter) side by side. Goal: pacer/bucket small against a
// Cognito round trip (tens of ms).
func BenchmarkWaitOverhead(b *testing.B) {
	ctx := context.Background()
	var old, paced time.Duration
	for b.Loop() {
		const calls = 20000
		run := func(wait func(i int)) time.Duration {
			t0 := time.Now()
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := g; i < calls; i += 8 {
						wait(i)
					}
				}()
			}
			wg.Wait()
			return time.Since(t0) / calls
		}
		bk := &bucket{rate: 1e12}
		old += run(func(int) { _ = bk.wait(ctx) })
		p := New(func(quota.Category) float64 { return 1e12 }, func(quota.Category) float64 { return 1e12 })
		pools := []string{"a", "b", "c", "d"}
		paced += run(func(i int) { _ = p.Wait(ctx, quota.GetUserPoolMfaConfig, pools[i%4]) })
	}
	b.ReportMetric(float64(old.Nanoseconds())/float64(b.N), "bucket-ns/wait")
	b.ReportMetric(float64(paced.Nanoseconds())/float64(b.N), "pacer-ns/wait")
	b.ReportMetric(float64(paced)/float64(old), "pacer/bucket")
}

// BenchmarkAchievedRate: calls achieved in one second at a cap of 50 per
// second from 4 goroutines, old bucket and pacer side by side, each as a
// fraction of the cap. Goal: both close to 1, the pacer not below the
// bucket.
func BenchmarkAchievedRate(b *testing.B) {
	const rate = 50.0
	var old, paced int
	for b.Loop() {
		count := func(wait func(context.Context) error) int {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			var mu sync.Mutex
			n := 0
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for wait(ctx) == nil {
						mu.Lock()
						n++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return n
		}
		bk := &bucket{rate: rate}
		old += count(bk.wait)
		p := New(func(quota.Category) float64 { return rate }, none)
		paced += count(func(ctx context.Context) error { return p.Wait(ctx, quota.DescribeUserPool, "") })
	}
	b.ReportMetric(float64(old)/float64(b.N)/rate, "bucket/cap")
	b.ReportMetric(float64(paced)/float64(b.N)/rate, "pacer/cap")
	b.ReportMetric(float64(paced)/float64(old), "pacer/bucket")
}
