// Command floor is the naive drift function the cold-start benchmark
// compares the DriftFunction with: LoadDefaultConfig, a Cognito client, one
// GetUserPoolMfaConfig of the event's pool, the event returned. Nothing
// less can check a pool.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	c := cip.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var ev struct {
			Detail struct {
				RequestParameters struct {
					UserPoolID string `json:"userPoolId"`
				} `json:"requestParameters"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		_, err := c.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: &ev.Detail.RequestParameters.UserPoolID})
		return raw, err
	})
}
