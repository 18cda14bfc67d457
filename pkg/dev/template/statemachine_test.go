package template

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

// state is the part of an Amazon States Language state the sweep uses.
type state struct {
	Type           string
	Resource       string
	Result         any
	Parameters     map[string]any
	ResultSelector map[string]string
	Retry          []struct{ ErrorEquals []string }
	Next, Default  string
	Choices        []struct {
		Variable string
		IsNull   *bool
		Next     string
	}
}

type definition struct {
	StartAt string
	States  map[string]state
}

// sweepDefinition reads the state machine's definition from the
// transformed template, with its substitutions.
func sweepDefinition(t *testing.T, tpl *Transformed) (definition, map[string]any) {
	t.Helper()
	p := props(t, tpl, "SweepStateMachine")
	join, ok := p["DefinitionString"].(map[string]any)["Fn::Join"].([]any)
	if !ok || len(join) != 2 {
		t.Fatalf("definition %s", asJSON(p["DefinitionString"]))
	}
	var lines []string
	for _, l := range join[1].([]any) {
		lines = append(lines, l.(string))
	}
	var def definition
	if err := json.Unmarshal([]byte(strings.Join(lines, join[0].(string))), &def); err != nil {
		t.Fatal(err)
	}
	return def, p["DefinitionSubstitutions"].(map[string]any)
}

// at reads a JSONPath of the form $ or $.a.b.
func at(doc any, path string) any {
	for _, k := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, "$"), "."), ".") {
		if k != "" {
			doc = doc.(map[string]any)[k]
		}
	}
	return doc
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(asJSON(v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSweepStateMachine runs the definition the way Step Functions does
// against legs answering with sweep.Report: an execution starts the first
// leg afresh whatever its input (a continuation in it is not passed on),
// each next leg gets the last one's continuation as a sweep.Event, every
// leg the execution's ID, and the execution ends once a leg returns none.
func TestSweepStateMachine(t *testing.T) {
	tpl := transformed(t)
	if typ := props(t, tpl, "SweepStateMachine")["StateMachineType"]; typ != "STANDARD" {
		t.Errorf("type %v: an Express execution stops after 5 minutes", typ)
	}
	def, subs := sweepDefinition(t, tpl)
	if asJSON(subs["SweepFunctionArn"]) != `{"Fn::GetAtt":["SweepFunction","Arn"]}` {
		t.Errorf("substitutions %s", asJSON(subs))
	}
	for name, st := range def.States {
		if st.Type != "Task" {
			continue
		}
		if st.Resource != "arn:aws:states:::lambda:invoke" || st.Parameters["FunctionName"] != "${SweepFunctionArn}" {
			t.Errorf("%s invokes %s %v", name, st.Resource, st.Parameters["FunctionName"])
		}
		var retried []string
		for _, r := range st.Retry {
			retried = append(retried, r.ErrorEquals...)
		}
		for _, e := range []string{"Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException"} {
			if !slices.Contains(retried, e) {
				t.Errorf("%s does not retry %s", name, e)
			}
		}
	}
	if role := asJSON(props(t, tpl, "SweepStateMachineRole")["Policies"]); strings.Count(role, `"Action"`) != 1 ||
		!strings.Contains(role, `"lambda:InvokeFunction"`) || !strings.Contains(role, `"functionName":{"Ref":"SweepFunction"}`) {
		t.Errorf("the state machine may do more than invoke the sweep: %s", role)
	}

	legs := []*sweep.Continuation{{Page: "token-2", PageStarted: []string{"us-east-1_a"}, Last: "us-east-1_a", Legs: 1}, {Listed: true, Legs: 2, Last: "us-east-1_b", Retry: []cognito.PoolRef{{ID: "us-east-1_b"}}}, nil}
	var invoked []any
	const execution = "arn:aws:states:us-east-1:123456789012:execution:SweepStateMachine:e-1"
	// A forged continuation in the execution's input goes nowhere.
	input := roundTrip(t, map[string]any{"detail-type": "Scheduled Event", "source": "aws.events", "detail": map[string]any{},
		"continuation": map[string]any{"listed": true, "tally": map[string]any{"checked": 1000}}})
	name := def.StartAt
	for steps := 0; name != ""; steps++ {
		if steps > 20 {
			t.Fatalf("no end after %d states: %v", steps, invoked)
		}
		st, ok := def.States[name]
		if !ok {
			t.Fatalf("no state %q", name)
		}
		switch st.Type {
		case "Pass":
			input, name = roundTrip(t, st.Result), st.Next
		case "Task":
			payload := map[string]any{}
			for k, path := range st.Parameters["Payload"].(map[string]any) {
				switch path {
				case "$$.Execution.Id":
					payload[strings.TrimSuffix(k, ".$")] = execution
				default:
					payload[strings.TrimSuffix(k, ".$")] = at(input, path.(string))
				}
			}
			invoked = append(invoked, payload)
			rep := sweep.Report{Continuation: legs[len(invoked)-1]}
			result := roundTrip(t, map[string]any{"StatusCode": 200, "Payload": rep})
			selected := map[string]any{}
			for k, path := range st.ResultSelector {
				selected[strings.TrimSuffix(k, ".$")] = at(result, path)
			}
			input, name = selected, st.Next
		case "Choice":
			name = st.Default
			for _, c := range st.Choices {
				if c.IsNull != nil && (at(input, c.Variable) == nil) == *c.IsNull {
					name = c.Next
					break
				}
			}
		case "Succeed":
			name = ""
		default:
			t.Fatalf("state %s of type %s", name, st.Type)
		}
	}
	if len(invoked) != len(legs) {
		t.Fatalf("%d legs invoked, want %d", len(invoked), len(legs))
	}
	if first := asJSON(invoked[0]); first != `{"continuation":null,"execution":"`+execution+`"}` {
		t.Errorf("first leg got %s, want a fresh start in the execution", first)
	}
	for i, payload := range invoked[1:] {
		var ev sweep.Event
		if err := json.Unmarshal([]byte(asJSON(payload)), &ev); err != nil || !reflect.DeepEqual(ev.Continuation, legs[i]) || ev.Execution != execution {
			t.Errorf("leg %d got %s, want the continuation %+v in the execution (%v)", i+2, asJSON(payload), legs[i], err)
		}
	}
}
