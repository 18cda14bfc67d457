// Command pack writes the member stack for an AWS Organizations StackSet:
// build/package/member.template.json (plain CloudFormation) and one zip per
// function (arm64). pkg/org/rollout.sh uploads them (the template is past
// the --template-body limit: the StackSet reads it from S3).
//
//	pack [-out build/package]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/pack"
)

func main() {
	out := flag.String("out", "build/package", "output folder")
	flag.Parse()
	files, err := pack.Package(".", *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
	if st, err := os.Stat(files[0]); err == nil {
		fmt.Fprintf(os.Stderr, "%s: %d bytes (--template-body takes at most %d: upload it and use --template-url, as pkg/org/rollout.sh does)\n",
			files[0], st.Size(), pack.BodyLimit)
	}
}
