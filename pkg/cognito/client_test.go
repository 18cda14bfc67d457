package cognito

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

var _ API = (*fakes.Pools)(nil)

// answers is the in-memory fake with DescribeUserPool and
// SetUserPoolMfaConfig answers a test chooses.
type answers struct {
	*fakes.Pools
	describe *cip.DescribeUserPoolOutput
	set      *cip.SetUserPoolMfaConfigOutput
}

func (a *answers) DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, o ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	if a.describe != nil {
		return a.describe, nil
	}
	return a.Pools.DescribeUserPool(ctx, in, o...)
}

func (a *answers) SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, o ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	out, err := a.Pools.SetUserPoolMfaConfig(ctx, in, o...)
	if err == nil && a.set != nil {
		return a.set, nil
	}
	return out, err
}

func TestPools(t *testing.T) {
	ctx := context.Background()
	want := policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true, SMS: fullSMS}
	cases := []struct {
		name string
		run  func(*Client, *answers) (any, error)
		want any
		err  string // "" for none
	}{
		{name: "set then get", want: want, run: func(c *Client, _ *answers) (any, error) {
			if _, err := c.SetMFA(ctx, pool, want); err != nil {
				return nil, err
			}
			return c.GetMFA(ctx, pool)
		}},
		{name: "set returns what Cognito stored, not what was sent", want: policy.PoolMFA{Level: policy.LevelOptional, SoftwareToken: true},
			run: func(c *Client, a *answers) (any, error) {
				a.set = &cip.SetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}
				return c.SetMFA(ctx, pool, want)
			}},
		{name: "refused write", err: "InvalidParameterException", run: func(c *Client, _ *answers) (any, error) {
			return c.SetMFA(ctx, pool, policy.PoolMFA{Level: policy.LevelOn})
		}},
		{name: "unknown level read", err: `unrecognised MfaConfiguration "SOMETIMES"`, run: func(c *Client, a *answers) (any, error) {
			a.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "SOMETIMES"}
			return c.GetMFA(ctx, pool)
		}},
		{name: "pool gone", err: "ResourceNotFoundException", run: func(c *Client, _ *answers) (any, error) {
			return c.GetMFA(ctx, "us-east-1_Gone")
		}},
		{name: "describe", want: Pool{Name: "name-" + pool, Tags: map[string]string{"team": "a"}}, run: func(c *Client, a *answers) (any, error) {
			a.Tags[pool] = map[string]string{"team": "a"}
			return c.Describe(ctx, pool)
		}},
		{name: "describe reports the tier", want: Pool{Name: "p", Tier: "ESSENTIALS"}, run: func(c *Client, a *answers) (any, error) {
			a.describe = &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Name: aws.String("p"), UserPoolTier: types.UserPoolTierTypeEssentials}}
			return c.Describe(ctx, pool)
		}},
		{name: "describe reports the first sign-in factors",
			want: Pool{Name: "p", Tier: "PLUS", FirstFactors: []policy.FirstFactor{policy.FirstPassword, policy.FirstPasskey}},
			run: func(c *Client, a *answers) (any, error) {
				a.describe = &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Name: aws.String("p"), UserPoolTier: types.UserPoolTierTypePlus,
					Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}}}
				return c.Describe(ctx, pool)
			}},
		{name: "describe without a sign-in policy: password only",
			want: Pool{Name: "p"},
			run: func(c *Client, a *answers) (any, error) {
				a.describe = &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Name: aws.String("p"),
					Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(8)}}}}
				return c.Describe(ctx, pool)
			}},
		{name: "describe without a pool", err: "DescribeUserPool returned no pool", run: func(c *Client, a *answers) (any, error) {
			a.describe = &cip.DescribeUserPoolOutput{}
			return c.Describe(ctx, pool)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
			a := &answers{Pools: f}
			got, err := tc.run(New(a), a)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestOneCallPerMethod: pacing and retries are the caller's, so each
// method makes exactly one call, failed or not.
func TestOneCallPerMethod(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		op  string
		run func(*Client) error
	}{
		{"Get", func(c *Client) error { _, err := c.GetMFA(ctx, pool); return err }},
		{"Set", func(c *Client) error {
			_, err := c.SetMFA(ctx, pool, policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true})
			return err
		}},
		{"Describe", func(c *Client) error { _, err := c.Describe(ctx, pool); return err }},
		{"List", func(c *Client) error { _, _, err := c.ListPools(ctx, ""); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			f := fakes.New()
			f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
			f.Errs[tc.op] = []error{&types.TooManyRequestsException{Message: aws.String("Rate exceeded")}}
			if err := tc.run(New(f)); !IsThrottle(err) {
				t.Errorf("error %v, want the throttle as it came", err)
			}
			if len(f.Calls) != 1 || f.Calls[0] != tc.op {
				t.Errorf("calls %v, want one %s", f.Calls, tc.op)
			}
		})
	}
}

func TestListPools(t *testing.T) {
	for _, tc := range []struct {
		pools int
		pages []int // page sizes
	}{
		{0, []int{0}},
		{1, []int{1}},
		{60, []int{60}},
		{61, []int{60, 1}},
		{150, []int{60, 60, 30}},
	} {
		t.Run(fmt.Sprint(tc.pools, " pools"), func(t *testing.T) {
			f := fakes.New()
			for i := range tc.pools {
				f.MFA[fmt.Sprintf("us-east-1_P%03d", i)] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
			}
			c := New(f)
			seen := map[string]bool{}
			var sizes []int
			next := ""
			for {
				page, following, err := c.ListPools(context.Background(), next)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page))
				for _, p := range page {
					if seen[p.ID] || p.Name != "name-"+p.ID {
						t.Errorf("pool %+v listed twice or without its name", p)
					}
					seen[p.ID] = true
				}
				if next = following; next == "" || len(sizes) > 10 {
					break
				}
			}
			if !reflect.DeepEqual(sizes, tc.pages) || len(seen) != tc.pools {
				t.Errorf("pages %v with %d pools, want %v with %d", sizes, len(seen), tc.pages, tc.pools)
			}
		})
	}
}

// TestNoGatewayWithoutPacer: a gateway cannot be built unpaced.
func TestNoGatewayWithoutPacer(t *testing.T) {
	for name, p := range map[string]Pacer{"nil": nil, "nil pacer": (*pace.Pacer)(nil)} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("built without a pacer")
				}
			}()
			NewGateway(fakes.New(), p, pace.CheckBackoff)
		})
	}
}

// TestReservedCalls: a reserved pair takes both tokens first, write's
// first, then makes each call once; a call not reserved is refused.
func TestReservedCalls(t *testing.T) {
	f := fakes.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OFF"}
	var log []string
	g := NewGateway(f, recorder{&log}, pace.CheckBackoff)
	r, err := g.Reserve(context.Background(), pool, quota.SetUserPoolMfaConfig, quota.GetUserPoolMfaConfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.GetMFA(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.Level, c.SoftwareToken = policy.LevelOn, true
	if _, err := r.SetMFA(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	want := "wait SetUserPoolMfaConfig, wait GetUserPoolMfaConfig, observe GetUserPoolMfaConfig, observe SetUserPoolMfaConfig"
	if got := strings.Join(log, ", "); got != want {
		t.Errorf("pacer saw %q, want %q", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second write on one reservation was made")
		}
	}()
	_, _ = r.SetMFA(context.Background(), c)
}

type recorder struct{ log *[]string }

func (r recorder) Wait(_ context.Context, op quota.Op, _ string) error {
	*r.log = append(*r.log, "wait "+string(op))
	return nil
}

func (r recorder) Observe(op quota.Op, _ error) { *r.log = append(*r.log, "observe "+string(op)) }
