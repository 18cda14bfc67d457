// Package coverage keeps the coverage ledger: one DynamoDB item per user
// the sign-in check reads (the user's MFA factors and when the user was
// last seen, keyed by pool ID and the user's sub, never a username, email
// or phone number), and reads it back per pool as the share of active
// users who have MFA. Only users who signed in are ever in it: nothing
// reads users who did not.
package coverage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// The table's attributes. poolId and userSub are the key; expiresAt is
// the table's TTL attribute (epoch seconds).
const (
	attrPool      = "poolId"
	attrSub       = "userSub"
	attrFactors   = "factors"   // list of policy.Factor names, empty for none
	attrPreferred = "preferred" // absent when the user prefers none
	attrPasskey   = "passkeyMfa"
	attrLastSeen  = "lastSeen" // epoch seconds
	attrExpires   = "expiresAt"
)

// PutAPI is the part of the DynamoDB client the ledger writer uses.
type PutAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

var _ PutAPI = (*dynamodb.Client)(nil)

// Ledger records users as the sign-in check reads them: one PutItem per
// user, no read, no Cognito call.
type Ledger struct {
	API   PutAPI
	Table string
}

// NewLedger returns the writer for table, or nil when table is empty: a
// nil ledger records nothing, and the consumer works as without one.
func NewLedger(api PutAPI, table string) *Ledger {
	if table == "" {
		return nil
	}
	return &Ledger{API: api, Table: table}
}

// WindowOf is the longest coverage window of p's rules and profiles.
func WindowOf(p policy.Policy) time.Duration {
	days := p.Users.CoverageWindowDays
	for _, prof := range p.Profiles {
		days = max(days, prof.Users.CoverageWindowDays)
	}
	return time.Duration(max(days, 1)) * 24 * time.Hour
}

// Record writes the user's MFA state as seen at seen, replacing the item
// from the user's previous sign-in, to live window after it: the longest
// coverage window of the policy in force (WindowOf), so no profile loses a
// user it still counts. TTL deletion lags; the reader never relies on it.
// It is safe on a nil Ledger.
func (l *Ledger) Record(ctx context.Context, poolID, sub string, u policy.UserMFA, seen time.Time, window time.Duration) error {
	if l == nil {
		return nil
	}
	if poolID == "" || sub == "" {
		return fmt.Errorf("record coverage: pool ID %q and sub %q are both needed", poolID, sub)
	}
	_, err := l.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.Table), Item: item(poolID, sub, u, seen, window)})
	if err != nil {
		return fmt.Errorf("record coverage of a user of %s in %s: %w", poolID, l.Table, err)
	}
	return nil
}

// item is the ledger's item for one user: the key, the factors and times,
// nothing that names the user.
func item(poolID, sub string, u policy.UserMFA, seen time.Time, window time.Duration) map[string]types.AttributeValue {
	factors := make([]types.AttributeValue, 0, len(u.Enabled))
	for _, f := range u.Enabled {
		factors = append(factors, &types.AttributeValueMemberS{Value: string(f)})
	}
	it := map[string]types.AttributeValue{
		attrPool:     &types.AttributeValueMemberS{Value: poolID},
		attrSub:      &types.AttributeValueMemberS{Value: sub},
		attrFactors:  &types.AttributeValueMemberL{Value: factors},
		attrPasskey:  &types.AttributeValueMemberBOOL{Value: u.PasskeyMFA},
		attrLastSeen: epoch(seen),
		attrExpires:  epoch(seen.Add(window)),
	}
	if u.Preferred != "" {
		it[attrPreferred] = &types.AttributeValueMemberS{Value: string(u.Preferred)}
	}
	return it
}

func epoch(t time.Time) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// user reads back what the reader needs of an item: when the user was
// last seen and the factors. An item it cannot read is an error, never a
// user without MFA.
func user(it map[string]types.AttributeValue) (policy.UserMFA, time.Time, error) {
	var u policy.UserMFA
	n, ok := it[attrLastSeen].(*types.AttributeValueMemberN)
	if !ok {
		return u, time.Time{}, fmt.Errorf("item without %s", attrLastSeen)
	}
	secs, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return u, time.Time{}, fmt.Errorf("%s %q: %w", attrLastSeen, n.Value, err)
	}
	l, ok := it[attrFactors].(*types.AttributeValueMemberL)
	if !ok {
		return u, time.Time{}, fmt.Errorf("item without %s", attrFactors)
	}
	for _, v := range l.Value {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok || !slices.Contains(policy.AllFactors, policy.Factor(s.Value)) {
			return u, time.Time{}, fmt.Errorf("%s holds %v, not a factor", attrFactors, v)
		}
		u.Enabled = append(u.Enabled, policy.Factor(s.Value))
	}
	if b, ok := it[attrPasskey].(*types.AttributeValueMemberBOOL); ok {
		u.PasskeyMFA = b.Value
	}
	return u, time.Unix(secs, 0), nil
}
