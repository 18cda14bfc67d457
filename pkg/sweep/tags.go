package sweep

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
)

// TaggingAPI is the part of the SDK's Resource Groups Tagging API client the
// sweep calls, with the SDK's own signature, so a fake can stand in for it.
type TaggingAPI interface {
	GetResources(ctx context.Context, in *rgt.GetResourcesInput, optFns ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
}

var _ TaggingAPI = (*rgt.Client)(nil)

// Tagged pages through the user pools that carry one tag: what the sweep
// needs to apply a tag exemption without a DescribeUserPool per pool.
type Tagged interface {
	// PoolsTagged returns the page at next ("" for the first) of the pools
	// carrying key, as pool ID -> the tag's value, and the following page's
	// token, "" after the last.
	PoolsTagged(ctx context.Context, key, next string) (pools map[string]string, following string, err error)
}

// Tags implements Tagged over the Resource Groups Tagging API: up to 100
// pools per call, counted against that API's quota, not Cognito's.
type Tags struct{ api TaggingAPI }

// NewTags returns a Tagged over api: the SDK's client or a fake.
func NewTags(api TaggingAPI) *Tags { return &Tags{api: api} }

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
