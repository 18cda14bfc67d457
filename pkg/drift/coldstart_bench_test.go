package drift

import (
	"path/filepath"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/cognitofake"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/coldstart"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
)

// BenchmarkColdDriftCheck starts the built DriftFunction and answers its
// first CloudTrail event about a compliant pool, side by side with a naive
// floor (testdata/floor: LoadDefaultConfig, a Cognito client, one
// GetUserPoolMfaConfig), against the same local Cognito. Reported: each
// cold path in ms, their ratio (goal <= 1.3) and each bootstrap's size.
func BenchmarkColdDriftCheck(b *testing.B) {
	const root = "../.."
	cog := cognitofake.New()
	url, err := cog.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer cog.Close()
	id := cog.AddPool("cold", nil, cognitofake.MFA{MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: &cognitofake.TOTP{Enabled: true}})
	event, err := testbed.Sample(root, "drift-set-user-pool-mfa-config.json", id, "")
	if err != nil {
		b.Fatal(err)
	}
	tpl, err := localinvoke.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	// Enforce mode, as measured before the default became report mode: the
	// cold path includes the correction.
	spec, err := tpl.Function("DriftFunction", map[string]string{"PolicyDocument": "{}"})
	if err != nil {
		b.Fatal(err)
	}
	coldstart.Compare(b, root, spec, coldstart.Env(url), event, "drift", "./functions/drift", "./pkg/drift/testdata/floor")
}
