// Command pack writes the member stack for an AWS Organizations StackSet:
// build/package/member.template.json (plain CloudFormation) and one zip per
// function (arm64). README, "Rolling out to an organisation", says where
// to upload them.
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
}
