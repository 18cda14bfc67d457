package testbed

import (
	"context"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// TestCallAgreesWithTheCLI: what the test bed writes and reads with Call
// (plain HTTP) is what the AWS CLI reads, in this account and another.
func TestCallAgreesWithTheCLI(t *testing.T) {
	m := Own(t)
	ctx := context.Background()
	id, err := m.CreatePool(ctx, "call", map[string]string{"team": "a"}, "ON", policy.SoftwareToken, policy.SMS)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.GetMFA(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var cli PoolMFA
	if err := m.CLI(ctx, &cli, "cognito-idp", "get-user-pool-mfa-config", "--user-pool-id", id); err != nil {
		t.Fatal(err)
	}
	if got.String() != cli.String() || got.MfaConfiguration != "ON" || !got.TOTP() || got.SmsMfaConfiguration == nil ||
		got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn != SNSCallerARN {
		t.Errorf("Call read %s, the CLI %s", got, cli)
	}
	other, err := m.AssumeAccount(ctx, "210987654321")
	if err != nil {
		t.Fatal(err)
	}
	bus, err := other.FindingsBus(ctx, "call-bus")
	if err != nil {
		t.Fatal(err)
	}
	var buses struct{ EventBuses []struct{ Arn string } }
	if err := other.CLI(ctx, &buses, "events", "list-event-buses", "--name-prefix", "call-bus"); err != nil {
		t.Fatal(err)
	}
	if len(buses.EventBuses) != 1 || buses.EventBuses[0].Arn != bus.ARN {
		t.Errorf("the CLI in account %s lists %+v, want %s", other.ID, buses.EventBuses, bus.ARN)
	}
}
