// Command sweep is the SweepFunction: a scheduled compliance sweep over
// every user pool in the account and region.
package main

import (
	"context"
	"os"
	"time"

	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/securityhub"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

const name = "SweepFunction"

// id is the function's one identity: logs, metrics, the policy parameter's metrics.
var id = setup.Function(name)

func main() {
	s, cfg, log := setup.Start(id, setup.LoadSweep)
	src, err := policyparam.Open(context.Background(), &s.Settings, cfg, id, log)
	if err != nil {
		setup.Fatal(id.LogicalID, err)
	}
	client := cognito.New(cip.NewFromConfig(cfg))
	pacer := pace.ForFunction(s.Share, id.MaxConcurrency())
	r := reconcile.New(client, s.Policy, log)
	r.Backoff, r.Pacer = pace.SweepBackoff, pacer
	sw := &sweep.Sweeper{
		Lister: client, Tags: sweep.NewTags(rgt.NewFromConfig(cfg)), Reconciler: r, Pacer: pacer, Log: log, Concurrency: s.Concurrency,
		Publisher:  findings.NewPublisher(eventbridge.NewFromConfig(cfg), s.EventBusName, log),
		StopMargin: sweep.StopMargin, FinishMargin: sweep.FinishMargin, Now: time.Now,
		Coverage: coverage.NewReader(dynamodb.NewFromConfig(cfg), s.CoverageTable, s.CoverageReadUnits),
	}
	if s.SecurityHub {
		hub := &securityhub.Exporter{API: sh.NewFromConfig(cfg), Log: log, Now: time.Now, Pacer: pacer}
		sw.Export = func(ctx context.Context, region, account string) (sweep.Batch, error) {
			return hub.Sweep(ctx, region, account)
		}
		sw.ResolveGone, sw.Pools = hub.ResolveGone, client
	}
	h := &sweep.Handler{Sweeper: sw, Function: id.Name, Region: cfg.Region, Metrics: os.Stdout}
	lambda.Start(policyparam.Refreshing(src, r.SetPolicy, h.Handle))
}
