// Command trigger is the TriggerFunction: a user pool's PreAuthentication
// and PostAuthentication trigger that enforces the policy on sign-in.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/trigger"
)

const name = "TriggerFunction"

func main() {
	function := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	s, err := setup.LoadTrigger()
	var cfg aws.Config
	if err == nil {
		cfg, err = setup.AWS(context.Background())
	}
	var src *policyparam.Source
	if err == nil {
		src, err = policyparam.Open(context.Background(), &s.Settings, cfg, name, s.Logger(name))
	}
	if err != nil {
		// Cognito fails every sign-in whose trigger fails to start: pass
		// sign-ins through instead, loudly (this line, a metric, an alarm).
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("configuration invalid: every sign-in passes through unchecked until it is fixed",
			"function", name, "outcome", "pass-through", "error", err.Error())
		lambda.Start(trigger.PassThrough{Metrics: os.Stdout, Function: function, Now: time.Now}.Handle)
		return
	}
	log := s.Logger(name)
	client := cognito.New(cip.NewFromConfig(cfg))
	r := reconcile.New(client, s.Policy, log)
	r.Backoff = reconcile.Backoff{Attempts: 1} // on the sign-in path, skip rather than wait
	h := &trigger.Handler{
		Reconciler: r, Users: client, Budget: s.Budget, TTL: s.TTL, Log: log, Now: time.Now,
		Recorder: findings.Recorder{Publisher: findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			Metrics: os.Stdout, Function: function},
	}
	lambda.Start(policyparam.Refreshing(src, r.SetPolicy, h.Handle))
}
