// Command attach attaches the enforcer's trigger to user pools, or detaches
// it, keeping every other setting (pkg/dev/attach; `attach -help`):
//
//	attach (-attach ARN | -detach ARN) (-pools ID,ID... | -all) [-apply]
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/attach"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := attach.Command(ctx, os.Args[1:], os.Stdout, os.Stderr, func(ctx context.Context) (attach.API, error) {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration: %w", err)
		}
		if cfg.Region == "" {
			return nil, errors.New("no AWS Region: set AWS_REGION or the profile's region")
		}
		fmt.Fprintf(os.Stderr, "Cognito user pools in %s\n", cfg.Region)
		return cip.NewFromConfig(cfg), nil
	})
	stop()
	os.Exit(code)
}
