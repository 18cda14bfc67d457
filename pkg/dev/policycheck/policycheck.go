// Package policycheck validates policy documents offline, with the code
// the functions load them with (policy.Load), so a change is checked in
// review and CI before it is published.
package policycheck

import (
	"errors"
	"fmt"
	"io"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Size limits of the places a policy is kept.
const (
	StandardParameterMax = 4096 // SSM Standard tier
	AdvancedParameterMax = 8192 // SSM Advanced tier, the one AWS RAM shares
)

// Options say where a document is published.
type Options struct {
	// Template is the SAM template whose functions hold an inline policy
	// in their environment (MFA_POLICY, from PolicyDocument).
	Template *localinvoke.Template
	// Parameter: the document is an SSM parameter's (PolicyParameter),
	// which no environment holds, so a document too large for MFA_POLICY
	// is noted, not refused.
	Parameter bool
}

// Check validates one document named name and writes what it found to w:
// the policy in force with its defaults, where it fits, and the largest
// environment it makes as MFA_POLICY. The error names the field, as the
// functions' would, or the function whose environment it would overflow.
func Check(w io.Writer, name string, doc []byte, opt Options) error {
	p, err := policy.Load(string(doc))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(doc) > AdvancedParameterMax {
		return fmt.Errorf("%s: %d bytes: larger than an SSM parameter holds (%d bytes, Advanced tier)", name, len(doc), AdvancedParameterMax)
	}
	if opt.Template == nil {
		return errors.New("policycheck: no template to size the functions' environments with")
	}
	envs, err := Environments(opt.Template, string(doc))
	if err != nil {
		return fmt.Errorf("%s: size the functions' environments: %w", name, err)
	}
	largest := envs[0]
	inline := fmt.Sprintf("as MFA_POLICY: the largest environment is %s's, %d of Lambda's %d bytes (the policy takes %d): %d bytes to spare",
		largest.Function, largest.Total, LambdaEnvironmentMax, largest.Policy, LambdaEnvironmentMax-largest.Total)
	if largest.Total > LambdaEnvironmentMax {
		over := fmt.Sprintf("%s's environment would be %d bytes, over Lambda's %d for all its variables together; the policy takes %d of them (quotes and newlines count twice)",
			largest.Function, largest.Total, LambdaEnvironmentMax, largest.Policy)
		if !opt.Parameter {
			return fmt.Errorf("%s: too large for MFA_POLICY (PolicyDocument): %s. Shorten it (jq -c, exempt pools by tag) or publish it as an SSM parameter (PolicyParameter) and check it with -parameter",
				name, over)
		}
		inline = "too large for MFA_POLICY, fine as the parameter: " + over
	}
	fits := "fits a Standard or Advanced SSM parameter"
	if len(doc) > StandardParameterMax {
		fits = "needs an Advanced-tier SSM parameter (over 4 KB)"
	}
	_, err = fmt.Fprintf(w, "%s: valid, %d bytes: %s\n%s\nin force with defaults: %s\n", name, len(doc), fits, inline, p)
	return err
}
