package coverage

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueAPI is the part of the SQS client that reads a queue's depth.
type QueueAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ QueueAPI = (*sqs.Client)(nil)

// Unrecorded counts the sign-ins the ledger may lack: the messages in the
// sign-in check's dead-letter queue, which it could not process (a ledger
// write that kept failing, or Cognito that did) five times over.
type Unrecorded struct {
	api QueueAPI
	url string
}

// NewUnrecorded returns the counter of the dead-letter queue at url, or nil
// when url is empty.
func NewUnrecorded(api QueueAPI, url string) *Unrecorded {
	if url == "" {
		return nil
	}
	return &Unrecorded{api: api, url: url}
}

// depth is a queue's messages, visible and in flight.
var depth = []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}

// Count reads how many messages the queue holds, visible or in flight.
func (u *Unrecorded) Count(ctx context.Context) (int, error) {
	out, err := u.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u.url), AttributeNames: depth})
	if err != nil {
		return 0, fmt.Errorf("read the depth of %s: %w", u.url, err)
	}
	n := 0
	for _, a := range depth {
		v, err := strconv.Atoi(out.Attributes[string(a)])
		if err != nil {
			return 0, fmt.Errorf("read the depth of %s: %s is %q", u.url, a, out.Attributes[string(a)])
		}
		n += v
	}
	return n, nil
}
