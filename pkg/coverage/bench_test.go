package coverage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// benchUsers is the scaled-down pool: 20,000 active users, 1/50 of the
// 1,000,000 the README's arithmetic is for.
const benchUsers = 20000

// BenchmarkPoolCoverage reads one pool of benchUsers from the ledger on
// moto: the reader (filter, projection, counting, pacing at the default
// rate) against a floor measured side by side, a paginated Select COUNT
// of the same items (the least a full read of the pool can do). It
// reports items/s and the reader's time as a ratio of the floor's.
func BenchmarkPoolCoverage(b *testing.B) {
	db := ledgerOnMoto(b, "coverage-bench")
	ctx := context.Background()
	const pool = "us-east-1_Bench"
	now := time.Now()
	for start := 0; start < benchUsers; start += 25 {
		var reqs []types.WriteRequest
		for i := start; i < min(start+25, benchUsers); i++ {
			u := policy.UserMFA{}
			if i%5 < 2 { // 40% with MFA
				u = policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken}
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{
				Item: item(pool, fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), u, now.Add(-time.Duration(i)*time.Second), 30*24*time.Hour)}})
		}
		if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"coverage-bench": reqs}}); err != nil {
			b.Fatal(err)
		}
	}
	floor := func() (int, int) {
		in := &dynamodb.QueryInput{TableName: aws.String("coverage-bench"), KeyConditionExpression: aws.String("poolId = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: pool}}, Select: types.SelectCount}
		n, pages := 0, 0
		for {
			out, err := db.Query(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			n, pages = n+int(out.Count), pages+1
			if len(out.LastEvaluatedKey) == 0 {
				return n, pages
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	r := NewReader(db, "coverage-bench", DefaultUnitsPerSecond)
	var floorTime, readTime time.Duration
	var cost Cost
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		n, pages := floor()
		floorTime += time.Since(t)
		if n != benchUsers {
			b.Fatalf("floor counted %d items in %d pages", n, pages)
		}
		t = time.Now()
		c, cst, err := r.Read(ctx, pool, 30)
		readTime += time.Since(t)
		if err != nil || c.ActiveUsers != benchUsers || c.WithMFA != benchUsers*2/5 {
			b.Fatalf("coverage %+v, %v", c, err)
		}
		cost = cst
	}
	b.ReportMetric(float64(benchUsers)*float64(b.N)/readTime.Seconds(), "items/s")
	b.ReportMetric(readTime.Seconds()/floorTime.Seconds(), "x-count-floor")
	b.ReportMetric(float64(cost.Pages), "pages")
	b.ReportMetric(cost.ReadUnits, "RCU")
}
