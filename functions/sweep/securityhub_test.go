package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/sweep"
)

type hubFinding struct {
	Id, RecordState, CreatedAt, UpdatedAt, FirstObservedAt string
	Compliance                                             struct{ Status string }
	Workflow                                               struct{ Status string }
}

// TestSweepFunctionSecurityHubLifecycle (F5, F6) runs the built bootstrap
// against moto's Security Hub in an account of its own: a first sweep
// imports two pools' findings; one pool is deleted; the next sweep
// resolves the deleted pool's findings (Compliance NOT_AVAILABLE,
// RecordState ARCHIVED) and re-imports the other's keeping CreatedAt and
// FirstObservedAt, with a later UpdatedAt.
func TestSweepFunctionSecurityHubLifecycle(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	const id = "444444444444"
	acct, err := m.AssumeAccount(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acct.FindingsBus(ctx, "findings"); err != nil {
		t.Fatal(err)
	}
	pools := map[string]string{}
	for _, name := range []string{"kept", "deleted"} {
		var out struct{ UserPool struct{ Id string } }
		if err := acct.CLI(ctx, &out, "cognito-idp", "create-user-pool", "--pool-name", "hub-"+name); err != nil {
			t.Fatal(err)
		}
		pools[name] = out.UserPool.Id
	}
	read := func() map[string]hubFinding {
		t.Helper()
		var out struct{ Findings []hubFinding }
		if err := acct.CLI(ctx, &out, "securityhub", "get-findings"); err != nil {
			t.Fatal(err)
		}
		byID := map[string]hubFinding{}
		for _, f := range out.Findings {
			byID[f.Id] = f
		}
		return byID
	}
	rt := localinvoke.StartForTestIn(t, root, name, id, map[string]string{
		"PolicyDocument": `{"mode":"report"}`, "ExistingFindingsBusName": "findings", "EnableSecurityHub": "true"}, acct.Env)
	sweepOnce := func() sweep.Report {
		t.Helper()
		res, err := rt.Invoke(ctx, scheduled)
		if err != nil || res.Err != nil {
			t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
		}
		var rep sweep.Report
		if err := json.Unmarshal(res.Payload, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := sweepOnce(); rep.Drift != 2 || rep.ExportFailed != 0 {
		t.Fatalf("first sweep: %+v", rep.Summary)
	}
	first := read()
	if len(first) != 4 {
		t.Fatalf("%d findings after the first sweep, want two per pool: %v", len(first), first)
	}
	time.Sleep(1100 * time.Millisecond) // findings' times are whole seconds
	if err := acct.CLI(ctx, nil, "cognito-idp", "delete-user-pool", "--user-pool-id", pools["deleted"]); err != nil {
		t.Fatal(err)
	}
	rep := sweepOnce()
	if rep.Drift != 1 || rep.SecurityHubResolved != 2 || rep.ExportFailed != 0 || rep.Incomplete {
		t.Errorf("second sweep: %+v", rep.Summary)
	}
	for fid, f := range read() {
		was := first[fid]
		switch {
		case strings.Contains(fid, pools["deleted"]):
			if f.RecordState != "ARCHIVED" || f.Compliance.Status != "NOT_AVAILABLE" || f.CreatedAt != was.CreatedAt {
				t.Errorf("deleted pool's finding %+v", f)
			}
		case strings.Contains(fid, pools["kept"]):
			if f.RecordState != "ACTIVE" || f.Compliance.Status != "FAILED" || f.CreatedAt != was.CreatedAt || f.FirstObservedAt != was.FirstObservedAt ||
				f.UpdatedAt <= was.UpdatedAt || f.Workflow.Status != "NEW" {
				t.Errorf("kept pool's finding %+v, was %+v", f, was)
			}
		}
	}
}

// TestSweepFunctionCountsExportFailures (F13): with every
// BatchImportFindings answered 400, the built bootstrap's summary notes it,
// counts every finding not imported, and its EMF line carries
// SecurityHubExportFailed for the alarm.
func TestSweepFunctionCountsExportFailures(t *testing.T) {
	m := own(t)
	ctx := context.Background()
	const id = "555555555555"
	acct, err := m.AssumeAccount(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acct.FindingsBus(ctx, "findings"); err != nil {
		t.Fatal(err)
	}
	if err := acct.CLI(ctx, nil, "cognito-idp", "create-user-pool", "--pool-name", "refused"); err != nil {
		t.Fatal(err)
	}
	if err := acct.CLI(ctx, nil, "sqs", "create-queue", "--queue-name", testbed.SignInDeadLetters); err != nil {
		t.Fatal(err)
	}
	// A Security Hub that refuses every import (the SDK's per-service
	// endpoint setting sends only Security Hub there).
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/findings/import" {
			w.Header().Set("X-Amzn-ErrorType", "InvalidAccessException")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"Message":"Account is not subscribed to AWS Security Hub"}`))
			return
		}
		_, _ = w.Write([]byte(`{"Findings":[]}`))
	}))
	defer refusing.Close()
	rt := localinvoke.StartForTestIn(t, root, name, id, map[string]string{
		"PolicyDocument": `{"mode":"report"}`, "ExistingFindingsBusName": "findings", "EnableSecurityHub": "true"},
		append(acct.Env, "AWS_ENDPOINT_URL_SECURITYHUB="+refusing.URL))
	res, err := rt.Invoke(ctx, scheduled)
	if err != nil || res.Err != nil {
		t.Fatalf("invoke: %v %v\n%s", err, res.Err, rt.Logs())
	}
	var rep sweep.Report
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatal(err)
	}
	// The pool's two violations, not imported.
	if rep.ExportFailed != 2 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "not brought to Security Hub") {
		t.Errorf("%+v", rep.Summary)
	}
	logs := func() string { return rt.Logs() }
	for wait := time.Now().Add(5 * time.Second); !strings.Contains(logs(), `"SecurityHubExportFailed":2`) && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs(), `"SecurityHubExportFailed":2`) || !strings.Contains(logs(), "InvalidAccessException") {
		t.Errorf("no EMF count or log of the failure:\n%s", logs())
	}
}
