package signin

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
)

// bulkTags is a Tagged that answers what it is told, as the tagging API
// would, whatever the pools carry (it may lag them).
type bulkTags struct {
	mu    sync.Mutex
	pools map[string]map[string]string // pool ID -> tags
	calls int
}

func (b *bulkTags) PoolsTagged(_ context.Context, key, _ string) (map[string]string, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	out := map[string]string{}
	for id, tags := range b.pools {
		if v, ok := tags[key]; ok {
			out[id] = v
		}
	}
	return out, "", nil
}

func (b *bulkTags) set(pool string, tags map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pools == nil {
		b.pools = map[string]map[string]string{}
	}
	b.pools[pool] = maps.Clone(tags)
}

// TestPoolCheckReused: a pool's check serves the next batch under the
// same policy document and tags, within the reuse bound; a new document,
// new tags or the bound passed check the pool again.
func TestPoolCheckReused(t *testing.T) {
	const doc = `{"factors":{"sms":"forbidden"},"exemptions":{"tagKey":"mfa-exempt"}}`
	cases := []struct {
		name   string
		change func(r *rig, tags *bulkTags, pool string, now *time.Time)
		reads  int64 // GetUserPoolMfaConfig over both batches
		second string
	}{
		{"same document and tags, within the bound", func(*rig, *bulkTags, string, *time.Time) {}, 1, "remediated"},
		{"the bound passed", func(_ *rig, _ *bulkTags, _ string, now *time.Time) { *now = now.Add(DefaultReuse + time.Second) }, 2, "remediated"},
		{"a new policy version", func(r *rig, _ *bulkTags, _ string, _ *time.Time) {
			r.use(t, `{"factors":{"sms":"forbidden"},"exemptions":{"tagKey":"mfa-exempt"},"users":{"minimumCoverage":0.1}}`)
		}, 2, "remediated"},
		{"an exemption tag added", func(r *rig, tags *bulkTags, pool string, _ *time.Time) {
			r.fake.Tag(pool, map[string]string{"mfa-exempt": "kiosk"})
			tags.set(pool, map[string]string{"mfa-exempt": "kiosk"})
		}, 2, "exempt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, doc)
			now := time.Now()
			r.h.Now = func() time.Time { return now }
			tags := &bulkTags{}
			r.h.Tags = tags
			pool := r.fake.AddPool("p", nil, compliantMFA)
			for _, u := range []string{"jane", "john"} {
				r.fake.AddUser(pool, u, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
			}
			if retry := r.handle(t, batch(signedIn(pool, "jane"))); retry != nil {
				t.Fatalf("first batch: retry %v", retry)
			}
			tc.change(r, tags, pool, &now)
			if retry := r.handle(t, batch(signedIn(pool, "john"))); retry != nil {
				t.Fatalf("second batch: retry %v", retry)
			}
			if got := r.fake.Calls("GetUserPoolMfaConfig"); got != tc.reads {
				t.Errorf("%d pool reads, want %d", got, tc.reads)
			}
			fs := r.userFindings(t)
			if len(fs) != 2 || string(fs[1].Status) != tc.second {
				t.Errorf("user findings %+v, want john %s", fs, tc.second)
			}
			if tags.calls != 2 {
				t.Errorf("%d bulk tag reads for 2 batches", tags.calls)
			}
		})
	}
}

// TestStaleBulkTagsNeverWriteAnExemptPool: the tagging API has not yet
// seen an exemption tag the pool carries: a kept check is confirmed
// against the pool's own tags before a user is written, and the user of
// the now exempt pool is left alone.
func TestStaleBulkTagsNeverWriteAnExemptPool(t *testing.T) {
	r := newRig(t, `{"factors":{"sms":"forbidden"},"exemptions":{"tagKey":"mfa-exempt"}}`)
	r.h.Tags = &bulkTags{} // never sees a tag
	pool := r.fake.AddPool("p", nil, compliantMFA)
	for _, u := range []string{"jane", "john"} {
		r.fake.AddUser(pool, u, cognitofake.User{MFASettings: []string{sms, totp}, Preferred: sms})
	}
	if retry := r.handle(t, batch(signedIn(pool, "jane"))); retry != nil {
		t.Fatalf("retry %v", retry)
	}
	r.fake.Tag(pool, map[string]string{"mfa-exempt": "kiosk"})
	if retry := r.handle(t, batch(signedIn(pool, "john"))); retry != nil {
		t.Fatalf("retry %v", retry)
	}
	if n := r.fake.Calls("AdminSetUserMFAPreference"); n != 1 {
		t.Errorf("%d user writes, want jane's alone", n)
	}
	fs := r.userFindings(t)
	if len(fs) != 2 || fs[1].Status != "exempt" || !strings.Contains(r.logs.String(), "pool tags changed since its check") {
		t.Errorf("john %+v\n%s", fs, r.logs.String())
	}
}
