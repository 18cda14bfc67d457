package policycheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// LambdaEnvironmentMax is Lambda's limit on a function's environment: all
// its variables together, keys and values, measured as the JSON object
// its refusal quotes ("String measured: {"KEY":"value",...}"). So a quote
// or a newline in the policy counts twice (\" and \n).
const LambdaEnvironmentMax = 4096

// Environment is one function's environment as the template would deploy
// it with a policy.
type Environment struct {
	Function string
	Total    int // bytes Lambda counts
	Policy   int // of Total, what the policy adds to an empty MFA_POLICY
}

// Environments sizes the environment of each function of tpl that reads
// the inline policy (setup.Vars), with doc as PolicyDocument and every
// other parameter at its default, largest first.
func Environments(tpl *localinvoke.Template, doc string) ([]Environment, error) {
	var envs []Environment
	for _, fn := range policyReaders() {
		with, err := environmentSize(tpl, fn, doc)
		if err != nil {
			return nil, err
		}
		without, err := environmentSize(tpl, fn, "")
		if err != nil {
			return nil, err
		}
		envs = append(envs, Environment{Function: fn, Total: with, Policy: with - without})
	}
	sort.SliceStable(envs, func(i, j int) bool { return envs[i].Total > envs[j].Total })
	return envs, nil
}

// policyReaders lists, sorted, the functions that read MFA_POLICY.
func policyReaders() []string {
	var fns []string
	for fn, vars := range setup.Vars {
		if slices.ContainsFunc(vars, func(v setup.Var) bool { return v.Env == setup.PolicyVar.Env }) {
			fns = append(fns, fn)
		}
	}
	sort.Strings(fns)
	return fns
}

// Bounds of what a deploy puts in the names the template's values are
// built from: the longest AWS allows, so a policy accepted here fits any
// stack, StackSet instances included (StackSet-<set name>-<36-character
// ID>: 66 characters for the set rollout.sh creates).
const (
	maxStackName = 128 // CloudFormation's limit on a stack name
	randomSuffix = 13  // CloudFormation's suffix on a name it generates
	maxRegion    = 14  // ap-southeast-5, ap-northeast-3
	maxPartition = 10  // aws-us-gov
	maxURLSuffix = 16  // amazonaws.com.cn
	accountID    = 12
)

// pseudo bounds the pseudo parameters: the harness fills them with short
// stand-ins (stack "local"), and a parameter of the same name overrides
// them, as in sam local invoke.
var pseudo = map[string]int{"AWS::StackName": maxStackName, "AWS::Region": maxRegion,
	"AWS::Partition": maxPartition, "AWS::URLSuffix": maxURLSuffix, "AWS::AccountId": accountID}

// environmentSize is the bytes Lambda counts of fn's environment with doc
// as PolicyDocument.
func environmentSize(tpl *localinvoke.Template, fn, doc string) (int, error) {
	params := map[string]string{setup.PolicyVar.Param: doc}
	for name, n := range pseudo {
		params[name] = strings.Repeat("x", n)
	}
	spec, err := tpl.Function(fn, params)
	if err != nil {
		return 0, err
	}
	if got, ok := spec.Env[setup.PolicyVar.Env]; !ok || got != doc {
		return 0, fmt.Errorf("%s: %s is not the %s parameter in the template", fn, setup.PolicyVar.Env, setup.PolicyVar.Param)
	}
	for k, v := range spec.Env {
		if k == setup.PolicyVar.Env {
			continue // the document, whatever words it holds
		}
		if spec.Env[k], err = deployed(tpl, v); err != nil {
			return 0, fmt.Errorf("%s: %s: %w", fn, k, err)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Lambda counts < as one byte, not \u003c
	if err := enc.Encode(spec.Env); err != nil {
		return 0, err
	}
	return len(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

var (
	// getAtt matches the harness's stand-in for !GetAtt Id.Attr.
	getAtt = regexp.MustCompile(`arn:aws:local:[a-z0-9-]+:[0-9]{12}:([A-Za-z0-9]+)/([A-Za-z0-9.]+)`)
	// word matches what may be a Ref to a resource, which the harness
	// leaves as the resource's logical ID.
	word = regexp.MustCompile(`[A-Za-z0-9]+`)
)

// deployed replaces, in a value the harness resolved, each reference to a
// resource with as many bytes as the deployed value may take.
func deployed(tpl *localinvoke.Template, v string) (string, error) {
	var err error
	stand := func(id, attr string) string {
		n, e := deployedLen(tpl, id, attr)
		if e != nil && err == nil {
			err = e
		}
		return strings.Repeat("x", n)
	}
	v = getAtt.ReplaceAllStringFunc(v, func(m string) string {
		s := getAtt.FindStringSubmatch(m)
		return stand(s[1], s[2])
	})
	v = word.ReplaceAllStringFunc(v, func(w string) string {
		if _, ok := tpl.Resources[w]; ok {
			return stand(w, "")
		}
		return w
	})
	return v, err
}

// deployedLen bounds the length of !Ref id (attr "") or !GetAtt id.attr
// once deployed. Names CloudFormation generates are
// <stack>-<LogicalId>-<random>, shortened to the service's limit.
func deployedLen(tpl *localinvoke.Template, id, attr string) (int, error) {
	generated := func(limit int) int { return min(maxStackName+1+len(id)+1+randomSuffix, limit) }
	typ := resourceType(tpl, id)
	switch typ + "." + attr {
	case "AWS::SQS::Queue.": // https://sqs.<region>.<suffix>/<account>/<name>; names up to 80
		return len("https://sqs.") + maxRegion + len(".") + maxURLSuffix + len("/") + accountID + len("/") + generated(80), nil
	case "AWS::SQS::Queue.Arn":
		return len("arn:") + maxPartition + len(":sqs:") + maxRegion + len(":") + accountID + len(":") + generated(80), nil
	case "AWS::DynamoDB::Table.": // the table's name, up to 255
		return generated(255), nil
	case "AWS::Events::EventBus.": // the bus's name, from its Name property
		return busNameLen(tpl, id), nil
	case "AWS::IAM::Role.Arn": // arn:<partition>:iam::<account>:role/<name>; names up to 64, path /
		return len("arn:") + maxPartition + len(":iam::") + accountID + len(":role/") + generated(64), nil
	}
	ref := "!Ref " + id
	if attr != "" {
		ref = "!GetAtt " + id + "." + attr
	}
	return 0, fmt.Errorf("no bound for the deployed value of %s (%s): add one to policycheck's deployedLen", ref, typ)
}

// resourceType is id's type; SAM's implicit role of a function,
// <Function>Role, is not in the template.
func resourceType(tpl *localinvoke.Template, id string) string {
	if r, ok := tpl.Resources[id]; ok {
		return r.Type
	}
	if fn, ok := strings.CutSuffix(id, "Role"); ok && tpl.Resources[fn].Type == "AWS::Serverless::Function" {
		return "AWS::IAM::Role"
	}
	return "unknown"
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// busNameLen bounds an event bus's name: its Name, with each pseudo
// parameter at its bound; EventBridge's limit, 256, when the Name is built
// from anything else.
func busNameLen(tpl *localinvoke.Template, id string) int {
	const limit = 256
	var props struct {
		Name yaml.Node `yaml:"Name"`
	}
	node := tpl.Resources[id].Properties
	if err := node.Decode(&props); err != nil || props.Name.Kind != yaml.ScalarNode || props.Name.Value == "" {
		return limit
	}
	n := len(props.Name.Value)
	for _, m := range subVar.FindAllStringSubmatch(props.Name.Value, -1) {
		bound, ok := pseudo[m[1]]
		if !ok {
			return limit
		}
		n += bound - len(m[0])
	}
	return min(n, limit)
}
