// Package cognito is the one place that knows the AWS SDK's Cognito shapes
// and the one way to Cognito: the Gateway, which every function builds
// once with its pacer, reads and writes pools and users as plain
// policy.PoolMFA and policy.UserMFA, paced and retried. It also sorts
// Cognito's errors into the classes the enforcer acts on.
package cognito

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// API is the part of the SDK's Cognito client the enforcer calls, with the
// SDK's own signatures, so a fake can stand in for it.
type API interface {
	GetUserPoolMfaConfig(ctx context.Context, in *cip.GetUserPoolMfaConfigInput, optFns ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error)
	SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, optFns ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error)
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	ListUserPools(ctx context.Context, in *cip.ListUserPoolsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminSetUserMFAPreference(ctx context.Context, in *cip.AdminSetUserMFAPreferenceInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserMFAPreferenceOutput, error)
	ListUserPoolClients(ctx context.Context, in *cip.ListUserPoolClientsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolClientsOutput, error)
	DescribeRiskConfiguration(ctx context.Context, in *cip.DescribeRiskConfigurationInput, optFns ...func(*cip.Options)) (*cip.DescribeRiskConfigurationOutput, error)
	SetRiskConfiguration(ctx context.Context, in *cip.SetRiskConfigurationInput, optFns ...func(*cip.Options)) (*cip.SetRiskConfigurationOutput, error)
	GetProvisionedLimit(ctx context.Context, in *cip.GetProvisionedLimitInput, optFns ...func(*cip.Options)) (*cip.GetProvisionedLimitOutput, error)
}

var _ API = (*cip.Client)(nil)

// Pool is what DescribeUserPool tells about a pool besides its MFA level.
type Pool struct {
	Name string
	Tags map[string]string
	Tier policy.Tier // UserPoolTier: LITE, ESSENTIALS or PLUS; "" when not reported
	// FirstFactors is the sign-in policy's AllowedFirstAuthFactors; nil
	// when the pool reports none (password sign-in).
	FirstFactors []policy.FirstFactor
	// ThreatProtection is UserPoolAddOns.AdvancedSecurityMode; "" when the
	// pool reports none.
	ThreatProtection policy.ThreatProtection
}

// Limits is what the rules see of the pool's settings besides its MFA
// configuration (its risk configuration is read apart).
func (p Pool) Limits() policy.Limits {
	return policy.Limits{FirstFactors: p.FirstFactors, Tier: p.Tier, ThreatProtection: p.ThreatProtection}
}

// PoolRef is one pool in a listing.
type PoolRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Client converts between the SDK's shapes and the plain ones, with one
// Cognito call per method: the Gateway paces and retries each.
type Client struct{ api API }

// New returns a client over api: the SDK's client or a fake.
func New(api API) *Client { return &Client{api: api} }

// pageSize is the largest page ListUserPools returns.
const pageSize = 60

// SDK errors are returned as they are: they name the operation, callers add
// the pool or user, and the error classes below see through any wrapping.

// GetMFA reads the pool's MFA configuration.
func (c *Client) GetMFA(ctx context.Context, poolID string) (policy.PoolMFA, error) {
	out, err := c.api.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: &poolID})
	if err != nil {
		return policy.PoolMFA{}, err
	}
	return fromGet(out)
}

// SetMFA sends the complete configuration cfg: SetUserPoolMfaConfig
// replaces the whole configuration, so every block is sent.
func (c *Client) SetMFA(ctx context.Context, poolID string, cfg policy.PoolMFA) (policy.PoolMFA, error) {
	out, err := c.api.SetUserPoolMfaConfig(ctx, setInput(poolID, cfg))
	if err != nil {
		return policy.PoolMFA{}, err
	}
	return fromSet(out)
}

// Describe reads the pool's name, tags, tier and first sign-in factors.
func (c *Client) Describe(ctx context.Context, poolID string) (Pool, error) {
	out, err := c.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil {
		return Pool{}, err
	}
	if out.UserPool == nil {
		return Pool{}, errors.New("DescribeUserPool returned no pool")
	}
	p := out.UserPool
	pool := Pool{Name: aws.ToString(p.Name), Tags: p.UserPoolTags, Tier: policy.Tier(p.UserPoolTier)}
	if p.UserPoolAddOns != nil {
		pool.ThreatProtection = policy.ThreatProtection(p.UserPoolAddOns.AdvancedSecurityMode)
	}
	if p.Policies != nil && p.Policies.SignInPolicy != nil {
		for _, f := range p.Policies.SignInPolicy.AllowedFirstAuthFactors {
			pool.FirstFactors = append(pool.FirstFactors, policy.FirstFactor(f))
		}
	}
	return pool, nil
}

// ListPools lists one page of up to 60 pools.
func (c *Client) ListPools(ctx context.Context, next string) ([]PoolRef, string, error) {
	in := &cip.ListUserPoolsInput{MaxResults: aws.Int32(pageSize)}
	if next != "" {
		in.NextToken = &next
	}
	out, err := c.api.ListUserPools(ctx, in)
	if err != nil {
		return nil, "", err
	}
	pools := make([]PoolRef, len(out.UserPools))
	for i, p := range out.UserPools {
		pools[i] = PoolRef{ID: aws.ToString(p.Id), Name: aws.ToString(p.Name)}
	}
	return pools, aws.ToString(out.NextToken), nil
}

// GetUserMFA reads the governed factors a user has enabled and prefers,
// and the user's sub, as Cognito knows them.
func (c *Client) GetUserMFA(ctx context.Context, poolID, username string) (policy.UserMFA, string, error) {
	out, err := c.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: &username})
	if err != nil {
		return policy.UserMFA{}, "", err
	}
	return fromUser(out), subOf(out), nil
}

// SetUserMFA writes a user's MFA preference.
func (c *Client) SetUserMFA(ctx context.Context, poolID, username string, before, want policy.UserMFA) error {
	_, err := c.api.AdminSetUserMFAPreference(ctx, preferenceInput(poolID, username, before, want))
	return err
}
