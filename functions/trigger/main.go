// Command trigger is the TriggerFunction: a user pool's PreAuthentication
// and PostAuthentication trigger that enforces the policy on sign-in.
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
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/trigger"
)

const name = "TriggerFunction"

func main() {
	s, cfg, log := setup.Init(name)
	ttl, err := setup.Duration(trigger.EnvTTL, 5*time.Minute, time.Second, 24*time.Hour)
	if err != nil {
		setup.Fatal(name, err)
	}
	budget, err := setup.Duration(trigger.EnvBudget, trigger.DefaultBudget, 100*time.Millisecond, 4*time.Second)
	if err != nil {
		setup.Fatal(name, err)
	}
	client := cip.NewFromConfig(cfg)
	r := reconcile.New(client, s.Policy, log)
	r.Backoff = reconcile.Backoff{Attempts: 1} // on the sign-in path, skip rather than wait
	h := &trigger.Handler{
		Pools: &trigger.PoolChecker{Reconciler: r, TTL: ttl, RetryAfter: trigger.RetryAfter, Now: time.Now,
			Metrics: os.Stdout, Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
			Publisher: findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log)},
		Users: client, Policy: s.Policy, Budget: budget, TTL: ttl, Log: log, Now: time.Now,
	}
	lambda.Start(h.Handle)
}
