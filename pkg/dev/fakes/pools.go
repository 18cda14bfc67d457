// Package fakes holds in-memory stand-ins for AWS clients, with the
// validations that matter, for unit tests.
package fakes

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Pools is an in-memory Cognito with the validations that matter here.
type Pools struct {
	MFA  map[string]*cip.GetUserPoolMfaConfigOutput
	Tags map[string]map[string]string
	// FirstFactors and Tiers are each pool's sign-in policy and feature
	// plan; a pool without them allows password sign-in only.
	FirstFactors map[string][]types.AuthFactorType
	Tiers        map[string]types.UserPoolTierType
	// ThreatProtection is each pool's AdvancedSecurityMode, Clients its app
	// clients, and Risks the risk configurations set (keyed by pool ID, or
	// pool ID "/" client ID): see risk.go.
	ThreatProtection map[string]types.AdvancedSecurityModeType
	Clients          map[string][]string
	Risks            map[string]*types.RiskConfigurationType
	// Provisioned is the account's provisioned limit by category, where it
	// is not the published default.
	Provisioned map[string]int32
	Errs        map[string][]error // per operation (Get, Set, Describe, List), returned first, in order
	Refuse      func(*cip.SetUserPoolMfaConfigInput) error
	Calls       []string
	Sets        []*cip.SetUserPoolMfaConfigInput
	RiskSets    []*cip.SetRiskConfigurationInput
}

// New returns an empty fake.
func New() *Pools {
	return &Pools{MFA: map[string]*cip.GetUserPoolMfaConfigOutput{}, Tags: map[string]map[string]string{},
		FirstFactors: map[string][]types.AuthFactorType{}, Tiers: map[string]types.UserPoolTierType{}, Errs: map[string][]error{},
		ThreatProtection: map[string]types.AdvancedSecurityModeType{}, Clients: map[string][]string{}, Risks: map[string]*types.RiskConfigurationType{}}
}

func (f *Pools) popErr(op string) error {
	f.Calls = append(f.Calls, op)
	if q := f.Errs[op]; len(q) > 0 {
		f.Errs[op] = q[1:]
		return q[0]
	}
	return nil
}

// GetUserPoolMfaConfig implements cognito.API.
func (f *Pools) GetUserPoolMfaConfig(_ context.Context, in *cip.GetUserPoolMfaConfigInput, _ ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error) {
	if err := f.popErr("Get"); err != nil {
		return nil, err
	}
	c, ok := f.MFA[*in.UserPoolId]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool " + *in.UserPoolId + " does not exist.")}
	}
	out := *c
	return &out, nil
}

// SetUserPoolMfaConfig implements cognito.API with the validations Cognito applies.
func (f *Pools) SetUserPoolMfaConfig(_ context.Context, in *cip.SetUserPoolMfaConfigInput, _ ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	if err := f.popErr("Set"); err != nil {
		return nil, err
	}
	if _, ok := f.MFA[*in.UserPoolId]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("pool gone")}
	}
	totp, webAuthn := in.SoftwareTokenMfaConfiguration, in.WebAuthnConfiguration
	req := SetRequest{Level: string(in.MfaConfiguration), TOTPBlock: totp != nil, TOTPEnabled: totp != nil && totp.Enabled,
		SMSBlock: in.SmsMfaConfiguration != nil, EmailBlock: in.EmailMfaConfiguration != nil, WebAuthnBlock: webAuthn != nil,
		Tier: string(f.Tiers[*in.UserPoolId])}
	if webAuthn != nil {
		req.WebAuthnFactor = string(webAuthn.FactorConfiguration)
	}
	for _, ff := range f.FirstFactors[*in.UserPoolId] {
		req.FirstFactors = append(req.FirstFactors, string(ff))
	}
	switch exception, msg := SetRefusal(req); exception {
	case InvalidParameter:
		return nil, &types.InvalidParameterException{Message: aws.String(msg)}
	case FeatureUnavailable:
		return nil, &types.FeatureUnavailableInTierException{Message: aws.String(msg)}
	}
	if f.Refuse != nil {
		if err := f.Refuse(in); err != nil {
			return nil, err
		}
	}
	f.Sets = append(f.Sets, in)
	f.MFA[*in.UserPoolId] = &cip.GetUserPoolMfaConfigOutput{
		MfaConfiguration: in.MfaConfiguration, SoftwareTokenMfaConfiguration: in.SoftwareTokenMfaConfiguration,
		SmsMfaConfiguration: in.SmsMfaConfiguration, EmailMfaConfiguration: in.EmailMfaConfiguration, WebAuthnConfiguration: in.WebAuthnConfiguration,
	}
	return &cip.SetUserPoolMfaConfigOutput{
		MfaConfiguration: in.MfaConfiguration, SoftwareTokenMfaConfiguration: in.SoftwareTokenMfaConfiguration,
		SmsMfaConfiguration: in.SmsMfaConfiguration, EmailMfaConfiguration: in.EmailMfaConfiguration, WebAuthnConfiguration: in.WebAuthnConfiguration,
	}, nil
}

// DescribeUserPool implements cognito.API.
func (f *Pools) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	if err := f.popErr("Describe"); err != nil {
		return nil, err
	}
	if _, ok := f.MFA[*in.UserPoolId]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("pool gone")}
	}
	id := *in.UserPoolId
	out := &types.UserPoolType{Id: in.UserPoolId, Name: aws.String("name-" + id), UserPoolTags: f.Tags[id], UserPoolTier: f.Tiers[id]}
	if mode, ok := f.ThreatProtection[id]; ok {
		out.UserPoolAddOns = &types.UserPoolAddOnsType{AdvancedSecurityMode: mode}
	}
	if ff := f.FirstFactors[id]; ff != nil {
		out.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: ff}}
	}
	return &cip.DescribeUserPoolOutput{UserPool: out}, nil
}

// ListUserPools implements cognito.API: pools in ID order, NextToken the
// index of the next page's first pool.
func (f *Pools) ListUserPools(_ context.Context, in *cip.ListUserPoolsInput, _ ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error) {
	if err := f.popErr("List"); err != nil {
		return nil, err
	}
	size := int(aws.ToInt32(in.MaxResults))
	if size < 1 || size > 60 {
		return nil, &types.InvalidParameterException{Message: aws.String("MaxResults must be between 1 and 60")}
	}
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	ids := slices.Sorted(maps.Keys(f.MFA))
	end := min(start+size, len(ids))
	out := &cip.ListUserPoolsOutput{UserPools: []types.UserPoolDescriptionType{}}
	for _, id := range ids[min(start, end):end] {
		out.UserPools = append(out.UserPools, types.UserPoolDescriptionType{Id: aws.String(id), Name: aws.String("name-" + id)})
	}
	if end < len(ids) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// The fake holds pools only (pkg/dev/cognitofake holds users too): its user
// calls answer as Cognito does for a user it does not know.

// AdminGetUser implements cognito.API.
func (f *Pools) AdminGetUser(context.Context, *cip.AdminGetUserInput, ...func(*cip.Options)) (*cip.AdminGetUserOutput, error) {
	f.Calls = append(f.Calls, "GetUser")
	return nil, &types.UserNotFoundException{Message: aws.String("User does not exist.")}
}

// AdminSetUserMFAPreference implements cognito.API.
func (f *Pools) AdminSetUserMFAPreference(context.Context, *cip.AdminSetUserMFAPreferenceInput, ...func(*cip.Options)) (*cip.AdminSetUserMFAPreferenceOutput, error) {
	f.Calls = append(f.Calls, "SetUser")
	return nil, &types.UserNotFoundException{Message: aws.String("User does not exist.")}
}
