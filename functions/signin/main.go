// Command signin is the SignInCheckFunction: it consumes the sign-in queue
// the TriggerFunction fills, and checks each signed-in user's pool and user
// with the policy in force.
package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/app"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signin"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/tagging"
)

const name = "SignInCheckFunction"

func main() {
	s, fn := app.Start(setup.Function(name), setup.LoadSignIn, app.Options{Backoff: pace.CheckBackoff})
	h := &signin.Handler{Reconciler: fn.Checks, Recorder: fn.Recorder, Log: fn.Log, Now: time.Now, Region: fn.AWS.Region,
		Tags: tagging.NewTags(rgt.NewFromConfig(fn.AWS))}
	// Only a real ledger: a nil one in the interface would still make the
	// check read users no rule needs.
	if l := coverage.NewLedger(dynamodb.NewFromConfig(fn.AWS), s.CoverageTable); l != nil {
		h.Ledger = l
	}
	app.Run(fn, h.Handle)
}
