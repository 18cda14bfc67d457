// Command floor is the naive trigger the benchmark compares the
// TriggerFunction with: LoadDefaultConfig, an SQS client, one SendMessage
// per sign-in, the event returned. Nothing less can enqueue a sign-in.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	q, url := sqs.NewFromConfig(cfg), os.Getenv("SIGN_IN_QUEUE_URL")
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		_, _ = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(raw))})
		return raw, nil
	})
}
