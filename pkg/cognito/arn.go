package cognito

import "strings"

// PoolARN is a user pool's ARN.
func PoolARN(region, account, poolID string) string {
	return "arn:aws:cognito-idp:" + region + ":" + account + poolMarker + poolID
}

const poolMarker = ":userpool/"

// PoolIDOf is the pool ID in a user pool ARN; false when arn is not one.
func PoolIDOf(arn string) (string, bool) {
	_, id, ok := strings.Cut(arn, poolMarker)
	return id, ok && id != ""
}
