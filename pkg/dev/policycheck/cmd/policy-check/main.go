// Command policy-check validates policy documents with the functions' own
// loader: policy-check FILE... (exit status 1 when any is invalid).
package main

import (
	"fmt"
	"os"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/policycheck"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: policy-check FILE...")
		os.Exit(2)
	}
	failed := false
	for _, file := range os.Args[1:] {
		doc, err := os.ReadFile(file)
		if err == nil {
			err = policycheck.Check(os.Stdout, file, doc)
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
