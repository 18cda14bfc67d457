// Command localinvoke runs a built bootstrap under the local Lambda Runtime
// API with the environment template.yaml declares, like `sam local invoke`.
//
//	localinvoke -function SweepFunction -binary build/SweepFunction/bootstrap -event events/x.json [-moto]
//
// With -moto it starts moto, creates a findings bus, the stack's ledger and
// queues, and a pool at MFA OFF (and, when the event names the sample user,
// that user with TOTP), puts the pool's ID (and the user's sub) in the
// event, invokes against moto and prints the pool's MFA configuration, the
// findings on the bus and the sign-ins queued after.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
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
	tpl, err := localinvoke.LoadTemplate(template)
	if err != nil {
		return err
	}
	if withMoto {
		params[busParam] = busName
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
		sb, err := startSandbox(payload, spec.Env, env)
		if err != nil {
			return err
		}
		defer sb.m.Stop()
		payload = sb.fill(payload)
		extra = sb.m.Env()
		defer sb.report()
	} else {
		noBus(tpl, spec.Env, os.Stderr)
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

// noBus clears a findings bus that only a deployed stack has: a Ref to the
// template's bus resolves to its logical ID, which names no bus in a local
// AWS (or in an account without the stack), and every publish would log an
// ERROR. -param ExistingFindingsBusName=<bus> names a bus to publish to.
func noBus(tpl *localinvoke.Template, env map[string]string, w io.Writer) {
	bus := env[setup.EventBusVar.Env]
	if _, ok := tpl.Resources[bus]; !ok || bus == "" {
		return
	}
	env[setup.EventBusVar.Env] = ""
	fmt.Fprintf(w, "localinvoke: %s is the template's %s, which only a deployed stack creates: findings are not published (-param %s=<bus> publishes them)\n",
		setup.EventBusVar.Env, bus, busParam)
}
