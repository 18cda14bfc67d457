// Command drift is the DriftFunction: it re-checks a user pool when a
// CloudTrail API-call event says it was created or changed.
package main

import (
	"time"

	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/app"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/drift"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/securityhub"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

const name = "DriftFunction"

func main() {
	s, fn := app.Start(setup.Function(name), setup.LoadDrift, app.Options{Backoff: pace.CheckBackoff})
	if s.SecurityHub {
		fn.Recorder.Export = securityhub.NewExporter(sh.NewFromConfig(fn.AWS), fn.Pacer, fn.Log, time.Now)
	}
	h := &drift.Handler{Reconciler: fn.Checks, Recorder: fn.Recorder, OwnRoles: s.OwnRoles, Log: fn.Log, Now: time.Now, Region: fn.AWS.Region}
	app.Run(fn, h.Handle)
}
