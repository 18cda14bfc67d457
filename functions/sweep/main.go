// Command sweep is the SweepFunction: a scheduled compliance sweep over
// every user pool in the account and region.
package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/app"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/securityhub"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/tagging"
)

const name = "SweepFunction"

func main() {
	// The sweep writes its calls per leg, in its report's metrics.
	s, fn := app.Start(setup.Function(name), setup.LoadSweep, app.Options{Backoff: pace.SweepBackoff, CountsCalls: true})
	sw := &sweep.Sweeper{Reconciler: fn.Checks, Recorder: fn.Recorder, Calls: fn.Pacer.Counts, Tags: tagging.NewTags(rgt.NewFromConfig(fn.AWS)),
		Coverage:   coverage.NewReader(dynamodb.NewFromConfig(fn.AWS), s.CoverageTable, s.CoverageReadUnits),
		Unrecorded: coverage.NewUnrecorded(sqs.NewFromConfig(fn.AWS), s.SignInDeadLetters),
		Limits:     &sweep.Limits{Share: s.Share, Apply: fn.SetShare},
		Log:        fn.Log, Concurrency: s.Concurrency, StopMargin: sweep.StopMargin, FinishMargin: sweep.FinishMargin, Now: time.Now}
	if s.SecurityHub {
		sw.Hub = securityhub.NewExporter(sh.NewFromConfig(fn.AWS), fn.Pacer, fn.Log, time.Now)
	}
	app.Run(fn, (&sweep.Handler{Sweeper: sw, Region: fn.AWS.Region}).Handle)
}
