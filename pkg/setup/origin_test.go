package setup

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestOrigin(t *testing.T) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:enforcer-SweepFunction"})
	if a, r := Origin(ctx, "us-east-1"); a != "111122223333" || r != "eu-west-1" {
		t.Errorf("Origin = %q, %q", a, r)
	}
	if a, r := Origin(context.Background(), "us-east-1"); a != "" || r != "us-east-1" {
		t.Errorf("outside Lambda: %q, %q", a, r)
	}
}
