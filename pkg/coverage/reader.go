package coverage

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// QueryAPI is the part of the DynamoDB client the ledger reader uses.
type QueryAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ QueryAPI = (*dynamodb.Client)(nil)

// DefaultUnitsPerSecond paces the sweep's reads of the ledger (the
// template's default, COVERAGE_READ_UNITS_PER_SECOND): a pool's items share
// one partition key, and one partition serves at most 3,000 read units per
// second; a new on-demand table serves 12,000.
const DefaultUnitsPerSecond = 3000

// Reader computes pools' coverage from the ledger: one paginated Query per
// pool, eventually consistent, with only the attributes it counts.
type Reader struct {
	api   QueryAPI
	table string
	pace  *pace.Units // read units, shared by every pool read at the same time
	Now   func() time.Time
}

// NewReader returns the reader for table, paced at unitsPerSecond read
// units, or nil when table is empty.
func NewReader(api QueryAPI, table string, unitsPerSecond float64) *Reader {
	if table == "" {
		return nil
	}
	return &Reader{api: api, table: table, pace: pace.NewUnits(unitsPerSecond), Now: time.Now}
}

// Cost is what reading the ledger took.
type Cost struct {
	Pages     int     `json:"pages"`
	Items     int     `json:"items"`     // items read, old ones included
	ReadUnits float64 `json:"readUnits"` // as DynamoDB reported them
}

// Add adds o to c.
func (c *Cost) Add(o Cost) {
	c.Pages += o.Pages
	c.Items += o.Items
	c.ReadUnits += o.ReadUnits
}

// Read returns the coverage of the pool among users last seen within
// windowDays before now. Users seen earlier are not counted even while
// their items wait for TTL deletion, which can lag by days.
func (r *Reader) Read(ctx context.Context, poolID string, windowDays int) (policy.Coverage, Cost, error) {
	cov := policy.Coverage{WindowDays: windowDays}
	var cost Cost
	since := r.Now().Add(-time.Duration(windowDays) * 24 * time.Hour)
	in := &dynamodb.QueryInput{
		TableName:              aws.String(r.table),
		KeyConditionExpression: aws.String("#p = :p"),
		// The filter saves transfer, not read units: DynamoDB charges for
		// the items it reads before filtering and projecting.
		FilterExpression:         aws.String("#s >= :since"),
		ProjectionExpression:     aws.String("#s, #f, #k"),
		ExpressionAttributeNames: map[string]string{"#p": attrPool, "#s": attrLastSeen, "#f": attrFactors, "#k": attrPasskey},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p":     &types.AttributeValueMemberS{Value: poolID},
			":since": &types.AttributeValueMemberN{Value: strconv.FormatInt(since.Unix(), 10)},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	for {
		if err := r.pace.Wait(ctx); err != nil {
			return cov, cost, fmt.Errorf("read coverage of %s: %w", poolID, err)
		}
		out, err := r.api.Query(ctx, in)
		if err != nil {
			return cov, cost, fmt.Errorf("read coverage of %s from %s: %w", poolID, r.table, err)
		}
		units := pageUnits(out)
		r.pace.Spend(units)
		cost.Pages++
		cost.Items += int(out.ScannedCount)
		cost.ReadUnits += units
		for _, it := range out.Items {
			u, seen, err := user(it)
			if err != nil {
				return cov, cost, fmt.Errorf("read coverage of %s: %w", poolID, err)
			}
			if !seen.Before(since) { // the filter's own condition, in case a store ignores it
				cov.Count(u)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return cov, cost, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// itemBytes is a ledger item's size as DynamoDB counts it (names and
// values), about 150 bytes; it estimates a page's cost when DynamoDB does
// not report it.
const itemBytes = 150

// pageUnits is what a page cost: DynamoDB's ConsumedCapacity, else an
// eventually consistent read's half unit per 4 KB read.
func pageUnits(out *dynamodb.QueryOutput) float64 {
	if out.ConsumedCapacity != nil && out.ConsumedCapacity.CapacityUnits != nil {
		return *out.ConsumedCapacity.CapacityUnits
	}
	return math.Ceil(float64(out.ScannedCount)*itemBytes/4096) / 2
}
