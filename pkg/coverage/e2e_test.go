package coverage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cipt "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

const root = "../.."

// signedIn is one user who signed in: name, sub, whether with TOTP.
type signedIn struct {
	pool, name, sub string
	totp            bool
}

// createUser creates a user, with TOTP registered or without any factor,
// and returns it with its sub.
func createUser(t *testing.T, m *testbed.Moto, c *cip.Client, pool, name string, totp bool) signedIn {
	t.Helper()
	ctx := context.Background()
	if totp {
		if _, err := m.TOTPUser(ctx, pool, name); err != nil {
			t.Fatal(err)
		}
		// Registered, then turned on as the user's MFA (without a preference).
		if _, err := c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &pool, Username: &name,
			SoftwareTokenMfaSettings: &cipt.SoftwareTokenMfaSettingsType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
	} else if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: &name}); err != nil {
		t.Fatal(err)
	}
	out, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &pool, Username: &name})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return signedIn{pool: pool, name: name, sub: aws.ToString(a.Value), totp: totp}
		}
	}
	t.Fatalf("%s has no sub", name)
	return signedIn{}
}

// sqsEvent is the SQS event the sign-in queue delivers for users' completed sign-ins.
func sqsEvent(users []signedIn, at time.Time) events.SQSEvent {
	var ev events.SQSEvent
	for i, u := range users {
		body, _ := json.Marshal(signinmsg.New(u.pool, u.name, u.sub, signinmsg.PostAuthentication, at, testbed.Account, testbed.Region))
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m-%d", i), Body: string(body), EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:local-SignInQueue", AWSRegion: testbed.Region})
	}
	return ev
}

// sqsBatch is sqsEvent as the function receives it.
func sqsBatch(t *testing.T, users []signedIn, at time.Time) []byte {
	t.Helper()
	b, _ := json.Marshal(sqsEvent(users, at))
	return b
}

// TestCoverageEndToEnd: users with and without MFA sign in; the built
// SignInCheckFunction, in report mode, fills the ledger (no username, one
// item per user) and changes no user; a user last seen before the window
// is in the table but not counted; the built SweepFunction reports each
// pool's coverage, the totals, and MFA_COVERAGE_BELOW_POLICY for the pool
// at 40% with a minimum of 50%.
func TestCoverageEndToEnd(t *testing.T) {
	m := bed.Get(t)
	ctx := context.Background()
	c, err := m.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forty, err := m.CreatePool(ctx, "coverage-forty", nil, "OPTIONAL", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	full, err := m.CreatePool(ctx, "coverage-full", nil, "ON", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	var users []signedIn
	for i := range 5 {
		users = append(users, createUser(t, m, c, forty, fmt.Sprintf("forty-user-%d", i), i < 2))
	}
	for i := range 2 {
		users = append(users, createUser(t, m, c, full, fmt.Sprintf("full-user-%d", i), true))
	}
	before := map[string]testbed.UserMFA{}
	for _, u := range users {
		if before[u.name], err = m.GetUserMFA(ctx, u.pool, u.name); err != nil {
			t.Fatal(err)
		}
	}
	bus, err := m.FindingsBus(ctx, "coverage-findings")
	if err != nil {
		t.Fatal(err)
	}
	const doc = `{"mode":"report","users":{"minimumCoverage":0.5}}`
	params := map[string]string{"PolicyDocument": doc, "ExistingFindingsBusName": bus.Name}

	check := localinvoke.StartForTest(t, root, "SignInCheckFunction", params, m.Env())
	res, err := check.Invoke(ctx, sqsBatch(t, users, time.Now()))
	if err != nil || res.Err != nil || strings.Contains(string(res.Payload), "itemIdentifier") {
		t.Fatalf("sign-in check: %v %v %s\n%s", err, res.Err, res.Payload, check.Logs())
	}

	// The ledger: one item per user, keyed by sub; nothing names the user.
	db, err := m.DynamoDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subs := map[string]bool{}
	for _, pool := range []string{forty, full} {
		for sub, it := range ledgerItems(t, m, pool) {
			subs[sub] = true
			raw := fmt.Sprint(it)
			for _, u := range users {
				if strings.Contains(raw, u.name) || strings.Contains(raw, "+1555") {
					t.Errorf("ledger item %s names a user", raw)
				}
			}
		}
	}
	for _, u := range users {
		if !subs[u.sub] {
			t.Errorf("no ledger item for %s (sub %s)", u.name, u.sub)
		}
	}
	if len(subs) != len(users) {
		t.Errorf("%d ledger items for %d users", len(subs), len(users))
	}
	// Report mode: no user was changed.
	for _, u := range users {
		after, err := m.GetUserMFA(ctx, u.pool, u.name)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(after) != fmt.Sprint(before[u.name]) {
			t.Errorf("report mode changed %s: %+v -> %+v", u.name, before[u.name], after)
		}
	}
	// A user last seen 40 days ago, before the 30-day window: the item
	// waits for TTL deletion but is not counted.
	old := &Ledger{API: db, Table: testbed.LedgerTable}
	if err := old.Record(ctx, forty, "5d0a0c36-0000-4000-8000-0000000000aa", policy.UserMFA{}, time.Now().Add(-40*24*time.Hour), 60*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Drain(ctx); err != nil {
		t.Fatal(err)
	}

	sweep := localinvoke.StartForTest(t, root, "SweepFunction", params, append(m.Env(), "MAX_READS_PER_SECOND=15"))
	res, err = sweep.Invoke(ctx, []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	if err != nil || res.Err != nil {
		t.Fatalf("sweep: %v %v\n%s", err, res.Err, sweep.Logs())
	}
	type poolCoverage struct {
		PoolID     string             `json:"poolId"`
		Status     string             `json:"status"`
		Violations []policy.Violation `json:"violations"`
		Coverage   *policy.Coverage   `json:"coverage"`
	}
	var rep struct {
		Coverage *struct {
			ActiveUsers, WithMFA, Pools, BelowPolicy int
			Cost                                     Cost
		} `json:"coverage"`
		Notes []string
		Pools []poolCoverage
	}
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Coverage == nil || rep.Coverage.ActiveUsers != 7 || rep.Coverage.WithMFA != 4 || rep.Coverage.BelowPolicy != 1 || rep.Coverage.Cost.Items < 8 {
		t.Fatalf("sweep coverage %+v (want 4 of 7 active users, one pool below), notes %v\n%s", rep.Coverage, rep.Notes, res.Payload)
	}
	i := slices.IndexFunc(rep.Pools, func(p poolCoverage) bool { return p.PoolID == forty })
	if i < 0 || rep.Pools[i].Status != "drift" ||
		!slices.ContainsFunc(rep.Pools[i].Violations, func(v policy.Violation) bool { return v.Code == policy.CodeCoverageBelowPolicy }) {
		t.Fatalf("the pool at 40%%: %+v", rep.Pools)
	}
	// The finding on the bus carries the pool's coverage.
	evs, err := bus.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		var f poolCoverage
		if json.Unmarshal(e.Detail, &f) == nil && f.PoolID == forty && f.Coverage != nil {
			r := *f.Coverage.Ratio
			found = f.Coverage.ActiveUsers == 5 && f.Coverage.WithMFA == 2 && r == 0.4 && f.Coverage.WindowDays == 30
		}
	}
	if !found {
		t.Errorf("no finding with the pool's coverage among %d events", len(evs))
	}
}

// ledgerItems is the ledger's items of pool, by sub.
func ledgerItems(t *testing.T, m *testbed.Moto, pool string) map[string]map[string]types.AttributeValue {
	t.Helper()
	db, err := m.DynamoDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(testbed.LedgerTable)})
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]map[string]types.AttributeValue{}
	for _, it := range out.Items {
		if it[attrPool].(*types.AttributeValueMemberS).Value == pool {
			items[it[attrSub].(*types.AttributeValueMemberS).Value] = it
		}
	}
	return items
}

func epochOf(t *testing.T, v types.AttributeValue) time.Time {
	t.Helper()
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	var s int64
	if _, err := fmt.Sscan(n.Value, &s); err != nil {
		t.Fatal(err)
	}
	return time.Unix(s, 0)
}

// TestForgedSignInsChangeNoCoverage (G1): after the ten users of a pool
// (one with MFA) sign in, messages naming the MFA user under made-up subs
// and dated 2999, a real user dated 2020, a user and a pool that do not
// exist go to the built SignInCheckFunction: the forged subs are refused
// and counted, nothing lands in the future, the 2020 date becomes the
// processing time, no item names the missing user or pool, and the built
// SweepFunction still reports 1 of 10 users with MFA.
func TestForgedSignInsChangeNoCoverage(t *testing.T) {
	m := bed.Get(t)
	ctx := context.Background()
	c, err := m.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := m.CreatePool(ctx, "coverage-forged", nil, "OPTIONAL", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	var users []signedIn
	for i := range 10 {
		users = append(users, createUser(t, m, c, pool, fmt.Sprintf("forged-user-%d", i), i == 0))
	}
	params := map[string]string{"PolicyDocument": `{"mode":"report","users":{"minimumCoverage":0.5}}`}
	check := localinvoke.StartForTest(t, root, "SignInCheckFunction", params, m.Env())
	start := time.Now().Truncate(time.Second)
	if res, err := check.Invoke(ctx, sqsBatch(t, users, start)); err != nil || res.Err != nil || strings.Contains(string(res.Payload), "itemIdentifier") {
		t.Fatalf("sign-ins: %v %v %s\n%s", err, res.Err, res.Payload, check.Logs())
	}

	var forged []signedIn
	for i := range 7 {
		forged = append(forged, signedIn{pool: pool, name: users[0].name, sub: fmt.Sprintf("5d0a0c36-0000-4000-8000-%012d", i)})
	}
	forged = append(forged, signedIn{pool: pool, name: "nobody", sub: "5d0a0c36-0000-4000-8000-0000000000bb"},
		signedIn{pool: testbed.Region + "_NoSuchPool", name: users[1].name, sub: users[1].sub})
	ev := sqsEvent(forged, time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC))
	old := sqsEvent(users[1:2], time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	old.Records[0].MessageId = "m-old"
	ev.Records = append(ev.Records, old.Records[0])
	batch, _ := json.Marshal(ev)
	res, err := check.Invoke(ctx, batch)
	if err != nil || res.Err != nil || strings.Contains(string(res.Payload), "itemIdentifier") {
		t.Fatalf("forged batch: %v %v %s\n%s", err, res.Err, res.Payload, check.Logs())
	}
	if n := strings.Count(check.LogsWhen(`"SignInMessagesRefused":1`, 7), `"SignInMessagesRefused":1`); n != 7 {
		t.Errorf("%d refusals counted, want 7\n%s", n, check.Logs())
	}

	items := ledgerItems(t, m, pool)
	if len(items) != 10 {
		t.Errorf("%d ledger items, want the 10 users", len(items))
	}
	for _, u := range users {
		it, ok := items[u.sub]
		if !ok {
			t.Errorf("no item for %s", u.name)
			continue
		}
		seen, expires := epochOf(t, it[attrLastSeen]), epochOf(t, it[attrExpires])
		if seen.Before(start) || seen.After(time.Now()) || expires.After(time.Now().Add(31*24*time.Hour)) {
			t.Errorf("%s: last seen %s, expires %s", u.name, seen, expires)
		}
	}
	if got := ledgerItems(t, m, testbed.Region+"_NoSuchPool"); len(got) != 0 {
		t.Errorf("items for a pool that does not exist: %v", got)
	}

	sweep := localinvoke.StartForTest(t, root, "SweepFunction", params, m.Env())
	res, err = sweep.Invoke(ctx, []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	if err != nil || res.Err != nil {
		t.Fatalf("sweep: %v %v\n%s", err, res.Err, sweep.Logs())
	}
	var rep struct {
		Pools []struct {
			PoolID     string             `json:"poolId"`
			Violations []policy.Violation `json:"violations"`
		}
	}
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, p := range rep.Pools {
		for _, v := range p.Violations {
			if p.PoolID == pool && v.Code == policy.CodeCoverageBelowPolicy {
				said = append(said, v.Text)
			}
		}
	}
	if len(said) != 1 || !strings.HasPrefix(said[0], "1 of 10 users active") {
		t.Errorf("the pool's coverage after forged sign-ins: %q\n%s", said, res.Payload)
	}
}

// TestMissingLedgerTable (G3): with its ledger table gone, the built
// SignInCheckFunction returns each message to the queue, logs the failure
// and counts it in CoverageLedgerWriteFailed (alarmed: see the template
// tests); once such sign-ins wait in the dead-letter queue, the built
// SweepFunction says its coverage may count too few users.
func TestMissingLedgerTable(t *testing.T) {
	m := bed.Get(t)
	ctx := context.Background()
	c, err := m.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := m.CreatePool(ctx, "coverage-no-table", nil, "ON", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	users := []signedIn{createUser(t, m, c, pool, "no-table-user", true)}
	params := map[string]string{"PolicyDocument": `{"mode":"report"}`, "CoverageTable": "no-such-table"}
	check := localinvoke.StartForTest(t, root, "SignInCheckFunction", params, m.Env())
	ev := sqsEvent(users, time.Now())
	batch, _ := json.Marshal(ev)
	res, err := check.Invoke(ctx, batch)
	if err != nil || res.Err != nil {
		t.Fatalf("sign-in check: %v %v\n%s", err, res.Err, check.Logs())
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 1 {
		t.Errorf("answered %s: want the message returned to the queue", res.Payload)
	}
	if logs := check.LogsWhen(`"CoverageLedgerWriteFailed":1`, 1); !strings.Contains(logs, `"CoverageLedgerWriteFailed":1`) || !strings.Contains(logs, `"outcome":"ledger-failed"`) {
		t.Errorf("the failure is not logged and counted:\n%s", logs)
	}

	// After five receives the queue moves the message to its dead-letter queue.
	dlq, err := m.Queue(ctx, testbed.SignInDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	if err := dlq.Send(ctx, ev.Records[0].Body); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dlq.Purge(context.Background()) })
	sweep := localinvoke.StartForTest(t, root, "SweepFunction", map[string]string{"PolicyDocument": `{"mode":"report"}`}, m.Env())
	res, err = sweep.Invoke(ctx, []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	if err != nil || res.Err != nil {
		t.Fatalf("sweep: %v %v\n%s", err, res.Err, sweep.Logs())
	}
	var rep struct {
		Coverage *struct{ Unrecorded int } `json:"coverage"`
		Notes    []string
	}
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Coverage == nil || rep.Coverage.Unrecorded != 1 || !slices.ContainsFunc(rep.Notes, func(n string) bool {
		return strings.Contains(n, "(in the sign-in dead-letter queue): 1;")
	}) {
		t.Errorf("the sweep does not say its coverage may be short: %s", res.Payload)
	}
}
