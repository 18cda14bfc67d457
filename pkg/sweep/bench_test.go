package sweep

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
)

const (
	benchLatency     = 5 * time.Millisecond // per Cognito call, as over a network
	benchConcurrency = 4                    // the SweepFunction default
)

// bareGets is the floor: one GetUserPoolMfaConfig per pool at the same
// concurrency, with no listing, pacing, evaluation or publishing.
func bareGets(client *cip.Client, ids []string) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(ids)); i = next.Add(1) - 1 {
				_, _ = client.GetUserPoolMfaConfig(context.Background(), &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(ids[i])})
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSweepVsBareGets runs the sweep and the floor side by side over
// the same compliant pools and reports both rates and their ratio.
func BenchmarkSweepVsBareGets(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("pools=%d", n), func(b *testing.B) {
			f, client := fakeCognito(b)
			f.Latency = benchLatency
			ids := make([]string, n)
			for i := range ids {
				ids[i] = f.AddPool("p", nil, onTOTP)
			}
			rg := newRig(b, client, ``, 1e6, benchConcurrency) // no effective cap: measure overhead
			b.ReportAllocs()
			var bare, swept time.Duration
			for b.Loop() {
				t0 := time.Now()
				bareGets(client, ids)
				bare += time.Since(t0)
				t0 = time.Now()
				rep := rg.sweeper.Run(context.Background(), "", "")
				swept += time.Since(t0)
				if rep.Compliant != n {
					b.Fatalf("%+v", rep.Summary)
				}
			}
			bareRate := float64(n*b.N) / bare.Seconds()
			sweepRate := float64(n*b.N) / swept.Seconds()
			b.ReportMetric(bareRate, "bare-pools/s")
			b.ReportMetric(sweepRate, "sweep-pools/s")
			b.ReportMetric(sweepRate/bareRate, "sweep/bare")
		})
	}
}

// BenchmarkSweepUnderThrottling measures the achieved Cognito call rate
// against the cap when the server allows less than the cap (sustained
// throttling) or throttles at random. Failed pools must stay 0.
func BenchmarkSweepUnderThrottling(b *testing.B) {
	const n, capRate = 1000, 200.0
	cases := []struct {
		name         string
		serverRate   float64
		throttleProb float64
	}{
		{"server=cap*1.5", capRate * 1.5, 0},
		{"server=cap/2", capRate / 2, 0},
		{"random=5%", 0, 0.05},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f, client := fakeCognito(b)
			for range n {
				f.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
			}
			var calls, failed, throttled int64
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				f.ThrottleRate, f.ThrottleProb = 0, 0
				for _, id := range allIDs(b, client) { // reset drift between runs
					_, _ = client.SetUserPoolMfaConfig(context.Background(), &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(id), MfaConfiguration: "OFF"})
				}
				f.ResetCounters()
				f.ThrottleRate, f.ThrottleProb = tc.serverRate, tc.throttleProb
				rg := newRig(b, client, ``, capRate, benchConcurrency)
				rg.sweeper.Reconciler.Backoff = Backoff
				b.StartTimer()
				t0 := time.Now()
				rep := rg.sweeper.Run(context.Background(), "", "")
				elapsed += time.Since(t0)
				calls += f.Calls("ListUserPools") + f.Calls("GetUserPoolMfaConfig") + f.Calls("SetUserPoolMfaConfig")
				failed += int64(rep.Failed)
				throttled += f.Throttled()
				if rep.Remediated+rep.Failed != n {
					b.Fatalf("%+v", rep.Summary)
				}
			}
			rate := float64(calls) / elapsed.Seconds()
			b.ReportMetric(rate, "calls/s")
			b.ReportMetric(rate/capRate, "rate/cap")
			b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
			b.ReportMetric(float64(failed)/float64(b.N), "failed-pools/op")
		})
	}
}

func allIDs(b *testing.B, client *cip.Client) []string {
	var ids []string
	var token *string
	for {
		out, err := client.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(60), NextToken: token})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range out.UserPools {
			ids = append(ids, *p.Id)
		}
		if token = out.NextToken; token == nil {
			return ids
		}
	}
}

// BenchmarkSweepPeakMemory samples the heap during a 10,000-pool sweep in
// which half the pools drift (so findings accumulate).
func BenchmarkSweepPeakMemory(b *testing.B) {
	f, client := fakeCognito(b)
	for i := range 10000 {
		if i%2 == 0 {
			f.AddPool("p", nil, onTOTP)
		} else {
			f.AddPool("p", nil, optSMS)
		}
	}
	var peak uint64
	for b.Loop() {
		rg := newRig(b, client, `{"mode":"report"}`, 1e6, benchConcurrency)
		runtime.GC()
		done := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		rep := rg.sweeper.Run(context.Background(), "", "")
		close(done)
		if rep.Drift != 5000 {
			b.Fatalf("%+v", rep.Summary)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
