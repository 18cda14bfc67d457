// Package securityhub imports the enforcer's pool findings into AWS
// Security Hub CSPM as ASFF: one Security Hub finding per pool and
// violation, with a stable Id, resolved (Compliance PASSED, RecordState
// ARCHIVED) once a later check finds the violation gone, and (Compliance
// NOT_AVAILABLE, ARCHIVED) once the pool is gone.
//
// Updates follow the ASFF rules for providers: CreatedAt and
// FirstObservedAt stay those of the first import, Workflow belongs to the
// customer once the finding exists (it is sent only on creation), and
// Severity and Types go in FindingProviderFields too.
package securityhub

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
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

// Security Hub's limits: 100 findings per BatchImportFindings call,
// GetFindings returns at most 100 per page. Their request rates are in
// pkg/quota's table.
const (
	maxBatch = 100
	pageSize = 100
)

// GeneratorPrefix starts every GeneratorId the enforcer writes; the rest is
// the violation code.
const GeneratorPrefix = "cognito-mfa-enforcer/"

// API is the part of the Security Hub client the exporter uses.
type API interface {
	BatchImportFindings(ctx context.Context, in *sh.BatchImportFindingsInput, optFns ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error)
	GetFindings(ctx context.Context, in *sh.GetFindingsInput, optFns ...func(*sh.Options)) (*sh.GetFindingsOutput, error)
}

var _ API = (*sh.Client)(nil)

// Exporter imports findings into the Security Hub of the account and
// Region each finding comes from.
type Exporter struct {
	api   API
	log   *slog.Logger
	now   func() time.Time
	pacer *pace.Pacer // the function's: its calls stay within its share of Security Hub's quotas
}

// NewExporter returns the exporter over api (the SDK's client or a fake),
// paced by the function's pacer; it panics without one.
func NewExporter(api API, pacer *pace.Pacer, log *slog.Logger, now func() time.Time) *Exporter {
	if pacer == nil {
		panic("securityhub: an exporter needs a pacer (pace.ForFunction)")
	}
	return &Exporter{api: api, log: log, now: now, pacer: pacer}
}

// ID is a pool violation's Security Hub Id: the same pool and violation
// always give the same Id, so a later import updates it, and two
// violations of a pool (another factor, app client or risk level) never
// share one.
func ID(poolARN string, v policy.Violation) string {
	id := poolARN + "/" + v.Code
	for _, part := range []string{string(v.Factor), v.Client, v.RiskLevel} {
		if part != "" {
			id += "/" + part
		}
	}
	return id
}

// ProductARN is the default product ARN for custom findings of an account.
func ProductARN(region, account string) string {
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", region, account, account)
}

// Export brings Security Hub in line with one pool check: each current
// violation imported, earlier ones that are gone resolved. It reads the
// pool's active findings first (one GetFindings), so use a Batch for many
// pools. Failed checks are not exported (nor are user findings: the
// Recorder sends it pool findings only). Errors are
// logged and returned.
func (e *Exporter) Export(ctx context.Context, f findings.Finding) error {
	if !exported(f) {
		return nil
	}
	b, err := e.begin(ctx, []types.StringFilter{{Comparison: types.StringFilterComparisonEquals,
		Value: aws.String(cognito.PoolARN(f.Region, f.Account, f.PoolID))}}, f.Region, f.Account)
	if err == nil {
		b.Add(f)
		_, err = b.Flush(ctx)
	}
	if err != nil {
		e.log.Error("Security Hub export", "poolId", f.PoolID, "outcome", "failed", "error", err.Error())
	}
	return err
}

func exported(f findings.Finding) bool {
	return f.Status.Known()
}

// Batch exports many pool checks of one account and Region (a sweep) with
// one listing of the active findings and full BatchImportFindings calls.
type Batch struct {
	e       *Exporter
	active  map[string][]types.AwsSecurityFinding // by pool ARN
	pending []types.AwsSecurityFinding
}

// Sweep starts a batch for every pool of the account and Region.
func (e *Exporter) Sweep(ctx context.Context, region, account string) (findings.BatchExporter, error) {
	return e.begin(ctx, nil, region, account)
}

func (e *Exporter) begin(ctx context.Context, resource []types.StringFilter, region, account string) (*Batch, error) {
	b := &Batch{e: e, active: map[string][]types.AwsSecurityFinding{}}
	product := ProductARN(region, account)
	filters := &types.AwsSecurityFindingFilters{
		ProductArn:  []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(product)}},
		GeneratorId: []types.StringFilter{{Comparison: types.StringFilterComparisonPrefix, Value: aws.String(GeneratorPrefix)}},
		RecordState: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(string(types.RecordStateActive))}},
		ResourceId:  resource,
	}
	var token *string
	for {
		var out *sh.GetFindingsOutput
		err := e.call(ctx, quota.GetFindings, func() (err error) {
			out, err = e.api.GetFindings(ctx, &sh.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(pageSize), NextToken: token})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("get active Security Hub findings of %s: %w", product, err)
		}
		for _, f := range out.Findings {
			// Checked here too: the filters are the server's, this is ours.
			if aws.ToString(f.ProductArn) != product || !strings.HasPrefix(aws.ToString(f.GeneratorId), GeneratorPrefix) ||
				f.RecordState != types.RecordStateActive || len(f.Resources) == 0 {
				continue
			}
			pool := aws.ToString(f.Resources[0].Id)
			if len(resource) > 0 && pool != aws.ToString(resource[0].Value) {
				continue
			}
			b.active[pool] = append(b.active[pool], f)
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			return b, nil
		}
	}
}

// Add queues what one pool check means for Security Hub. A failed check
// changes nothing there (the pool's state is not known), nor does a
// replica's (its primary Region's enforcer reports the pool).
func (b *Batch) Add(f findings.Finding) {
	if !exported(f) {
		return
	}
	pool := cognito.PoolARN(f.Region, f.Account, f.PoolID)
	now := b.e.now().UTC().Format(time.RFC3339)
	current := map[string]bool{}
	if f.Status.Judged() { // a compliant pool has no violations
		asffs := make([]types.AwsSecurityFinding, 0, len(f.Violations)+1)
		for _, v := range f.Violations {
			asffs = append(asffs, b.asff(f, pool, v, now))
		}
		if f.Equivalent != "" {
			asffs = append(asffs, b.equivalence(f, pool, now))
		}
		for _, asff := range asffs {
			current[aws.ToString(asff.Id)] = true
			for _, old := range b.active[pool] {
				if aws.ToString(old.Id) == aws.ToString(asff.Id) {
					// The same issue, still there: when it was first seen
					// stays, and the customer's workflow is theirs.
					asff.CreatedAt, asff.FirstObservedAt, asff.Workflow = old.CreatedAt, cmp.Or(old.FirstObservedAt, old.CreatedAt), old.Workflow
				}
			}
			b.pending = append(b.pending, asff)
		}
	}
	compliance := types.ComplianceStatusPassed
	if !f.Status.Judged() { // deleted
		compliance = types.ComplianceStatusNotAvailable
	}
	for _, old := range b.active[pool] {
		if current[aws.ToString(old.Id)] {
			continue
		}
		// Workflow stays the customer's; Security Hub moves it itself.
		old.UpdatedAt, old.LastObservedAt = aws.String(now), aws.String(now)
		old.Compliance = &types.Compliance{Status: compliance}
		old.RecordState = types.RecordStateArchived
		b.pending = append(b.pending, old)
	}
	delete(b.active, pool)
}

// asff is one violation of one pool as a Security Hub finding.
func (b *Batch) asff(f findings.Finding, pool string, v policy.Violation, now string) types.AwsSecurityFinding {
	compliance, workflow, state := types.ComplianceStatusFailed, types.WorkflowStatusNew, types.RecordStateActive
	switch f.Status {
	case reconcile.Remediated: // every violation found was corrected
		compliance, workflow, state = types.ComplianceStatusPassed, types.WorkflowStatusResolved, types.RecordStateArchived
	case reconcile.Exempt:
		workflow = types.WorkflowStatusSuppressed
	}
	severity := types.SeverityLabel(policy.SeverityOf(v.Code))
	remedy := v.Reason
	if remedy == "" {
		remedy = "cognito-mfa-enforcer corrects this in enforce mode; in report mode, switch the policy to enforce or correct it by hand."
	}
	return types.AwsSecurityFinding{
		SchemaVersion:   aws.String("2018-10-08"),
		Id:              aws.String(ID(pool, v)),
		ProductArn:      aws.String(ProductARN(f.Region, f.Account)),
		GeneratorId:     aws.String(GeneratorPrefix + v.Code),
		AwsAccountId:    aws.String(f.Account),
		Region:          aws.String(f.Region),
		Types:           []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt:       aws.String(now),
		UpdatedAt:       aws.String(now),
		FirstObservedAt: aws.String(now),
		LastObservedAt:  aws.String(now),
		Severity:        &types.Severity{Label: severity},
		FindingProviderFields: &types.FindingProviderFields{Severity: &types.FindingProviderSeverity{Label: severity},
			Types: []string{"Software and Configuration Checks/AWS Security Best Practices"}},
		Title:       aws.String(clip("Cognito user pool MFA: "+v.Code, 256)),
		Description: aws.String(clip(fmt.Sprintf("%s (pool %s %s). Enforcer status: %s. %s", v.Text, f.PoolID, f.PoolName, f.Status, f.Message), 1024)),
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(clip(remedy, 512))}},
		Resources: []types.Resource{{Type: aws.String("Other"), Id: aws.String(pool), Partition: types.PartitionAws, Region: aws.String(f.Region),
			Details: &types.ResourceDetails{Other: map[string]string{"UserPoolId": f.PoolID}}}},
		Compliance:  &types.Compliance{Status: compliance},
		Workflow:    &types.Workflow{Status: workflow},
		RecordState: state,
		ProductFields: map[string]string{
			"cognito-mfa-enforcer/status": string(f.Status),
			"cognito-mfa-enforcer/mode":   string(f.Mode),
			"cognito-mfa-enforcer/code":   v.Code,
		},
	}
}

// equivalence is a pool compliant by an equivalent of MFA ON as a Security
// Hub finding: the pool's MFA level finding, PASSED and active, its
// description saying which control stands in and how it was judged, so a
// reviewer sees the compensating control accepted.
func (b *Batch) equivalence(f findings.Finding, pool, now string) types.AwsSecurityFinding {
	level := policy.Violation{Code: policy.CodeLevelBelowPolicy, Text: "MFA is " + string(levelOf(f)) + ", compliant by equivalent: " + f.Equivalent}
	asff := b.asff(f, pool, level, now)
	note := "Compliant by equivalent: " + f.Equivalent
	if a := f.Adaptive; a != nil {
		note += fmt.Sprintf(" (plan %s, threat protection %s; minimum actions low %s, medium %s, high %s; %d app clients judged)",
			a.Plan, a.ThreatProtection, a.Minimum.Low, a.Minimum.Medium, a.Minimum.High, max(len(a.Effective)-1, 0))
	}
	asff.Description = aws.String(clip(note+fmt.Sprintf(". Pool %s %s. The policy accepts it in place of MFA ON; sign-ins scored as no risk get no second factor.",
		f.PoolID, f.PoolName), 1024))
	asff.Compliance = &types.Compliance{Status: types.ComplianceStatusPassed}
	asff.Workflow = &types.Workflow{Status: types.WorkflowStatusResolved}
	asff.RecordState = types.RecordStateActive
	asff.Severity = &types.Severity{Label: types.SeverityLabelInformational}
	asff.FindingProviderFields.Severity = &types.FindingProviderSeverity{Label: types.SeverityLabelInformational}
	asff.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(
		"None needed while the pool stays on the Plus plan with threat protection ENFORCED and its risk actions at the policy's minimum.")}}
	asff.ProductFields["cognito-mfa-enforcer/equivalent"] = f.Equivalent
	return asff
}

// levelOf is the pool's MFA level as the finding saw it.
func levelOf(f findings.Finding) policy.Level {
	switch {
	case f.After != nil:
		return f.After.Level
	case f.Before != nil:
		return f.Before.Level
	}
	return ""
}

// Flush imports what is queued, 100 findings per call, paced within the
// share of Security Hub's quota (10 calls per second). It returns how many
// findings were not imported (refused, or in a call that failed) and why;
// a failed call does not stop the calls after it.
func (b *Batch) Flush(ctx context.Context) (failed int, err error) {
	var why []string
	for len(b.pending) > 0 {
		n := min(len(b.pending), maxBatch)
		batch := b.pending[:n]
		b.pending = b.pending[n:]
		var out *sh.BatchImportFindingsOutput
		err := b.e.call(ctx, quota.BatchImportFindings, func() (err error) {
			out, err = b.e.api.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: batch})
			return err
		})
		if err != nil && ctx.Err() != nil {
			// The leg's time is up: what is left is not imported either.
			failed += n + len(b.pending)
			b.pending = nil
			why = append(why, err.Error())
			break
		}
		if err != nil {
			failed += n
			why = append(why, fmt.Sprintf("import %d findings: %v", n, err))
			continue
		}
		for _, f := range out.FailedFindings {
			failed++
			why = append(why, aws.ToString(f.Id)+": "+aws.ToString(f.ErrorCode)+" "+aws.ToString(f.ErrorMessage))
		}
	}
	if failed > 0 {
		return failed, fmt.Errorf("not imported into Security Hub: %d findings: %s", failed, clip(strings.Join(why, "; "), 2048))
	}
	return 0, nil
}

// ResolveGone resolves (Compliance NOT_AVAILABLE, RecordState ARCHIVED) the
// active findings of pools that are gone: run after a complete sweep that
// began at since, it asks gone about each pool whose findings that sweep
// did not bring up to date, and resolves only those gone confirms (a
// ResourceNotFoundException). A pool gone cannot answer for, or whose
// Id is not a pool of this Region, keeps its findings: a failed read
// never archives anything.
func (e *Exporter) ResolveGone(ctx context.Context, region, account string, since time.Time,
	gone func(ctx context.Context, poolID string) (bool, error)) (resolved, failed int, err error) {
	b, err := e.begin(ctx, nil, region, account)
	if err != nil {
		return 0, 0, err
	}
	for pool, active := range b.active {
		id, ok := strings.CutPrefix(pool, cognito.PoolARN(region, account, ""))
		if !ok || !policy.IsPoolID(id) || !strings.HasPrefix(id, region+"_") || !stale(active, since) {
			continue
		}
		yes, err := gone(ctx, id)
		if err != nil {
			e.log.Warn("pool not confirmed gone; its Security Hub findings stay", "poolId", id, "outcome", "kept", "error", err.Error())
			continue
		}
		if yes {
			e.log.Info("pool gone; its Security Hub findings resolved", "poolId", id, "outcome", "resolved", "findings", len(active))
			b.Add(findings.Finding{Account: account, Region: region, Result: reconcile.Result{PoolID: id, Status: reconcile.Deleted}})
			resolved += len(active)
		}
	}
	failed, err = b.Flush(ctx)
	return resolved - failed, failed, err
}

// stale reports whether no finding of a pool was updated since t. The
// findings' times are whole seconds: one updated in t's second is not.
func stale(fs []types.AwsSecurityFinding, t time.Time) bool {
	t = t.Truncate(time.Second)
	for _, f := range fs {
		at, err := time.Parse(time.RFC3339, aws.ToString(f.UpdatedAt))
		if err != nil || !at.Before(t) {
			return false
		}
	}
	return true
}

// call makes one paced call of op and reports its outcome to the pacer.
func (e *Exporter) call(ctx context.Context, op quota.Op, f func() error) error {
	if err := e.pacer.Wait(ctx, op, ""); err != nil {
		return err
	}
	err := f()
	e.pacer.Observe(op, err)
	return err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
