package signinmsg

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRoundTripAndRefusals(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	m := New("us-east-1_Ab1", "jane", "sub-1", PostAuthentication, at, "123456789012", "us-east-1")
	raw, _ := json.Marshal(m)
	got, err := Decode(string(raw))
	if err != nil || got != m || !got.ChecksUser() || got.Key() != "us-east-1_Ab1/jane" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if pre := New("us-east-1_Ab1", "jane", "", PreAuthentication, at, "", "us-east-1"); pre.ChecksUser() || pre.Key() != "us-east-1_Ab1" {
		t.Errorf("a sign-in attempt checks the pool only: %+v", pre)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"other schema", Schema, "someone-else/sign-in", "schema"},
		{"future version", `"version":1`, `"version":2`, "version: 2 is not supported"},
		{"bad pool", "us-east-1_Ab1", "../etc", "poolId"},
		{"other trigger", PostAuthentication, "PreTokenGeneration_Authentication", "triggerSource"},
		{"no time", `"time":"2026-12-02T03:00:00Z",`, "", "time: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(string(raw), tc.old, tc.new, 1)
			if _, err := Decode(body); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode(%s) = %v, want %q", body, err, tc.want)
			}
		})
	}
	if _, err := Decode("not json"); err == nil {
		t.Error("garbage accepted")
	}
}

// TestDedup: the same sign-in sent twice has one deduplication ID; another
// sub for the same user (a forged message) has its own, so it cannot make
// the queue drop the real one.
func TestDedup(t *testing.T) {
	real := Message{PoolID: "us-east-1_p", Username: "jane", Sub: "a", TriggerSource: PostAuthentication}
	again, forged, other := real, real, real
	forged.Sub = "b"
	other.Username = "john"
	if real.Dedup() != again.Dedup() {
		t.Error("the same sign-in has two deduplication IDs")
	}
	for name, m := range map[string]Message{"forged sub": forged, "another user": other} {
		if m.Dedup() == real.Dedup() {
			t.Errorf("%s shares the real sign-in's deduplication ID", name)
		}
	}
}
