// Command localinvoke runs a built bootstrap under the local Lambda Runtime
// API with the environment template.yaml declares, like `sam local invoke`.
//
//	localinvoke -function SweepFunction -binary build/SweepFunction/bootstrap -event events/x.json [-moto]
//
// With -moto it starts moto, creates a pool at MFA OFF (and, when the event
// names the sample user, that user with TOTP), puts the pool's ID in the
// event, invokes against moto and prints the pool's MFA configuration after.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
)

type pairs map[string]string

func (p pairs) String() string { return fmt.Sprint(map[string]string(p)) }
func (p pairs) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	p[k] = val
	return nil
}

func main() {
	template := flag.String("template", "template.yaml", "SAM template")
	function := flag.String("function", "", "logical ID of the function")
	binary := flag.String("binary", "", "built bootstrap")
	event := flag.String("event", "", "event JSON file (- for stdin)")
	env, params := pairs{}, pairs{}
	flag.Var(env, "env", "KEY=VALUE environment override (repeatable)")
	flag.Var(params, "param", "KEY=VALUE template parameter override (repeatable)")
	withMoto := flag.Bool("moto", false, "start moto and seed the event's pool (and user) there")
	flag.Parse()
	if err := run(*template, *function, *binary, *event, env, params, *withMoto); err != nil {
		fmt.Fprintln(os.Stderr, "localinvoke:", err)
		os.Exit(1)
	}
}

func run(template, function, binary, eventPath string, env, params map[string]string, withMoto bool) error {
	if function == "" || binary == "" || eventPath == "" {
		return fmt.Errorf("-function, -binary and -event are required")
	}
	var payload []byte
	var err error
	if eventPath == "-" {
		payload, err = io.ReadAll(os.Stdin)
	} else {
		payload, err = os.ReadFile(eventPath)
	}
	if err != nil {
		return err
	}
	var m *testbed.Moto
	var pool string
	var bus *testbed.Bus
	if withMoto {
		if m, pool, bus, err = seed(payload); err != nil {
			return err
		}
		defer m.Stop()
		payload = []byte(strings.ReplaceAll(string(payload), testbed.SamplePoolID, pool))
		params["ExistingFindingsBusName"] = bus.Name
	}
	tpl, err := localinvoke.LoadTemplate(template)
	if err != nil {
		return err
	}
	spec, err := tpl.Function(function, params)
	if err != nil {
		return err
	}
	for k, v := range env {
		spec.Env[k] = v
	}
	// Credentials, region and endpoint pass through, as sam local does.
	var extra []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			extra = append(extra, kv)
		}
	}
	if withMoto {
		extra = m.Env()
		defer report(m, pool, bus)
	}
	rt, err := localinvoke.Start(binary, spec, extra, os.Stderr)
	if err != nil {
		return err
	}
	defer rt.Close()
	res, err := rt.Invoke(context.Background(), payload)
	if err != nil {
		return err
	}
	if res.Err != nil {
		return res.Err
	}
	fmt.Println(string(res.Payload))
	return nil
}

// seed starts moto and creates a findings bus, the stack's ledger and
// queues, and a pool at OFF for the event, with the sample user when the event names it.
func seed(payload []byte) (*testbed.Moto, string, *testbed.Bus, error) {
	ctx := context.Background()
	m, err := testbed.StartMoto()
	if err != nil {
		return nil, "", nil, err
	}
	bus, err := m.FindingsBus(ctx, "invoke-findings")
	var pool string
	if err == nil {
		err = m.StackResources(ctx)
	}
	if err == nil {
		pool, err = m.CreatePool(ctx, "invoke", nil, "OFF")
	}
	if err == nil && strings.Contains(string(payload), testbed.SampleUserName) { // as a field, or in an SQS message's body
		_, err = m.TOTPUser(ctx, pool, testbed.SampleUserName)
	}
	if err != nil {
		m.Stop()
		return nil, "", nil, err
	}
	fmt.Fprintf(os.Stderr, "moto: %s, pool %s at MFA OFF, findings bus %s\n", m.Endpoint, pool, bus.Name)
	return m, pool, bus, nil
}

// report prints the pool's MFA configuration and the findings on the bus.
func report(m *testbed.Moto, pool string, bus *testbed.Bus) {
	ctx := context.Background()
	mfa, err := m.GetMFA(ctx, pool)
	fmt.Fprintf(os.Stderr, "moto: pool %s after the invocation: %s %v\n", pool, mfa, err)
	events, err := bus.Drain(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "moto: read findings:", err)
	}
	for _, e := range events {
		fmt.Fprintf(os.Stderr, "moto: finding on the bus: %s %s\n", e.DetailType, e.Detail)
	}
}
