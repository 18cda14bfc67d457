package signin

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// TestGoldenSQSEvent: events/signin-sqs-batch.json is a batch as Lambda
// delivers it from SQS; it decodes into aws-lambda-go's type, and each body
// is a sign-in message the handler accepts.
func TestGoldenSQSEvent(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "signin-sqs-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var ev events.SQSEvent
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("not the shape aws-lambda-go knows: %v", err)
	}
	if len(ev.Records) == 0 {
		t.Fatal("no records")
	}
	sources := map[string]bool{}
	for _, r := range ev.Records {
		if r.MessageId == "" || r.EventSource != "aws:sqs" || r.EventSourceARN == "" {
			t.Errorf("record lacks what a batch failure names: %+v", r)
		}
		m, err := signinmsg.Decode(r.Body)
		if err != nil {
			t.Errorf("body refused: %v", err)
		}
		if m.Username != "jane.doe" || m.Sub == "" || m.Account == "" || m.Region == "" {
			t.Errorf("body lacks a field the check reads: %+v", m)
		}
		sources[m.TriggerSource] = true
	}
	if !sources[signinmsg.PreAuthentication] || !sources[signinmsg.PostAuthentication] {
		t.Errorf("the sample shows only %v", sources)
	}
}
