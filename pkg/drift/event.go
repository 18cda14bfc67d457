// Package drift re-checks a user pool the moment a CloudTrail API-call
// event says someone created or changed it.
package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// What the EventBridge rule matches; anything else is rejected.
const (
	EventSource      = "aws.cognito-idp"
	DetailType       = "AWS API Call via CloudTrail"
	CloudTrailSource = "cognito-idp.amazonaws.com"
)

// EventNames are the calls that can change what the policy judges of a
// pool: its MFA configuration, its plan and threat protection mode
// (UpdateUserPool), its risk configuration, and its app clients, whose own
// risk configurations replace the pool's.
var EventNames = []string{"CreateUserPool", "UpdateUserPool", "SetUserPoolMfaConfig", "SetRiskConfiguration",
	"CreateUserPoolClient", "UpdateUserPoolClient", "DeleteUserPoolClient"}

// Call is what the handler needs from one CloudTrail API-call event.
type Call struct {
	Account, Region string
	EventName       string
	EventID         string
	ErrorCode       string
	PoolID          string
	PoolName        string
	CallerARN       string
	IssuerARN       string // the role behind an assumed-role caller
	// EventTime is when the call was made, to the second as CloudTrail
	// records it; zero when the event does not say.
	EventTime time.Time
}

type envelope struct {
	Source     string           `json:"source"`
	DetailType string           `json:"detail-type"`
	Account    string           `json:"account"`
	Region     string           `json:"region"`
	Detail     *json.RawMessage `json:"detail"`
}

type detail struct {
	EventSource  string `json:"eventSource"`
	EventName    string `json:"eventName"`
	EventID      string `json:"eventID"`
	EventTime    string `json:"eventTime"`
	ErrorCode    string `json:"errorCode"`
	UserIdentity struct {
		ARN            string `json:"arn"`
		SessionContext struct {
			SessionIssuer struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters struct {
		UserPoolID string `json:"userPoolId"`
		PoolName   string `json:"poolName"`
	} `json:"requestParameters"`
	ResponseElements struct {
		UserPool struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"userPool"`
	} `json:"responseElements"`
}

// ParseEvent validates an EventBridge event and extracts the call. Errors
// say which field is missing or unexpected.
func ParseEvent(raw []byte) (Call, error) {
	var env envelope
	if err := decode(raw, &env, ""); err != nil {
		return Call{}, fmt.Errorf("event is not an EventBridge event object: %w", err)
	}
	if env.Source != EventSource {
		return Call{}, fmt.Errorf("event source: got %q, want %q", env.Source, EventSource)
	}
	if env.DetailType != DetailType {
		return Call{}, fmt.Errorf("event detail-type: got %q, want %q", env.DetailType, DetailType)
	}
	// EventBridge always sets both; without them nobody can tell whose
	// pool the event is about, so it is not acted on.
	if env.Account == "" {
		return Call{}, fmt.Errorf("event account: missing")
	}
	if env.Region == "" {
		return Call{}, fmt.Errorf("event region: missing")
	}
	if env.Detail == nil { // absent or null
		return Call{}, fmt.Errorf("event detail: missing")
	}
	var d detail
	if err := decode(*env.Detail, &d, "detail"); err != nil {
		return Call{}, err
	}
	if d.EventSource != CloudTrailSource {
		return Call{}, fmt.Errorf("detail.eventSource: got %q, want %q", d.EventSource, CloudTrailSource)
	}
	if !slices.Contains(EventNames, d.EventName) {
		return Call{}, fmt.Errorf("detail.eventName: %q is not one of %v", d.EventName, EventNames)
	}
	c := Call{Account: env.Account, Region: env.Region, EventName: d.EventName, EventID: d.EventID,
		ErrorCode: d.ErrorCode, CallerARN: d.UserIdentity.ARN, IssuerARN: d.UserIdentity.SessionContext.SessionIssuer.ARN}
	// An unreadable time only keeps the event from sharing another's check.
	c.EventTime, _ = time.Parse(time.RFC3339, d.EventTime)
	if c.ErrorCode != "" {
		return c, nil // a failed call changed nothing; no pool ID needed
	}
	field := "detail.requestParameters.userPoolId"
	c.PoolID, c.PoolName = d.RequestParameters.UserPoolID, d.RequestParameters.PoolName
	if d.EventName == "CreateUserPool" {
		field = "detail.responseElements.userPool.id"
		c.PoolID, c.PoolName = d.ResponseElements.UserPool.ID, d.ResponseElements.UserPool.Name
	}
	if c.PoolID == "" {
		return Call{}, fmt.Errorf("%s: missing from %s event %s", field, d.EventName, d.EventID)
	}
	if !policy.IsPoolID(c.PoolID) {
		return Call{}, fmt.Errorf("%s: %q is not a user pool ID", field, c.PoolID)
	}
	return c, nil
}

// decode is json.Unmarshal with a mistyped value reported by its JSON path
// (path names raw; "" for the whole event) and JSON types. The decoder's own
// error names Go types, which mean nothing to whoever sent the event, so it
// is replaced rather than wrapped.
func decode(raw []byte, v any, path string) error {
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	got, _, _ := strings.Cut(te.Value, " ") // Value may carry the literal: "number 1e999"
	if got == "bool" {
		got = "boolean"
	}
	msg := fmt.Sprintf("expected %s, got %s", jsonType(te.Type), got)
	if where := strings.Trim(path+"."+te.Field, "."); where != "" {
		msg = where + ": " + msg
	}
	return errors.New(msg)
}

// jsonType names the JSON type a Go value decodes from.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	default:
		return "a number"
	}
}
