package policyparam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// fakeSSM holds one parameter's latest version, or fails every read.
type fakeSSM struct {
	value   string
	version int64
	err     error
	reads   int
	in      *ssm.GetParameterInput
}

func (f *fakeSSM) publish(value string) { f.value, f.version = value, f.version+1 }

// recreate deletes the parameter and creates it again with value: SSM
// starts its versions again at 1.
func (f *fakeSSM) recreate(value string) { f.value, f.version = value, 1 }

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.reads++
	f.in = in
	if f.err != nil {
		return nil, f.err
	}
	return &ssm.GetParameterOutput{Parameter: &types.Parameter{Name: in.Name, Value: aws.String(f.value), Version: f.version}}, nil
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

const name = "/org/cognito/mfa-policy"

func newSource(api ParameterAPI, c *clock, logs, metrics *bytes.Buffer) *Source {
	return &Source{API: api, Name: name, Refresh: 5 * time.Minute, Now: c.Now,
		Log: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: metrics, Function: "SweepFunction"}
}

func TestInit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   string
		err     error
		want    policy.Level
		wantErr string
	}{
		{"valid version", `{"mfaConfiguration":"OPTIONAL"}`, nil, policy.LevelOptional, ""},
		{"blank document refused", ` `, nil, "", `policy parameter /org/cognito/mfa-policy version 1: policy: the document is blank`},
		{"invalid version names field and version", `{"mfaConfiguration":"on"}`, nil, "", `policy parameter /org/cognito/mfa-policy version 1: policy: mfaConfiguration: "on" is not one of`},
		{"read fails", "", errors.New("AccessDeniedException"), "", "read policy parameter /org/cognito/mfa-policy: AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeSSM{err: tc.err}
			api.publish(tc.value)
			var logs, metrics bytes.Buffer
			p, err := newSource(api, &clock{time.Unix(0, 0)}, &logs, &metrics).Init(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Init error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.MFAConfiguration != tc.want || p.Origin != (policy.Origin{Source: "ssm:" + name, Version: 1}) {
				t.Errorf("Init = %s from %+v", p, p.Origin)
			}
			if !aws.ToBool(api.in.WithDecryption) || aws.ToString(api.in.Name) != name {
				t.Errorf("read %+v; want the named parameter, decrypted", api.in)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	const start, next = `{"mfaConfiguration":"OPTIONAL"}`, `{"mfaConfiguration":"ON"}`
	for _, tc := range []struct {
		name        string
		after       time.Duration
		publish     string // "" publishes nothing
		readErr     error
		wantLevel   policy.Level
		wantVersion int64
		wantReads   int
		wantLog     []string // in the one ERROR line; none when empty
		wantMetric  string
	}{
		{"within the interval: not read", 4 * time.Minute, next, nil, policy.LevelOptional, 1, 1, nil, ""},
		{"after the interval: the new version", 5 * time.Minute, next, nil, policy.LevelOn, 2, 2, nil, ""},
		{"after the interval, no new version", 6 * time.Minute, "", nil, policy.LevelOptional, 1, 2, nil, ""},
		{"invalid version refused, the old stays", 5 * time.Minute, `{"factors":{"sms":"required","Email":"allowed"}}`, nil, policy.LevelOptional, 1, 2,
			[]string{"policy version refused", `version 2: policy: factors.Email: unknown field`, `"inForce":1`}, `"PolicyVersionRefused":1`},
		{"blank version refused, the old stays", 5 * time.Minute, " \n", nil, policy.LevelOptional, 1, 2,
			[]string{"policy version refused", `version 2: policy: the document is blank`}, `"PolicyVersionRefused":1`},
		{"read fails, the old stays", 5 * time.Minute, "", errors.New("ThrottlingException"), policy.LevelOptional, 1, 2,
			[]string{"policy parameter not read", "ThrottlingException"}, `"PolicyReadFailed":1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeSSM{}
			api.publish(start)
			c := &clock{time.Unix(0, 0)}
			var logs, metrics bytes.Buffer
			src := newSource(api, c, &logs, &metrics)
			if _, err := src.Init(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tc.publish != "" {
				api.publish(tc.publish)
			}
			api.err = tc.readErr
			c.now = c.now.Add(tc.after)
			p := src.Current(context.Background())
			if p.MFAConfiguration != tc.wantLevel || p.Origin.Version != tc.wantVersion || api.reads != tc.wantReads {
				t.Errorf("Current = %s version %d after %d reads; want %s version %d after %d", p.MFAConfiguration, p.Origin.Version, api.reads,
					tc.wantLevel, tc.wantVersion, tc.wantReads)
			}
			n := strings.Count(logs.String(), `"level":"ERROR"`)
			if len(tc.wantLog) == 0 && n != 0 || len(tc.wantLog) > 0 && n != 1 {
				t.Errorf("%d ERROR lines:\n%s", n, logs.String())
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %s:\n%s", want, logs.String())
				}
			}
			if tc.wantMetric == "" && metrics.Len() != 0 || !strings.Contains(metrics.String(), tc.wantMetric) {
				t.Errorf("metrics %q, want %q", metrics.String(), tc.wantMetric)
			}
		})
	}
}

// TestRefusedThenFixed: a refused version is read again only after the
// interval, and a fixed version then takes over.
func TestRefusedThenFixed(t *testing.T) {
	api := &fakeSSM{}
	api.publish(`{"mode":"report"}`)
	c := &clock{time.Unix(0, 0)}
	var logs, metrics bytes.Buffer
	src := newSource(api, c, &logs, &metrics)
	if _, err := src.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	api.publish(`{"mode":"Enforce"}`)
	for _, step := range []struct {
		after     time.Duration
		fix       string
		wantMode  policy.Mode
		wantReads int
	}{
		{5 * time.Minute, "", policy.Report, 2},
		{time.Minute, `{"mode":"enforce"}`, policy.Report, 2}, // fixed, but not read yet
		{4 * time.Minute, "", policy.Enforce, 3},
	} {
		if step.fix != "" {
			api.publish(step.fix)
		}
		c.now = c.now.Add(step.after)
		if p := src.Current(context.Background()); p.Mode != step.wantMode || api.reads != step.wantReads {
			t.Fatalf("at %s: mode %s after %d reads, want %s after %d", c.now.UTC().Format(time.TimeOnly), p.Mode, api.reads, step.wantMode, step.wantReads)
		}
	}
	if n := strings.Count(metrics.String(), `"PolicyVersionRefused":1`); n != 1 {
		t.Errorf("%d refusals counted, want 1:\n%s", n, metrics.String())
	}
	if !strings.Contains(logs.String(), `"policyVersion":3`) {
		t.Errorf("the new version in force is not logged:\n%s", logs.String())
	}
}

func TestRefreshing(t *testing.T) {
	api := &fakeSSM{}
	api.publish(`{"mode":"report"}`)
	c := &clock{time.Unix(0, 0)}
	var logs, metrics bytes.Buffer
	src := newSource(api, c, &logs, &metrics)
	inForce, err := src.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set := func(p policy.Policy) { inForce = p }
	var seen policy.Mode
	handle := func(context.Context, json.RawMessage) (string, error) { seen = inForce.Mode; return "done", nil }

	api.publish(`{"mode":"enforce"}`)
	c.now = c.now.Add(5 * time.Minute)
	if out, err := Refreshing(src, set, handle)(context.Background(), nil); out != "done" || err != nil || seen != policy.Enforce {
		t.Errorf("the handler saw mode %s (%q, %v), want the new version's enforce", seen, out, err)
	}
	if out, _ := Refreshing(nil, set, handle)(context.Background(), nil); out != "done" {
		t.Errorf("without a source the handler is not called as is")
	}
}

// TestRecreatedParameter: a parameter deleted and created again restarts
// at version 1; its new document takes over although the version number
// is the one in force (F7).
func TestRecreatedParameter(t *testing.T) {
	api := &fakeSSM{}
	api.publish(`{"mode":"enforce"}`)
	c := &clock{time.Unix(0, 0)}
	var logs, metrics bytes.Buffer
	src := newSource(api, c, &logs, &metrics)
	if _, err := src.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	api.recreate(`{"mode":"report"}`)
	c.now = c.now.Add(5 * time.Minute)
	if p := src.Current(context.Background()); p.Mode != policy.Report || p.Origin.Version != 1 {
		t.Errorf("after re-creation: mode %s version %d, want report version 1", p.Mode, p.Origin.Version)
	}
	if !strings.Contains(logs.String(), "policy version in force") {
		t.Errorf("the new document in force is not logged:\n%s", logs.String())
	}
	// A blank re-created parameter is refused like any invalid version.
	api.recreate(" ")
	c.now = c.now.Add(5 * time.Minute)
	if p := src.Current(context.Background()); p.Mode != policy.Report {
		t.Errorf("blank re-created parameter: mode %s, want report kept", p.Mode)
	}
	if !strings.Contains(metrics.String(), `"PolicyVersionRefused":1`) {
		t.Errorf("blank version not counted as refused: %s", metrics.String())
	}
}

// hangingSSM answers only when the caller gives up.
type hangingSSM struct{ deadline bool }

func (h *hangingSSM) GetParameter(ctx context.Context, _ *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	_, h.deadline = ctx.Deadline()
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestReadIsBounded: a hanging SSM ends the read at the source's timeout
// (the invocation's context has none here), and the policy in force
// stays (F1).
func TestReadIsBounded(t *testing.T) {
	api := &fakeSSM{}
	api.publish(`{"mode":"report"}`)
	c := &clock{time.Unix(0, 0)}
	var logs, metrics bytes.Buffer
	src := newSource(api, c, &logs, &metrics)
	if _, err := src.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	hang := &hangingSSM{}
	src.API, src.Timeout = hang, 10*time.Millisecond
	c.now = c.now.Add(5 * time.Minute)
	if p := src.Current(context.Background()); p.Mode != policy.Report || !hang.deadline {
		t.Errorf("mode %s, read with a deadline: %v", p.Mode, hang.deadline)
	}
	if !strings.Contains(logs.String(), "context deadline exceeded") || !strings.Contains(metrics.String(), `"PolicyReadFailed":1`) {
		t.Errorf("the bounded read is not reported:\n%s\n%s", logs.String(), metrics.String())
	}
}
