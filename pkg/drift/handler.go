package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Ignored is the response status for events that need no check.
const Ignored reconcile.Status = "ignored"

// Handler reconciles the pool a CloudTrail event names.
type Handler struct {
	Reconciler *reconcile.Reconciler
	Recorder   findings.Recorder
	OwnRoles   []string
	Log        *slog.Logger
	Now        func() time.Time
	Region     string // the function's region when the invocation does not say
}

// Handle is the Lambda handler. It returns the finding for the pool (also
// for compliant pools, which are not published). A malformed event is an
// error and nothing is read or written; a failed check is an error so that
// Lambda's asynchronous retries and dead-letter queue apply. An event about
// another account or region is ignored: the same pool ID here is not the
// pool it names.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (findings.Finding, error) {
	call, err := ParseEvent(raw)
	if err != nil {
		h.Log.Error("event rejected", "outcome", "rejected", "error", err.Error())
		return findings.Finding{}, err
	}
	cause := findings.Cause{Kind: "cloudtrail", EventName: call.EventName, EventID: call.EventID, CallerARN: call.CallerARN}
	ignore := func(why string) (findings.Finding, error) {
		h.Log.Info("event ignored", "poolId", call.PoolID, "outcome", string(Ignored), "reason", why, "eventName", call.EventName, "eventId", call.EventID)
		res := reconcile.Result{PoolID: call.PoolID, PoolName: call.PoolName, Status: Ignored,
			Mode: h.Reconciler.CurrentPolicy().Mode, Policy: h.Reconciler.CurrentPolicy().Origin, Violations: []policy.Violation{}, Message: why}
		return findings.New(call.Account, call.Region, res, cause, h.Now()), nil
	}
	account, region := findings.Origin(ctx, h.Region)
	if why := foreign(call, account, region); why != "" {
		return ignore(why)
	}
	if call.ErrorCode != "" {
		return ignore("the call failed with " + call.ErrorCode + ", so it changed nothing")
	}
	if call.IssuerARN != "" && slices.Contains(h.OwnRoles, call.IssuerARN) {
		return ignore("the change was made by the enforcer itself")
	}

	res := h.Reconciler.Reconcile(ctx, call.PoolID)
	if res.PoolName == "" {
		res.PoolName = call.PoolName
	}
	f := findings.New(call.Account, call.Region, res, cause, h.Now())
	h.Recorder.Record(ctx, f)
	if res.Status.Retried() {
		return f, res.Err
	}
	return f, nil
}

// foreign says why a call is not about this function's account and region,
// or returns "". An own account or region that is not known is not checked.
func foreign(c Call, account, region string) string {
	if account != "" && c.Account != account {
		return fmt.Sprintf("event account %s is not this function's account %s", c.Account, account)
	}
	if region == "" {
		return ""
	}
	if c.Region != region {
		return fmt.Sprintf("event region %s is not this function's region %s", c.Region, region)
	}
	// A pool ID starts with its region: us-east-1_AbC123.
	if prefix, _, _ := strings.Cut(c.PoolID, "_"); c.PoolID != "" && prefix != region {
		return fmt.Sprintf("pool ID %s is from region %s, not this function's region %s", c.PoolID, prefix, region)
	}
	return ""
}
