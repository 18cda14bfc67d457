package reconcile

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
)

// TestProfiles: each pool is judged and corrected by its own profile,
// chosen by pool ID, then tag (known or read), then the default; a tag
// naming no profile fails the check and writes nothing.
func TestProfiles(t *testing.T) {
	doc := `{"version": 2,
	  "profiles": {
	    "workforce": {"mfaConfiguration": "ON", "factors": {"softwareToken": "required", "sms": "forbidden"}},
	    "consumer": {"mfaConfiguration": "OPTIONAL", "factors": {"softwareToken": "allowed", "sms": "allowed"}},
	    "kiosk": {"mfaConfiguration": "ON", "mode": "report"}
	  },
	  "default": "workforce", "profileTag": "mfa-profile",
	  "profilePools": {"us-east-1_Kiosk1": "kiosk"},
	  "exemptions": {"tagKey": "mfa-exempt"}}`
	cases := []struct {
		name      string
		poolID    string
		known     Known
		poolTags  map[string]string // what DescribeUserPool would say
		status    Status
		profile   string
		level     string // after the check
		describes int
		message   string
	}{
		{name: "untagged: the default corrects to ON", poolID: pool, known: Known{Tags: map[string]string{}},
			status: Remediated, profile: "workforce", level: "ON", describes: 1}, // raising to ON reads the pool's limits
		{name: "tagged consumer: OPTIONAL with SMS complies", poolID: pool, known: Known{Tags: map[string]string{"mfa-profile": "consumer"}},
			status: Compliant, profile: "consumer", level: "OPTIONAL"},
		{name: "tags read with DescribeUserPool", poolID: pool, poolTags: map[string]string{"mfa-profile": "consumer"},
			status: Compliant, profile: "consumer", level: "OPTIONAL", describes: 1},
		{name: "by pool ID before the tag: report mode", poolID: "us-east-1_Kiosk1", known: Known{Tags: map[string]string{"mfa-profile": "consumer"}},
			status: Drift, profile: "kiosk", level: "OPTIONAL", describes: 1},
		{name: "a profile tag changed since the caller read it: the fresh tag's profile judges", poolID: pool,
			known: Known{Tags: map[string]string{"mfa-profile": "workforce"}}, poolTags: map[string]string{"mfa-profile": "kiosk"},
			status: Drift, profile: "kiosk", level: "OPTIONAL", describes: 1},
		{name: "tag naming no profile: failed, nothing written", poolID: pool, known: Known{Tags: map[string]string{"mfa-profile": "contractors"}},
			status: Failed, level: "OPTIONAL", message: `no profile to judge the pool by: the pool's tag mfa-profile="contractors" names no profile`},
		{name: "exempt with a tag naming no profile: exempt", poolID: pool, known: Known{Tags: map[string]string{"mfa-profile": "x", "mfa-exempt": ""}},
			status: Exempt, level: "OPTIONAL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[tc.poolID] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: totpOn,
				SmsMfaConfiguration: &types.SmsMfaConfigType{SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::1:role/sms")}}}
			f.Tags[tc.poolID] = tc.poolTags
			r, _ := reconciler(t, f, doc)
			res := r.ReconcileKnown(context.Background(), tc.poolID, tc.known)
			if res.Status != tc.status || res.Profile != tc.profile || !strings.Contains(res.Message, tc.message) {
				t.Errorf("status %s profile %q (%s), want %s %q", res.Status, res.Profile, res.Message, tc.status, tc.profile)
			}
			if got := string(f.MFA[tc.poolID].MfaConfiguration); got != tc.level {
				t.Errorf("level %s after the check, want %s", got, tc.level)
			}
			if tc.status == Remediated && f.MFA[tc.poolID].SmsMfaConfiguration != nil {
				t.Errorf("SMS kept where the workforce profile forbids it")
			}
			if got := strings.Count(strings.Join(f.Calls, " "), "Describe"); got != tc.describes {
				t.Errorf("%d DescribeUserPool calls (%v), want %d", got, f.Calls, tc.describes)
			}
		})
	}
}
