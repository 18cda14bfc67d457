// Package policycheck validates policy documents offline, with the code
// the functions load them with (policy.Load), so a change is checked in
// review and CI before it is published.
package policycheck

import (
	"fmt"
	"io"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Size limits of the places a policy is kept.
const (
	StandardParameterMax = 4096 // SSM Standard tier
	AdvancedParameterMax = 8192 // SSM Advanced tier, the one AWS RAM shares
)

// Check validates one document named name and writes what it found to w:
// the policy in force with its defaults, and where it fits. The error
// names the field, as the functions' would.
func Check(w io.Writer, name string, doc []byte) error {
	p, err := policy.Load(string(doc))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(doc) > AdvancedParameterMax {
		return fmt.Errorf("%s: %d bytes: larger than an SSM parameter holds (%d bytes, Advanced tier)", name, len(doc), AdvancedParameterMax)
	}
	fits := "fits a Standard or Advanced SSM parameter"
	if len(doc) > StandardParameterMax {
		fits = "needs an Advanced-tier SSM parameter (over 4 KB; also too large for MFA_POLICY)"
	}
	_, err = fmt.Fprintf(w, "%s: valid, %d bytes: %s\nin force with defaults: %s\n", name, len(doc), fits, p)
	return err
}
