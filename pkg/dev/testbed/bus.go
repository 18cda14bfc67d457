package testbed

import (
	"context"
	"encoding/json"
	"fmt"
)

// Bus is an EventBridge bus in moto with a rule that delivers every
// enforcer event to an SQS queue, so tests read what was published.
type Bus struct {
	cli      func(ctx context.Context, out any, args ...string) error
	Name     string
	ARN      string
	QueueURL string
}

// FindingsBus creates the bus, queue, rule and target with the AWS CLI.
func (m *Moto) FindingsBus(ctx context.Context, name string) (*Bus, error) {
	return findingsBus(ctx, m.CLI, Account, name)
}

// FindingsBus creates a bus with its queue in this account.
func (a *OtherAccount) FindingsBus(ctx context.Context, name string) (*Bus, error) {
	return findingsBus(ctx, a.CLI, a.ID, name)
}

func findingsBus(ctx context.Context, cli func(context.Context, any, ...string) error, account, name string) (*Bus, error) {
	var q struct{ QueueUrl string }
	if err := cli(ctx, &q, "sqs", "create-queue", "--queue-name", name); err != nil {
		return nil, err
	}
	steps := [][]string{
		{"events", "create-event-bus", "--name", name},
		{"events", "put-rule", "--name", name + "-all", "--event-bus-name", name, "--event-pattern", `{"source":["cognito-mfa-enforcer"]}`},
		{"events", "put-targets", "--rule", name + "-all", "--event-bus-name", name,
			"--targets", fmt.Sprintf("Id=queue,Arn=arn:aws:sqs:%s:%s:%s", Region, account, name)},
	}
	for _, args := range steps {
		if err := cli(ctx, nil, args...); err != nil {
			return nil, err
		}
	}
	arn := fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", Region, account, name)
	return &Bus{cli: cli, Name: name, ARN: arn, QueueURL: q.QueueUrl}, nil
}

// Event is an EventBridge event as delivered to the queue.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Drain receives every message now in the queue. Received messages stay
// invisible for an hour instead of being deleted one CLI call at a time.
func (b *Bus) Drain(ctx context.Context) ([]Event, error) {
	var events []Event
	for {
		var out struct {
			Messages []struct{ Body string }
		}
		if err := b.cli(ctx, &out, "sqs", "receive-message", "--queue-url", b.QueueURL, "--max-number-of-messages", "10", "--visibility-timeout", "3600"); err != nil {
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
