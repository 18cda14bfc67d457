package fakes

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Ledger is the coverage table in memory: PutItem stores by poolId and
// userSub; Query returns one pool's items (":p"), sorted by sub, in pages
// of PageSize, neither filtered nor projected, without their cost.
type Ledger struct {
	mu       sync.Mutex
	Items    map[string]map[string]types.AttributeValue // poolId/userSub -> item
	Puts     int
	Queries  []*dynamodb.QueryInput
	PageSize int   // 0: one page
	Err      error // fail every call
}

// PutItem implements coverage.PutAPI.
func (f *Ledger) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Puts++
	if f.Err != nil {
		return nil, f.Err
	}
	if f.Items == nil {
		f.Items = map[string]map[string]types.AttributeValue{}
	}
	f.Items[S(in.Item["poolId"])+"/"+S(in.Item["userSub"])] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// Query implements coverage.QueryAPI.
func (f *Ledger) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := *in
	f.Queries = append(f.Queries, &cp)
	if f.Err != nil {
		return nil, f.Err
	}
	pool := S(in.ExpressionAttributeValues[":p"])
	var keys []string
	for k := range f.Items {
		if strings.HasPrefix(k, pool+"/") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	start := 0
	if in.ExclusiveStartKey != nil {
		after := pool + "/" + S(in.ExclusiveStartKey["userSub"])
		for start < len(keys) && keys[start] <= after {
			start++
		}
	}
	size := f.PageSize
	if size <= 0 {
		size = len(keys) + 1
	}
	end := min(start+size, len(keys))
	out := &dynamodb.QueryOutput{ScannedCount: int32(end - start)}
	for _, k := range keys[start:end] {
		out.Items = append(out.Items, f.Items[k])
	}
	if end < len(keys) {
		last := f.Items[keys[end-1]]
		out.LastEvaluatedKey = map[string]types.AttributeValue{"poolId": last["poolId"], "userSub": last["userSub"]}
	}
	return out, nil
}

// S is a string attribute's value; "" for any other.
func S(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
