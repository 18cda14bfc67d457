// Command demo runs the enforcer end to end locally: `make demo`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/demo"
)

func main() {
	if err := demo.Run(context.Background(), ".", os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
