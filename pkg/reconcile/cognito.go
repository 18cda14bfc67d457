package reconcile

import (
	"context"
	"errors"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// PoolAPI is the part of the Cognito client the reconciler uses.
type PoolAPI interface {
	GetUserPoolMfaConfig(ctx context.Context, in *cip.GetUserPoolMfaConfigInput, optFns ...func(*cip.Options)) (*cip.GetUserPoolMfaConfigOutput, error)
	SetUserPoolMfaConfig(ctx context.Context, in *cip.SetUserPoolMfaConfigInput, optFns ...func(*cip.Options)) (*cip.SetUserPoolMfaConfigOutput, error)
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
}

var _ PoolAPI = (*cip.Client)(nil)

// mfaBlocks are the fields Get and Set share.
type mfaBlocks struct {
	level    types.UserPoolMfaType
	totp     *types.SoftwareTokenMfaConfigType
	sms      *types.SmsMfaConfigType
	email    *types.EmailMfaConfigType
	webAuthn *types.WebAuthnConfigurationType
}

// toConfig converts Cognito's MFA blocks into the plain observed state.
func toConfig(b mfaBlocks) (policy.Config, error) {
	c := policy.Config{Level: policy.Level(b.level)}
	if c.Level.Rank() < 0 {
		return policy.Config{}, errors.New("unrecognised MfaConfiguration " + `"` + string(b.level) + `"`)
	}
	c.SoftwareToken = b.totp != nil && b.totp.Enabled
	if b.sms != nil {
		c.SMS = &policy.SMSConfig{Message: b.sms.SmsAuthenticationMessage}
		if sc := b.sms.SmsConfiguration; sc != nil {
			c.SMS.SNSCallerARN, c.SMS.ExternalID, c.SMS.SNSRegion = sc.SnsCallerArn, sc.ExternalId, sc.SnsRegion
		}
	}
	if b.email != nil {
		c.Email = &policy.EmailConfig{Message: b.email.Message, Subject: b.email.Subject}
	}
	if b.webAuthn != nil {
		c.WebAuthn = &policy.WebAuthnConfig{
			RelyingPartyID:      b.webAuthn.RelyingPartyId,
			UserVerification:    string(b.webAuthn.UserVerification),
			FactorConfiguration: string(b.webAuthn.FactorConfiguration),
		}
	}
	return c, nil
}

// setInput is the complete SetUserPoolMfaConfig request for c: the call
// replaces the whole configuration, so every block is sent.
func setInput(poolID string, c policy.Config) *cip.SetUserPoolMfaConfigInput {
	in := &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaType(c.Level)}
	if c.WebAuthn != nil {
		in.WebAuthnConfiguration = &types.WebAuthnConfigurationType{
			RelyingPartyId:      c.WebAuthn.RelyingPartyID,
			UserVerification:    types.UserVerificationType(c.WebAuthn.UserVerification),
			FactorConfiguration: types.WebAuthnFactorConfigurationType(c.WebAuthn.FactorConfiguration),
		}
	}
	if c.Level == policy.LevelOff {
		// Cognito refuses OFF together with any factor block.
		return in
	}
	if c.SoftwareToken {
		in.SoftwareTokenMfaConfiguration = &types.SoftwareTokenMfaConfigType{Enabled: true}
	}
	if c.SMS != nil {
		in.SmsMfaConfiguration = &types.SmsMfaConfigType{SmsAuthenticationMessage: c.SMS.Message}
		if c.SMS.SNSCallerARN != nil || c.SMS.ExternalID != nil || c.SMS.SNSRegion != nil {
			in.SmsMfaConfiguration.SmsConfiguration = &types.SmsConfigurationType{
				SnsCallerArn: c.SMS.SNSCallerARN, ExternalId: c.SMS.ExternalID, SnsRegion: c.SMS.SNSRegion,
			}
		}
	}
	if c.Email != nil {
		in.EmailMfaConfiguration = &types.EmailMfaConfigType{Message: c.Email.Message, Subject: c.Email.Subject}
	}
	return in
}

func fromGet(o *cip.GetUserPoolMfaConfigOutput) (policy.Config, error) {
	return toConfig(mfaBlocks{o.MfaConfiguration, o.SoftwareTokenMfaConfiguration, o.SmsMfaConfiguration, o.EmailMfaConfiguration, o.WebAuthnConfiguration})
}

func fromSet(o *cip.SetUserPoolMfaConfigOutput) (policy.Config, error) {
	return toConfig(mfaBlocks{o.MfaConfiguration, o.SoftwareTokenMfaConfiguration, o.SmsMfaConfiguration, o.EmailMfaConfiguration, o.WebAuthnConfiguration})
}

// Error classes the reconciler acts on.

func isNotFound(err error) bool {
	var e *types.ResourceNotFoundException
	return errors.As(err, &e)
}

// isRefusal reports a write Cognito rejected for its content: retrying the
// same request cannot succeed, but a weaker one may.
func isRefusal(err error) bool {
	var ip *types.InvalidParameterException
	var tier *types.FeatureUnavailableInTierException
	return errors.As(err, &ip) || errors.As(err, &tier)
}

// isTransient reports errors worth retrying with backoff.
func isTransient(err error) bool {
	var tmr *types.TooManyRequestsException
	var cm *types.ConcurrentModificationException
	var ie *types.InternalErrorException
	return errors.As(err, &tmr) || errors.As(err, &cm) || errors.As(err, &ie)
}

// IsThrottle reports Cognito's TooManyRequestsException.
func IsThrottle(err error) bool {
	var tmr *types.TooManyRequestsException
	return errors.As(err, &tmr)
}
