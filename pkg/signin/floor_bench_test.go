package signin

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// fifo is the sign-in queue as Lambda's event source reads it: batches of
// up to 10 messages in order, leaving out the messages of a pool (a
// message group) another batch holds until that batch is done.
type fifo struct {
	mu       sync.Mutex
	waiting  []signinmsg.Message
	inFlight map[string]bool
}

// next takes a batch; it returns none while every waiting message's pool
// is in flight, and done once nothing waits.
func (q *fifo) next() (batch []signinmsg.Message, done bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	taken := map[string]bool{}
	var rest []signinmsg.Message
	for _, m := range q.waiting {
		if len(batch) < 10 && !q.inFlight[m.PoolID] {
			batch = append(batch, m)
			taken[m.PoolID] = true
			continue
		}
		rest = append(rest, m)
	}
	for p := range taken {
		q.inFlight[p] = true
	}
	q.waiting = rest
	return batch, len(batch) == 0 && len(q.waiting) == 0 && len(q.inFlight) == 0
}

func (q *fifo) finish(batch []signinmsg.Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range batch {
		delete(q.inFlight, m.PoolID)
	}
}

// BenchmarkSignInFloor: 2,000 users of 20 pools at MFA OFF sign in, each
// needing a write (SMS preferred, TOTP to be preferred), queued in the
// order they signed in (8 or so pools in a batch of 10) or grouped by
// pool. SignInCheckFunction's instances (setup.MaxConcurrency, each with
// its pacer at QUOTA_SHARE=50 over them) drain the FIFO queue behind a
// fake Cognito that throttles every category at the share. Reported: wall
// over the floor the share sets (the binding category's calls at the rate
// the pacers allow: UserResourceUpdate, 2,000 writes at 2 x 5.7 per s, whole
// calls a little under the share; also over the nominal share, 12.5 per s),
// pool reads (GetUserPoolMfaConfig) per message, pool writes beyond one
// per pool, users aligned, calls throttled. Goals: wall/floor <= 1.1, pool
// reads <= 0.1 a message, 0 duplicate writes, every user, 0 throttled.
func BenchmarkSignInFloor(b *testing.B) {
	for _, order := range []string{"as-enqueued", "grouped-by-pool"} {
		b.Run(order, func(b *testing.B) { benchFloor(b, order == "grouped-by-pool") })
	}
}

func benchFloor(b *testing.B, grouped bool) {
	const users, pools = 2000, 20
	share := quota.Share{Percent: 50}
	instances := setup.MaxConcurrency["SignInCheckFunction"]
	var wall, floor, nominal time.Duration
	var reads, extraWrites, aligned, throttled int64
	for b.Loop() {
		b.StopTimer()
		f, newHandler := benchCognito(b, share, instances)
		ids := make([]string, pools)
		for i := range ids {
			ids[i] = f.AddPool(fmt.Sprintf("p%d", i), nil, cognitofake.MFA{MfaConfiguration: "OFF"})
		}
		q := &fifo{inFlight: map[string]bool{}}
		for i := range users {
			pool := ids[i%pools]
			if grouped {
				pool = ids[i/(users/pools)]
			}
			user := fmt.Sprintf("user-%d", i)
			f.AddUser(pool, user, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			q.waiting = append(q.waiting, signedIn(pool, user))
		}
		f.ResetCounters()
		b.StartTimer()
		t0 := time.Now()
		var wg sync.WaitGroup
		for range instances {
			h := newHandler(`{"factors":{"sms":"forbidden"}}`)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					msgs, done := q.next()
					if done {
						return
					}
					if len(msgs) == 0 {
						time.Sleep(5 * time.Millisecond) // the other instance holds these pools
						continue
					}
					resp, err := h.Handle(context.Background(), batch(msgs...))
					if err != nil || len(resp.BatchItemFailures) > 0 {
						b.Errorf("batch: %v, %d returned", err, len(resp.BatchItemFailures))
					}
					q.finish(msgs)
				}
			}()
		}
		wg.Wait()
		wall += time.Since(t0)
		b.StopTimer()
		writes := f.CallsIn(string(quota.UserResourceUpdate))
		floor += time.Duration(float64(writes) / (share.Rate(quota.UserResourceUpdate, instances) * float64(instances)) * float64(time.Second))
		nominal += time.Duration(float64(writes) / (share.Quota(quota.UserResourceUpdate) * float64(share.Percent) / 100) * float64(time.Second))
		reads += f.Calls("GetUserPoolMfaConfig")
		extraWrites += f.Calls("SetUserPoolMfaConfig") - pools
		aligned += f.Calls("AdminSetUserMFAPreference")
		throttled += f.Throttled()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(float64(wall)/float64(floor), "wall/floor")
	b.ReportMetric(float64(wall)/float64(nominal), "wall/share-floor")
	b.ReportMetric(float64(reads)/n/users, "pool-reads/msg")
	b.ReportMetric(float64(extraWrites)/n, "duplicate-pool-writes/op")
	b.ReportMetric(float64(aligned)/n, "users-written/op")
	b.ReportMetric(float64(throttled)/n, "throttled/op")
}
