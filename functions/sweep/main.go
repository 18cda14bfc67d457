// Command sweep is the SweepFunction: a scheduled compliance sweep over
// every user pool in the account and region.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

const name = "SweepFunction"

func main() {
	s, cfg, log := setup.Init(name)
	rate, err := setup.Number(sweep.EnvMaxRPS, 10, 0.1, 100)
	if err != nil {
		setup.Fatal(name, err)
	}
	workers, err := setup.Number(sweep.EnvConcurrency, 4, 1, 64)
	if err != nil {
		setup.Fatal(name, err)
	}
	api := sweep.Paced(cip.NewFromConfig(cfg), sweep.NewPacer(rate))
	r := reconcile.New(api, s.Policy, log)
	r.Backoff = sweep.Backoff
	h := &sweep.Handler{
		Sweeper: &sweep.Sweeper{
			API: api, Reconciler: r, Log: log, Concurrency: int(workers),
			Publisher:  findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			StopMargin: sweep.StopMargin, FinishMargin: sweep.FinishMargin, Now: time.Now,
		},
		Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Region: cfg.Region, Metrics: os.Stdout,
	}
	lambda.Start(h.Handle)
}
