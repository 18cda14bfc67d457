package sweep

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
)

// taggingAnswer is a tagging API that records the request and answers
// with one page.
type taggingAnswer struct {
	in  *rgt.GetResourcesInput
	out *rgt.GetResourcesOutput
	err error
}

func (a *taggingAnswer) GetResources(_ context.Context, in *rgt.GetResourcesInput, _ ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error) {
	a.in = in
	return a.out, a.err
}

func mapping(arn string, tags ...string) rgttypes.ResourceTagMapping {
	m := rgttypes.ResourceTagMapping{ResourceARN: aws.String(arn)}
	for i := 0; i+1 < len(tags); i += 2 {
		m.Tags = append(m.Tags, rgttypes.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
	}
	return m
}

func TestPoolsTagged(t *testing.T) {
	const arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/"
	cases := []struct {
		name      string
		next      string
		out       *rgt.GetResourcesOutput
		err       error
		want      map[string]string
		following string
		wantErr   string
	}{
		{name: "a page of pools carrying the key, with their values", next: "tok-1",
			out: &rgt.GetResourcesOutput{PaginationToken: aws.String("tok-2"), ResourceTagMappingList: []rgttypes.ResourceTagMapping{
				mapping(arn+"us-east-1_a", "team", "x", "exempt", "legacy"), mapping(arn+"us-east-1_b", "exempt", "")}},
			want: map[string]string{"us-east-1_a": "legacy", "us-east-1_b": ""}, following: "tok-2"},
		{name: "the last page has an empty token", out: &rgt.GetResourcesOutput{PaginationToken: aws.String("")}, want: map[string]string{}},
		{name: "a once-tagged pool without the key is not exempt",
			out:  &rgt.GetResourcesOutput{ResourceTagMappingList: []rgttypes.ResourceTagMapping{mapping(arn + "us-east-1_c")}},
			want: map[string]string{}},
		{name: "an ARN that is no user pool's is an error, never skipped",
			out:     &rgt.GetResourcesOutput{ResourceTagMappingList: []rgttypes.ResourceTagMapping{mapping("arn:aws:cognito-idp:us-east-1:1:identitypool/x", "exempt", "y")}},
			wantErr: "not a user pool ARN"},
		{name: "the API's error is returned", err: errors.New("boom"), wantErr: "boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &taggingAnswer{out: tc.out, err: tc.err}
			got, following, err := NewTags(api).PoolsTagged(context.Background(), "exempt", tc.next)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) || following != tc.following {
				t.Errorf("got %v %q %v, want %v %q", got, following, err, tc.want, tc.following)
			}
			in := api.in
			if !reflect.DeepEqual(in.ResourceTypeFilters, []string{"cognito-idp:userpool"}) || len(in.TagFilters) != 1 || *in.TagFilters[0].Key != "exempt" ||
				len(in.TagFilters[0].Values) != 0 || *in.ResourcesPerPage != 100 || aws.ToString(in.PaginationToken) != tc.next {
				t.Errorf("request %+v", in)
			}
		})
	}
}
