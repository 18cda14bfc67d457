// Command sweep is the SweepFunction: a scheduled compliance sweep over
// every user pool in the account and region.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

const name = "SweepFunction"

func main() {
	s, cfg, log := setup.Start(name, setup.LoadSweep)
	client := cognito.New(cip.NewFromConfig(cfg))
	r := reconcile.New(client, s.Policy, log)
	r.Backoff, r.Pacer = sweep.Backoff, sweep.NewPacer(s.MaxRPS)
	h := &sweep.Handler{
		Sweeper: &sweep.Sweeper{
			Lister: client, Reconciler: r, Log: log, Concurrency: s.Concurrency,
			Publisher:  findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			StopMargin: sweep.StopMargin, FinishMargin: sweep.FinishMargin, Now: time.Now,
		},
		Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Region: cfg.Region, Metrics: os.Stdout,
	}
	lambda.Start(h.Handle)
}
