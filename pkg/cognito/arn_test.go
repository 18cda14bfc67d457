package cognito

import "testing"

func TestPoolARN(t *testing.T) {
	arn := PoolARN("eu-west-1", "111111111111", "eu-west-1_a")
	if arn != "arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_a" {
		t.Errorf("PoolARN = %s", arn)
	}
	if id, ok := PoolIDOf(arn); !ok || id != "eu-west-1_a" {
		t.Errorf("PoolIDOf(%s) = %q, %v", arn, id, ok)
	}
	for _, bad := range []string{"arn:aws:cognito-idp:eu-west-1:111111111111:userpool/", "arn:aws:s3:::bucket"} {
		if id, ok := PoolIDOf(bad); ok {
			t.Errorf("PoolIDOf(%s) = %q", bad, id)
		}
	}
}
