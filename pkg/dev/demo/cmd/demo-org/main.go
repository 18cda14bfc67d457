// Command demo-org runs the organisation demo locally: `make demo-org`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/demo"
)

func main() {
	if err := demo.RunOrg(context.Background(), ".", os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo-org:", err)
		os.Exit(1)
	}
}
