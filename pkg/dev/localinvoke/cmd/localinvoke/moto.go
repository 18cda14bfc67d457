package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// The findings bus -moto creates, and the template parameter that names it.
const (
	busName  = "invoke-findings"
	busParam = "ExistingFindingsBusName"
)

// sandbox is the moto -moto starts, seeded for one event.
type sandbox struct {
	m       *testbed.Moto
	pool    string
	sub     string // the sample user's; "" when the event names no user
	bus     *testbed.Bus
	signIns *testbed.Queue // the trigger's sign-in queue; nil for other functions
}

// startSandbox starts moto and creates the findings bus, the stack's ledger
// and queues, and a pool at OFF, with the sample user when the event names
// it (as a field, or in an SQS message's body). A function that sends
// sign-ins gets a queue, unless overrides names one.
func startSandbox(payload []byte, env, overrides map[string]string) (*sandbox, error) {
	m, err := testbed.StartMoto()
	if err != nil {
		return nil, err
	}
	sb := &sandbox{m: m}
	if err := sb.seed(context.Background(), payload, env, overrides); err != nil {
		m.Stop()
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "moto: %s, pool %s at MFA OFF, findings bus %s\n", m.Endpoint, sb.pool, sb.bus.Name)
	return sb, nil
}

func (sb *sandbox) seed(ctx context.Context, payload []byte, env, overrides map[string]string) error {
	var err error
	if sb.bus, err = sb.m.FindingsBus(ctx, busName); err != nil {
		return err
	}
	if err := sb.m.StackResources(ctx); err != nil {
		return err
	}
	// The template's queue resolves to its logical ID, which names no
	// queue here: without one the trigger's every send fails.
	queue := setup.SignInQueueVar.Env
	if _, sends := env[queue]; sends && overrides[queue] == "" {
		if sb.signIns, err = sb.m.Queue(ctx, "invoke-sign-ins"); err != nil {
			return err
		}
		env[queue] = sb.signIns.URL
	}
	if sb.pool, err = sb.m.CreatePool(ctx, "invoke", nil, "OFF"); err != nil {
		return err
	}
	if !strings.Contains(string(payload), testbed.SampleUserName) {
		return nil
	}
	if _, err := sb.m.TOTPUser(ctx, sb.pool, testbed.SampleUserName); err != nil {
		return err
	}
	sb.sub, err = sb.m.UserSub(ctx, sb.pool, testbed.SampleUserName)
	return err
}

// fill puts the pool's ID and the user's sub in the event, as Cognito
// would send them: the sign-in check refuses a message whose sub is not
// the user's.
func (sb *sandbox) fill(payload []byte) []byte {
	s := strings.ReplaceAll(string(payload), testbed.SamplePoolID, sb.pool)
	if sb.sub != "" {
		s = strings.ReplaceAll(s, testbed.SampleSub, sb.sub)
	}
	return []byte(s)
}

// report prints the pool's MFA configuration, the findings on the bus and
// the sign-ins queued.
func (sb *sandbox) report() {
	ctx := context.Background()
	if mfa, err := sb.m.GetMFA(ctx, sb.pool); err != nil {
		fmt.Fprintf(os.Stderr, "moto: read pool %s: %v\n", sb.pool, err)
	} else {
		fmt.Fprintf(os.Stderr, "moto: pool %s after the invocation: %s\n", sb.pool, mfa)
	}
	events, err := sb.bus.Drain(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "moto: read findings:", err)
	}
	for _, e := range events {
		fmt.Fprintf(os.Stderr, "moto: finding on the bus: %s %s\n", e.DetailType, e.Detail)
	}
	if sb.signIns == nil {
		return
	}
	bodies, err := sb.signIns.Bodies(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "moto: read sign-ins:", err)
	}
	for _, body := range bodies {
		fmt.Fprintf(os.Stderr, "moto: sign-in queued: %s\n", body)
	}
}
