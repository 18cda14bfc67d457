// Package findings publishes what the enforcer found as EventBridge events,
// in one schema shared by every function.
package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// Event source and detail types; docs/findings.md documents the schema.
const (
	Source            = "cognito-mfa-enforcer"
	DetailTypeFinding = "Cognito MFA Policy Finding"
	DetailTypeUser    = "Cognito MFA User Finding"
	DetailTypeSummary = "Cognito MFA Sweep Summary"
	SchemaVersion     = 1
	// EnforcerVersion is the release that produced a finding or summary
	// (enforcerVersion): CHANGELOG.md's latest (TestChangelogVersion).
	EnforcerVersion = "0.9.0"
)

// PutEvents limits.
const (
	maxEntries    = 10
	maxBatchBytes = 256 * 1024
)

// Cause says what started a check (the finding's "trigger" field).
type Cause struct {
	Kind      string `json:"kind"` // cloudtrail, schedule or sign-in
	EventName string `json:"eventName,omitempty"`
	EventID   string `json:"eventId,omitempty"`
	CallerARN string `json:"callerArn,omitempty"`
}

// Finding is what one pool check found: a reconcile result with where and
// when it was observed and what started it. Its JSON is its Detail.
type Finding struct {
	SchemaVersion int
	Account       string
	Region        string
	reconcile.Result
	Cause      Cause
	ObservedAt time.Time
}

// UserFinding is what one user check found, with where, when and what
// started it. Its JSON is its Detail.
type UserFinding struct {
	SchemaVersion int
	Account       string
	Region        string
	reconcile.UserResult
	Cause      Cause
	ObservedAt time.Time
}

// Detail is the published schema of a finding (docs/findings.md): the
// detail of a "Cognito MFA Policy Finding" (a Finding, also the drift
// function's response) or a "Cognito MFA User Finding" (a UserFinding,
// with User). testdata/*.json hold it.
type Detail struct {
	SchemaVersion   int                `json:"schemaVersion"`
	EnforcerVersion string             `json:"enforcerVersion"`
	Account         string             `json:"account"`
	Region          string             `json:"region"`
	PoolID          string             `json:"poolId"`
	PoolName        string             `json:"poolName,omitempty"`
	Status          reconcile.Status   `json:"status"`
	Mode            policy.Mode        `json:"mode"`
	Policy          policy.Origin      `json:"policy"`
	Profile         string             `json:"profile,omitempty"`
	Violations      []policy.Violation `json:"violations"`
	// Before is the state the decision was made on; After what Cognito
	// stored; Changes is Before -> After.
	Before  *policy.PoolMFA `json:"before,omitempty"`
	After   *policy.PoolMFA `json:"after,omitempty"`
	Changes []policy.Change `json:"changes,omitempty"`
	// ConcurrentChanges is what someone else changed between the first read
	// and Before; StoredDifferently is sent -> stored.
	ConcurrentChanges []policy.Change  `json:"concurrentChanges,omitempty"`
	StoredDifferently []policy.Change  `json:"storedDifferently,omitempty"`
	Message           string           `json:"message,omitempty"`
	Coverage          *policy.Coverage `json:"coverage,omitempty"`
	// Equivalent names the control a compliant pool counts as MFA ON by
	// ("adaptiveAuthentication"); Adaptive is what the check made of the
	// pool's adaptive authentication, accepted or not and why.
	Equivalent string                    `json:"equivalent,omitempty"`
	Adaptive   *policy.AdaptiveJudgement `json:"adaptiveAuthentication,omitempty"`
	User       *User                     `json:"user,omitempty"`
	Cause      Cause                     `json:"trigger"`
	ObservedAt time.Time                 `json:"observedAt"`
}

// Detail is the finding as published.
func (f Finding) Detail() Detail {
	r := f.Result
	return Detail{SchemaVersion: f.SchemaVersion, EnforcerVersion: EnforcerVersion, Account: f.Account, Region: f.Region,
		PoolID: r.PoolID, PoolName: r.PoolName, Status: r.Status, Mode: r.Mode, Policy: r.Policy, Profile: r.Profile,
		Violations: r.Violations, Before: r.Before, After: r.After, Changes: r.Changes,
		ConcurrentChanges: r.ConcurrentChanges, StoredDifferently: r.StoredDifferently, Message: r.Message, Coverage: r.Coverage,
		Equivalent: r.Equivalent, Adaptive: r.Adaptive, Cause: f.Cause, ObservedAt: f.ObservedAt}
}

// Detail is the user finding as published.
func (f UserFinding) Detail() Detail {
	r := f.UserResult
	return Detail{SchemaVersion: f.SchemaVersion, EnforcerVersion: EnforcerVersion, Account: f.Account, Region: f.Region,
		PoolID: r.PoolID, Status: r.Status, Mode: r.Mode, Policy: r.Policy, Profile: r.Profile, Violations: r.Violations, Message: r.Message,
		User:  &User{Username: r.Username, Sub: r.Sub, Before: r.Before, Desired: r.Desired, After: r.After},
		Cause: f.Cause, ObservedAt: f.ObservedAt}
}

// Finding is the pool finding a published detail says (without the
// error, which is not published).
func (d Detail) Finding() Finding {
	return Finding{SchemaVersion: d.SchemaVersion, Account: d.Account, Region: d.Region,
		Result: reconcile.Result{PoolID: d.PoolID, PoolName: d.PoolName, Status: d.Status, Mode: d.Mode, Policy: d.Policy, Profile: d.Profile,
			Violations: d.Violations, Before: d.Before, After: d.After, Changes: d.Changes,
			ConcurrentChanges: d.ConcurrentChanges, StoredDifferently: d.StoredDifferently, Message: d.Message, Coverage: d.Coverage,
			Equivalent: d.Equivalent, Adaptive: d.Adaptive},
		Cause: d.Cause, ObservedAt: d.ObservedAt}
}

// UserFinding is the user finding a published detail says (without the
// error, which is not published).
func (d Detail) UserFinding() UserFinding {
	u := d.User
	if u == nil {
		u = &User{}
	}
	return UserFinding{SchemaVersion: d.SchemaVersion, Account: d.Account, Region: d.Region,
		UserResult: reconcile.UserResult{PoolID: d.PoolID, Username: u.Username, Sub: u.Sub, Status: d.Status, Mode: d.Mode, Policy: d.Policy,
			Profile: d.Profile, Violations: d.Violations, Before: u.Before, Desired: u.Desired, After: u.After, Message: d.Message},
		Cause: d.Cause, ObservedAt: d.ObservedAt}
}

// MarshalJSON encodes the finding as its Detail.
func (f Finding) MarshalJSON() ([]byte, error) { return json.Marshal(f.Detail()) }

// UnmarshalJSON decodes a Detail.
func (f *Finding) UnmarshalJSON(b []byte) error { return fromDetail(b, f, Detail.Finding) }

// MarshalJSON encodes the user finding as its Detail.
func (f UserFinding) MarshalJSON() ([]byte, error) { return json.Marshal(f.Detail()) }

// UnmarshalJSON decodes a Detail.
func (f *UserFinding) UnmarshalJSON(b []byte) error { return fromDetail(b, f, Detail.UserFinding) }

// fromDetail decodes a Detail into *into through conv; on error *into is
// unchanged.
func fromDetail[T any](b []byte, into *T, conv func(Detail) T) error {
	var d Detail
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	*into = conv(d)
	return nil
}

// User is the user in a user finding's Detail (reconcile.UserResult):
// before is what Cognito reported, desired what the policy asks for,
// after what was written (absent when nothing was).
type User struct {
	Username string          `json:"username"`
	Sub      string          `json:"sub,omitempty"`
	Before   *policy.UserMFA `json:"before,omitempty"`
	Desired  *policy.UserMFA `json:"desired,omitempty"`
	After    *policy.UserMFA `json:"after,omitempty"`
}

// New builds the finding for one pool check.
func New(account, region string, res reconcile.Result, cause Cause, at time.Time) Finding {
	return Finding{SchemaVersion: SchemaVersion, Account: account, Region: region, Result: res, Cause: cause, ObservedAt: at.UTC()}
}

// NewUser builds the finding for one user check.
func NewUser(account, region string, res reconcile.UserResult, cause Cause, at time.Time) UserFinding {
	return UserFinding{SchemaVersion: SchemaVersion, Account: account, Region: region, UserResult: res, Cause: cause, ObservedAt: at.UTC()}
}

// Entry is one event to publish.
type Entry struct {
	DetailType string
	Detail     any
	Resources  []string
}

// ForFinding wraps a pool finding with the pool's ARN as its resource.
func ForFinding(f Finding) Entry {
	return Entry{DetailType: DetailTypeFinding, Detail: f.Detail(), Resources: []string{cognito.PoolARN(f.Region, f.Account, f.PoolID)}}
}

// ForUser wraps a user finding with the user's pool's ARN as its resource.
func ForUser(f UserFinding) Entry {
	return Entry{DetailType: DetailTypeUser, Detail: f.Detail(), Resources: []string{cognito.PoolARN(f.Region, f.Account, f.PoolID)}}
}

// EventsAPI is the part of the EventBridge client the publisher uses.
type EventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ EventsAPI = (*eventbridge.Client)(nil)

// Publisher sends entries to one bus. With no bus it publishes nothing.
type Publisher struct {
	API     EventsAPI
	Bus     string
	Log     *slog.Logger
	Backoff pace.Backoff // resends of the entries EventBridge rejected with a retryable code
	Failed  atomic.Int64 // entries that could not be published
}

// NewPublisher returns a publisher with the default retries.
func NewPublisher(api EventsAPI, bus string, log *slog.Logger) *Publisher {
	return &Publisher{API: api, Bus: bus, Log: log, Backoff: pace.PublishBackoff}
}

// Publish sends entries in PutEvents batches of at most 10 entries and
// 256 KB, retrying entries the bus reports as failed. It returns an error
// naming how many entries were lost; callers log it and carry on.
func (p *Publisher) Publish(ctx context.Context, entries []Entry) error {
	if p == nil || p.Bus == "" || len(entries) == 0 {
		return nil
	}
	var reqs []types.PutEventsRequestEntry
	var errs []error
	for _, e := range entries {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			errs = append(errs, fmt.Errorf("encode %s: %w", e.DetailType, err))
			continue
		}
		reqs = append(reqs, types.PutEventsRequestEntry{
			EventBusName: aws.String(p.Bus), Source: aws.String(Source), DetailType: aws.String(e.DetailType),
			Detail: aws.String(string(detail)), Resources: e.Resources,
		})
	}
	for _, batch := range batches(reqs) {
		if err := p.send(ctx, batch); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		p.Log.Error("publish findings", "bus", p.Bus, "error", err.Error(), "failedTotal", p.Failed.Load())
		return err
	}
	return nil
}

// send puts one batch, resending the entries EventBridge rejected with a
// retryable code. A failed call is not tried again: the SDK's retryer has
// already retried what was transient.
func (p *Publisher) send(ctx context.Context, batch []types.PutEventsRequestEntry) error {
	var lost int
	err := p.Backoff.Do(ctx, isRejection, func() error {
		out, err := p.API.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
		if err != nil {
			lost = len(batch)
			return fmt.Errorf("put %d events on %s: %w", len(batch), p.Bus, err)
		}
		var retry []types.PutEventsRequestEntry
		var codes []string
		permanent := 0
		for i, r := range out.Entries {
			if r.ErrorCode == nil || i >= len(batch) {
				continue
			}
			codes = append(codes, aws.ToString(r.ErrorCode)+": "+aws.ToString(r.ErrorMessage))
			if retryableEntry[aws.ToString(r.ErrorCode)] {
				retry = append(retry, batch[i])
			} else {
				permanent++
			}
		}
		if len(codes) == 0 {
			return nil
		}
		p.Failed.Add(int64(permanent))
		batch, lost = retry, len(retry)
		err = fmt.Errorf("%d events rejected by %s: %s", len(codes), p.Bus, strings.Join(codes, "; "))
		if len(retry) > 0 {
			return rejection{err}
		}
		return err
	})
	if err != nil {
		p.Failed.Add(int64(lost))
	}
	return err
}

// retryableEntry are the PutEvents entry error codes worth resending, as
// the EventBridge API reference (PutEventsResultEntry) lists them; the
// others (access denied, malformed detail, ...) fail the same way again.
var retryableEntry = map[string]bool{"InternalFailure": true, "ThrottlingException": true}

// rejection is a batch with entries to resend.
type rejection struct{ error }

func isRejection(err error) bool {
	var r rejection
	return errors.As(err, &r)
}

// entrySize follows EventBridge's documented entry size calculation.
func entrySize(e types.PutEventsRequestEntry) int {
	n := 14 // Time
	n += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func batches(reqs []types.PutEventsRequestEntry) [][]types.PutEventsRequestEntry {
	var out [][]types.PutEventsRequestEntry
	var cur []types.PutEventsRequestEntry
	size := 0
	for _, r := range reqs {
		s := entrySize(r)
		if len(cur) == maxEntries || (len(cur) > 0 && size+s > maxBatchBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, r)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
