package template

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/drift"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/metrics"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policyparam"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signin"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

const root = "../../.."

var functions = map[string]string{"DriftFunction": "drift", "SweepFunction": "sweep", "TriggerFunction": "trigger", "SignInCheckFunction": "signin"}

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
			"eventName": []any{"CreateUserPool", "UpdateUserPool", "SetUserPoolMfaConfig", "SetRiskConfiguration",
				"CreateUserPoolClient", "UpdateUserPoolClient", "DeleteUserPoolClient"},
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
				// Only actions IAM grants on every resource alone (the
				// provisioned limits are the account's, no resource's).
				if res == `"*"` && !slices.Contains([]string{`["cognito-idp:ListUserPools"]`, `["tag:GetResources"]`, `["cognito-idp:GetProvisionedLimit"]`}, asJSON(actions)) {
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
		signin.LedgerWriteFailed + ` [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
		signin.MessagesRefused + ` [{"Name":"Service","Value":"cognito-mfa-enforcer"}]`,
	} {
		if !alarms[want] {
			t.Errorf("no alarm on %s", want)
		}
	}
	body := asJSON(props(t, tpl, "Dashboard")["DashboardBody"])
	for _, m := range []string{"DriftDetected", "PoolsRemediated", "PoolsUnremediable", "PoolsFailed", "SweepDurationMs", "Errors",
		"UsersChecked", "UserDriftDetected", "UsersRemediated", "UsersFailed", metrics.ConfigInvalid,
		"BatchImportFindingsCalls", "ExecutionsFailed", metrics.ExportFailed} {
		if !strings.Contains(body, m) {
			t.Errorf("dashboard lacks %s", m)
		}
	}
	// The sweep's calls per quota category under AWS's names, and beside
	// them AWS's own usage metrics of the account for the same categories.
	var dash struct {
		Widgets []struct {
			Properties struct{ Metrics [][]any }
		}
	}
	if err := json.Unmarshal([]byte(dashboardJSON(t, props(t, tpl, "Dashboard")["DashboardBody"])), &dash); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	lines := map[string]bool{}
	for _, w := range dash.Widgets {
		var last []string
		for _, m := range w.Properties.Metrics {
			var line []string
			for i, v := range m {
				s, ok := v.(string)
				switch {
				case !ok: // the line's options
				case s == "...": // CloudWatch's shorthand: the line above, its last value replaced
					line = append(line, last[:len(last)-1]...)
				case s == "." && i < len(last):
					line = append(line, last[i])
				default:
					line = append(line, s)
				}
			}
			last = line
			lines[strings.Join(line, " ")] = true
		}
	}
	for _, c := range sweep.Categories {
		for _, want := range []string{
			"CognitoMfaEnforcer " + string(c) + "Calls Service cognito-mfa-enforcer",
			"CognitoMfaEnforcer " + string(c) + "Throttled Service cognito-mfa-enforcer",
			"AWS/Usage CallCount Service " + quota.UsageService + " Type API Resource " + string(c),
			"AWS/Usage ThrottleCount Service " + quota.UsageService + " Type API Resource " + string(c),
		} {
			if !lines[want] {
				t.Errorf("dashboard lacks the line %s", want)
			}
		}
	}
	outputs := []string{"SweepStateMachineArn", "FindingsBusArn", "FindingsLogGroupName", "DriftDeadLetterQueueUrl", "SweepDeadLetterQueueUrl",
		"SignInDeadLetterQueueUrl", "CoverageTableName", "DashboardUrl"}
	for id := range functions { // every function
		outputs = append(outputs, id+"Arn")
	}
	for _, o := range outputs {
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

// TestMainsAreThin: each main reads its settings, builds through the
// shared builder and starts its handler, in at most 30 lines of code
// (imports, comments and blank lines aside); a checking function builds
// through app.Start, which gives it its pacer.
func TestMainsAreThin(t *testing.T) {
	for id, dir := range functions {
		src, err := os.ReadFile(filepath.Join(root, "functions", dir, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		code, inImports := 0, false
		for line := range strings.Lines(string(src)) {
			line = strings.TrimSpace(line)
			switch {
			case line == "import (":
				inImports = true
			case inImports && line == ")":
				inImports = false
			case inImports, line == "", strings.HasPrefix(line, "//"):
			default:
				code++
			}
		}
		if code > 30 {
			t.Errorf("functions/%s/main.go: %d lines of code, at most 30: move what is not wiring into pkg/", dir, code)
		}
		checking := slices.ContainsFunc(setup.Vars[id], func(v setup.Var) bool { return v.Env == setup.QuotaShareVar.Env })
		if built := strings.Contains(string(src), "app.Start("); checking != built {
			t.Errorf("functions/%s/main.go: calls Cognito %v, builds through app.Start %v: every checking function, and only those, must", dir, checking, built)
		}
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
	case setup.Integer:
		// Whole numbers: a String with a pattern, as a Number takes decimals.
		pattern, _ := param["AllowedPattern"].(string)
		re, err := regexp.Compile(pattern)
		if param["Type"] != "String" || err != nil || !strings.HasPrefix(pattern, "^") || !strings.HasSuffix(pattern, "$") {
			t.Errorf("parameter %s: %v with pattern %q; want a String with an anchored pattern", v.Param, param["Type"], pattern)
			break
		}
		for n := int(v.Min); n <= int(v.Max); n++ {
			if !re.MatchString(strconv.Itoa(n)) {
				t.Errorf("parameter %s refuses %d, which the function accepts", v.Param, n)
			}
		}
		for _, s := range []string{"50.5", "1.0", "1e2", " 5", "-1", "", strconv.Itoa(int(v.Min) - 1), strconv.Itoa(int(v.Max) + 1)} {
			if re.MatchString(s) && v.Check(s) != nil {
				t.Errorf("parameter %s takes %q, which the function refuses", v.Param, s)
			}
		}
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

// TestRemovedParameters: a stack deployed with a removed parameter fails
// with a message naming what replaces it, rather than ignoring its value;
// one that omits it deploys.
func TestRemovedParameters(t *testing.T) {
	tpl := transformed(t)
	for old, replacement := range map[string]string{"MaxReadsPerSecond": "QuotaSharePercent", "MaxWritesPerSecond": "QuotaSharePercent",
		"UserReadQuotaPerSecond": "GetProvisionedLimit"} {
		p, ok := tpl.Parameters[old].(map[string]any)
		if !ok {
			t.Errorf("no parameter %s: a stack passing it would fail with CloudFormation's bare \"parameters do not exist\"", old)
			continue
		}
		if p["Type"] != "String" || p["Default"] != "" || asJSON(p["AllowedValues"]) != `[""]` {
			t.Errorf("%s accepts values: %s; it must allow only the empty default", old, asJSON(p))
		}
		msg, _ := p["ConstraintDescription"].(string)
		if !strings.Contains(msg, old+" was removed") || !strings.Contains(msg, replacement) || !strings.Contains(msg, "CHANGELOG") {
			t.Errorf("%s: the failure reads %q; it must say it was removed and name %s and the CHANGELOG", old, msg, replacement)
		}
		for id := range functions {
			if env := asJSON(props(t, tpl, id)["Environment"]); strings.Contains(env, old) {
				t.Errorf("%s still reads %s: %s", id, old, env)
			}
		}
	}
}

// TestConcurrencyMatchesTemplate: each function whose pacer divides the
// quota share by its maximum concurrency is capped at that concurrency,
// and no function is capped without the code knowing.
func TestConcurrencyMatchesTemplate(t *testing.T) {
	tpl := transformed(t)
	for id := range functions {
		got, capped := props(t, tpl, id)["ReservedConcurrentExecutions"]
		want, known := setup.MaxConcurrency[id]
		switch {
		case known && (!capped || fmt.Sprint(got) != strconv.Itoa(want)):
			t.Errorf("%s: ReservedConcurrentExecutions %v; its pacer divides the share by %d", id, got, want)
		case !known && capped:
			t.Errorf("%s is capped at %v, which setup.MaxConcurrency does not know", id, got)
		}
	}
	for id := range setup.MaxConcurrency {
		if _, ok := tpl.Resources[id]; !ok {
			t.Errorf("setup.MaxConcurrency names %s, which the template does not have", id)
		}
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
		if !slices.ContainsFunc(setup.Vars[id], func(v setup.Var) bool { return v.Env == setup.PolicyParameterVar.Env }) {
			continue // the trigger reads no policy
		}
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

// TestTriggerOnlyEnqueues: the trigger's role may send to the sign-in
// queue and nothing else: no Cognito, SSM or EventBridge call can slow a
// sign-in, and the trigger's environment names the queue.
func TestTriggerOnlyEnqueues(t *testing.T) {
	tpl := transformed(t)
	role := props(t, tpl, "TriggerFunctionRole")
	var got []string
	for _, pol := range role["Policies"].([]any) {
		for _, s := range statements(pol.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)) {
			got = append(got, asJSON(s["Action"])+" on "+asJSON(s["Resource"]))
		}
	}
	if want := []string{`"sqs:SendMessage" on {"Fn::GetAtt":["SignInQueue","Arn"]}`}; !slices.Equal(got, want) {
		t.Errorf("trigger role allows %v, want %v", got, want)
	}
	if m := asJSON(role["ManagedPolicyArns"]); strings.Contains(m, "SQS") || strings.Count(m, "arn:") > 1 {
		t.Errorf("trigger role's managed policies %s", m)
	}
	env := asJSON(props(t, tpl, "TriggerFunction")["Environment"])
	if !strings.Contains(env, `"SIGN_IN_QUEUE_URL":{"Ref":"SignInQueue"}`) {
		t.Errorf("trigger environment %s", env)
	}
}

// TestSignInQueue: SignInCheckFunction consumes the encrypted sign-in
// queue in batches, reporting failed messages one by one, with a small
// fixed concurrency; failed messages end in an alarmed dead-letter queue,
// and an alarm watches the oldest message's age.
func TestSignInQueue(t *testing.T) {
	tpl := transformed(t)
	q := props(t, tpl, "SignInQueue")
	if q["SqsManagedSseEnabled"] != true || !strings.Contains(asJSON(q["RedrivePolicy"]), `"deadLetterTargetArn":{"Fn::GetAtt":["SignInDeadLetterQueue","Arn"]}`) {
		t.Errorf("queue %s", asJSON(q))
	}
	if props(t, tpl, "SignInDeadLetterQueue")["SqsManagedSseEnabled"] != true {
		t.Error("dead-letter queue not encrypted")
	}
	// One message group per pool (the trigger's MessageGroupId): FIFO, its
	// dead-letter queue FIFO too, deduplicated and limited per group.
	if q["FifoQueue"] != true || q["DeduplicationScope"] != "messageGroup" || q["FifoThroughputLimit"] != "perMessageGroupId" ||
		props(t, tpl, "SignInDeadLetterQueue")["FifoQueue"] != true {
		t.Errorf("sign-in queue %s, dead-letter queue %s: want FIFO, high throughput", asJSON(q), asJSON(props(t, tpl, "SignInDeadLetterQueue")))
	}
	// The sign-in check trusts a message's time only within the retention.
	if r := q["MessageRetentionPeriod"].(float64); time.Duration(r)*time.Second != signinmsg.Retention {
		t.Errorf("queue retention %vs; the sign-in check trusts message times within %s (signinmsg.Retention)", r, signinmsg.Retention)
	}
	timeout := props(t, tpl, "SignInCheckFunction")["Timeout"].(float64)
	if v := q["VisibilityTimeout"].(float64); v < 6*timeout {
		t.Errorf("visibility timeout %v under six times the function's timeout %v", v, timeout)
	}
	var mappings []map[string]any
	for _, id := range tpl.OfType("AWS::Lambda::EventSourceMapping") {
		mappings = append(mappings, props(t, tpl, id))
	}
	if len(mappings) != 1 {
		t.Fatalf("%d event source mappings, want 1", len(mappings))
	}
	m := mappings[0]
	if asJSON(m["EventSourceArn"]) != `{"Fn::GetAtt":["SignInQueue","Arn"]}` || !strings.Contains(asJSON(m["FunctionName"]), "SignInCheckFunction") ||
		asJSON(m["FunctionResponseTypes"]) != `["ReportBatchItemFailures"]` || asJSON(m["ScalingConfig"]) != `{"MaximumConcurrency":2}` ||
		m["MaximumBatchingWindowInSeconds"] != nil || m["BatchSize"] != float64(10) {
		t.Errorf("event source mapping %s", asJSON(m))
	}
	alarms := map[string]string{}
	for _, id := range tpl.OfType("AWS::CloudWatch::Alarm") {
		p := props(t, tpl, id)
		alarms[asJSON(p["MetricName"])+" "+asJSON(p["Dimensions"])] = id
	}
	for _, want := range []string{
		`"ApproximateNumberOfMessagesVisible" [{"Name":"QueueName","Value":{"Fn::GetAtt":["SignInDeadLetterQueue","QueueName"]}}]`,
		`"ApproximateAgeOfOldestMessage" [{"Name":"QueueName","Value":{"Fn::GetAtt":["SignInQueue","QueueName"]}}]`,
		`"Errors" [{"Name":"FunctionName","Value":{"Ref":"SignInCheckFunction"}}]`,
	} {
		if alarms[want] == "" {
			t.Errorf("no alarm on %s", want)
		}
	}
}

// dashboardJSON is a dashboard body's !Sub text with each ${...} replaced
// by plain text: every one stands inside a JSON string.
func dashboardJSON(t *testing.T, body any) string {
	t.Helper()
	sub, ok := body.(map[string]any)["Fn::Sub"].(string)
	if !ok {
		t.Fatalf("dashboard body %s is not a !Sub of text", asJSON(body))
	}
	return regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString(sub, "sub")
}
