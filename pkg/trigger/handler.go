// Package trigger enforces the policy on the sign-in path, as a user
// pool's PreAuthentication and PostAuthentication trigger, without ever
// blocking or slowing a sign-in because of the enforcer.
package trigger

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Trigger sources the function acts on.
const (
	PreAuthentication  = "PreAuthentication_Authentication"
	PostAuthentication = "PostAuthentication_Authentication"
)

// UserAPI is the part of the Cognito client used for user-level rules.
type UserAPI interface {
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminSetUserMFAPreference(ctx context.Context, in *cip.AdminSetUserMFAPreferenceInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserMFAPreferenceOutput, error)
}

var _ UserAPI = (*cip.Client)(nil)

// event holds the fields common to every user pool trigger.
type event struct {
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
}

// Handler is the TriggerFunction's Lambda handler.
type Handler struct {
	Pools  *PoolChecker
	Users  UserAPI
	Policy policy.Policy
	Budget time.Duration // for all enforcer work in one invocation
	TTL    time.Duration // how long a compliant user is not read again
	Log    *slog.Logger
	Now    func() time.Time

	mu        sync.Mutex
	compliant map[string]time.Time // pool/user -> found compliant at
}

// Handle always returns the event unchanged and never an error: the
// enforcer's own failures (throttling, timeouts, any AWS error) are
// logged and retried on a later sign-in, and the user signs in.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		h.Log.Error("trigger event not understood; sign-in continues", "outcome", "skipped", "error", err.Error())
		return raw, nil
	}
	if ev.TriggerSource != PreAuthentication && ev.TriggerSource != PostAuthentication {
		h.Log.Info("trigger source not handled; event returned unchanged", "poolId", ev.UserPoolID, "triggerSource", ev.TriggerSource, "outcome", "ignored")
		return raw, nil
	}
	if !policy.IsPoolID(ev.UserPoolID) {
		h.Log.Error("trigger event without a valid userPoolId; sign-in continues", "outcome", "skipped")
		return raw, nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.Budget)
	defer cancel()
	account, region := findings.Origin(ctx, ev.Region)
	trig := findings.Trigger{Kind: "sign-in", EventName: ev.TriggerSource}
	h.Pools.Check(ctx, ev.UserPoolID, trig, account, region)
	if ev.TriggerSource == PostAuthentication && ev.UserName != "" && UserRulesEnabled(h.Policy) {
		h.checkUser(ctx, ev.UserPoolID, ev.UserName)
	}
	return raw, nil
}

// checkUser brings one user's MFA preference in line with the policy: at
// most one AdminGetUser and one AdminSetUserMFAPreference, none for a
// user found compliant within the TTL, no retries (skip rather than wait).
func (h *Handler) checkUser(ctx context.Context, poolID, username string) {
	key := poolID + "/" + username
	h.mu.Lock()
	if h.compliant == nil {
		h.compliant = map[string]time.Time{}
	}
	at, ok := h.compliant[key]
	h.mu.Unlock()
	if ok && h.Now().Sub(at) < h.TTL {
		return
	}
	log := h.Log.With("poolId", poolID, "user", username)
	out, err := h.Users.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: &username})
	if err != nil {
		log.Warn("user check skipped; sign-in continues", "outcome", "skipped", "error", err.Error())
		return
	}
	u := UserMFA{Enabled: out.UserMFASettingList, Preferred: aws.ToString(out.PreferredMfaSetting)}
	change := PlanUser(h.Policy, u)
	if change != nil {
		if _, err := h.Users.AdminSetUserMFAPreference(ctx, preferenceInput(poolID, username, u, change)); err != nil {
			log.Warn("user MFA preference not changed; sign-in continues", "outcome", "failed", "error", err.Error(), "reasons", change.Reasons)
			return
		}
		log.Info("user MFA preference corrected", "outcome", "remediated", "before", u, "after", change.Enabled, "preferred", change.Preferred, "reasons", change.Reasons)
	} else {
		log.Debug("user compliant", "outcome", "compliant")
	}
	h.mu.Lock()
	h.compliant[key] = h.Now()
	h.mu.Unlock()
}

// preferenceInput sets every factor the user had: kept ones stay enabled,
// forbidden ones are disabled, and exactly one is preferred.
func preferenceInput(poolID, username string, before UserMFA, c *UserChange) *cip.AdminSetUserMFAPreferenceInput {
	in := &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &poolID, Username: &username}
	for _, f := range before.Enabled {
		enabled, preferred := slices.Contains(c.Enabled, f), c.Preferred == f
		switch f {
		case FactorTOTP:
			in.SoftwareTokenMfaSettings = &types.SoftwareTokenMfaSettingsType{Enabled: enabled, PreferredMfa: preferred}
		case FactorSMS:
			in.SMSMfaSettings = &types.SMSMfaSettingsType{Enabled: enabled, PreferredMfa: preferred}
		case FactorEmail:
			in.EmailMfaSettings = &types.EmailMfaSettingsType{Enabled: enabled, PreferredMfa: preferred}
		}
	}
	return in
}
