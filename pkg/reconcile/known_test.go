package reconcile

import (
	"context"
	"strings"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
)

// TestKnownTags: tags a caller already knows (the sweep's bulk read) decide
// the tag exemption without a DescribeUserPool; unknown tags are read.
func TestKnownTags(t *testing.T) {
	const doc = `{"exemptions":{"tagKey":"mfa-exempt"}}`
	cases := []struct {
		name      string
		known     Known
		level     string            // the pool's MFA level; "": ON with TOTP, compliant
		poolTags  map[string]string // what DescribeUserPool would say
		status    Status
		describes int
		poolName  string
	}{
		{name: "known exempt: no lookup", known: Known{Name: "legacy", Tags: map[string]string{"mfa-exempt": "yes"}},
			status: Exempt, poolName: "legacy"},
		{name: "known not exempt: no lookup for tags", known: Known{Name: "app", Tags: map[string]string{}},
			poolTags: map[string]string{"mfa-exempt": "yes"}, status: Compliant, poolName: "app"},
		{name: "unknown: read with DescribeUserPool", poolTags: map[string]string{"mfa-exempt": "yes"}, status: Exempt, describes: 1},
		{name: "known not exempt, tagged since: the read before raising sees the tag", known: Known{Tags: map[string]string{}},
			level: "OFF", poolTags: map[string]string{"mfa-exempt": "yes"}, status: Exempt, describes: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: totpOn}
			if tc.level != "" {
				f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: types.UserPoolMfaType(tc.level)}
			}
			f.Tags[pool] = tc.poolTags
			r, _ := reconciler(t, f, doc)
			res := r.ReconcileKnown(context.Background(), pool, tc.known)
			if res.Status != tc.status || tc.poolName != "" && res.PoolName != tc.poolName {
				t.Errorf("status %s name %q (%s), want %s %q", res.Status, res.PoolName, res.Message, tc.status, tc.poolName)
			}
			if got := strings.Count(strings.Join(f.Calls, " "), "Describe"); got != tc.describes {
				t.Errorf("%d DescribeUserPool calls (%v), want %d", got, f.Calls, tc.describes)
			}
		})
	}
}
