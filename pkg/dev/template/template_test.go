package template

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/drift"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

const root = "../../.."

var functions = map[string]string{"DriftFunction": "drift", "SweepFunction": "sweep", "TriggerFunction": "trigger"}

var (
	once     sync.Once
	cached   *Transformed
	cacheErr error
)

// transformed runs the SAM transform once per test binary.
func transformed(t *testing.T) *Transformed {
	t.Helper()
	if testing.Short() {
		t.Skip("the SAM transform needs Python: skipped with -short")
	}
	once.Do(func() { cached, cacheErr = Transform(filepath.Join(root, "template.yaml")) })
	if cacheErr != nil {
		t.Fatal(cacheErr)
	}
	return cached
}

func props(t *testing.T, tpl *Transformed, id string) map[string]any {
	t.Helper()
	r, ok := tpl.Resources[id]
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	return r.Properties
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestFunctions(t *testing.T) {
	tpl := transformed(t)
	for id := range functions {
		p := props(t, tpl, id)
		if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || asJSON(p["Architectures"]) != `["arm64"]` || p["MemorySize"] != 128.0 {
			t.Errorf("%s: runtime %v handler %v arch %v memory %v", id, p["Runtime"], p["Handler"], p["Architectures"], p["MemorySize"])
		}
		if !strings.Contains(asJSON(p["LoggingConfig"]), `"LogFormat":"JSON"`) {
			t.Errorf("%s: logs are not JSON", id)
		}
	}
	if got := props(t, tpl, "SweepFunction")["Timeout"]; got != 900.0 {
		t.Errorf("sweep timeout %v", got)
	}
	if got := props(t, tpl, "TriggerFunction")["Timeout"].(float64); got > 5 {
		t.Errorf("trigger timeout %v exceeds Cognito's 5 s", got)
	}
	for _, id := range tpl.OfType("AWS::Logs::LogGroup") {
		if props(t, tpl, id)["RetentionInDays"] == nil {
			t.Errorf("%s has no retention", id)
		}
	}
}

func TestDriftRule(t *testing.T) {
	tpl := transformed(t)
	p := props(t, tpl, "DriftFunctionPoolChanged")
	want := map[string]any{
		"source":      []any{drift.EventSource},
		"detail-type": []any{drift.DetailType},
		"detail": map[string]any{
			"eventSource": []any{drift.CloudTrailSource},
			"eventName":   []any{"CreateUserPool", "UpdateUserPool", "SetUserPoolMfaConfig"},
		},
	}
	if !reflect.DeepEqual(p["EventPattern"], want) {
		t.Errorf("pattern %s", asJSON(p["EventPattern"]))
	}
	var names []any
	for _, n := range drift.EventNames {
		names = append(names, n)
	}
	if !reflect.DeepEqual(want["detail"].(map[string]any)["eventName"], names) {
		t.Error("the rule and the parser disagree on event names")
	}
	target := asJSON(p["Targets"])
	if !strings.Contains(target, `"DeadLetterConfig"`) || !strings.Contains(target, `"RetryPolicy"`) {
		t.Errorf("rule target without DLQ or retry policy: %s", target)
	}
	if dlq := asJSON(props(t, tpl, "DriftFunction")["DeadLetterConfig"]); !strings.Contains(dlq, "DriftDeadLetterQueue") {
		t.Errorf("drift function DLQ: %s", dlq)
	}
}

func TestScheduleAndPermission(t *testing.T) {
	tpl := transformed(t)
	// The schedule starts the sweep's state machine, which invokes the function.
	schedule := props(t, tpl, "SweepStateMachineSchedule")
	if s := asJSON(schedule["ScheduleExpression"]); s != `{"Ref":"SweepSchedule"}` {
		t.Errorf("schedule %s", s)
	}
	if targets := asJSON(schedule["Targets"]); !strings.Contains(targets, `"Arn":{"Ref":"SweepStateMachine"}`) {
		t.Errorf("the schedule does not start the state machine: %s", targets)
	}
	if _, ok := tpl.Resources["SweepFunctionSchedule"]; ok {
		t.Error("the function has a schedule of its own: two sweeps would run")
	}
	if d := tpl.Parameters["SweepSchedule"].(map[string]any)["Default"]; d != "rate(6 hours)" {
		t.Errorf("default schedule %v", d)
	}
	if dlq := asJSON(props(t, tpl, "SweepFunction")["DeadLetterConfig"]); !strings.Contains(dlq, "SweepDeadLetterQueue") {
		t.Errorf("sweep DLQ: %s", dlq)
	}
	perm := props(t, tpl, "TriggerInvokePermission")
	if perm["Principal"] != "cognito-idp.amazonaws.com" || !strings.Contains(asJSON(perm["SourceArn"]), ":userpool/*") || perm["SourceAccount"] == nil {
		t.Errorf("trigger permission %s", asJSON(perm))
	}
}

func TestNoWildcardActions(t *testing.T) {
	tpl := transformed(t)
	roles := tpl.OfType("AWS::IAM::Role")
	for id := range functions {
		if !slices.Contains(roles, id+"Role") {
			t.Fatalf("no role for %s among %v", id, roles)
		}
	}
	for _, id := range roles {
		for _, pol := range props(t, tpl, id)["Policies"].([]any) {
			for _, s := range statements(pol.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)) {
				actions := s["Action"]
				if a, ok := actions.(string); ok {
					actions = []any{a}
				}
				for _, a := range actions.([]any) {
					if strings.Contains(a.(string), "*") {
						t.Errorf("%s allows wildcard action %s", id, a)
					}
				}
				res := asJSON(s["Resource"])
				// Only actions IAM grants on every resource alone.
				if res == `"*"` && asJSON(actions) != `["cognito-idp:ListUserPools"]` && asJSON(actions) != `["tag:GetResources"]` {
					t.Errorf("%s: %s on every resource", id, asJSON(actions))
				}
			}
		}
	}
}

// statements returns a policy's statements, with both branches of a
// conditional statement (Fn::If) and without AWS::NoValue.
func statements(list []any) []map[string]any {
	var out []map[string]any
	for _, st := range list {
		s := st.(map[string]any)
		if branches, ok := s["Fn::If"].([]any); ok {
			out = append(out, statements(branches[1:])...)
			continue
		}
		if asJSON(s) != `{"Ref":"AWS::NoValue"}` {
			out = append(out, s)
		}
	}
	return out
}

func TestAlarmsAndDashboard(t *testing.T) {
	tpl := transformed(t)
	alarms := map[string]bool{}
	for _, id := range tpl.OfType("AWS::CloudWatch::Alarm") {
		p := props(t, tpl, id)
		alarms[p["MetricName"].(string)+" "+asJSON(p["Dimensions"])] = true
	}
	for _, want := range []string{
		`Errors [{"Name":"FunctionName","Value":{"Ref":"DriftFunction"}}]`,
		`Errors [{"Name":"FunctionName","Value":{"Ref":"SweepFunction"}}]`,
		`Errors [{"Name":"FunctionName","Value":{"Ref":"TriggerFunction"}}]`,
		`ApproximateNumberOfMessagesVisible [{"Name":"QueueName","Value":{"Fn::GetAtt":["DriftDeadLetterQueue","QueueName"]}}]`,
		`ApproximateNumberOfMessagesVisible [{"Name":"QueueName","Value":{"Fn::GetAtt":["DriftRuleDeadLetterQueue","QueueName"]}}]`,
		`ApproximateNumberOfMessagesVisible [{"Name":"QueueName","Value":{"Fn::GetAtt":["SweepDeadLetterQueue","QueueName"]}}]`,
		`PoolsUnremediable [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
		`PoolsFailed [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
		`TriggerConfigInvalid [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
		policyparam.VersionRefused + ` [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
		`ExecutionsFailed [{"Name":"StateMachineArn","Value":{"Ref":"SweepStateMachine"}}]`,
		metrics.ExportFailed + ` [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
	} {
		if !alarms[want] {
			t.Errorf("no alarm on %s", want)
		}
	}
	body := asJSON(props(t, tpl, "Dashboard")["DashboardBody"])
	for _, m := range []string{"DriftDetected", "PoolsRemediated", "PoolsUnremediable", "PoolsFailed", "SweepDurationMs", "Errors",
		"UsersChecked", "UserDriftDetected", "UsersRemediated", "UsersFailed", metrics.ConfigInvalid,
		"UserPoolReadCalls", "UserPoolUpdateCalls", "UserPoolReadThrottled", "UserPoolUpdateThrottled", "ExecutionsFailed", metrics.ExportFailed} {
		if !strings.Contains(body, m) {
			t.Errorf("dashboard lacks %s", m)
		}
	}
	for _, o := range []string{"DriftFunctionArn", "SweepFunctionArn", "SweepStateMachineArn", "TriggerFunctionArn", "FindingsBusArn", "DriftDeadLetterQueueUrl", "SweepDeadLetterQueueUrl", "DashboardUrl"} {
		if tpl.Outputs[o] == nil {
			t.Errorf("no output %s", o)
		}
	}
}

// TestMainsReadOnlySettings: a main reads the environment only through
// pkg/setup (Lambda's own AWS_ variables excepted), so setup.Vars is the
// complete list the tests below check against the template.
func TestMainsReadOnlySettings(t *testing.T) {
	for _, dir := range functions {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "functions", dir, "main.go"), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			v, _ := strconv.Unquote(lit.Value)
			if !ok || !strings.HasPrefix(v, "AWS_") {
				t.Errorf("functions/%s reads %s directly; declare it in setup.Vars", dir, asJSON(call.Args[0]))
			}
			return true
		})
	}
}

// TestSettingsMatchTemplate: every variable a function reads is declared
// for it, nothing else is, and the template can only deploy values the
// function accepts: parameter bounds and allowed values equal the
// function's, constants pass its check.
func TestSettingsMatchTemplate(t *testing.T) {
	tpl := transformed(t)
	for id := range functions {
		vars := setup.Vars[id]
		declared := props(t, tpl, id)["Environment"].(map[string]any)["Variables"].(map[string]any)
		for name := range declared {
			if !slices.ContainsFunc(vars, func(v setup.Var) bool { return v.Env == name }) {
				t.Errorf("%s: template declares %s, which the function does not read", id, name)
			}
		}
		for _, v := range vars {
			val, ok := declared[v.Env]
			if !ok {
				t.Errorf("%s reads %s, which template.yaml does not declare for it", id, v.Env)
				continue
			}
			if v.Param == "" {
				if s, ok := val.(string); ok {
					if err := v.Check(s); err != nil {
						t.Errorf("%s: the template sets a value the function refuses: %v", id, err)
					}
				}
				continue
			}
			if !strings.Contains(asJSON(val), `"`+v.Param+`"`) && !strings.Contains(asJSON(val), "${"+v.Param+"}") {
				t.Errorf("%s: %s is %s, not set from parameter %s", id, v.Env, asJSON(val), v.Param)
			}
			param, ok := tpl.Parameters[v.Param].(map[string]any)
			if !ok {
				t.Errorf("no parameter %s", v.Param)
				continue
			}
			checkParam(t, v, param)
		}
	}
}

func checkParam(t *testing.T, v setup.Var, param map[string]any) {
	t.Helper()
	def := fmt.Sprint(param["Default"])
	switch v.Kind {
	case setup.Number, setup.Duration:
		if param["Type"] != "Number" || param["MinValue"] != v.Min || param["MaxValue"] != v.Max {
			t.Errorf("parameter %s: %s from %v to %v; the function accepts %g to %g", v.Param, param["Type"], param["MinValue"], param["MaxValue"], v.Min, v.Max)
		}
		if v.Kind == setup.Duration {
			def += "s"
		}
	case setup.Choice:
		if asJSON(param["AllowedValues"]) != asJSON(v.Values) {
			t.Errorf("parameter %s allows %s; the function accepts %s", v.Param, asJSON(param["AllowedValues"]), asJSON(v.Values))
		}
	case setup.Policy:
		def = ""
		if param["Default"] != nil {
			def = param["Default"].(string)
		}
	}
	if err := v.Check(def); err != nil {
		t.Errorf("parameter %s: the default is refused: %v", v.Param, err)
	}
}

// TestForwardingToTheCentralBus: with CentralFindingsBusArn set, a rule on
// the findings bus sends every enforcer event to it with a role allowed to
// put events there and nowhere else.
func TestForwardingToTheCentralBus(t *testing.T) {
	tpl := transformed(t)
	rule, role := tpl.Resources["ForwardFindingsRule"], tpl.Resources["ForwardFindingsRole"]
	if rule.Condition != "ForwardFindings" || role.Condition != "ForwardFindings" {
		t.Fatalf("forwarding not conditional on CentralFindingsBusArn: %q %q", rule.Condition, role.Condition)
	}
	p := rule.Properties
	if asJSON(p["EventPattern"]) != `{"source":["cognito-mfa-enforcer"]}` || !strings.Contains(asJSON(p["EventBusName"]), "FindingsBus") {
		t.Errorf("rule %s", asJSON(p))
	}
	target := asJSON(p["Targets"])
	if !strings.Contains(target, `"Arn":{"Ref":"CentralFindingsBusArn"}`) || !strings.Contains(target, `"ForwardFindingsRole","Arn"`) {
		t.Errorf("targets %s", target)
	}
	policy := asJSON(role.Properties["Policies"])
	if !strings.Contains(policy, `"Action":"events:PutEvents","Effect":"Allow","Resource":{"Ref":"CentralFindingsBusArn"}`) {
		t.Errorf("role policy %s", policy)
	}
	// The hub's bus policy admits this path only (pkg/org/hub.yaml).
	if role.Properties["Path"] != ForwardingRolePath {
		t.Errorf("role path %v, want %s", role.Properties["Path"], ForwardingRolePath)
	}
}

// TestSecurityHubGrant: the functions that export import into their own
// account's Security Hub only.
func TestSecurityHubGrant(t *testing.T) {
	tpl := transformed(t)
	for _, id := range []string{"DriftFunctionRole", "SweepFunctionRole"} {
		policies := asJSON(props(t, tpl, id)["Policies"])
		if !strings.Contains(policies, "securityhub:BatchImportFindings") || !strings.Contains(policies, ":product/${AWS::AccountId}/default") {
			t.Errorf("%s cannot import its findings: %s", id, policies)
		}
	}
}

// TestPolicyParameterGrant: with PolicyParameter set, each function may
// read that one parameter (by its ARN, or the ARN built from its name with
// or without a leading slash), and decrypt with a key only when one is
// given; with it empty, neither statement exists.
func TestPolicyParameterGrant(t *testing.T) {
	tpl := transformed(t)
	for id := range functions {
		var read, decrypt []any
		for _, pol := range props(t, tpl, id+"Role")["Policies"].([]any) {
			for _, st := range pol.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				branches, ok := st.(map[string]any)["Fn::If"].([]any)
				if !ok {
					continue
				}
				switch asJSON(branches[1].(map[string]any)["Action"]) {
				case `"ssm:GetParameter"`:
					read = branches
				case `"kms:Decrypt"`:
					decrypt = branches
				}
			}
		}
		if read == nil || read[0] != "PolicyFromParameter" || asJSON(read[2]) != `{"Ref":"AWS::NoValue"}` {
			t.Fatalf("%s: ssm:GetParameter is not granted under PolicyFromParameter alone: %s", id, asJSON(read))
		}
		res := asJSON(read[1].(map[string]any)["Resource"])
		for _, want := range []string{`"PolicyParameterIsArn",{"Ref":"PolicyParameter"}`, `parameter${PolicyParameter}`, `parameter/${PolicyParameter}`} {
			if !strings.Contains(res, want) {
				t.Errorf("%s: the parameter grant %s lacks %s", id, res, want)
			}
		}
		if decrypt == nil || decrypt[0] != "PolicyKeyGiven" || asJSON(decrypt[1].(map[string]any)["Resource"]) != `{"Ref":"PolicyKmsKeyArn"}` ||
			asJSON(decrypt[2]) != `{"Ref":"AWS::NoValue"}` {
			t.Errorf("%s: kms:Decrypt is not granted on PolicyKmsKeyArn under PolicyKeyGiven alone: %s", id, asJSON(decrypt))
		}
	}
	if c := asJSON(tpl.Conditions["PolicyKeyGiven"]); !strings.Contains(c, `{"Condition":"PolicyFromParameter"}`) {
		t.Errorf("PolicyKeyGiven does not need a parameter: %s", c)
	}
}
