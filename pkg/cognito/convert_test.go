package cognito

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

const pool = "us-east-1_Pool1"

var (
	fullSMS  = &policy.SMSConfig{Message: aws.String("m"), SNSCallerARN: aws.String("arn"), ExternalID: aws.String("e"), SNSRegion: aws.String("r")}
	email    = &policy.EmailConfig{Message: aws.String("em"), Subject: aws.String("es")}
	webAuthn = &policy.WebAuthnConfig{RelyingPartyID: aws.String("rp"), UserVerification: "required", FactorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"}
)

// TestSetInputRoundTrip: the request for a configuration reads back as the
// same configuration, except that OFF carries no factor block.
func TestSetInputRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		c    policy.PoolMFA
		want policy.PoolMFA // read back from the request
	}{
		{name: "every block", c: policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true, SMS: fullSMS, Email: email, WebAuthn: webAuthn},
			want: policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true, SMS: fullSMS, Email: email, WebAuthn: webAuthn}},
		{name: "TOTP only", c: policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true},
			want: policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true}},
		{name: "SMS message without an SNS configuration", c: policy.PoolMFA{Level: policy.LevelOptional, SMS: &policy.SMSConfig{Message: aws.String("m")}},
			want: policy.PoolMFA{Level: policy.LevelOptional, SMS: &policy.SMSConfig{Message: aws.String("m")}}},
		{name: "WebAuthn without a factor configuration", c: policy.PoolMFA{Level: policy.LevelOptional, SoftwareToken: true, WebAuthn: &policy.WebAuthnConfig{RelyingPartyID: aws.String("rp"), UserVerification: "preferred"}},
			want: policy.PoolMFA{Level: policy.LevelOptional, SoftwareToken: true, WebAuthn: &policy.WebAuthnConfig{RelyingPartyID: aws.String("rp"), UserVerification: "preferred"}}},
		{name: "OFF drops factor blocks, keeps WebAuthn", c: policy.PoolMFA{Level: policy.LevelOff, SoftwareToken: true, SMS: fullSMS, Email: email, WebAuthn: webAuthn},
			want: policy.PoolMFA{Level: policy.LevelOff, WebAuthn: webAuthn}},
		{name: "OFF alone", c: policy.PoolMFA{Level: policy.LevelOff}, want: policy.PoolMFA{Level: policy.LevelOff}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := setInput(pool, tc.c)
			if aws.ToString(in.UserPoolId) != pool {
				t.Errorf("pool ID %q", aws.ToString(in.UserPoolId))
			}
			back, err := toConfig(mfaBlocks{in.MfaConfiguration, in.SoftwareTokenMfaConfiguration, in.SmsMfaConfiguration, in.EmailMfaConfiguration, in.WebAuthnConfiguration})
			if err != nil || !reflect.DeepEqual(back, tc.want) {
				t.Errorf("read back %+v, %v; want %+v", back, err, tc.want)
			}
			if tc.c.Level == policy.LevelOff && (in.SmsMfaConfiguration != nil || in.SoftwareTokenMfaConfiguration != nil || in.EmailMfaConfiguration != nil) {
				t.Errorf("OFF request carries a factor block: %+v", in)
			}
			if tc.c.Level != policy.LevelOff && tc.c.SoftwareToken != (in.SoftwareTokenMfaConfiguration != nil) {
				t.Errorf("TOTP block %+v for SoftwareToken=%v", in.SoftwareTokenMfaConfiguration, tc.c.SoftwareToken)
			}
		})
	}
}

func TestFromGetAndSet(t *testing.T) {
	cases := []struct {
		name    string
		blocks  mfaBlocks
		want    policy.PoolMFA
		wantErr bool
	}{
		{name: "OFF", blocks: mfaBlocks{level: "OFF"}, want: policy.PoolMFA{Level: policy.LevelOff}},
		{name: "disabled TOTP block is no TOTP", blocks: mfaBlocks{level: "OPTIONAL", totp: &types.SoftwareTokenMfaConfigType{Enabled: false}, sms: &types.SmsMfaConfigType{}},
			want: policy.PoolMFA{Level: policy.LevelOptional, SMS: &policy.SMSConfig{}}},
		{name: "every block",
			blocks: mfaBlocks{level: "ON", totp: &types.SoftwareTokenMfaConfigType{Enabled: true},
				sms: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("m"),
					SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String("arn"), ExternalId: aws.String("e"), SnsRegion: aws.String("r")}},
				email: &types.EmailMfaConfigType{Message: aws.String("em"), Subject: aws.String("es")},
				webAuthn: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("rp"), UserVerification: "required",
					FactorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"}},
			want: policy.PoolMFA{Level: policy.LevelOn, SoftwareToken: true, SMS: fullSMS, Email: email, WebAuthn: webAuthn}},
		{name: "unknown level is an error, not a guess", blocks: mfaBlocks{level: "SOMETIMES"}, wantErr: true},
		{name: "missing level is an error", blocks: mfaBlocks{totp: &types.SoftwareTokenMfaConfigType{Enabled: true}}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.blocks
			got, err := fromGet(&cip.GetUserPoolMfaConfigOutput{MfaConfiguration: b.level, SoftwareTokenMfaConfiguration: b.totp,
				SmsMfaConfiguration: b.sms, EmailMfaConfiguration: b.email, WebAuthnConfiguration: b.webAuthn})
			set, setErr := fromSet(&cip.SetUserPoolMfaConfigOutput{MfaConfiguration: b.level, SoftwareTokenMfaConfiguration: b.totp,
				SmsMfaConfiguration: b.sms, EmailMfaConfiguration: b.email, WebAuthnConfiguration: b.webAuthn})
			if (err != nil) != tc.wantErr || (setErr != nil) != tc.wantErr {
				t.Fatalf("errors %v, %v; want an error: %v", err, setErr, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(set, tc.want) {
				t.Errorf("Get answer read as %+v, Set answer as %+v; want %+v", got, set, tc.want)
			}
		})
	}
}

func TestFromUser(t *testing.T) {
	cases := []struct {
		name      string
		settings  []string
		preferred *string
		want      policy.UserMFA
	}{
		{name: "no MFA", want: policy.UserMFA{Enabled: []policy.Factor{}}},
		{name: "SMS and TOTP, SMS preferred", settings: []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"}, preferred: aws.String("SMS_MFA"),
			want: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS}},
		{name: "email", settings: []string{"EMAIL_OTP"}, preferred: aws.String("EMAIL_OTP"),
			want: policy.UserMFA{Enabled: []policy.Factor{policy.Email}, Preferred: policy.Email}},
		{name: "factors the policy does not govern are left out", settings: []string{"WEB_AUTHN", "SOFTWARE_TOKEN_MFA"}, preferred: aws.String("WEB_AUTHN"),
			want: policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}}},
		{name: "passkey MFA beside TOTP", settings: []string{"SOFTWARE_TOKEN_MFA", "WEB_AUTHN_MFA"}, preferred: aws.String("SOFTWARE_TOKEN_MFA"),
			want: policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken, PasskeyMFA: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fromUser(&cip.AdminGetUserOutput{UserMFASettingList: tc.settings, PreferredMfaSetting: tc.preferred})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPreferenceInput(t *testing.T) {
	on := func(preferred bool) [2]bool { return [2]bool{true, preferred} }
	off := [2]bool{false, false}
	cases := []struct {
		name            string
		before, want    policy.UserMFA
		totp, sms, mail *[2]bool // {Enabled, PreferredMfa}; nil: block not sent
	}{
		{name: "TOTP becomes preferred, SMS stays enabled",
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SoftwareToken},
			totp:   ptr(on(true)), sms: ptr(on(false))},
		{name: "SMS kept preferred, TOTP sent as not preferred",
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS},
			totp:   ptr(on(false)), sms: ptr(on(true))},
		{name: "forbidden SMS disabled",
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken},
			totp:   ptr(on(true)), sms: ptr(off)},
		{name: "forbidden email disabled, no preference before",
			before: policy.UserMFA{Enabled: []policy.Factor{policy.Email, policy.SoftwareToken}},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken},
			totp:   ptr(on(true)), mail: ptr(off)},
		{name: "factors the user never had are not sent",
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken},
			totp:   ptr(on(true))},
		{name: "passkey MFA: SMS disabled, TOTP kept beside it, passkey MFA not sent",
			before: policy.UserMFA{Enabled: []policy.Factor{policy.SMS, policy.SoftwareToken}, Preferred: policy.SMS, PasskeyMFA: true},
			want:   policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken, PasskeyMFA: true},
			totp:   ptr(on(true)), sms: ptr(off)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := preferenceInput(pool, "jane", tc.before, tc.want)
			if aws.ToString(in.UserPoolId) != pool || aws.ToString(in.Username) != "jane" {
				t.Errorf("pool %q user %q", aws.ToString(in.UserPoolId), aws.ToString(in.Username))
			}
			var totp, sms, mail *[2]bool
			if s := in.SoftwareTokenMfaSettings; s != nil {
				totp = &[2]bool{s.Enabled, s.PreferredMfa}
			}
			if s := in.SMSMfaSettings; s != nil {
				sms = &[2]bool{s.Enabled, s.PreferredMfa}
			}
			if s := in.EmailMfaSettings; s != nil {
				mail = &[2]bool{s.Enabled, s.PreferredMfa}
			}
			if !reflect.DeepEqual(totp, tc.totp) || !reflect.DeepEqual(sms, tc.sms) || !reflect.DeepEqual(mail, tc.mail) {
				t.Errorf("TOTP %v SMS %v email %v; want %v %v %v", totp, sms, mail, tc.totp, tc.sms, tc.mail)
			}
			// Passkey MFA is never sent, so never preferred.
			if in.WebAuthnMfaSettings != nil {
				t.Errorf("WebAuthnMfaSettings sent: %+v", in.WebAuthnMfaSettings)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
