package coverage

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

var bed testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	bed.Stop()
	localinvoke.RemoveBuilds()
	os.Exit(code)
}

// ledgerOnMoto creates a coverage table in moto and returns a client.
func ledgerOnMoto(t testing.TB, table string) *dynamodb.Client {
	t.Helper()
	m := bed.Get(t)
	ctx := context.Background()
	if err := m.CoverageTable(ctx, table); err != nil {
		t.Fatal(err)
	}
	db, err := m.DynamoDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestLedgerOnMoto: what the writer puts, DynamoDB's Query (key
// condition, filter, projection) reads back as coverage; old users wait
// for TTL but are not counted.
func TestLedgerOnMoto(t *testing.T) {
	db := ledgerOnMoto(t, "coverage-moto")
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	l := NewLedger(db, "coverage-moto")
	totp := policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken}
	for i := range 10 {
		u := policy.UserMFA{}
		if i < 4 {
			u = totp
		}
		if err := l.Record(ctx, "us-east-1_Forty", fmt.Sprintf("sub-%d", i), u, now.Add(-time.Duration(i)*time.Hour), window); err != nil {
			t.Fatal(err)
		}
	}
	// Seen 40 days ago: outside the 30-day window, its item not yet deleted.
	if err := l.Record(ctx, "us-east-1_Forty", "sub-old", policy.UserMFA{}, now.Add(-40*24*time.Hour), window); err != nil {
		t.Fatal(err)
	}
	// The same user again: one item, the latest state.
	if err := l.Record(ctx, "us-east-1_Forty", "sub-9", policy.UserMFA{}, now, window); err != nil {
		t.Fatal(err)
	}
	r := NewReader(db, "coverage-moto", 0)
	c, cost, err := r.Read(ctx, "us-east-1_Forty", 30)
	if err != nil {
		t.Fatal(err)
	}
	if c.ActiveUsers != 10 || c.WithMFA != 4 || c.Ratio == nil || *c.Ratio != 0.4 || c.Factors.SoftwareToken != 4 {
		t.Errorf("coverage = %+v, want 4 of 10", c)
	}
	if cost.Items != 11 {
		t.Errorf("read %d items, want 11 (the old one is read and paid for, not counted)", cost.Items)
	}
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("coverage-moto")})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		for name := range it {
			switch name {
			case attrPool, attrSub, attrFactors, attrPreferred, attrPasskey, attrLastSeen, attrExpires:
			default:
				t.Errorf("item holds %s", name)
			}
		}
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("coverage-moto")})
	if err != nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != attrExpires || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL %+v %v", ttl, err)
	}
}
