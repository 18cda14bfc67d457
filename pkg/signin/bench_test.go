package signin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// BenchmarkBurstWithinShare: 2,000 users of 4 pools sign in at once after
// a policy change, and each needs a write (SMS preferred, TOTP required to
// be preferred). SignInCheckFunction's instances (setup.MaxConcurrency,
// each with its pacer from pace.ForFunction) drain the queue in batches of
// 10 behind a fake that throttles every category at QUOTA_SHARE of AWS's
// quota, as Cognito would if the account's applications used the rest.
// Reported: per category, the calls per second over the run and the most
// calls that reached the fake within any one second, each over the share of
// AWS's quota (goal <= 1: the function never takes more than its share, so
// the users' own MFA enrolment in UserResourceUpdate keeps the rest); the
// calls the fake throttled (its token bucket at the share is how AWS
// counts; goal 0) and the messages returned for retry; wall time over the
// floor, the slowest category's calls at the rate the pacers allow (the
// share in whole calls per second per instance, a little under).
func BenchmarkBurstWithinShare(b *testing.B) {
	const users, pools, batchSize = 2000, 4, 10
	share := quota.Share{Percent: 50}
	instances := setup.MaxConcurrency["SignInCheckFunction"]
	categories := []quota.Category{quota.UserPoolResourceRead, quota.UserRead, quota.UserResourceUpdate}
	peaks := map[quota.Category]int{}
	calls := map[quota.Category]int64{}
	var wall, floor time.Duration
	var throttled, retried, written int64
	for b.Loop() {
		b.StopTimer()
		f, newHandler := benchCognito(b, share, instances)
		ids := make([]string, pools)
		for i := range ids {
			ids[i] = f.AddPool(fmt.Sprintf("p%d", i), nil, compliantMFA)
		}
		var batches [][]byte
		var msgs []signinmsg.Message
		for i := range users {
			pool, user := ids[i%pools], fmt.Sprintf("user-%d", i)
			f.AddUser(pool, user, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			msgs = append(msgs, signedIn(pool, user))
			if len(msgs) == batchSize {
				batches = append(batches, batch(msgs...))
				msgs = nil
			}
		}
		queue := make(chan []byte, len(batches))
		for _, bt := range batches {
			queue <- bt
		}
		close(queue)
		f.ResetCounters()
		b.StartTimer()
		t0 := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range instances {
			h := newHandler("")
			wg.Add(1)
			go func() {
				defer wg.Done()
				for bt := range queue {
					resp, err := h.Handle(context.Background(), bt)
					if err != nil {
						b.Error(err)
					}
					mu.Lock()
					retried += int64(len(resp.BatchItemFailures))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		wall += time.Since(t0)
		b.StopTimer()
		var slowest float64
		for _, c := range categories {
			slowest = max(slowest, float64(f.CallsIn(string(c)))/(share.Rate(c, instances)*float64(instances)))
			peaks[c] = max(peaks[c], f.PeakPerSecond(string(c)))
			calls[c] += f.CallsIn(string(c))
		}
		floor += time.Duration(slowest * float64(time.Second))
		throttled += f.Throttled()
		written += f.Calls("AdminSetUserMFAPreference")
		b.StartTimer()
	}
	n := float64(b.N)
	for _, c := range categories {
		part := share.Quota(c) * float64(share.Percent) / 100 // QUOTA_SHARE of AWS's quota
		b.ReportMetric(float64(peaks[c])/part, "peak/share-"+string(c))
		b.ReportMetric(float64(calls[c])/wall.Seconds()/part, "mean/share-"+string(c))
	}
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(float64(wall)/float64(floor), "wall/floor")
	b.ReportMetric(float64(throttled)/n, "throttled/op")
	b.ReportMetric(float64(retried)/n, "retried/op")
	b.ReportMetric(float64(written)/n, "users-written/op")
}

// benchCognito starts a fake Cognito for a benchmark run: 5 ms a call, as
// over a network, throttling every category at the share. newHandler
// builds one of the instances' handlers under policy doc, with its pacer
// from pace.ForFunction, logging and publishing nowhere.
func benchCognito(b *testing.B, share quota.Share, instances int) (f *cognitofake.Server, newHandler func(doc string) *Handler) {
	b.Helper()
	f, sdk := cognitofake.StartForTest(b)
	f.Latency = 5 * time.Millisecond // per call, as over a network
	f.ThrottleByTable(float64(share.Percent) / 100)
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	return f, func(doc string) *Handler {
		r := reconcile.New(cognito.NewGateway(sdk, pace.ForFunction(share, instances), pace.CheckBackoff), load(b, doc), discard)
		return &Handler{Reconciler: r, Log: discard, Now: time.Now,
			Recorder: findings.Recorder{Publisher: findings.NewPublisher(&fakes.Bus{}, "findings", discard), Log: discard}}
	}
}
