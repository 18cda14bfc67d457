// Command drift is the DriftFunction: it re-checks a user pool when a
// CloudTrail API-call event says it was created or changed.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/drift"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/securityhub"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

const name = "DriftFunction"

// id is the function's one identity: logs, metrics, the policy parameter's metrics.
var id = setup.Function(name)

func main() {
	s, cfg, log := setup.Start(id, setup.LoadDrift)
	src, err := policyparam.Open(context.Background(), &s.Settings, cfg, id, log)
	if err != nil {
		setup.Fatal(id.LogicalID, err)
	}
	pacer := pace.ForFunction(s.Share, id.MaxConcurrency())
	var hub findings.Exporter // nil: not exported
	if s.SecurityHub {
		hub = &securityhub.Exporter{API: sh.NewFromConfig(cfg), Log: log, Now: time.Now, Pacer: pacer}
	}
	r := reconcile.New(cognito.New(cip.NewFromConfig(cfg)), s.Policy, log)
	r.Pacer = pacer
	h := &drift.Handler{
		Reconciler: r,
		Recorder: findings.Recorder{Publisher: findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			Metrics: os.Stdout, Function: id.Name, Export: hub},
		OwnRoles: s.OwnRoles,
		Log:      log,
		Now:      time.Now,
		Region:   cfg.Region,
	}
	lambda.Start(policyparam.Refreshing(src, r.SetPolicy, metrics.CountCalls(pacer.Counts, os.Stdout, id.Name, h.Handle)))
}
