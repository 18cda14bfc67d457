// Package quota is AWS's request-rate quotas for the calls the enforcer
// makes, as AWS publishes them (Cognito Developer Guide, "Quotas in Amazon
// Cognito", per-category request rate quotas; Security Hub's per-operation
// quotas), and the share of them the enforcer allows itself. It is the one
// table every pacer, report, metric, dashboard and test fake reads.
package quota

import (
	"encoding/json"
	"math"
)

// Category is one of AWS's request-rate quotas: for Cognito user pools a
// category of operations that share one budget per account and Region;
// for Security Hub one operation.
type Category string

// Cognito user pool categories (and Security Hub operations) the enforcer
// or the applications beside it draw on.
const (
	UserPoolRead           Category = "UserPoolRead"
	UserPoolUpdate         Category = "UserPoolUpdate"
	UserPoolResourceRead   Category = "UserPoolResourceRead"
	UserPoolResourceUpdate Category = "UserPoolResourceUpdate"
	UserPoolClientRead     Category = "UserPoolClientRead"
	UserPoolClientUpdate   Category = "UserPoolClientUpdate"
	UserRead               Category = "UserRead"
	UserList               Category = "UserList"
	UserResourceUpdate     Category = "UserResourceUpdate"
	LimitManagement        Category = "LimitManagement"
	// Security Hub counts each operation on its own.
	SecurityHubImport Category = "BatchImportFindings"
	SecurityHubRead   Category = "GetFindings"
)

// UsageService is the Service dimension of Cognito's user pool usage
// metrics in namespace AWS/Usage (CallCount, ThrottleCount, with Type API
// and Resource the category), as the Cognito Developer Guide's "Dimensions
// for Amazon Cognito user pools" gives it.
const UsageService = "Cognito user pool"

// Op is an API operation, by its AWS name.
type Op string

// The operations the enforcer calls.
const (
	ListUserPools             Op = "ListUserPools"
	DescribeUserPool          Op = "DescribeUserPool"
	UpdateUserPool            Op = "UpdateUserPool"
	GetUserPoolMfaConfig      Op = "GetUserPoolMfaConfig"
	SetUserPoolMfaConfig      Op = "SetUserPoolMfaConfig"
	AdminGetUser              Op = "AdminGetUser"
	AdminSetUserMFAPreference Op = "AdminSetUserMFAPreference"
	DescribeRiskConfiguration Op = "DescribeRiskConfiguration"
	SetRiskConfiguration      Op = "SetRiskConfiguration"
	ListUserPoolClients       Op = "ListUserPoolClients"
	GetProvisionedLimit       Op = "GetProvisionedLimit"
	BatchImportFindings       Op = "BatchImportFindings"
	GetFindings               Op = "GetFindings"
)

// Limit is one row of AWS's table.
type Limit struct {
	Category Category `json:"category"`
	Service  string   `json:"service"` // "cognito-idp" or "securityhub"
	// RPS is AWS's published default quota, in requests per second per
	// account and Region, for all the category's operations together; an
	// account can provision a higher one (GetProvisionedLimit).
	RPS        float64 `json:"rps"`
	Adjustable bool    `json:"adjustable"`
	// PerPool is the further limit on each single operation of the
	// category on one user pool, in requests per second; 0: none.
	PerPool float64 `json:"perPool,omitempty"`
	// Operations lists the category's operations the enforcer calls or
	// that users and applications call beside it.
	Operations []Op `json:"operations"`
}

// Table is AWS's published quotas, one row per category. Footnote 3 of
// Cognito's table: every single operation of UserPoolResourceRead,
// UserPoolResourceUpdate, UserPoolClientRead and UserPoolClientUpdate is
// also limited to 5 requests per second per user pool.
var Table = []Limit{
	{Category: UserPoolRead, Service: "cognito-idp", RPS: 15, Operations: []Op{ListUserPools, DescribeUserPool}},
	{Category: UserPoolUpdate, Service: "cognito-idp", RPS: 15, Operations: []Op{UpdateUserPool, "CreateUserPool", "DeleteUserPool"}},
	{Category: UserPoolResourceRead, Service: "cognito-idp", RPS: 20, PerPool: 5,
		Operations: []Op{GetUserPoolMfaConfig, DescribeRiskConfiguration, "ListTagsForResource", "GetGroup", "ListGroups", "DescribeIdentityProvider"}},
	{Category: UserPoolResourceUpdate, Service: "cognito-idp", RPS: 15, PerPool: 5,
		Operations: []Op{SetUserPoolMfaConfig, SetRiskConfiguration, "TagResource"}},
	{Category: UserPoolClientRead, Service: "cognito-idp", RPS: 15, PerPool: 5, Operations: []Op{ListUserPoolClients, "DescribeUserPoolClient"}},
	{Category: UserPoolClientUpdate, Service: "cognito-idp", RPS: 15, PerPool: 5, Operations: []Op{"UpdateUserPoolClient"}},
	{Category: UserRead, Service: "cognito-idp", RPS: 120, Adjustable: true, Operations: []Op{AdminGetUser, "AdminGetUserAuthFactors", "GetUser"}},
	{Category: UserList, Service: "cognito-idp", RPS: 30, Operations: []Op{"ListUsers", "ListUsersInGroup"}},
	{Category: UserResourceUpdate, Service: "cognito-idp", RPS: 25,
		Operations: []Op{AdminSetUserMFAPreference, "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "ConfirmDevice"}},
	{Category: LimitManagement, Service: "cognito-idp", RPS: 1, Operations: []Op{GetProvisionedLimit, "UpdateProvisionedLimit"}},
	{Category: SecurityHubImport, Service: "securityhub", RPS: 10, Operations: []Op{BatchImportFindings}},
	{Category: SecurityHubRead, Service: "securityhub", RPS: 3, Operations: []Op{GetFindings}},
}

var (
	byCategory = map[Category]Limit{}
	byOp       = map[Op]Category{}
)

func init() {
	for _, l := range Table {
		byCategory[l.Category] = l
		for _, op := range l.Operations {
			byOp[op] = l.Category
		}
	}
}

// Of returns an operation's category; false when the table has none.
func Of(op Op) (Category, bool) {
	c, ok := byOp[op]
	return c, ok
}

// Lookup returns a category's row.
func Lookup(c Category) (Limit, bool) {
	l, ok := byCategory[c]
	return l, ok
}

// JSON is the table as JSON, for the test bed's moto launcher, so that the
// fakes throttle by this one table.
func JSON() string {
	b, _ := json.Marshal(Table) // plain data: cannot fail
	return string(b)
}

// Share is the part of AWS's quotas one function of the enforcer may use
// in any second, counting all its concurrent instances.
type Share struct {
	Percent int // 1 to 100
	// Limits holds the account's own limit of a category where it is known
	// (a provisioned limit, GetProvisionedLimit) and differs from AWS's
	// published default, which applies to every other category.
	Limits map[Category]float64
}

// Full is the whole of every quota: for benchmarks, tests and tools that
// run alone.
var Full = Share{Percent: 100}

// Quota returns the account's quota of c, in requests per second: its
// known limit, else AWS's default; 0 for a category not in the table.
func (s Share) Quota(c Category) float64 {
	l, ok := byCategory[c]
	if !ok {
		return 0
	}
	if q := s.Limits[c]; q > 0 {
		return q
	}
	return l.RPS
}

// Rate is what one instance of a function that runs at most
// maxConcurrency instances at once may use of c, in calls per second: its
// part of the share, quota x share / maxConcurrency, in whole calls. A
// second holds whole calls, so a part of 7.5 calls is 7; and calls spaced
// at exactly 7 per second put an eighth at the end of any second that
// starts with one, so the rate is a little under (slack): no second,
// however it is cut, then holds more than the part, for all instances
// together no more than the share. A part under one call per second is
// kept as it is.
func (s Share) Rate(c Category, maxConcurrency int) float64 {
	return whole(s.Quota(c) * s.fraction() / float64(max(maxConcurrency, 1)))
}

// PoolRate is Rate for the per-pool limit of each single operation of c;
// 0 when c has none.
func (s Share) PoolRate(c Category, maxConcurrency int) float64 {
	l, ok := byCategory[c]
	if !ok {
		return 0
	}
	return whole(l.PerPool * s.fraction() / float64(max(maxConcurrency, 1)))
}

// slack leaves room for the timing of calls that travel a network and of
// timers on a busy machine: 50 ms a second.
const slack = 0.05

func whole(part float64) float64 {
	if part < 1 {
		return part
	}
	return math.Floor(part) * (1 - slack)
}

func (s Share) fraction() float64 {
	return math.Min(math.Max(float64(s.Percent), 0), 100) / 100
}
