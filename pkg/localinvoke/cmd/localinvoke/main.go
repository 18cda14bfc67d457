// Command localinvoke runs a built bootstrap under the local Lambda Runtime
// API with the environment template.yaml declares, like `sam local invoke`.
//
//	localinvoke -function SweepFunction -binary build/SweepFunction/bootstrap -event events/x.json
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/localinvoke"
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
	flag.Parse()
	if err := run(*template, *function, *binary, *event, env, params); err != nil {
		fmt.Fprintln(os.Stderr, "localinvoke:", err)
		os.Exit(1)
	}
}

func run(template, function, binary, eventPath string, env, params map[string]string) error {
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
