package cognito

// Quota is one of Cognito's request-rate quota categories. Each is its own
// budget per account and Region, shared with everything else the account
// runs, and none of the two below can be raised.
type Quota int

const (
	// UserPoolRead: ListUserPools, DescribeUserPool, GetUserPoolMfaConfig;
	// 15 calls per second.
	UserPoolRead Quota = iota
	// UserPoolUpdate: SetUserPoolMfaConfig; 15 calls per second.
	UserPoolUpdate
)

func (q Quota) String() string {
	if q == UserPoolUpdate {
		return "UserPoolUpdate"
	}
	return "UserPoolRead"
}
