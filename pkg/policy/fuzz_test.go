package policy

import (
	"reflect"
	"testing"
)

// FuzzLoad: any input either fails with an error or yields a policy that has
// no contradiction and whose logged form, Policy.String, loads to the same
// policy under the strict rules. `go test -fuzz FuzzLoad` explores further;
// `go test` runs the seeds.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"mfaConfiguration":"OPTIONAL"}`, `{"factors":{"sms":"forbidden"}}`,
		`{"mode":"report","exemptions":{"poolIds":["us-east-1_a1"],"tagKey":"x"}}`, `{"version":2}`, `[1]`, `{"users":{"preferSoftwareToken":false}}`,
		`{"mode":"report","mode":"enforce"}`, `{"Mode":"report","mode":"enforce"}`, `{"factors":{"SMS":"forbidden"}}`,
		`{"factors":{"softwareTo\u212aen":"allowed"}}`, `{"mod\u0065":"report"}`, `null`, `{"mode":null}`, `{"factors":{"sms":null}}`,
		`{"exemptions":{"poolIds":["us-east-1_a1",null]}}`, `{"exemptions":{"extra":1}}`, `"x"`, `5`, `true`, `{"version":1.5}`,
		`{"exemptions":{"tagKey":"é"}}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Load(doc)
		if err != nil {
			return
		}
		if p.checkContradictions("") != nil {
			t.Fatalf("Load accepted a contradiction: %s", doc)
		}
		again, err := Load(p.String())
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip of %s: %+v, %v", p, again, err)
		}
	})
}
