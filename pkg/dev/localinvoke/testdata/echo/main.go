// Command echo is a tiny Lambda function for testing the harness.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Fail  string `json:"fail"`
	Env   string `json:"env"`
	Sleep int    `json:"sleepMs"`
	Exit  bool   `json:"exit"`
}

func main() {
	if msg := os.Getenv("ECHO_INIT_FAIL"); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, e json.RawMessage) (any, error) {
		var ev event
		_ = json.Unmarshal(e, &ev)
		switch {
		case ev.Exit:
			os.Exit(3)
		case ev.Fail != "":
			return nil, errors.New(ev.Fail)
		case ev.Env != "":
			return map[string]string{ev.Env: os.Getenv(ev.Env)}, nil
		case ev.Sleep > 0:
			time.Sleep(time.Duration(ev.Sleep) * time.Millisecond)
		}
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{"event": e, "requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn, "deadlineInFuture": time.Until(deadline) > 0}, nil
	})
}
