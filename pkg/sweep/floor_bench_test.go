package sweep

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// BenchmarkSweepAtTheFloor: the measurement. A sweep with a tag
// exemption over 300 pools (180 to raise, 60 exempt by tag) behind a fake
// that throttles every category, and each operation on one pool, at the
// share of AWS's quotas (pkg/quota), as Cognito would if the rest of the
// account used the rest: with QUOTA_SHARE=100 at AWS's quotas themselves.
// Beside each run, computed from the calls the fake answered:
//   - floor-s: the per-category floor, the largest of (calls of a category
//     / the share of its quota); goal wall/floor <= 1.1;
//   - custodian-floor-s (report): (ListUserPools + one DescribeUserPool per
//     pool) / the share of UserPoolRead, what a tool reading every pool
//     with DescribeUserPool cannot beat; goal wall/custodian-floor <= 0.8;
//   - peak/quota per category: the most calls that reached the fake within
//     any one second, however it is cut, over the category's quota; goal
//     with QUOTA_SHARE=50: no category above 0.5.
func BenchmarkSweepAtTheFloor(b *testing.B) {
	const n = 300
	cases := []struct {
		mode  policy.Mode
		share int
	}{{policy.Report, 100}, {policy.Enforce, 100}, {policy.Report, 50}, {policy.Enforce, 50}}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("mode=%s,share=%d", tc.mode, tc.share), func(b *testing.B) {
			share := quota.Share{Percent: tc.share}
			var wall, floor, custodian time.Duration
			var throttled, failed, remediated int64
			peaks := map[quota.Category]int{}
			for b.Loop() {
				b.StopTimer()
				f, client := fakeCognito(b)
				f.Latency = benchLatency
				f.ThrottleByTable(float64(tc.share) / 100)
				drifted := population(f, n)
				rg := newRig(b, client, fmt.Sprintf(`{"mode":%q,"exemptions":{"tagKey":"mfa-policy-exempt"}}`, tc.mode), 0, benchConcurrency)
				rg.use(nil, pace.ForFunction(share, setup.MaxConcurrency["SweepFunction"]), pace.SweepBackoff)
				f.ResetCounters()
				b.StartTimer()
				t0 := time.Now()
				rep := rg.sweeper.Run(context.Background(), "", "", nil)
				wall += time.Since(t0)
				b.StopTimer()
				if rep.Checked != n || rep.Exempt != n/5 || rep.Drift+rep.Remediated != len(drifted) {
					b.Fatalf("%+v", rep.Summary)
				}
				var slowest float64
				at := func(c quota.Category) float64 { return share.Quota(c) * float64(tc.share) / 100 } // the share itself, not the pacer's rate
				for _, c := range Categories {
					slowest = max(slowest, float64(f.CallsIn(string(c)))/at(c))
					peaks[c] = max(peaks[c], f.PeakPerSecond(string(c)))
				}
				floor += time.Duration(slowest * float64(time.Second))
				custodian += time.Duration(float64(f.Calls("ListUserPools")+n) / at(quota.UserPoolRead) * float64(time.Second))
				throttled += f.Throttled()
				failed += int64(rep.Failed)
				remediated += int64(rep.Remediated)
				b.StartTimer()
			}
			perOp := func(v int64) float64 { return float64(v) / float64(b.N) }
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
			b.ReportMetric(floor.Seconds()/float64(b.N), "floor-s")
			b.ReportMetric(float64(wall)/float64(floor), "wall/floor")
			if tc.mode == policy.Report {
				b.ReportMetric(custodian.Seconds()/float64(b.N), "custodian-floor-s")
				b.ReportMetric(float64(wall)/float64(custodian), "wall/custodian-floor")
			}
			for c, p := range peaks {
				b.ReportMetric(float64(p)/share.Quota(c), "peak/quota-"+string(c))
			}
			b.ReportMetric(perOp(throttled), "throttled/op")
			b.ReportMetric(perOp(failed), "failed/op")
			b.ReportMetric(perOp(remediated), "remediated/op")
		})
	}
}
