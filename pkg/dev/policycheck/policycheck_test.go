package policycheck

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		doc     string
		wantOut string
		wantErr string
	}{
		{"valid", `{"mode":"report"}`, `p.json: valid, 17 bytes: fits a Standard or Advanced SSM parameter`, ""},
		{"defaults shown", `{}`, `"mfaConfiguration":"ON"`, ""},
		{"field named", `{"factors":{"sms":"mandatory"}}`, "", `p.json: policy: factors.sms: "mandatory" is not one of required, allowed, forbidden`},
		{"case of a key", `{"Mode":"report"}`, "", `p.json: policy: Mode: unknown field "Mode" (did you mean "mode"?`},
		{"empty file refused", ``, "", "p.json: policy: the document is blank"},
		{"blank file refused", " \n\t", "", "p.json: policy: the document is blank"},
		{"over 4 KB", `{"exemptions":{"poolIds":[` + pools(200) + `]}}`, "needs an Advanced-tier SSM parameter", ""},
		{"over 8 KB", `{"exemptions":{"poolIds":[` + pools(400) + `]}}`, "", "larger than an SSM parameter holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Check(&out, "p.json", []byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("Check = %v, %q; want %q", err, out.String(), tc.wantOut)
			}
		})
	}
}

// pools returns n quoted pool IDs, 24 bytes each with the comma.
func pools(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = `"us-east-1_Pool` + strings.Repeat("x", 4) + `"`
	}
	return strings.Join(ids, ",")
}
