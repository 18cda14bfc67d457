package securityhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// hub is an in-memory Security Hub: findings by Id, GetFindings honouring
// the filters the exporter sends, paged.
type hub struct {
	findings map[string]types.AwsSecurityFinding
	order    []string
	imports  []int // findings per BatchImportFindings call
	gets     int
	fail     error // every BatchImportFindings answers this
}

func newHub() *hub { return &hub{findings: map[string]types.AwsSecurityFinding{}} }

func (h *hub) BatchImportFindings(_ context.Context, in *sh.BatchImportFindingsInput, _ ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error) {
	if len(in.Findings) > maxBatch {
		return nil, fmt.Errorf("%d findings in one call", len(in.Findings))
	}
	if h.fail != nil {
		return nil, h.fail
	}
	h.imports = append(h.imports, len(in.Findings))
	for _, f := range in.Findings {
		id := aws.ToString(f.Id)
		if _, ok := h.findings[id]; !ok {
			h.order = append(h.order, id)
		}
		h.findings[id] = f
	}
	return &sh.BatchImportFindingsOutput{SuccessCount: aws.Int32(int32(len(in.Findings)))}, nil
}

func (h *hub) GetFindings(_ context.Context, in *sh.GetFindingsInput, _ ...func(*sh.Options)) (*sh.GetFindingsOutput, error) {
	h.gets++
	var match []types.AwsSecurityFinding
	for _, id := range h.order {
		f := h.findings[id]
		fl := in.Filters
		if f.RecordState != types.RecordStateActive || aws.ToString(f.ProductArn) != aws.ToString(fl.ProductArn[0].Value) {
			continue
		}
		if len(fl.ResourceId) > 0 && aws.ToString(f.Resources[0].Id) != aws.ToString(fl.ResourceId[0].Value) {
			continue
		}
		match = append(match, f)
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	end := min(start+int(aws.ToInt32(in.MaxResults)), len(match))
	out := &sh.GetFindingsOutput{Findings: match[start:end]}
	if end < len(match) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (h *hub) active() map[string]types.AwsSecurityFinding {
	out := map[string]types.AwsSecurityFinding{}
	for id, f := range h.findings {
		if f.RecordState == types.RecordStateActive {
			out[id] = f
		}
	}
	return out
}

func exporter(h *hub) *Exporter {
	return NewExporter(h, pace.ForFunction(quota.Full, 1), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
}

var (
	below = policy.Violation{Code: policy.CodeLevelBelowPolicy, Text: "MFA is OFF; the policy requires at least ON", Correctable: true}
	noSMS = policy.Violation{Code: policy.CodeForbiddenEnabled, Factor: policy.SMS, Text: "SMS MFA is forbidden by the policy but enabled",
		Reason: "at OPTIONAL, removing it would leave users ..."}
)

func finding(pool string, status reconcile.Status, vs ...policy.Violation) findings.Finding {
	return findings.New("111111111111", "eu-west-1", reconcile.Result{PoolID: pool, Status: status, Mode: policy.Report, Violations: vs},
		findings.Cause{Kind: "schedule"}, time.Now())
}

func TestExportLifecycle(t *testing.T) {
	h := newHub()
	e := exporter(h)
	ctx := context.Background()
	pool := cognito.PoolARN("eu-west-1", "111111111111", "eu-west-1_a")
	steps := []struct {
		name       string
		f          findings.Finding
		wantActive []string
	}{
		{"drift: one active finding per violation", finding("eu-west-1_a", reconcile.Drift, below, noSMS),
			[]string{pool + "/MFA_LEVEL_BELOW_POLICY", pool + "/FORBIDDEN_FACTOR_ENABLED/sms"}},
		{"same again: same Ids, nothing new", finding("eu-west-1_a", reconcile.Drift, below, noSMS),
			[]string{pool + "/MFA_LEVEL_BELOW_POLICY", pool + "/FORBIDDEN_FACTOR_ENABLED/sms"}},
		{"one violation gone: resolved", finding("eu-west-1_a", reconcile.Unremediable, noSMS),
			[]string{pool + "/FORBIDDEN_FACTOR_ENABLED/sms"}},
		{"compliant: every finding resolved", finding("eu-west-1_a", reconcile.Compliant), nil},
	}
	for _, s := range steps {
		if err := e.Export(ctx, s.f); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		active := h.active()
		if len(active) != len(s.wantActive) {
			t.Errorf("%s: %d active findings, want %v", s.name, len(active), s.wantActive)
		}
		for _, id := range s.wantActive {
			f, ok := active[id]
			if !ok || f.Compliance.Status != types.ComplianceStatusFailed || aws.ToString(f.ProductArn) != "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default" {
				t.Errorf("%s: %s not active and FAILED: %+v", s.name, id, f)
			}
		}
	}
	if len(h.findings) != 2 {
		t.Errorf("%d findings in all, want 2 (one per pool and violation)", len(h.findings))
	}
	for id, f := range h.findings {
		// Workflow is the customer's once the finding exists: not reset.
		if f.RecordState != types.RecordStateArchived || f.Compliance.Status != types.ComplianceStatusPassed || f.Workflow.Status != types.WorkflowStatusNew {
			t.Errorf("%s not resolved: %s %s %s", id, f.RecordState, f.Compliance.Status, f.Workflow.Status)
		}
	}
}

func TestExportStatuses(t *testing.T) {
	for _, tc := range []struct {
		status             reconcile.Status
		state              types.RecordState
		compliance         types.ComplianceStatus
		workflow           types.WorkflowStatus
		none               bool
		severity, reasonIn string
	}{
		{status: reconcile.Drift, state: types.RecordStateActive, compliance: types.ComplianceStatusFailed, workflow: types.WorkflowStatusNew},
		{status: reconcile.Unremediable, state: types.RecordStateActive, compliance: types.ComplianceStatusFailed, workflow: types.WorkflowStatusNew},
		{status: reconcile.Exempt, state: types.RecordStateActive, compliance: types.ComplianceStatusFailed, workflow: types.WorkflowStatusSuppressed},
		{status: reconcile.Remediated, state: types.RecordStateArchived, compliance: types.ComplianceStatusPassed, workflow: types.WorkflowStatusResolved},
		{status: reconcile.Failed, none: true},
		{status: reconcile.Replica, none: true},
	} {
		t.Run(string(tc.status), func(t *testing.T) {
			h := newHub()
			if err := exporter(h).Export(context.Background(), finding("eu-west-1_a", tc.status, below)); err != nil {
				t.Fatal(err)
			}
			if tc.none {
				if len(h.findings) != 0 {
					t.Errorf("a %s check wrote %d findings", tc.status, len(h.findings))
				}
				return
			}
			f := h.findings[cognito.PoolARN("eu-west-1", "111111111111", "eu-west-1_a")+"/MFA_LEVEL_BELOW_POLICY"]
			if f.RecordState != tc.state || f.Compliance.Status != tc.compliance || f.Workflow.Status != tc.workflow ||
				f.Severity.Label != types.SeverityLabelHigh || aws.ToString(f.Resources[0].Type) != "Other" || f.GeneratorId == nil ||
				f.ProductFields["cognito-mfa-enforcer/status"] != string(tc.status) {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

// TestSweepBatches: a sweep lists the active findings once, imports in
// calls of at most 100, and resolves only pools it saw.
func TestSweepBatches(t *testing.T) {
	h := newHub()
	e := exporter(h)
	ctx := context.Background()
	b, err := e.Sweep(ctx, "eu-west-1", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		b.Add(finding(fmt.Sprintf("eu-west-1_p%d", i), reconcile.Drift, below))
	}
	if _, err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.imports) != 3 || h.imports[0] != 100 || h.gets != 1 {
		t.Errorf("imports %v, gets %d: want 100+100+50 after one listing", h.imports, h.gets)
	}
	// Next sweep: pools 0-9 compliant, the rest not seen (incomplete): only
	// the ten are resolved.
	b, err = e.Sweep(ctx, "eu-west-1", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		b.Add(finding(fmt.Sprintf("eu-west-1_p%d", i), reconcile.Compliant))
	}
	if _, err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.active()); n != 240 {
		t.Errorf("%d active findings, want 240", n)
	}
	if h.gets != 1+3 {
		t.Errorf("%d GetFindings calls for 250 active findings, want 3 pages", h.gets-1)
	}
}

func TestIDsAreStable(t *testing.T) {
	const arn = "arn:aws:cognito-idp:eu-west-1:1:userpool/p"
	a := ID(arn, noSMS)
	if a != ID(arn, noSMS) || !strings.HasSuffix(a, "/FORBIDDEN_FACTOR_ENABLED/sms") {
		t.Errorf("ID %s", a)
	}
	// Adaptive authentication violations: one per app client and risk level.
	ids := map[string]bool{}
	for _, v := range []policy.Violation{
		{Code: policy.CodeAdaptiveBelowPolicy, RiskLevel: "low"},
		{Code: policy.CodeAdaptiveBelowPolicy, RiskLevel: "high"},
		{Code: policy.CodeAdaptiveBelowPolicy, Client: "web", RiskLevel: "high"},
	} {
		ids[ID(arn, v)] = true
	}
	if len(ids) != 3 {
		t.Errorf("%d Ids for three violations: %v", len(ids), ids)
	}
}

// TestHistoryKept (F6): re-importing a finding keeps when it was first
// seen and the customer's workflow; UpdatedAt and LastObservedAt move on.
func TestHistoryKept(t *testing.T) {
	h := newHub()
	e := exporter(h)
	ctx := context.Background()
	first := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return first }
	if err := e.Export(ctx, finding("eu-west-1_a", reconcile.Drift, below)); err != nil {
		t.Fatal(err)
	}
	id := cognito.PoolARN("eu-west-1", "111111111111", "eu-west-1_a") + "/MFA_LEVEL_BELOW_POLICY"
	f := h.findings[id]
	f.Workflow = &types.Workflow{Status: types.WorkflowStatusNotified} // the customer's BatchUpdateFindings
	h.findings[id] = f
	later := first.Add(72 * time.Hour)
	e.now = func() time.Time { return later }
	if err := e.Export(ctx, finding("eu-west-1_a", reconcile.Drift, below)); err != nil {
		t.Fatal(err)
	}
	f = h.findings[id]
	if aws.ToString(f.CreatedAt) != "2026-11-01T12:00:00Z" || aws.ToString(f.FirstObservedAt) != "2026-11-01T12:00:00Z" ||
		aws.ToString(f.UpdatedAt) != "2026-11-04T12:00:00Z" || aws.ToString(f.LastObservedAt) != "2026-11-04T12:00:00Z" ||
		f.Workflow.Status != types.WorkflowStatusNotified || f.FindingProviderFields == nil || f.FindingProviderFields.Severity.Label != types.SeverityLabelHigh {
		t.Errorf("created %s first seen %s updated %s last seen %s workflow %s", aws.ToString(f.CreatedAt), aws.ToString(f.FirstObservedAt),
			aws.ToString(f.UpdatedAt), aws.ToString(f.LastObservedAt), f.Workflow.Status)
	}
}

// TestResolveGone (F5): after a complete sweep, the findings of a pool the
// sweep did not update are resolved NOT_AVAILABLE only when the pool is
// confirmed gone; a failed read, a pool still there, a pool the sweep
// updated and an Id that is not a pool of the Region keep theirs.
func TestResolveGone(t *testing.T) {
	h := newHub()
	e := exporter(h)
	ctx := context.Background()
	before := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return before }
	b, err := e.Sweep(ctx, "eu-west-1", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"eu-west-1_gone", "eu-west-1_unread", "eu-west-1_there", "eu-west-1_swept"} {
		b.Add(finding(p, reconcile.Drift, below, noSMS))
	}
	if _, err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sweep := before.Add(6 * time.Hour)
	e.now = func() time.Time { return sweep }
	b, _ = e.Sweep(ctx, "eu-west-1", "111111111111")
	b.Add(finding("eu-west-1_swept", reconcile.Drift, below, noSMS))
	if _, err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var asked []string
	gone := func(_ context.Context, id string) (bool, error) {
		asked = append(asked, id)
		switch id {
		case "eu-west-1_gone":
			return true, nil
		case "eu-west-1_unread":
			return false, errors.New("AccessDeniedException")
		}
		return false, nil
	}
	resolved, failed, err := e.ResolveGone(ctx, "eu-west-1", "111111111111", sweep, gone)
	if err != nil || resolved != 2 || failed != 0 {
		t.Fatalf("resolved %d, failed %d, %v", resolved, failed, err)
	}
	if slices.Contains(asked, "eu-west-1_swept") || len(asked) != 3 {
		t.Errorf("asked about %v", asked)
	}
	for id, f := range h.findings {
		gone := strings.Contains(id, "_gone/")
		if gone != (f.RecordState == types.RecordStateArchived) || gone && (f.Compliance.Status != types.ComplianceStatusNotAvailable || aws.ToString(f.UpdatedAt) != "2026-11-01T18:00:00Z") {
			t.Errorf("%s: %s %s", id, f.RecordState, f.Compliance.Status)
		}
	}
}

// TestImportFailuresCounted (F13): a BatchImportFindings answered with an
// error counts every finding of the call, and the calls after it are
// still made.
func TestImportFailuresCounted(t *testing.T) {
	h := newHub()
	h.fail = errors.New("AccessDeniedException: 400")
	b, err := exporter(h).Sweep(context.Background(), "eu-west-1", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		b.Add(finding(fmt.Sprintf("eu-west-1_p%d", i), reconcile.Drift, below))
	}
	failed, err := b.Flush(context.Background())
	if failed != 150 || err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("failed %d, %v", failed, err)
	}
}

// TestEquivalenceShownPassed: a pool compliant by an equivalent of MFA ON
// keeps an active PASSED finding that names the control; when it is no
// longer equivalent and drifts, the same finding fails; when it is plainly
// ON, it is resolved.
func TestEquivalenceShownPassed(t *testing.T) {
	h := newHub()
	e := exporter(h)
	ctx := context.Background()
	id := cognito.PoolARN("eu-west-1", "111111111111", "eu-west-1_a") + "/MFA_LEVEL_BELOW_POLICY"
	equivalent := finding("eu-west-1_a", reconcile.Compliant)
	equivalent.Equivalent = policy.Equivalent
	equivalent.Adaptive = &policy.AdaptiveJudgement{Accepted: true, Plan: policy.TierPlus, ThreatProtection: policy.Enforced,
		Minimum: policy.RiskActions{Low: policy.NoAction, Medium: policy.MFAIfConfigured, High: policy.MFARequired}}
	for _, step := range []struct {
		name   string
		f      findings.Finding
		state  types.RecordState
		status types.ComplianceStatus
		note   string
	}{
		{"equivalent", equivalent, types.RecordStateActive, types.ComplianceStatusPassed, "Compliant by equivalent: adaptiveAuthentication (plan PLUS, threat protection ENFORCED"},
		{"equivalent again: the same finding", equivalent, types.RecordStateActive, types.ComplianceStatusPassed, "Compliant by equivalent"},
		{"no longer accepted: fails", finding("eu-west-1_a", reconcile.Drift, below), types.RecordStateActive, types.ComplianceStatusFailed, "MFA is OFF"},
		{"raised to ON: resolved", finding("eu-west-1_a", reconcile.Compliant), types.RecordStateArchived, types.ComplianceStatusPassed, ""},
	} {
		if err := e.Export(ctx, step.f); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		f, ok := h.findings[id]
		if !ok || len(h.findings) != 1 || f.RecordState != step.state || f.Compliance.Status != step.status || !strings.Contains(aws.ToString(f.Description), step.note) {
			t.Errorf("%s: %d findings; %s %s %q", step.name, len(h.findings), f.RecordState, f.Compliance.Status, aws.ToString(f.Description))
		}
	}
}
