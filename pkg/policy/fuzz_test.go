package policy

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzLoad: any input either fails with an error or yields a policy that
// survives a round trip and has no contradiction. `go test -fuzz FuzzLoad`
// explores further; `go test` runs the seeds.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"mfaConfiguration":"OPTIONAL"}`, `{"factors":{"sms":"forbidden"}}`,
		`{"mode":"report","exemptions":{"poolIds":["us-east-1_a1"],"tagKey":"x"}}`, `{"version":2}`, `[1]`, `{"users":{"preferSoftwareToken":false}}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Load(doc)
		if err != nil {
			return
		}
		if p.checkContradictions() != nil {
			t.Fatalf("Load accepted a contradiction: %s", doc)
		}
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Load(string(raw))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip of %s: %+v, %v", raw, again, err)
		}
	})
}
