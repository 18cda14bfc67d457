// Command policy-check validates policy documents with the functions' own
// loader, and sizes the environment each makes as MFA_POLICY against
// Lambda's 4 KB: policy-check [-parameter] [-template template.yaml] FILE...
// (exit status 1 when any is invalid, or too large for MFA_POLICY without
// -parameter).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/policycheck"
)

func main() {
	template := flag.String("template", "template.yaml", "SAM template whose functions hold the policy as MFA_POLICY")
	parameter := flag.Bool("parameter", false, "the documents are published as the SSM parameter (PolicyParameter): too large for MFA_POLICY is noted, not refused")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: policy-check [-parameter] [-template template.yaml] FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	tpl, err := localinvoke.LoadTemplate(*template)
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy-check:", err)
		os.Exit(2)
	}
	failed := false
	for _, file := range flag.Args() {
		doc, err := os.ReadFile(file)
		if err == nil {
			err = policycheck.Check(os.Stdout, file, doc, policycheck.Options{Template: tpl, Parameter: *parameter})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
