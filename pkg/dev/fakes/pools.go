// Package reconciletest is an in-memory Cognito behind reconcile.PoolAPI,
// with the validations that matter, for unit tests.
package fakes

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Pools is an in-memory Cognito with the validations that matter here.
type Pools struct {
	MFA    map[string]*cip.GetUserPoolMfaConfigOutput
	Tags   map[string]map[string]string
	Errs   map[string][]error // per operation (Get, Set, Describe), returned first, in order
	Refuse func(*cip.SetUserPoolMfaConfigInput) error
	Calls  []string
	Sets   []*cip.SetUserPoolMfaConfigInput
}

// New returns an empty fake.
func New() *Pools {
	return &Pools{MFA: map[string]*cip.GetUserPoolMfaConfigOutput{}, Tags: map[string]map[string]string{}, Errs: map[string][]error{}}
}

func (f *Pools) popErr(op string) error {
	f.Calls = append(f.Calls, op)
	if q := f.Errs[op]; len(q) > 0 {
		f.Errs[op] = q[1:]
		return q[0]
	}
	return nil
}

// GetUserPoolMfaConfig implements reconcile.PoolAPI.
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

// SetUserPoolMfaConfig implements reconcile.PoolAPI with the validations Cognito applies.
func (f *Pools) SetUserPoolMfaConfig(_ context.Context, in *cip.SetUserPoolMfaConfigInput, _ ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error) {
	if err := f.popErr("Set"); err != nil {
		return nil, err
	}
	if _, ok := f.MFA[*in.UserPoolId]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("pool gone")}
	}
	hasFactor := in.SoftwareTokenMfaConfiguration != nil || in.SmsMfaConfiguration != nil || in.EmailMfaConfiguration != nil
	if in.MfaConfiguration != types.UserPoolMfaTypeOff && (in.SoftwareTokenMfaConfiguration == nil || !in.SoftwareTokenMfaConfiguration.Enabled) && in.SmsMfaConfiguration == nil && in.EmailMfaConfiguration == nil {
		return nil, &types.InvalidParameterException{Message: aws.String("Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")}
	}
	if in.MfaConfiguration == types.UserPoolMfaTypeOff && hasFactor {
		return nil, &types.InvalidParameterException{Message: aws.String("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.")}
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

// DescribeUserPool implements reconcile.PoolAPI.
func (f *Pools) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	if err := f.popErr("Describe"); err != nil {
		return nil, err
	}
	if _, ok := f.MFA[*in.UserPoolId]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("pool gone")}
	}
	return &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Id: in.UserPoolId, Name: aws.String("name-" + *in.UserPoolId), UserPoolTags: f.Tags[*in.UserPoolId]}}, nil
}
