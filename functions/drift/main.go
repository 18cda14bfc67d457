// Command drift is the DriftFunction: it re-checks a user pool when a
// CloudTrail API-call event says it was created or changed.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/drift"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/securityhub"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

const name = "DriftFunction"

func main() {
	s, cfg, log := setup.Start(name, setup.LoadDrift)
	var hub findings.Exporter // nil: not exported
	if s.SecurityHub {
		hub = &securityhub.Exporter{API: sh.NewFromConfig(cfg), Log: log, Now: time.Now}
	}
	h := &drift.Handler{
		Reconciler: reconcile.New(cognito.New(cip.NewFromConfig(cfg)), s.Policy, log),
		Recorder: findings.Recorder{Publisher: findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			Metrics: os.Stdout, Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Export: hub},
		OwnRoles: s.OwnRoles,
		Log:      log,
		Now:      time.Now,
		Region:   cfg.Region,
	}
	lambda.Start(h.Handle)
}
