package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// PoolSpec describes a pool to create: its MFA level and factors (TOTP,
// SMS), tags, and for passwordless pools its first sign-in factors, plan
// and passkey (WebAuthn) configuration.
type PoolSpec struct {
	Name         string
	Level        string
	Factors      []policy.Factor
	Tags         map[string]string
	FirstFactors []types.AuthFactorType
	Tier         types.UserPoolTierType
	WebAuthn     *types.WebAuthnConfigurationType
	// ThreatProtection is the pool's AdvancedSecurityMode (needs Tier
	// PLUS); Risk its own risk configuration, and Clients its app clients.
	ThreatProtection types.AdvancedSecurityModeType
	Risk             *types.RiskConfigurationType
	Clients          []ClientSpec
	// EUMS sends the SMS factor's texts through AWS End User Messaging
	// (EumsSMS) instead of Amazon SNS.
	EUMS bool
}

// EumsSMS is the End User Messaging SMS configuration of test pools, so
// tests can check it survives a correction.
var EumsSMS = &types.EumsSmsConfigurationType{CallerArn: aws.String("arn:aws:iam::123456789012:role/cognito-eums"),
	OriginationIdentity:  aws.String("arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef"),
	ConfigurationSetName: aws.String("cognito-mfa"), ExternalId: aws.String("eums-external-id"), Region: aws.String("us-east-1")}

// ClientSpec is an app client to create, with its own risk configuration
// (nil: it has the pool's).
type ClientSpec struct {
	Name string
	Risk *types.RiskConfigurationType
}

// sdkConfig is an SDK configuration pointed at moto, in Region, with the
// given credentials.
func (m *Moto) sdkConfig(ctx context.Context, key, secret, token string) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithRegion(Region), config.WithBaseEndpoint(m.Endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, token)))
}

// Client returns a Cognito SDK client pointed at moto.
func (m *Moto) Client(ctx context.Context) (*cip.Client, error) {
	cfg, err := m.sdkConfig(ctx, "testing", "testing", "")
	if err != nil {
		return nil, err
	}
	return cip.NewFromConfig(cfg), nil
}

// Client returns a Cognito SDK client acting in this account.
func (a *OtherAccount) Client(ctx context.Context) (*cip.Client, error) {
	env := map[string]string{}
	for _, kv := range a.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	cfg, err := a.m.sdkConfig(ctx, env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"])
	if err != nil {
		return nil, err
	}
	return cip.NewFromConfig(cfg), nil
}

// Seed creates pools with the SDK, a few at a time (moto takes ~0.3 s per
// pool), and returns their IDs in spec order.
func (m *Moto) Seed(ctx context.Context, specs []PoolSpec) ([]string, error) {
	c, err := m.Client(ctx)
	if err != nil {
		return nil, err
	}
	return seed(ctx, c, specs)
}

// Seed creates pools in this account (see Moto.Seed).
func (a *OtherAccount) Seed(ctx context.Context, specs []PoolSpec) ([]string, error) {
	c, err := a.Client(ctx)
	if err != nil {
		return nil, err
	}
	return seed(ctx, c, specs)
}

func seed(ctx context.Context, c *cip.Client, specs []PoolSpec) ([]string, error) {
	ids := make([]string, len(specs))
	errs := make([]error, len(specs))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ids[i], errs[i] = createPool(ctx, c, s)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", specs[i].Name, err)
		}
	}
	return ids, nil
}

func createPool(ctx context.Context, c *cip.Client, s PoolSpec) (string, error) {
	create := &cip.CreateUserPoolInput{PoolName: aws.String(s.Name), UserPoolTags: s.Tags, UserPoolTier: s.Tier}
	if s.ThreatProtection != "" {
		create.UserPoolAddOns = &types.UserPoolAddOnsType{AdvancedSecurityMode: s.ThreatProtection}
	}
	if s.FirstFactors != nil {
		create.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: s.FirstFactors}}
	}
	out, err := c.CreateUserPool(ctx, create)
	if err != nil {
		return "", err
	}
	id := aws.ToString(out.UserPool.Id)
	if err := adaptive(ctx, c, id, s); err != nil {
		return "", err
	}
	if s.Level == "" || (s.Level == "OFF" && len(s.Factors) == 0 && s.WebAuthn == nil) {
		return id, nil
	}
	in := &cip.SetUserPoolMfaConfigInput{UserPoolId: &id, MfaConfiguration: types.UserPoolMfaType(s.Level), WebAuthnConfiguration: s.WebAuthn}
	for _, f := range s.Factors {
		switch f {
		case policy.SoftwareToken:
			in.SoftwareTokenMfaConfiguration = &types.SoftwareTokenMfaConfigType{Enabled: true}
		case policy.SMS:
			in.SmsMfaConfiguration = &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String(SMSMessage),
				SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(SNSCallerARN), ExternalId: aws.String(ExternalID)}}
			if s.EUMS {
				in.SmsMfaConfiguration.SmsConfiguration = &types.SmsConfigurationType{EumsSms: EumsSMS}
			}
		default:
			return "", fmt.Errorf("unknown factor %q", f)
		}
	}
	_, err = c.SetUserPoolMfaConfig(ctx, in)
	return id, err
}

// adaptive creates the spec's app clients and sets its risk configurations.
func adaptive(ctx context.Context, c *cip.Client, poolID string, s PoolSpec) error {
	set := func(client *string, r *types.RiskConfigurationType) error {
		if r == nil {
			return nil
		}
		_, err := c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: &poolID, ClientId: client,
			AccountTakeoverRiskConfiguration: r.AccountTakeoverRiskConfiguration, CompromisedCredentialsRiskConfiguration: r.CompromisedCredentialsRiskConfiguration,
			RiskExceptionConfiguration: r.RiskExceptionConfiguration})
		return err
	}
	if err := set(nil, s.Risk); err != nil {
		return err
	}
	for _, cs := range s.Clients {
		out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String(cs.Name)})
		if err != nil {
			return err
		}
		if err := set(out.UserPoolClient.ClientId, cs.Risk); err != nil {
			return err
		}
	}
	return nil
}

// ClientIDs returns a pool's app clients' IDs by name.
func (m *Moto) ClientIDs(ctx context.Context, poolID string) (map[string]string, error) {
	var out struct {
		UserPoolClients []struct{ ClientId, ClientName string }
	}
	if err := m.Call(ctx, &out, "cognito-idp", "ListUserPoolClients", map[string]any{"UserPoolId": poolID, "MaxResults": 60}); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, c := range out.UserPoolClients {
		ids[c.ClientName] = c.ClientId
	}
	return ids, nil
}

// Risk is what the AWS CLI reports of a risk configuration.
type Risk struct {
	ClientId                         string
	AccountTakeoverRiskConfiguration *struct {
		NotifyConfiguration *struct{ SourceArn, From string }
		Actions             map[string]struct {
			EventAction string
			Notify      bool
		}
	}
	CompromisedCredentialsRiskConfiguration *struct {
		EventFilter []string
		Actions     struct{ EventAction string }
	}
	RiskExceptionConfiguration *struct{ BlockedIPRangeList, SkippedIPRangeList []string }
}

// Risk reads the risk configuration of a pool (client "") or one of its
// app clients.
func (m *Moto) Risk(ctx context.Context, poolID, client string) (Risk, error) {
	in := map[string]string{"UserPoolId": poolID}
	if client != "" {
		in["ClientId"] = client
	}
	var out struct{ RiskConfiguration Risk }
	err := m.Call(ctx, &out, "cognito-idp", "DescribeRiskConfiguration", in)
	return out.RiskConfiguration, err
}

// SetRisk sets a risk configuration, as a person changing it would:
// riskJSON is the request's configuration members.
func (m *Moto) SetRisk(ctx context.Context, poolID, client, riskJSON string) error {
	in := map[string]any{}
	if err := json.Unmarshal([]byte(riskJSON), &in); err != nil {
		return fmt.Errorf("risk configuration %s: %w", riskJSON, err)
	}
	in["UserPoolId"] = poolID
	if client != "" {
		in["ClientId"] = client
	}
	return m.Call(ctx, nil, "cognito-idp", "SetRiskConfiguration", in)
}

// TOTPUser creates a confirmed user who signed in and registered an
// authenticator app (moto accepts any code unless told to check it), and
// returns the user's access token.
func (m *Moto) TOTPUser(ctx context.Context, poolID, username string) (string, error) {
	c, err := m.Client(ctx)
	if err != nil {
		return "", err
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		return "", err
	}
	const password = "Correct-horse-battery-9"
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: &username,
		UserAttributes: []types.AttributeType{{Name: aws.String("phone_number"), Value: aws.String("+15555550100")}}}); err != nil {
		return "", err
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: &username, Password: aws.String(password), Permanent: true}); err != nil {
		return "", err
	}
	auth, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: client.UserPoolClient.ClientId,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password}})
	if err != nil {
		return "", err
	}
	if auth.AuthenticationResult == nil {
		return "", fmt.Errorf("sign-in of %s answered a challenge (%s), not tokens", username, auth.ChallengeName)
	}
	token := auth.AuthenticationResult.AccessToken
	if _, err := c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: token}); err != nil {
		return "", err
	}
	if _, err := c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: token, UserCode: aws.String("123456")}); err != nil {
		return "", err
	}
	return aws.ToString(token), nil
}

// UserMFA is what AdminGetUser reports of a user's MFA.
type UserMFA struct {
	UserMFASettingList  []string
	PreferredMfaSetting string
}

// GetUserMFA reads a user's MFA settings.
func (m *Moto) GetUserMFA(ctx context.Context, poolID, username string) (UserMFA, error) {
	var out UserMFA
	err := m.Call(ctx, &out, "cognito-idp", "AdminGetUser", map[string]string{"UserPoolId": poolID, "Username": username})
	return out, err
}

// RiskConfig is a risk configuration with each risk level's action, every
// level notifying through an SES identity, and IP ranges: settings a
// correction must keep.
func RiskConfig(low, medium, high types.AccountTakeoverEventActionType) *types.RiskConfigurationType {
	level := func(a types.AccountTakeoverEventActionType) *types.AccountTakeoverActionType {
		return &types.AccountTakeoverActionType{EventAction: a, Notify: true}
	}
	return &types.RiskConfigurationType{
		AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{
			NotifyConfiguration: &types.NotifyConfigurationType{SourceArn: aws.String(NotifySourceARN), From: aws.String("security@example.com")},
			Actions:             &types.AccountTakeoverActionsType{LowAction: level(low), MediumAction: level(medium), HighAction: level(high)}},
		RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{BlockedRange}},
	}
}

// Settings of test risk configurations, so tests can check they survive.
const (
	NotifySourceARN = "arn:aws:ses:us-east-1:123456789012:identity/security@example.com"
	BlockedRange    = "192.0.2.0/24"
)

// AdaptivePool is a pool whose adaptive authentication a policy can accept
// as MFA ON: Plus, threat protection ENFORCED, OPTIONAL with TOTP, the
// pool's actions AWS's design (low NO_ACTION, medium MFA_IF_CONFIGURED,
// high MFA_REQUIRED), with the given app clients.
func AdaptivePool(name string, clients ...ClientSpec) PoolSpec {
	return PoolSpec{Name: name, Level: "OPTIONAL", Factors: []policy.Factor{policy.SoftwareToken}, Tier: types.UserPoolTierTypePlus,
		ThreatProtection: types.AdvancedSecurityModeTypeEnforced, Risk: RiskConfig("NO_ACTION", "MFA_IF_CONFIGURED", "MFA_REQUIRED"), Clients: clients}
}

// SMSBlocks reads the SMS blocks of pools as moto stores them (RawMFA),
// to check that a correction kept them byte for byte.
func (m *Moto) SMSBlocks(ctx context.Context, ids ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		raw, err := m.RawMFA(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = string(raw["SmsMfaConfiguration"])
	}
	return out, nil
}

// SMSPools seeds two pools at OPTIONAL with TOTP and SMS, "eums"+suffix
// sending SMS through AWS End User Messaging and "sns"+suffix through SNS,
// and returns their IDs (in that order) and their SMS blocks as stored.
func (m *Moto) SMSPools(ctx context.Context, suffix string) (ids []string, blocks map[string]string, err error) {
	sms := []policy.Factor{policy.SoftwareToken, policy.SMS}
	ids, err = m.Seed(ctx, []PoolSpec{{Name: "eums" + suffix, Level: "OPTIONAL", Factors: sms, EUMS: true}, {Name: "sns" + suffix, Level: "OPTIONAL", Factors: sms}})
	if err != nil {
		return nil, nil, err
	}
	blocks, err = m.SMSBlocks(ctx, ids...)
	return ids, blocks, err
}
