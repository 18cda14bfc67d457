package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// Placeholders used by the samples in events/.
const (
	SamplePoolID   = "us-east-1_EXAMPLE11"
	SampleUserName = "jane.doe"
	SampleSub      = "94a8e4c8-0071-70e2-7d3c-5b1e0c2f6a9d"
)

// Sample reads root/events/file and fills in a real pool ID and, when user
// is not empty, a real user name (also inside an SQS message's body).
func Sample(root, file, poolID, user string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(root, "events", file))
	if err != nil {
		return nil, err
	}
	s := strings.ReplaceAll(string(raw), SamplePoolID, poolID)
	if user != "" {
		s = strings.ReplaceAll(s, `"`+SampleUserName+`"`, `"`+user+`"`)
		s = strings.ReplaceAll(s, `\"`+SampleUserName+`\"`, `\"`+user+`\"`) // in an SQS message's body
	}
	return []byte(s), nil
}

// Sample is the package Sample for a user of this moto: the user's sub as
// moto knows it is filled in too, as Cognito would send it.
func (m *Moto) Sample(ctx context.Context, root, file, poolID, user string) ([]byte, error) {
	raw, err := Sample(root, file, poolID, user)
	if err != nil || user == "" {
		return raw, err
	}
	sub, err := m.UserSub(ctx, poolID, user)
	if err != nil {
		return nil, err
	}
	return []byte(strings.ReplaceAll(string(raw), SampleSub, sub)), nil
}

// UserSub reads a user's sub.
func (m *Moto) UserSub(ctx context.Context, poolID, user string) (string, error) {
	var out struct {
		UserAttributes []struct{ Name, Value string }
	}
	if err := m.Call(ctx, &out, "cognito-idp", "AdminGetUser", map[string]string{"UserPoolId": poolID, "Username": user}); err != nil {
		return "", err
	}
	for _, a := range out.UserAttributes {
		if a.Name == "sub" {
			return a.Value, nil
		}
	}
	return "", fmt.Errorf("user %s of %s has no sub", user, poolID)
}

// SQSBatch is the SQS event delivering ms to the sign-in check, message
// IDs m0, m1, ...
func SQSBatch(ms ...signinmsg.Message) []byte {
	var ev events.SQSEvent
	for i, m := range ms {
		body, _ := json.Marshal(m)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: string(body), EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(ev)
	return raw
}
