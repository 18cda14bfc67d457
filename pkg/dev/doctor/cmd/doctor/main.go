// Command doctor checks this repository's prerequisites from its root and
// names every one missing or too old, with how to install it: make doctor.
// Exit status 1 when a required tool is missing or too old; an optional
// one only warns.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/doctor"
)

func main() {
	goMin, err := doctor.GoMin(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctor:", err)
		os.Exit(1)
	}
	c := doctor.Checker{Dir: ".", Path: os.Getenv("PATH"), Timeout: 20 * time.Second}
	report := c.Check(context.Background(), doctor.Tools(goMin))
	if err := report.Write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "doctor:", err)
		os.Exit(1)
	}
	if report.Err() != nil {
		os.Exit(1)
	}
}
