package trigger

import (
	"cmp"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
)

// EnvConfig is the SDK configuration Lambda gives a function in its
// environment, read the way config.LoadDefaultConfig reads it there: the
// execution role's credentials and the Region from the runtime's variables,
// and the standard AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL endpoint
// variables. LoadDefaultConfig would also link the STS, SSO and IMDS
// credential providers, which Lambda never uses: 1.6 MB more bootstrap and
// a slower cold start on the sign-in path. No retries: the trigger's one
// call has its deadline, and the next sign-in tries again.
func EnvConfig() (aws.Config, error) {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	region := cmp.Or(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	if key == "" || secret == "" || region == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION must be set, as Lambda sets them")
	}
	cfg := aws.Config{
		Region:           region,
		Credentials:      aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		RetryMaxAttempts: pace.EnqueueAttempts,
	}
	if os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
		if ep := cmp.Or(os.Getenv("AWS_ENDPOINT_URL_SQS"), os.Getenv("AWS_ENDPOINT_URL")); ep != "" {
			cfg.BaseEndpoint = aws.String(ep)
		}
	}
	return cfg, nil
}
