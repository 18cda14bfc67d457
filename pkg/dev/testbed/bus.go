package testbed

import (
	"context"
	"encoding/json"
	"fmt"
)

// Bus is an EventBridge bus in moto with a rule that delivers every
// enforcer event to an SQS queue, so tests read what was published.
type Bus struct {
	call     caller
	Name     string
	ARN      string
	QueueURL string
}

// caller is Moto.Call or OtherAccount.Call.
type caller func(ctx context.Context, out any, service, op string, in any) error

// FindingsBus creates the bus, queue, rule and target.
func (m *Moto) FindingsBus(ctx context.Context, name string) (*Bus, error) {
	return findingsBus(ctx, m.Call, Account, name)
}

// FindingsBus creates a bus with its queue in this account.
func (a *OtherAccount) FindingsBus(ctx context.Context, name string) (*Bus, error) {
	return findingsBus(ctx, a.Call, a.ID, name)
}

func findingsBus(ctx context.Context, call caller, account, name string) (*Bus, error) {
	var q struct{ QueueUrl string }
	if err := call(ctx, &q, "sqs", "CreateQueue", map[string]string{"QueueName": name}); err != nil {
		return nil, err
	}
	steps := []struct {
		op string
		in any
	}{
		{"CreateEventBus", map[string]string{"Name": name}},
		{"PutRule", map[string]string{"Name": name + "-all", "EventBusName": name, "EventPattern": `{"source":["cognito-mfa-enforcer"]}`}},
		{"PutTargets", map[string]any{"Rule": name + "-all", "EventBusName": name,
			"Targets": []map[string]string{{"Id": "queue", "Arn": fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, account, name)}}}},
	}
	for _, st := range steps {
		if err := call(ctx, nil, "events", st.op, st.in); err != nil {
			return nil, err
		}
	}
	arn := fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", Region, account, name)
	return &Bus{call: call, Name: name, ARN: arn, QueueURL: q.QueueUrl}, nil
}

// Event is an EventBridge event as delivered to the queue.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Drain receives every message now in the queue. Received messages stay
// invisible for an hour instead of being deleted one call at a time.
func (b *Bus) Drain(ctx context.Context) ([]Event, error) {
	var events []Event
	for {
		var out struct {
			Messages []struct{ Body string }
		}
		if err := b.call(ctx, &out, "sqs", "ReceiveMessage", map[string]any{"QueueUrl": b.QueueURL, "MaxNumberOfMessages": 10, "VisibilityTimeout": 3600}); err != nil {
			return nil, err
		}
		if len(out.Messages) == 0 {
			return events, nil
		}
		for _, msg := range out.Messages {
			var e Event
			if err := json.Unmarshal([]byte(msg.Body), &e); err != nil {
				return nil, fmt.Errorf("queue message is not an event: %w", err)
			}
			events = append(events, e)
		}
	}
}
