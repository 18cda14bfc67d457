package trigger

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The samples in events/ are what Cognito sends; they must decode into
// aws-lambda-go's types and carry every field the handler reads.
func TestGoldenTriggerEvents(t *testing.T) {
	for _, tc := range []struct {
		file, source string
		into         any
	}{
		{"trigger-pre-authentication.json", PreAuthentication, &events.CognitoEventUserPoolsPreAuthentication{}},
		{"trigger-post-authentication.json", PostAuthentication, &events.CognitoEventUserPoolsPostAuthentication{}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "events", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tc.into); err != nil {
				t.Fatalf("not the shape aws-lambda-go knows: %v", err)
			}
			var ev event
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.TriggerSource != tc.source || ev.UserPoolID != "us-east-1_EXAMPLE11" || ev.UserName == "" || ev.Region == "" {
				t.Errorf("sample lacks a field the handler needs: %+v", ev)
			}
		})
	}
}
