package fakes

import (
	"cmp"
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Bus records PutEvents calls. It can fail whole calls or reject entries.
type Bus struct {
	mu      sync.Mutex
	Calls   [][]types.PutEventsRequestEntry
	RejectN int // reject the first N entries seen, once each
	// RejectCode is the error code of a rejected entry (InternalFailure
	// when empty, which EventBridge says is worth retrying).
	RejectCode string
	Err        error // fail every call
	Received   []types.PutEventsRequestEntry
}

// PutEvents implements findings.EventsAPI.
func (f *Bus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, in.Entries)
	if f.Err != nil {
		return nil, f.Err
	}
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		if f.RejectN > 0 {
			f.RejectN--
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String(cmp.Or(f.RejectCode, "InternalFailure")), ErrorMessage: aws.String("try again")})
			continue
		}
		f.Received = append(f.Received, e)
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String("id")})
	}
	return out, nil
}
