package testbed

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue is an SQS queue in moto: the sign-in queue the trigger sends to
// and the sign-in check's event source reads.
type Queue struct {
	api  *sqs.Client
	Name string
	URL  string
	ARN  string
}

// Queue creates an SQS queue: a FIFO queue when name ends in ".fifo", as
// the template's sign-in queue is (deduplicated per message group).
func (m *Moto) Queue(ctx context.Context, name string) (*Queue, error) {
	cfg, err := m.sdkConfig(ctx, "testing", "testing", "")
	if err != nil {
		return nil, err
	}
	api := sqs.NewFromConfig(cfg)
	in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
	if strings.HasSuffix(name, ".fifo") {
		in.Attributes = map[string]string{"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
	}
	out, err := api.CreateQueue(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	return &Queue{api: api, Name: name, URL: aws.ToString(out.QueueUrl),
		ARN: fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, name)}, nil
}

// Batch receives up to 10 messages and returns them as the SQS event
// Lambda's event source mapping would deliver (as JSON), and how many it
// holds. The messages stay in flight, as they do while a function runs.
func (q *Queue) Batch(ctx context.Context) ([]byte, int, error) {
	out, err := q.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10,
		VisibilityTimeout: 3600, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		return nil, 0, fmt.Errorf("receive from %s: %w", q.Name, err)
	}
	var ev events.SQSEvent
	for _, m := range out.Messages {
		sum := md5.Sum([]byte(aws.ToString(m.Body)))
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Md5OfBody: hex.EncodeToString(sum[:]), Attributes: m.Attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{}, EventSource: "aws:sqs", EventSourceARN: q.ARN, AWSRegion: Region})
	}
	raw, err := json.Marshal(ev)
	return raw, len(ev.Records), err
}

// Bodies receives every message now in the queue and returns their bodies.
func (q *Queue) Bodies(ctx context.Context) ([]string, error) {
	var bodies []string
	for {
		raw, n, err := q.Batch(ctx)
		if err != nil || n == 0 {
			return bodies, err
		}
		var ev events.SQSEvent
		_ = json.Unmarshal(raw, &ev)
		for _, r := range ev.Records {
			bodies = append(bodies, r.Body)
		}
	}
}

// Send sends one message.
func (q *Queue) Send(ctx context.Context, body string) error {
	if _, err := q.api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body)}); err != nil {
		return fmt.Errorf("send to %s: %w", q.Name, err)
	}
	return nil
}

// Purge deletes every message in the queue.
func (q *Queue) Purge(ctx context.Context) error {
	if _, err := q.api.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q.URL)}); err != nil {
		return fmt.Errorf("purge %s: %w", q.Name, err)
	}
	return nil
}

// Done deletes the messages of a batch that a function processed: those
// not in failed (its batchItemFailures' message IDs), as Lambda's event
// source mapping does.
func (q *Queue) Done(ctx context.Context, batch []byte, failed []string) error {
	var ev events.SQSEvent
	if err := json.Unmarshal(batch, &ev); err != nil {
		return err
	}
	for _, r := range ev.Records {
		if slices.Contains(failed, r.MessageId) {
			continue
		}
		if _, err := q.api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(r.ReceiptHandle)}); err != nil {
			return fmt.Errorf("delete from %s: %w", q.Name, err)
		}
	}
	return nil
}
