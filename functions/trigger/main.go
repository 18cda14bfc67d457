// Command trigger is the TriggerFunction: a user pool's PreAuthentication
// and PostAuthentication trigger that enqueues each sign-in for the sign-in
// check and returns at once. It builds only an SQS client.
package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/trigger"
)

const name = "TriggerFunction"

func main() {
	id := setup.Function(name)
	s, err := setup.LoadTrigger()
	var q *sqs.Client
	if err == nil {
		var cfg aws.Config
		if cfg, err = trigger.EnvConfig(); err == nil {
			q = sqs.NewFromConfig(cfg)
		}
	}
	if err != nil {
		// Cognito fails every sign-in whose trigger fails to start: pass
		// sign-ins through instead, loudly (this line, a metric, an alarm).
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("configuration invalid: every sign-in passes through unchecked until it is fixed",
			"function", id.LogicalID, "outcome", "pass-through", "error", err.Error())
		lambda.Start(trigger.PassThrough{Metrics: os.Stdout, Function: id.Name, Now: time.Now}.Handle)
		return
	}
	h := &trigger.Handler{Queue: q, QueueURL: s.QueueURL, TTL: s.TTL, Log: s.Logger(id.LogicalID), Now: time.Now}
	lambda.Start(h.Handle)
}
