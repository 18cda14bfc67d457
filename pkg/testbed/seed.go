package testbed

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// PoolSpec describes a pool to create: its MFA level and factors ("totp",
// "sms") and tags.
type PoolSpec struct {
	Name    string
	Level   string
	Factors []string
	Tags    map[string]string
}

// Client returns a Cognito SDK client pointed at moto.
func (m *Moto) Client(ctx context.Context) (*cip.Client, error) {
	env := map[string]string{}
	for _, kv := range m.Env() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				env[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(Region),
		config.WithBaseEndpoint(m.Endpoint),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"]}, nil
		})))
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
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(s.Name), UserPoolTags: s.Tags})
	if err != nil {
		return "", err
	}
	id := aws.ToString(out.UserPool.Id)
	if s.Level == "" || (s.Level == "OFF" && len(s.Factors) == 0) {
		return id, nil
	}
	in := &cip.SetUserPoolMfaConfigInput{UserPoolId: &id, MfaConfiguration: types.UserPoolMfaType(s.Level)}
	for _, f := range s.Factors {
		switch f {
		case "totp":
			in.SoftwareTokenMfaConfiguration = &types.SoftwareTokenMfaConfigType{Enabled: true}
		case "sms":
			in.SmsMfaConfiguration = &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String(SMSMessage),
				SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(SNSCallerARN), ExternalId: aws.String(ExternalID)}}
		default:
			return "", fmt.Errorf("unknown factor %q", f)
		}
	}
	_, err = c.SetUserPoolMfaConfig(ctx, in)
	return id, err
}
