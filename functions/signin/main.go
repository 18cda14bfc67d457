// Command signin is the SignInCheckFunction: it consumes the sign-in queue
// the TriggerFunction fills, and checks each signed-in user's pool and user
// with the policy in force.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signin"
)

const name = "SignInCheckFunction"

// id is the function's one identity: logs, metrics, the policy parameter's metrics.
var id = setup.Function(name)

func main() {
	s, cfg, log := setup.Start(id, setup.LoadSignIn)
	src, err := policyparam.Open(context.Background(), &s.Settings, cfg, id, log)
	if err != nil {
		setup.Fatal(id.LogicalID, err)
	}
	client := cognito.New(cip.NewFromConfig(cfg))
	r := reconcile.New(client, s.Policy, log)
	// Its instances together stay within QUOTA_SHARE of every category,
	// user calls included: the pacer divides it by the function's maximum
	// concurrency.
	pacer := pace.ForFunction(s.Share, id.MaxConcurrency())
	r.Pacer = pacer
	h := &signin.Handler{
		Reconciler: r, Users: client, Log: log, Now: time.Now,
		Recorder: findings.Recorder{Publisher: findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
			Metrics: os.Stdout, Function: id.Name},
	}
	// Only a real ledger: a nil one in the interface would still make the
	// check read users no rule needs.
	if l := coverage.NewLedger(dynamodb.NewFromConfig(cfg), s.CoverageTable, s.Policy); l != nil {
		h.Ledger = l
	}
	lambda.Start(policyparam.Refreshing(src, r.SetPolicy, metrics.CountCalls(pacer.Counts, os.Stdout, id.Name, h.Handle)))
}
