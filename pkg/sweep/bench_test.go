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
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
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
				rep := rg.sweeper.Run(context.Background(), "", "", nil)
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

// BenchmarkReadsPerPool counts UserPoolRead calls per pool, with a tag
// exemption in the policy, over pools that need no write (compliant or
// exempt by tag): tags in bulk beside the fallback of one DescribeUserPool
// per pool when the tagging API is denied. Goal: at most 1.02.
func BenchmarkReadsPerPool(b *testing.B) {
	const n = 1200
	cases := []struct {
		name   string
		failOp map[string]string
	}{
		{"tags=GetResources", nil},
		{"tags=DescribeUserPool(denied)", map[string]string{"GetResources": "AccessDeniedException"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f, client := fakeCognito(b)
			for i := range n {
				if i%3 == 0 {
					f.AddPool("exempt", map[string]string{"mfa-policy-exempt": "legacy"}, cognitofake.MFA{MfaConfiguration: "OFF"})
				} else {
					f.AddPool("compliant", map[string]string{"team": "a"}, onTOTP)
				}
			}
			f.FailOp = tc.failOp
			var reads, tagCalls int64
			for b.Loop() {
				f.ResetCounters()
				rep := newRig(b, client, `{"exemptions":{"tagKey":"mfa-policy-exempt"}}`, 1e6, benchConcurrency).sweeper.Run(context.Background(), "", "", nil)
				if rep.Checked != n || rep.Exempt != n/3 || rep.Calls[quota.UserPoolResourceUpdate].Calls != 0 {
					b.Fatalf("%+v", rep.Summary)
				}
				reads += rep.Calls[quota.UserPoolRead].Calls + rep.Calls[quota.UserPoolResourceRead].Calls
				tagCalls += f.Calls("GetResources")
			}
			b.ReportMetric(float64(reads)/float64(n*b.N), "reads/pool")
			b.ReportMetric(float64(tagCalls)/float64(b.N), "GetResources/op")
		})
	}
}

// population adds the measured mix to f: of every 5 pools, 3
// drifted (OFF or OPTIONAL with SMS), one compliant, one exempt by tag.
// It returns the drifted pools' IDs.
func population(f *cognitofake.Server, n int) (drifted map[string]bool) {
	drifted = map[string]bool{}
	for i := range n {
		switch i % 5 {
		case 0, 1:
			drifted[f.AddPool("off", nil, cognitofake.MFA{MfaConfiguration: "OFF"})] = true
		case 2:
			drifted[f.AddPool("opt-sms", nil, optSMS)] = true
		case 3:
			f.AddPool("compliant", nil, onTOTP)
		case 4:
			f.AddPool("exempt", map[string]string{"mfa-policy-exempt": "legacy"}, cognitofake.MFA{MfaConfiguration: "OFF"})
		}
	}
	return drifted
}

// BenchmarkSweepUnderThrottling measures the achieved rate of each
// category against its cap when the server allows less than the cap in
// both categories or in writes only (sustained throttling), or throttles
// at random. Failed pools must stay 0.
func BenchmarkSweepUnderThrottling(b *testing.B) {
	const n, capRate = 1000, 200.0
	cases := []struct {
		name         string
		reads, sets  float64 // the server's quotas; 0: none
		throttleProb float64
	}{
		{"server=cap*1.5", capRate * 1.5, capRate * 1.5, 0},
		{"server=cap/2", capRate / 2, capRate / 2, 0},
		{"server=cap/4,writes-only", 0, capRate / 4, 0},
		{"random=5%", 0, 0, 0.05},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f, client := fakeCognito(b)
			for range n {
				f.AddPool("p", nil, cognitofake.MFA{MfaConfiguration: "OFF"})
			}
			var calls pace.Counts
			var failed int64
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				f.Quotas, f.ThrottleProb = nil, 0
				for _, id := range allIDs(b, client) { // reset drift between runs
					_, _ = client.SetUserPoolMfaConfig(context.Background(), &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(id), MfaConfiguration: "OFF"})
				}
				f.ResetCounters()
				f.Quotas = map[string]float64{"UserPoolRead": tc.reads, "UserPoolResourceRead": tc.reads, "UserPoolResourceUpdate": tc.sets}
				f.ThrottleProb = tc.throttleProb
				rg := newRig(b, client, ``, capRate, benchConcurrency)
				rg.use(nil, nil, pace.SweepBackoff)
				b.StartTimer()
				t0 := time.Now()
				rep := rg.sweeper.Run(context.Background(), "", "", nil)
				elapsed += time.Since(t0)
				calls = calls.Plus(rep.Calls)
				failed += int64(rep.Failed)
				if rep.Remediated+rep.Failed != n {
					b.Fatalf("%+v", rep.Summary)
				}
			}
			s := elapsed.Seconds()
			b.ReportMetric(float64(calls[quota.UserPoolResourceRead].Calls)/s/capRate, "reads/cap")
			b.ReportMetric(float64(calls[quota.UserPoolResourceUpdate].Calls)/s/capRate, "writes/cap")
			b.ReportMetric(float64(calls[quota.UserPoolResourceRead].Throttled)/float64(b.N), "read-throttled/op")
			b.ReportMetric(float64(calls[quota.UserPoolResourceUpdate].Throttled)/float64(b.N), "write-throttled/op")
			b.ReportMetric(float64(failed)/float64(b.N), "failed-pools/op")
		})
	}
}

func allIDs(tb testing.TB, client *cip.Client) []string {
	var ids []string
	var token *string
	for {
		out, err := client.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(60), NextToken: token})
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range out.UserPools {
			ids = append(ids, *p.Id)
		}
		if token = out.NextToken; token == nil {
			return ids
		}
	}
}

// BenchmarkSweepPeakMemory sweeps 10,000 pools, half of them drifting,
// in legs cut by a short deadline, and samples the heap during each leg.
// Every pool must be read exactly once across the legs. heap-MB counts the
// whole test process, the fake and its 10,000 pools included; leg-heap-MB
// counts what a leg adds above the heap before it.
func BenchmarkSweepPeakMemory(b *testing.B) {
	const n = 10000
	f, client := fakeCognito(b)
	for i := range n {
		if i%2 == 0 {
			f.AddPool("p", nil, onTOTP)
		} else {
			f.AddPool("p", nil, optSMS)
		}
	}
	ids := allIDs(b, client)
	var peak, peakAbove uint64
	legs := 0
	for b.Loop() {
		f.ResetCounters()
		rg := newRig(b, client, `{"mode":"report"}`, 1e6, benchConcurrency)
		var from *Continuation
		for {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse
			done := make(chan struct{})
			sampled := make(chan uint64)
			go func() {
				var top uint64
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					top = max(top, ms.HeapInuse)
					select {
					case <-done:
						sampled <- top
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
			rep := rg.sweeper.Run(ctx, "", "", from)
			cancel()
			close(done)
			top := <-sampled
			peak, peakAbove = max(peak, top), max(peakAbove, top-min(top, base))
			legs++
			if from = rep.Continuation; from == nil {
				if rep.Drift != n/2 || rep.Checked != n || rep.Incomplete {
					b.Fatalf("%+v", rep.Summary)
				}
				break
			}
		}
		for _, id := range ids {
			if got := f.PoolCalls("GetUserPoolMfaConfig", id); got != 1 {
				b.Fatalf("pool %s read %d times", id, got)
			}
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "heap-MB")
	b.ReportMetric(float64(peakAbove)/(1<<20), "leg-heap-MB")
	b.ReportMetric(float64(legs)/float64(b.N), "legs/op")
}
