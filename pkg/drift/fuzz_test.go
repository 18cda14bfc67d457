package drift

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// FuzzParseEvent: no input panics, errors never carry the JSON decoder's
// Go-typed message, an accepted event names its account and region, and an
// accepted successful call always names a valid pool ID and one of the
// watched event names.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "drift-*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	f.Add(`{"source":"aws.cognito-idp","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"cognito-idp.amazonaws.com","eventName":"UpdateUserPool","errorCode":"X"}}`)
	const head = `{"source":"aws.cognito-idp","detail-type":"AWS API Call via CloudTrail","account":"123456789012","region":"us-east-1","detail":{"eventSource":"cognito-idp.amazonaws.com","eventName":"UpdateUserPool",`
	for _, seed := range []string{
		head + `"userIdentity":"jane.doe","requestParameters":{"userPoolId":"us-east-1_AbC123"}}}`,
		head + `"userIdentity":{"arn":42},"requestParameters":{"userPoolId":"us-east-1_AbC123"}}}`,
		head + `"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":[true]}}},"requestParameters":{"userPoolId":"us-east-1_AbC123"}}}`,
		head + `"requestParameters":{"userPoolId":"eu-west-1_AbC123"}}}`,
		head + `"requestParameters":{"userPoolId":1e999}}}`,
		`{"source":"aws.cognito-idp","detail-type":"AWS API Call via CloudTrail","account":123456789012,"region":"us-east-1","detail":{}}`,
		`{"source":"aws.cognito-idp","detail-type":"AWS API Call via CloudTrail","account":"","region":"us-east-1","detail":{}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseEvent([]byte(raw))
		if te := new(json.UnmarshalTypeError); errors.As(err, &te) {
			t.Fatalf("error names Go types: %v", err)
		}
		if err == nil && (c.Account == "" || c.Region == "") {
			t.Fatalf("accepted an event without account or region: %+v", c)
		}
		if err != nil || c.ErrorCode != "" {
			return
		}
		if !policy.IsPoolID(c.PoolID) {
			t.Fatalf("accepted pool ID %q", c.PoolID)
		}
		valid := false
		for _, n := range EventNames {
			valid = valid || n == c.EventName
		}
		if !valid {
			t.Fatalf("accepted event name %q", c.EventName)
		}
	})
}
