package localinvoke

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	echoOnce sync.Once
	echoBin  string
	echoErr  error
)

// buildEcho compiles the test function once, the way `make build-*` does.
func buildEcho(t *testing.T) string {
	t.Helper()
	echoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "echo-")
		if err != nil {
			echoErr = err
			return
		}
		echoBin = filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", echoBin, "./testdata/echo")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			echoErr = fmt.Errorf("build echo: %v\n%s", err, out)
		}
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	return echoBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if echoBin != "" {
		os.RemoveAll(filepath.Dir(echoBin))
	}
	os.Exit(code)
}

func start(t *testing.T, bin string, spec FunctionSpec, extra ...string) *Runtime {
	t.Helper()
	r, err := Start(bin, spec, extra, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func TestRuntimeAPI(t *testing.T) {
	bin := buildEcho(t)
	spec := FunctionSpec{LogicalID: "EchoFunction", Env: map[string]string{"FROM_TEMPLATE": "yes"}, Timeout: 2 * time.Second, Memory: 128}
	t.Setenv("LEAKED_FROM_HOST", "should not be seen")
	r := start(t, bin, spec, "EXTRA=1")
	ctx := context.Background()

	res, err := r.Invoke(ctx, []byte(`{"hello":"world"}`))
	if err != nil || res.Err != nil {
		t.Fatalf("invoke: %v %v", err, res.Err)
	}
	var got struct {
		Event            map[string]string
		RequestID, ARN   string
		DeadlineInFuture bool
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got.Event["hello"] != "world" || !strings.HasPrefix(got.RequestID, "local-") ||
		!strings.HasSuffix(got.ARN, ":function:EchoFunction") || !got.DeadlineInFuture {
		t.Errorf("function saw %+v", got)
	}

	for _, tc := range []struct{ env, want string }{{"FROM_TEMPLATE", "yes"}, {"EXTRA", "1"}, {"LEAKED_FROM_HOST", ""}, {"AWS_LAMBDA_FUNCTION_NAME", "EchoFunction"}} {
		res, err := r.Invoke(ctx, []byte(`{"env":"`+tc.env+`"}`))
		if err != nil || res.Err != nil {
			t.Fatal(err, res.Err)
		}
		var m map[string]string
		_ = json.Unmarshal(res.Payload, &m)
		if m[tc.env] != tc.want {
			t.Errorf("%s = %q, want %q", tc.env, m[tc.env], tc.want)
		}
	}

	res, err = r.Invoke(ctx, []byte(`{"fail":"boom"}`))
	if err != nil || res.Err == nil || res.Err.Message != "boom" || res.Err.Type != "errorString" {
		t.Errorf("function error not reported: %v %+v", err, res.Err)
	}
	// The process keeps serving after a function error (a warm instance).
	if res, err := r.Invoke(ctx, []byte(`{}`)); err != nil || res.Err != nil {
		t.Errorf("after error: %v %v", err, res.Err)
	}
}

func TestRuntimeTimeoutAndExit(t *testing.T) {
	bin := buildEcho(t)
	r := start(t, bin, FunctionSpec{LogicalID: "Slow", Timeout: time.Second})
	res, err := r.Invoke(context.Background(), []byte(`{"sleepMs":5000}`))
	if err != nil || res.Err == nil || res.Err.Type != "Sandbox.Timedout" {
		t.Errorf("timeout not reported: %v %+v", err, res.Err)
	}

	// A timeout set later holds from the next invocation on.
	r = start(t, bin, FunctionSpec{LogicalID: "Shortened", Timeout: time.Minute})
	r.SetTimeout(time.Second)
	res, err = r.Invoke(context.Background(), []byte(`{"sleepMs":5000}`))
	if err != nil || res.Err == nil || res.Err.Type != "Sandbox.Timedout" || !strings.Contains(res.Err.Message, "after 1s") {
		t.Errorf("shortened timeout not applied: %v %+v", err, res.Err)
	}

	r = start(t, bin, FunctionSpec{LogicalID: "Crash", Timeout: 2 * time.Second})
	res, err = r.Invoke(context.Background(), []byte(`{"exit":true}`))
	if err != nil || res.Err == nil || res.Err.Type != "Runtime.ExitError" {
		t.Errorf("crash not reported: %v %+v", err, res.Err)
	}
}

func TestRuntimeInitFailure(t *testing.T) {
	bin := buildEcho(t)
	r := start(t, bin, FunctionSpec{LogicalID: "Broken", Timeout: 2 * time.Second, Env: map[string]string{"ECHO_INIT_FAIL": "MFA_POLICY: bad"}})
	res, err := r.Invoke(context.Background(), []byte(`{}`))
	if err != nil || res.Err == nil || !strings.Contains(res.Err.Message, "MFA_POLICY: bad") {
		t.Errorf("init failure not reported with its message: %v %+v", err, res.Err)
	}
}

func TestTemplateEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.yaml")
	err := os.WriteFile(path, []byte(`
Transform: AWS::Serverless-2016-10-31
Parameters:
  Policy:
    Type: String
    Default: '{"mode":"report"}'
  BusName:
    Type: String
    Default: ""
Conditions:
  NoBus: !Equals [!Ref BusName, ""]
  HasBus: !Not [!Condition NoBus]
Globals:
  Function:
    Timeout: 7
    Environment:
      Variables:
        MFA_POLICY: !Ref Policy
        LOG_LEVEL: INFO
Resources:
  Bus:
    Type: AWS::Events::EventBus
  OneFunction:
    Type: AWS::Serverless::Function
    Properties:
      MemorySize: 256
      Environment:
        Variables:
          EVENT_BUS_NAME: !Ref Bus
          REGION_NAME: !Sub "${AWS::Region}-${Policy}"
          ROLE: !GetAtt OneFunctionRole.Arn
          LONG: {Ref: Policy}
          BUS: !If [NoBus, !Ref Bus, !Ref BusName]
          HAS_BUS: !If [HasBus, "yes", "no"]
          ROLES: !Join [",", [!GetAtt A.Arn, !Ref Policy]]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := LoadTemplate(path)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := tpl.Function("OneFunction", map[string]string{"Policy": "{}", "BusName": "mine"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"MFA_POLICY": "{}", "LOG_LEVEL": "INFO", "EVENT_BUS_NAME": "Bus",
		"REGION_NAME": "us-east-1-{}", "ROLE": "arn:aws:local:us-east-1:123456789012:OneFunctionRole/Arn", "LONG": "{}",
		"ROLES": "arn:aws:local:us-east-1:123456789012:A/Arn,{}", "BUS": "mine", "HAS_BUS": "yes"}
	for k, v := range want {
		if spec.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, spec.Env[k], v)
		}
	}
	if spec.Timeout != 7*time.Second || spec.Memory != 256 {
		t.Errorf("timeout %s memory %d", spec.Timeout, spec.Memory)
	}
	if spec, _ := tpl.Function("OneFunction", nil); spec.Env["BUS"] != "Bus" || spec.Env["HAS_BUS"] != "no" {
		t.Errorf("default parameters: BUS %q HAS_BUS %q", spec.Env["BUS"], spec.Env["HAS_BUS"])
	}
	if _, err := tpl.Function("Bus", nil); err == nil {
		t.Error("a non-function resource was accepted")
	}
}
