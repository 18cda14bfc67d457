package cognito

import (
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// mfaBlocks are the fields Get and Set share.
type mfaBlocks struct {
	level    types.UserPoolMfaType
	totp     *types.SoftwareTokenMfaConfigType
	sms      *types.SmsMfaConfigType
	email    *types.EmailMfaConfigType
	webAuthn *types.WebAuthnConfigurationType
}

// toConfig converts Cognito's MFA blocks into the plain observed state.
func toConfig(b mfaBlocks) (policy.PoolMFA, error) {
	c := policy.PoolMFA{Level: policy.Level(b.level)}
	if c.Level.Rank() < 0 {
		return policy.PoolMFA{}, errors.New("unrecognised MfaConfiguration " + `"` + string(b.level) + `"`)
	}
	c.SoftwareToken = b.totp != nil && b.totp.Enabled
	if b.sms != nil {
		c.SMS = &policy.SMSConfig{Message: b.sms.SmsAuthenticationMessage}
		if sc := b.sms.SmsConfiguration; sc != nil {
			c.SMS.SNSCallerARN, c.SMS.ExternalID, c.SMS.SNSRegion = sc.SnsCallerArn, sc.ExternalId, sc.SnsRegion
			if e := sc.EumsSms; e != nil {
				c.SMS.EUMS = &policy.EUMSConfig{CallerARN: e.CallerArn, ConfigurationSetName: e.ConfigurationSetName, ExternalID: e.ExternalId,
					InEntityID: e.InEntityId, InTemplateID: e.InTemplateId, OriginationIdentity: e.OriginationIdentity, Region: e.Region}
			}
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
func setInput(poolID string, c policy.PoolMFA) *cip.SetUserPoolMfaConfigInput {
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
		if c.SMS.SNSCallerARN != nil || c.SMS.ExternalID != nil || c.SMS.SNSRegion != nil || c.SMS.EUMS != nil {
			in.SmsMfaConfiguration.SmsConfiguration = &types.SmsConfigurationType{
				SnsCallerArn: c.SMS.SNSCallerARN, ExternalId: c.SMS.ExternalID, SnsRegion: c.SMS.SNSRegion,
			}
			if e := c.SMS.EUMS; e != nil {
				in.SmsMfaConfiguration.SmsConfiguration.EumsSms = &types.EumsSmsConfigurationType{CallerArn: e.CallerARN,
					ConfigurationSetName: e.ConfigurationSetName, ExternalId: e.ExternalID, InEntityId: e.InEntityID, InTemplateId: e.InTemplateID,
					OriginationIdentity: e.OriginationIdentity, Region: e.Region}
			}
		}
	}
	if c.Email != nil {
		in.EmailMfaConfiguration = &types.EmailMfaConfigType{Message: c.Email.Message, Subject: c.Email.Subject}
	}
	return in
}

func fromGet(o *cip.GetUserPoolMfaConfigOutput) (policy.PoolMFA, error) {
	return toConfig(mfaBlocks{o.MfaConfiguration, o.SoftwareTokenMfaConfiguration, o.SmsMfaConfiguration, o.EmailMfaConfiguration, o.WebAuthnConfiguration})
}

func fromSet(o *cip.SetUserPoolMfaConfigOutput) (policy.PoolMFA, error) {
	return toConfig(mfaBlocks{o.MfaConfiguration, o.SoftwareTokenMfaConfiguration, o.SmsMfaConfiguration, o.EmailMfaConfiguration, o.WebAuthnConfiguration})
}

// passkeyMFA is how a user's UserMFASettingList names passkey MFA
// (WebAuthnMfaSettings on), as measured against AWS; the API reference
// lists only the other factors.
const passkeyMFA = "WEB_AUTHN_MFA"

// fromUser reads the governed factors, and passkey MFA, from AdminGetUser's
// answer.
func fromUser(out *cip.AdminGetUserOutput) policy.UserMFA {
	u := policy.UserMFA{Enabled: []policy.Factor{}, PasskeyMFA: slices.Contains(out.UserMFASettingList, passkeyMFA)}
	for _, name := range out.UserMFASettingList {
		if f, ok := policy.UserFactor(name); ok {
			u.Enabled = append(u.Enabled, f)
		}
	}
	u.Preferred, _ = policy.UserFactor(aws.ToString(out.PreferredMfaSetting))
	return u
}

// subOf is the user's sub among AdminGetUser's attributes; "" without one.
func subOf(out *cip.AdminGetUserOutput) string {
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// preferenceInput sets every factor the user had: kept ones stay enabled,
// forbidden ones are disabled, and exactly one is preferred. It never sends
// WebAuthnMfaSettings: Cognito leaves a user's passkey MFA as it is when
// the request leaves it out, and passkey MFA has no preference to send.
func preferenceInput(poolID, username string, before, want policy.UserMFA) *cip.AdminSetUserMFAPreferenceInput {
	in := &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &poolID, Username: &username}
	for _, f := range before.Enabled {
		enabled, preferred := slices.Contains(want.Enabled, f), want.Preferred == f
		switch f {
		case policy.SoftwareToken:
			in.SoftwareTokenMfaSettings = &types.SoftwareTokenMfaSettingsType{Enabled: enabled, PreferredMfa: preferred}
		case policy.SMS:
			in.SMSMfaSettings = &types.SMSMfaSettingsType{Enabled: enabled, PreferredMfa: preferred}
		case policy.Email:
			in.EmailMfaSettings = &types.EmailMfaSettingsType{Enabled: enabled, PreferredMfa: preferred}
		}
	}
	return in
}
