// Package tagging reads which user pools carry a tag, in bulk, with the
// Resource Groups Tagging API: up to 100 pools per call, from that API's
// own quota, not Cognito's. The sweep reads the policy's tags once per leg,
// the sign-in check once per batch.
package tagging

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
)

// API is the part of the SDK's Resource Groups Tagging API client used
// here, with the SDK's own signature, so a fake can stand in for it.
type API interface {
	GetResources(ctx context.Context, in *rgt.GetResourcesInput, optFns ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
}

var _ API = (*rgt.Client)(nil)

// Tagged pages through the user pools that carry one tag: what the sweep
// and the sign-in check need to apply a tag exemption or choose a profile
// without a DescribeUserPool per pool.
type Tagged interface {
	// PoolsTagged returns the page at next ("" for the first) of the pools
	// carrying key, as pool ID -> the tag's value, and the following page's
	// token, "" after the last.
	PoolsTagged(ctx context.Context, key, next string) (pools map[string]string, following string, err error)
}

// Tags implements Tagged over the Resource Groups Tagging API: up to 100
// pools per call, counted against that API's quota, not Cognito's.
type Tags struct{ api API }

// NewTags returns a Tagged over api: the SDK's client or a fake.
func NewTags(api API) *Tags { return &Tags{api: api} }

var _ Tagged = (*Tags)(nil)

const (
	// UserPoolType is the user pools' resource type in the tagging API.
	UserPoolType = "cognito-idp:userpool"
	tagPageSize  = 100 // the most GetResources returns per page
)

// PoolsTagged asks for the pools carrying key only, so the answer is as
// small as the exemptions.
func (t *Tags) PoolsTagged(ctx context.Context, key, next string) (map[string]string, string, error) {
	in := &rgt.GetResourcesInput{
		ResourceTypeFilters: []string{UserPoolType},
		TagFilters:          []rgttypes.TagFilter{{Key: aws.String(key)}},
		ResourcesPerPage:    aws.Int32(tagPageSize),
	}
	if next != "" {
		in.PaginationToken = &next
	}
	out, err := t.api.GetResources(ctx, in)
	if err != nil {
		return nil, "", err
	}
	pools := make(map[string]string, len(out.ResourceTagMappingList))
	for _, m := range out.ResourceTagMappingList {
		arn := aws.ToString(m.ResourceARN)
		id, ok := cognito.PoolIDOf(arn)
		if !ok {
			// Skipping it could leave an exempt pool unrecognised, and written.
			return nil, "", fmt.Errorf("GetResources returned %q, not a user pool ARN", arn)
		}
		for _, tag := range m.Tags {
			if aws.ToString(tag.Key) == key {
				pools[id] = aws.ToString(tag.Value)
			}
		}
	}
	return pools, aws.ToString(out.PaginationToken), nil
}

// Read returns, for each pool carrying one of keys, those of its tags, as
// pool ID -> key -> value: every page of each key. A pool missing from the
// answer carries none of them.
func Read(ctx context.Context, t Tagged, keys []string) (map[string]map[string]string, error) {
	tagged := map[string]map[string]string{}
	for _, key := range keys {
		next := ""
		for {
			page, following, err := t.PoolsTagged(ctx, key, next)
			if err != nil {
				return nil, fmt.Errorf("read the pools tagged %s: %w", key, err)
			}
			for id, v := range page {
				if tagged[id] == nil {
					tagged[id] = map[string]string{}
				}
				tagged[id][key] = v
			}
			if next = following; next == "" {
				break
			}
		}
	}
	return tagged, nil
}
