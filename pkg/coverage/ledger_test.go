package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// window is how long the tests' items live: the default policy's.
var window = WindowOf(policy.Default())

type fakeTable = fakes.Ledger

func str(v types.AttributeValue) string { return fakes.S(v) }

func TestRecordWritesOneItemWithoutNames(t *testing.T) {
	f := &fakeTable{}
	l := NewLedger(f, "ledger")
	u := policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken, policy.SMS}, Preferred: policy.SoftwareToken, PasskeyMFA: true}
	if err := l.Record(context.Background(), "us-east-1_A", "sub-1", u, t0, window); err != nil {
		t.Fatal(err)
	}
	if f.Puts != 1 || len(f.Items) != 1 {
		t.Fatalf("%d PutItem calls, %d items; want 1 and 1", f.Puts, len(f.Items))
	}
	it := f.Items["us-east-1_A/sub-1"]
	want := map[string]string{
		attrPool: "us-east-1_A", attrSub: "sub-1", attrPreferred: "softwareToken",
		attrLastSeen: strconv.FormatInt(t0.Unix(), 10), attrExpires: strconv.FormatInt(t0.Add(30*24*time.Hour).Unix(), 10),
	}
	for k, v := range want {
		got := str(it[k])
		if n, ok := it[k].(*types.AttributeValueMemberN); ok {
			got = n.Value
		}
		if got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(it) != 7 {
		t.Errorf("item has %d attributes, want 7 (nothing that names the user): %v", len(it), it)
	}
	back, seen, err := user(it)
	if err != nil || !seen.Equal(t0) || len(back.Enabled) != 2 || !back.PasskeyMFA {
		t.Errorf("read back %+v %v %v", back, seen, err)
	}
}

func TestRecordNilAndErrors(t *testing.T) {
	var l *Ledger
	if err := l.Record(context.Background(), "p_1", "s", policy.UserMFA{}, t0, window); err != nil {
		t.Errorf("nil ledger: %v", err)
	}
	if NewLedger(&fakeTable{}, "") != nil {
		t.Error("no table, yet a ledger")
	}
	f := &fakeTable{Err: errors.New("boom")}
	l = NewLedger(f, "ledger")
	if err := l.Record(context.Background(), "p_1", "s", policy.UserMFA{}, t0, window); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("write error: %v", err)
	}
	if err := l.Record(context.Background(), "p_1", "", policy.UserMFA{}, t0, window); err == nil {
		t.Error("a user without a sub was recorded")
	}
}

func TestWindowOf(t *testing.T) {
	p, err := policy.Load(`{"version": 2, "default": "a", "profiles": {"a": {}, "b": {"users": {"coverageWindowDays": 90}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := WindowOf(p); got != 90*24*time.Hour {
		t.Errorf("WindowOf = %v, want the longest profile's 90 days", got)
	}
	if got := WindowOf(policy.Default()); got != 30*24*time.Hour {
		t.Errorf("WindowOf(default) = %v", got)
	}
}

// TestReadCounts: the arithmetic over pages, the window's edge and the
// query's shape.
func TestReadCounts(t *testing.T) {
	type seenUser struct {
		daysAgo float64
		u       policy.UserMFA
	}
	totp := policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}}
	sms := policy.UserMFA{Enabled: []policy.Factor{policy.SMS}}
	none := policy.UserMFA{}
	cases := []struct {
		name   string
		users  []seenUser
		window int
		page   int
		active int
		with   int
		ratio  float64
	}{
		{"empty pool", nil, 30, 10, 0, 0, -1},
		{"all with MFA", []seenUser{{1, totp}, {2, sms}}, 30, 10, 2, 2, 1},
		{"40 percent over pages", []seenUser{{1, totp}, {1, none}, {2, none}, {3, sms}, {4, none}}, 30, 2, 5, 2, 0.4},
		{"old users not counted", []seenUser{{1, totp}, {31, none}, {29.9, none}, {400, none}}, 30, 3, 2, 1, 0.5},
		{"exactly at the window", []seenUser{{7, none}, {7.001, totp}}, 7, 1, 1, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTable{PageSize: tc.page}
			l := &Ledger{API: f, Table: "ledger"}
			for i, su := range tc.users {
				seen := t0.Add(-time.Duration(su.daysAgo * float64(24*time.Hour)))
				if err := l.Record(context.Background(), "eu-west-1_P", fmt.Sprintf("sub-%03d", i), su.u, seen, 400*24*time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			// Another pool's users are never counted.
			_ = l.Record(context.Background(), "eu-west-1_Q", "other", totp, t0, window)
			r := NewReader(f, "ledger", DefaultUnitsPerSecond)
			r.Now = func() time.Time { return t0 }
			c, cost, err := r.Read(context.Background(), "eu-west-1_P", tc.window)
			if err != nil {
				t.Fatal(err)
			}
			if c.ActiveUsers != tc.active || c.WithMFA != tc.with || c.WindowDays != tc.window {
				t.Errorf("coverage = %+v, want %d active, %d with MFA", c, tc.active, tc.with)
			}
			if (tc.ratio < 0) != (c.Ratio == nil) || c.Ratio != nil && *c.Ratio != tc.ratio {
				t.Errorf("ratio = %v, want %v", c.Ratio, tc.ratio)
			}
			wantPages := max(1, (len(tc.users)+tc.page-1)/tc.page)
			if cost.Pages != wantPages || cost.Items != len(tc.users) || len(f.Queries) != wantPages {
				t.Errorf("cost %+v, %d queries; want %d pages of %d items", cost, len(f.Queries), wantPages, len(tc.users))
			}
			q := f.Queries[0]
			if aws.ToString(q.ProjectionExpression) != "#s, #f, #k" || q.ReturnConsumedCapacity != types.ReturnConsumedCapacityTotal || aws.ToBool(q.ConsistentRead) {
				t.Errorf("query %+v: want a projection of three attributes, eventually consistent, with its cost", q)
			}
		})
	}
}

func TestReadRefusesUnreadableItems(t *testing.T) {
	f := &fakeTable{PageSize: 10, Items: map[string]map[string]types.AttributeValue{
		"p_1/a": {attrPool: &types.AttributeValueMemberS{Value: "p_1"}, attrSub: &types.AttributeValueMemberS{Value: "a"},
			attrLastSeen: &types.AttributeValueMemberN{Value: strconv.FormatInt(t0.Unix(), 10)},
			attrFactors:  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "carrierPigeon"}}}},
	}}
	r := NewReader(f, "ledger", DefaultUnitsPerSecond)
	r.Now = func() time.Time { return t0 }
	if _, _, err := r.Read(context.Background(), "p_1", 30); err == nil || !strings.Contains(err.Error(), "not a factor") {
		t.Errorf("unreadable item: %v (never count it as a user without MFA)", err)
	}
	f.Err = errors.New("throttled")
	if _, _, err := r.Read(context.Background(), "p_1", 30); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("query error: %v", err)
	}
}

func TestPageUnits(t *testing.T) {
	if got := pageUnits(&dynamodb.QueryOutput{ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(12.5)}}); got != 12.5 {
		t.Errorf("reported units: %v", got)
	}
	// 7,000 items of 150 bytes: 1,025,391 bytes, 257 blocks of 4 KB, half a unit each.
	if got := pageUnits(&dynamodb.QueryOutput{ScannedCount: 7000}); got != 128.5 {
		t.Errorf("estimated units: %v", got)
	}
}

func TestCoverageJSON(t *testing.T) {
	var c policy.Coverage
	c.WindowDays = 30
	c.Count(policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}})
	c.Count(policy.UserMFA{})
	b, _ := json.Marshal(c)
	for _, k := range []string{`"activeUsers":2`, `"withMfa":1`, `"ratio":0.5`, `"windowDays":30`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
}
