package tagging

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

// pages is a Tagged that answers each key's pages in turn.
type pages struct {
	byKey map[string][]map[string]string
	err   error
	calls int
}

func (p *pages) PoolsTagged(_ context.Context, key, next string) (map[string]string, string, error) {
	p.calls++
	if p.err != nil {
		return nil, "", p.err
	}
	i := 0
	if next != "" {
		i = int(next[0] - '0')
	}
	following := ""
	if i+1 < len(p.byKey[key]) {
		following = string(rune('0' + i + 1))
	}
	return p.byKey[key][i], following, nil
}

// TestRead: every page of every key, merged per pool; an error names the
// key and keeps the cause.
func TestRead(t *testing.T) {
	p := &pages{byKey: map[string][]map[string]string{
		"exempt":  {{"us-east-1_a": "kiosk"}, {"us-east-1_b": "lab"}},
		"profile": {{"us-east-1_a": "workforce", "us-east-1_c": "consumer"}},
	}}
	got, err := Read(context.Background(), p, []string{"exempt", "profile"})
	want := map[string]map[string]string{"us-east-1_a": {"exempt": "kiosk", "profile": "workforce"},
		"us-east-1_b": {"exempt": "lab"}, "us-east-1_c": {"profile": "consumer"}}
	if err != nil || !reflect.DeepEqual(got, want) || p.calls != 3 {
		t.Errorf("%v (%v) after %d calls, want %v", got, err, p.calls, want)
	}
	denied := errors.New("AccessDeniedException")
	if _, err := Read(context.Background(), &pages{err: denied}, []string{"exempt"}); !errors.Is(err, denied) || !strings.Contains(err.Error(), "exempt") {
		t.Errorf("error %v", err)
	}
}
