package fakes

// A gateway for unit tests: cognito.NewGateway(api, fakes.Uncapped(), fakes.QuickBackoff).

import (
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// QuickBackoff retries transient errors three times within milliseconds.
var QuickBackoff = pace.Backoff{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}

// Uncapped is a pacer that counts calls and never waits: for unit tests
// whose fakes do not throttle.
func Uncapped() *pace.Pacer {
	none := func(quota.Category) float64 { return 0 }
	return pace.New(none, none)
}
