// Package drift re-checks a user pool the moment a CloudTrail API-call
// event says someone created or changed it.
package drift

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// What the EventBridge rule matches; anything else is rejected.
const (
	EventSource      = "aws.cognito-idp"
	DetailType       = "AWS API Call via CloudTrail"
	CloudTrailSource = "cognito-idp.amazonaws.com"
)

// EventNames are the calls that can change a pool's MFA configuration.
var EventNames = []string{"CreateUserPool", "UpdateUserPool", "SetUserPoolMfaConfig"}

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
	AWSRegion    string `json:"awsRegion"`
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
	if err := json.Unmarshal(raw, &env); err != nil {
		return Call{}, fmt.Errorf("event is not an EventBridge event object: %w", err)
	}
	if env.Source != EventSource {
		return Call{}, fmt.Errorf("event source: got %q, want %q", env.Source, EventSource)
	}
	if env.DetailType != DetailType {
		return Call{}, fmt.Errorf("event detail-type: got %q, want %q", env.DetailType, DetailType)
	}
	if env.Detail == nil { // absent or null
		return Call{}, fmt.Errorf("event detail: missing")
	}
	var d detail
	if err := json.Unmarshal(*env.Detail, &d); err != nil {
		return Call{}, fmt.Errorf("event detail: %w", err)
	}
	if d.EventSource != CloudTrailSource {
		return Call{}, fmt.Errorf("detail.eventSource: got %q, want %q", d.EventSource, CloudTrailSource)
	}
	if !slices.Contains(EventNames, d.EventName) {
		return Call{}, fmt.Errorf("detail.eventName: %q is not one of %v", d.EventName, EventNames)
	}
	c := Call{Account: env.Account, Region: env.Region, EventName: d.EventName, EventID: d.EventID,
		ErrorCode: d.ErrorCode, CallerARN: d.UserIdentity.ARN, IssuerARN: d.UserIdentity.SessionContext.SessionIssuer.ARN}
	if c.Region == "" {
		c.Region = d.AWSRegion
	}
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
