package fakes

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// The fake's risk configuration follows Cognito's API reference
// (SetRiskConfiguration, DescribeRiskConfiguration, RiskConfigurationType):
// a configuration is set for the pool or for one app client, replacing
// what was there; a request with only the IDs removes it (the client then
// has the pool's); Describe for a client without its own answers the
// pool's, without a ClientId; threat protection needs the Plus plan.

func riskKey(pool string, client *string) string {
	if aws.ToString(client) == "" {
		return pool
	}
	return pool + "/" + *client
}

// DescribeRiskConfiguration implements cognito.API.
func (f *Pools) DescribeRiskConfiguration(_ context.Context, in *cip.DescribeRiskConfigurationInput, _ ...func(*cip.Options)) (*cip.DescribeRiskConfigurationOutput, error) {
	if err := f.popErr("DescribeRisk"); err != nil {
		return nil, err
	}
	pool := aws.ToString(in.UserPoolId)
	if _, ok := f.MFA[pool]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("pool gone")}
	}
	if c, ok := f.Risks[riskKey(pool, in.ClientId)]; ok {
		out := *c
		return &cip.DescribeRiskConfigurationOutput{RiskConfiguration: &out}, nil
	}
	out := types.RiskConfigurationType{UserPoolId: in.UserPoolId}
	if c, ok := f.Risks[pool]; ok {
		out = *c
	}
	return &cip.DescribeRiskConfigurationOutput{RiskConfiguration: &out}, nil
}

// SetRiskConfiguration implements cognito.API.
func (f *Pools) SetRiskConfiguration(_ context.Context, in *cip.SetRiskConfigurationInput, _ ...func(*cip.Options)) (*cip.SetRiskConfigurationOutput, error) {
	if err := f.popErr("SetRisk"); err != nil {
		return nil, err
	}
	pool := aws.ToString(in.UserPoolId)
	if _, ok := f.MFA[pool]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("pool gone")}
	}
	if f.Tiers[pool] != types.UserPoolTierTypePlus {
		return nil, &types.FeatureUnavailableInTierException{Message: aws.String("Threat protection requires the Plus feature plan")}
	}
	key := riskKey(pool, in.ClientId)
	if in.AccountTakeoverRiskConfiguration == nil && in.CompromisedCredentialsRiskConfiguration == nil && in.RiskExceptionConfiguration == nil {
		delete(f.Risks, key)
	} else {
		f.Risks[key] = &types.RiskConfigurationType{UserPoolId: in.UserPoolId, ClientId: in.ClientId,
			AccountTakeoverRiskConfiguration:        in.AccountTakeoverRiskConfiguration,
			CompromisedCredentialsRiskConfiguration: in.CompromisedCredentialsRiskConfiguration,
			RiskExceptionConfiguration:              in.RiskExceptionConfiguration}
	}
	f.RiskSets = append(f.RiskSets, in)
	return &cip.SetRiskConfigurationOutput{RiskConfiguration: f.Risks[key]}, nil
}

// ListUserPoolClients implements cognito.API: pages of MaxResults,
// NextToken the index of the next page's first client.
func (f *Pools) ListUserPoolClients(_ context.Context, in *cip.ListUserPoolClientsInput, _ ...func(*cip.Options)) (*cip.ListUserPoolClientsOutput, error) {
	if err := f.popErr("ListClients"); err != nil {
		return nil, err
	}
	pool := aws.ToString(in.UserPoolId)
	ids := f.Clients[pool]
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	end := min(start+int(aws.ToInt32(in.MaxResults)), len(ids))
	out := &cip.ListUserPoolClientsOutput{}
	for _, id := range ids[min(start, end):end] {
		out.UserPoolClients = append(out.UserPoolClients, types.UserPoolClientDescription{ClientId: aws.String(id), UserPoolId: in.UserPoolId})
	}
	if end < len(ids) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// GetProvisionedLimit implements cognito.API: the published default of the
// category, or Provisioned's value, or the next of Errs["GetLimit"].
func (f *Pools) GetProvisionedLimit(_ context.Context, in *cip.GetProvisionedLimitInput, _ ...func(*cip.Options)) (*cip.GetProvisionedLimitOutput, error) {
	if err := f.popErr("GetLimit"); err != nil {
		return nil, err
	}
	c := in.LimitDefinition.Attributes["Category"]
	l, ok := quota.Lookup(quota.Category(c))
	if !ok {
		return nil, &types.InvalidParameterException{Message: aws.String("unknown category " + c)}
	}
	v := int32(l.RPS)
	if p, ok := f.Provisioned[c]; ok {
		v = p
	}
	return &cip.GetProvisionedLimitOutput{Limit: &types.LimitType{LimitDefinition: in.LimitDefinition, ProvisionedLimitValue: v, FreeLimitValue: int32(l.RPS)}}, nil
}
