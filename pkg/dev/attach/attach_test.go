package attach

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

var moto testbed.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

const (
	enforcer      = "arn:aws:lambda:us-east-1:123456789012:function:mfa-enforcer-TriggerFunction-1A2B3C"
	other         = "arn:aws:lambda:us-east-1:123456789012:function:audit-PreAuthentication"
	preSignUp     = "arn:aws:lambda:us-east-1:123456789012:function:orders-PreSignUp"
	customMessage = "arn:aws:lambda:us-east-1:123456789012:function:orders-CustomMessage"
)

// Paths a round trip through moto may change without the pool changing:
// the date, and the validity days AWS refuses back beside
// TemporaryPasswordValidityDays (UpdateInput).
var roundTrip = []string{"LastModifiedDate", unusedDays}

// --- against moto --------------------------------------------------------------

// quick runs attach against moto at the whole of Cognito's quotas (the
// command uses DefaultShare).
func quick(t *testing.T, m *testbed.Moto, cfg Config) (Summary, string) {
	t.Helper()
	c, err := m.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Pacer, cfg.Backoff = pace.ForFunction(quota.Full, 1), fakes.QuickBackoff
	var out bytes.Buffer
	sum, err := Run(context.Background(), c, cfg, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return sum, out.String()
}

// onlyResult is the one pool's result of a run on one pool.
func onlyResult(t *testing.T, sum Summary, out string) Result {
	t.Helper()
	if len(sum.Results) != 1 {
		t.Fatalf("%d results, want 1:\n%s", len(sum.Results), out)
	}
	return sum.Results[0]
}

// rawPool reads a pool's DescribeUserPool answer as moto sends it, with a
// plain HTTP request: no model drops a member it does not know.
func rawPool(t *testing.T, m *testbed.Moto, id string) map[string]any {
	t.Helper()
	var doc struct{ UserPool map[string]any }
	if err := m.Call(context.Background(), &doc, "cognito-idp", "DescribeUserPool", map[string]string{"UserPoolId": id}); err != nil || doc.UserPool == nil {
		t.Fatalf("raw DescribeUserPool of %s: %v", id, err)
	}
	return doc.UserPool
}

// cliPool reads a pool with the AWS CLI: describe-user-pool's UserPool and
// get-user-pool-mfa-config.
func cliPool(t *testing.T, m *testbed.Moto, id string) (pool, mfa map[string]any) {
	t.Helper()
	var out struct{ UserPool map[string]any }
	if err := m.CLI(context.Background(), &out, "cognito-idp", "describe-user-pool", "--user-pool-id", id); err != nil {
		t.Fatal(err)
	}
	if err := m.CLI(context.Background(), &mfa, "cognito-idp", "get-user-pool-mfa-config", "--user-pool-id", id); err != nil {
		t.Fatal(err)
	}
	return out.UserPool, mfa
}

// without is a deep copy of a decoded JSON object without the dotted paths.
func without(doc map[string]any, paths ...string) map[string]any {
	b, _ := json.Marshal(doc)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	for _, p := range paths {
		keys := strings.Split(p, ".")
		m := out
		for _, k := range keys[:len(keys)-1] {
			if m, _ = m[k].(map[string]any); m == nil {
				break
			}
		}
		if m != nil {
			delete(m, keys[len(keys)-1])
		}
	}
	return out
}

// sameExcept fails unless two decoded JSON objects are equal but for paths.
func sameExcept(t *testing.T, what string, want, got map[string]any, paths ...string) {
	t.Helper()
	if w, g := without(want, paths...), without(got, paths...); !reflect.DeepEqual(w, g) {
		wb, _ := json.MarshalIndent(w, "", " ")
		gb, _ := json.MarshalIndent(g, "", " ")
		t.Errorf("%s changed:\nbefore %s\nafter  %s", what, wb, gb)
	}
}

func lambdaConfig(pool map[string]any) map[string]any {
	l, _ := pool["LambdaConfig"].(map[string]any)
	return l
}

// TestAttachDetachKeepsEverythingElse: on a pool with other triggers, a
// custom attribute, tags, SMS through Amazon SNS, verification messages,
// deletion protection, threat protection and MFA ON, attach sets the two
// triggers and changes nothing else the AWS CLI reads back; detach returns
// the pool to what it was.
func TestAttachDetachKeepsEverythingElse(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	// Created with the AWS CLI, an independent client that sends false
	// booleans as false.
	var created struct{ UserPool struct{ Id string } }
	if err := m.CLI(ctx, &created, "cognito-idp", "create-user-pool", "--cli-input-json", `{
		"PoolName": "orders-customers",
		"UsernameAttributes": ["email"],
		"AutoVerifiedAttributes": ["email"],
		"Schema": [{"Name": "department", "AttributeDataType": "String", "Mutable": true, "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "64"}}],
		"UserPoolTags": {"team": "orders", "cost-center": "4711"},
		"LambdaConfig": {"PreSignUp": "`+preSignUp+`", "CustomMessage": "`+customMessage+`",
			"PreTokenGeneration": "`+customMessage+`", "PreTokenGenerationConfig": {"LambdaArn": "`+customMessage+`", "LambdaVersion": "V2_0"},
			"CustomSMSSender": {"LambdaArn": "`+preSignUp+`", "LambdaVersion": "V1_0"},
			"KMSKeyID": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		"SmsConfiguration": {"SnsCallerArn": "`+testbed.SNSCallerARN+`", "ExternalId": "`+testbed.ExternalID+`", "SnsRegion": "us-east-1"},
		"SmsAuthenticationMessage": "Your orders sign-in code is {####}",
		"VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE", "EmailMessage": "Your orders code is {####}",
			"EmailSubject": "Confirm your orders account", "SmsMessage": "Orders code {####}"},
		"EmailConfiguration": {"EmailSendingAccount": "DEVELOPER", "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/orders@example.com",
			"From": "Orders <orders@example.com>", "ConfigurationSet": "orders-mail"},
		"DeletionProtection": "ACTIVE",
		"UserPoolTier": "PLUS",
		"UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED", "AdvancedSecurityAdditionalFlows": {"CustomAuthMode": "AUDIT"}},
		"Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true,
			"RequireSymbols": false, "TemporaryPasswordValidityDays": 3, "PasswordHistorySize": 5},
			"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]}},
		"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true, "InviteMessageTemplate": {"EmailSubject": "Welcome to orders",
			"EmailMessage": "{username}, your password is {####}", "SMSMessage": "{username} {####}"}},
		"AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
		"UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
		"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false}
	}`); err != nil {
		t.Fatal(err)
	}
	id := created.UserPool.Id
	if err := m.SetMFA(ctx, id, "ON", policy.SoftwareToken, policy.SMS); err != nil {
		t.Fatal(err)
	}
	pool, mfa := cliPool(t, m, id)
	raw := rawPool(t, m, id)

	sum, out := quick(t, m, Config{Action: Attach, ARN: enforcer, Pools: []string{id}, Apply: true})
	if r := onlyResult(t, sum, out); r.Outcome != Attached || r.Name != "orders-customers" {
		t.Fatalf("attach: %s", out)
	}
	attached, attachedMFA := cliPool(t, m, id)
	if l := lambdaConfig(attached); l["PreAuthentication"] != enforcer || l["PostAuthentication"] != enforcer || l["PreSignUp"] != preSignUp || l["CustomMessage"] != customMessage {
		t.Errorf("triggers after attach: %v", l)
	}
	triggers := []string{preAuthPath, postAuthPath}
	sameExcept(t, "describe-user-pool after attach", pool, attached, append(triggers, "LastModifiedDate")...)
	sameExcept(t, "get-user-pool-mfa-config after attach", mfa, attachedMFA)
	sameExcept(t, "the raw DescribeUserPool after attach", raw, rawPool(t, m, id), append(triggers, "LastModifiedDate")...)

	sum, out = quick(t, m, Config{Action: Detach, ARN: enforcer, Pools: []string{id}, Apply: true})
	if r := onlyResult(t, sum, out); r.Outcome != Detached || r.After != (Triggers{}) {
		t.Fatalf("detach: %s", out)
	}
	detached, detachedMFA := cliPool(t, m, id)
	sameExcept(t, "describe-user-pool after detach", pool, detached, "LastModifiedDate")
	sameExcept(t, "get-user-pool-mfa-config after detach", mfa, detachedMFA)
	sameExcept(t, "the raw DescribeUserPool after detach", raw, rawPool(t, m, id), "LastModifiedDate")
}

// TestEndUserMessagingSMSSurvives: a pool whose SMS goes through AWS End
// User Messaging (SmsConfiguration.EumsSms, which the AWS CLI here does not
// know) keeps it, read raw, through attach and detach.
func TestEndUserMessagingSMSSurvives(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	c, err := m.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("eums-sms"),
		SmsConfiguration: &types.SmsConfigurationType{EumsSms: testbed.EumsSMS},
		LambdaConfig:     &types.LambdaConfigType{PreSignUp: aws.String(preSignUp)},
		UserPoolTags:     map[string]string{"team": "messaging"}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UserPool.Id)
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: &id, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String(testbed.SMSMessage),
			SmsConfiguration: &types.SmsConfigurationType{EumsSms: testbed.EumsSMS}}}); err != nil {
		t.Fatal(err)
	}
	raw := rawPool(t, m, id)
	b, _ := json.Marshal(types.SmsConfigurationType{EumsSms: testbed.EumsSMS})
	var want any
	_ = json.Unmarshal(b, &want)
	if !reflect.DeepEqual(raw["SmsConfiguration"], pruned(want)) {
		t.Fatalf("the test pool's SmsConfiguration is %v, want %v", raw["SmsConfiguration"], pruned(want))
	}
	mfa, err := m.RawMFA(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	for _, step := range []struct {
		action   Action
		outcome  Outcome
		triggers []string // paths that differ from the original pool
	}{
		{Attach, Attached, []string{preAuthPath, postAuthPath}},
		{Detach, Detached, nil},
	} {
		sum, out := quick(t, m, Config{Action: step.action, ARN: enforcer, Pools: []string{id}, Apply: true})
		if r := onlyResult(t, sum, out); r.Outcome != step.outcome {
			t.Fatalf("%s: %s", step.action, out)
		}
		sameExcept(t, "the raw DescribeUserPool after "+string(step.action), raw, rawPool(t, m, id), append(step.triggers, roundTrip...)...)
		after, err := m.RawMFA(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(mfa, after) {
			t.Errorf("GetUserPoolMfaConfig after %s: %v, was %v", step.action, after, mfa)
		}
		sdk, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if got := sdk.UserPool.SmsConfiguration; got == nil || !reflect.DeepEqual(got.EumsSms, testbed.EumsSMS) {
			t.Errorf("the SDK reads SmsConfiguration %+v after %s", got, step.action)
		}
	}
}

// updates is how many UserPoolUpdate calls (UpdateUserPool) moto answered
// since the last m.Throttle(0).
func updates(t *testing.T, m *testbed.Moto) int64 {
	t.Helper()
	counts, err := m.QuotaCounts()
	if err != nil {
		t.Fatal(err)
	}
	return counts[quota.UserPoolUpdate].Calls
}

// TestReportModeWritesNothing: without -apply the pool is read, the change
// is printed, and nothing is written.
func TestReportModeWritesNothing(t *testing.T) {
	m := moto.Get(t)
	id, err := m.CreatePool(context.Background(), "report-only", map[string]string{"team": "billing"}, "ON", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	before := rawPool(t, m, id)
	for _, action := range []Action{Attach, Detach} {
		if err := m.Throttle(0); err != nil {
			t.Fatal(err)
		}
		sum, out := quick(t, m, Config{Action: action, ARN: enforcer, Pools: []string{id}})
		r := onlyResult(t, sum, out)
		switch {
		case action == Attach && (r.Outcome != WouldAttach || r.After != Triggers{enforcer, enforcer}):
			t.Errorf("attach in report mode: %s", out)
		case action == Detach && r.Outcome != Unchanged:
			t.Errorf("detach from a pool without the trigger: %s", out)
		case !strings.Contains(out, "report mode, nothing written"):
			t.Errorf("the summary does not say nothing was written:\n%s", out)
		}
		if n := updates(t, m); n != 0 {
			t.Errorf("%s in report mode made %d UserPoolUpdate calls", action, n)
		}
		sameExcept(t, "the pool after report mode", before, rawPool(t, m, id))
	}
}

// TestSecondApplyIsUnchanged: a pool already in the desired state is
// reported unchanged and not written.
func TestSecondApplyIsUnchanged(t *testing.T) {
	m := moto.Get(t)
	id, err := m.CreatePool(context.Background(), "twice", nil, "OPTIONAL", policy.SoftwareToken)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Outcome{Attached, Unchanged} {
		if err := m.Throttle(0); err != nil {
			t.Fatal(err)
		}
		before := rawPool(t, m, id)
		sum, out := quick(t, m, Config{Action: Attach, ARN: enforcer, Pools: []string{id}, Apply: true})
		if r := onlyResult(t, sum, out); r.Outcome != want {
			t.Fatalf("apply %d: %s", i+1, out)
		}
		if n, wantN := updates(t, m), int64(1-i); n != wantN {
			t.Errorf("apply %d made %d UserPoolUpdate calls, want %d", i+1, n, wantN)
		}
		if want == Unchanged {
			sameExcept(t, "the pool after the second apply", before, rawPool(t, m, id))
		}
	}
}

// TestAnotherFunctionsTriggerRefused: a pool whose PreAuthentication is
// another function is refused (exit 1) and not written; detaching leaves
// that function alone.
func TestAnotherFunctionsTriggerRefused(t *testing.T) {
	m := moto.Get(t)
	ctx := context.Background()
	c, err := m.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("audited"),
		LambdaConfig: &types.LambdaConfigType{PreAuthentication: aws.String(other)}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UserPool.Id)
	before := rawPool(t, m, id)
	if err := m.Throttle(0); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Command(ctx, []string{"-attach", enforcer, "-pools", id, "-apply"}, &stdout, &stderr,
		func(context.Context) (API, error) { return c, nil })
	if code != 1 || !strings.Contains(stdout.String(), "refused: PreAuthentication is another function's trigger ("+other+"), not overwritten") {
		t.Errorf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	if n := updates(t, m); n != 0 {
		t.Errorf("a refused pool got %d UserPoolUpdate calls", n)
	}
	sameExcept(t, "the refused pool", before, rawPool(t, m, id))

	sum, out := quick(t, m, Config{Action: Detach, ARN: enforcer, Pools: []string{id}, Apply: true})
	if r := onlyResult(t, sum, out); r.Outcome != Unchanged || r.After.PreAuthentication != other {
		t.Errorf("detach: %s", out)
	}
	sameExcept(t, "the pool after detach", before, rawPool(t, m, id))
}

// TestAllPools: -all pages ListUserPools and handles every pool of the
// account and Region.
func TestAllPools(t *testing.T) {
	m := moto.Get(t)
	ids, err := m.Seed(context.Background(), []testbed.PoolSpec{{Name: "all-a"}, {Name: "all-b", Level: "ON", Factors: []policy.Factor{policy.SoftwareToken}}, {Name: "all-c"}})
	if err != nil {
		t.Fatal(err)
	}
	var listed struct{ UserPools []struct{ Id string } }
	if err := m.CLI(context.Background(), &listed, "cognito-idp", "list-user-pools", "--max-results", "60"); err != nil {
		t.Fatal(err)
	}
	sum, out := quick(t, m, Config{Action: Attach, ARN: enforcer, All: true, Apply: true})
	if len(sum.Results) != len(listed.UserPools) {
		t.Errorf("%d pools handled, the account has %d:\n%s", len(sum.Results), len(listed.UserPools), out)
	}
	for _, id := range ids {
		if !strings.Contains(out, id+"  \"all-") || lambdaConfig(rawPool(t, m, id))["PostAuthentication"] != enforcer {
			t.Errorf("pool %s not attached:\n%s", id, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; len(lines) != len(sum.Results)+1 || !strings.HasPrefix(last, "summary: attach "+enforcer+" on "+fmt.Sprint(len(sum.Results))+" pools") {
		t.Errorf("not one line per pool and a summary:\n%s", out)
	}
}

// --- unit tests, against a fake ---------------------------------------------------

// fakeAPI answers DescribeUserPool from raw JSON bodies, parsed by the SDK's
// types as the SDK would (members they lack are dropped), applies
// UpdateUserPool like AWS (what the request leaves out is gone), less what
// dropOnUpdate names, and pages ListUserPools two at a time.
type fakeAPI struct {
	pools        map[string]map[string]any
	order        []string
	updates      []*cip.UpdateUserPoolInput
	dropOnUpdate string
}

func newFake(t *testing.T, pools ...string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{pools: map[string]map[string]any{}}
	for _, p := range pools {
		var pool map[string]any
		if err := json.Unmarshal([]byte(p), &pool); err != nil {
			t.Fatal(err)
		}
		id := pool["Id"].(string)
		f.pools[id] = pool
		f.order = append(f.order, id)
	}
	return f
}

func (f *fakeAPI) ListUserPools(_ context.Context, in *cip.ListUserPoolsInput, _ ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error) {
	if aws.ToInt32(in.MaxResults) != 60 {
		return nil, fmt.Errorf("MaxResults %d", aws.ToInt32(in.MaxResults))
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &cip.ListUserPoolsOutput{}
	for _, id := range f.order[start:min(start+2, len(f.order))] {
		out.UserPools = append(out.UserPools, types.UserPoolDescriptionType{Id: aws.String(id)})
	}
	if start+2 < len(f.order) {
		out.NextToken = aws.String(fmt.Sprint(start + 2))
	}
	return out, nil
}

func (f *fakeAPI) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	pool, ok := f.pools[aws.ToString(in.UserPoolId)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool does not exist.")}
	}
	body, _ := json.Marshal(map[string]any{"UserPool": pool})
	var parsed struct{ UserPool types.UserPoolType }
	if err := json.Unmarshal(body, &parsed); err != nil {
		return nil, err
	}
	out := &cip.DescribeUserPoolOutput{UserPool: &parsed.UserPool}
	out.ResultMetadata.Set(rawBodyKey{}, body)
	return out, nil
}

func (f *fakeAPI) UpdateUserPool(_ context.Context, in *cip.UpdateUserPoolInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error) {
	f.updates = append(f.updates, in)
	b, _ := json.Marshal(in)
	var sent map[string]any
	_ = json.Unmarshal(b, &sent)
	old := f.pools[aws.ToString(in.UserPoolId)]
	pool := map[string]any{"Id": old["Id"], "Name": sent["PoolName"]}
	for k := range ReadOnly {
		if v, ok := old[k]; ok {
			pool[k] = v
		}
	}
	for k, v := range pruned(sent).(map[string]any) {
		if k != "UserPoolId" && k != "PoolName" && k != f.dropOnUpdate {
			pool[k] = v
		}
	}
	f.pools[aws.ToString(in.UserPoolId)] = pool
	return &cip.UpdateUserPoolOutput{}, nil
}

// pruned is v without nulls, empty strings and empty objects: what the SDK
// would not send.
func pruned(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e = pruned(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}

// fakePool is a DescribeUserPool UserPool object with the given triggers
// and extra members.
func fakePool(id, pre, post string, extra string) string {
	lambda := map[string]string{"PreSignUp": preSignUp}
	if pre != "" {
		lambda["PreAuthentication"] = pre
	}
	if post != "" {
		lambda["PostAuthentication"] = post
	}
	l, _ := json.Marshal(lambda)
	return `{"Id": "` + id + `", "Name": "pool ` + id + `", "Arn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/` + id + `",
		"EstimatedNumberOfUsers": 3, "MfaConfiguration": "ON", "LambdaConfig": ` + string(l) + `,
		"Policies": {"PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": true, "RequireLowercase": false, "RequireNumbers": true,
			"RequireSymbols": true, "TemporaryPasswordValidityDays": 7}},
		"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7},
		"SchemaAttributes": [{"Name": "sub"}], "UserPoolTags": {"team": "orders"}, "DeletionProtection": "ACTIVE"` + extra + `}`
}

func unitRun(t *testing.T, f *fakeAPI, cfg Config) (Summary, string) {
	t.Helper()
	cfg.Pacer, cfg.Backoff = fakes.Uncapped(), fakes.QuickBackoff
	var out bytes.Buffer
	sum, err := Run(context.Background(), f, cfg, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return sum, out.String()
}

// TestUnknownFieldRefused: a member of the raw answer the SDK does not know,
// at the top or inside a structure, refuses the pool, naming it; nothing is
// written.
func TestUnknownFieldRefused(t *testing.T) {
	for _, tc := range []struct{ name, extra, names string }{
		{"top level", `, "ReplicationConfiguration": {"Regions": ["eu-west-1"]}`, "ReplicationConfiguration (unknown to this AWS SDK)"},
		{"inside a structure", `, "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "RcsSender": "x"}`, "SmsConfiguration.RcsSender (unknown to this AWS SDK)"},
		{"a zero the SDK leaves out", `, "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": false}, "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 0}}`,
			"Policies.PasswordPolicy.TemporaryPasswordValidityDays (0, which this AWS SDK leaves out of the request)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, fakePool("us-east-1_unknown", "", "", tc.extra))
			for _, apply := range []bool{false, true} {
				sum, out := unitRun(t, f, Config{Action: Attach, ARN: enforcer, Pools: []string{"us-east-1_unknown"}, Apply: apply})
				if r := onlyResult(t, sum, out); r.Outcome != Refused || !strings.Contains(r.Reason, tc.names) || sum.Problems() != 1 {
					t.Errorf("apply %v: %s", apply, out)
				}
			}
			if len(f.updates) != 0 {
				t.Errorf("%d UpdateUserPool calls", len(f.updates))
			}
		})
	}
}

// TestWriteBackCarriesEverything: the request UpdateUserPool gets carries
// every writable member as read, the deprecated validity days left out
// beside TemporaryPasswordValidityDays, and MFA at its level; a write that
// loses a setting is caught by the read after it.
func TestWriteBackCarriesEverything(t *testing.T) {
	f := newFake(t, fakePool("us-east-1_full", "", "", `, "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}`))
	sum, out := unitRun(t, f, Config{Action: Attach, ARN: enforcer, Pools: []string{"us-east-1_full"}, Apply: true})
	if r := onlyResult(t, sum, out); r.Outcome != Attached || len(f.updates) != 1 {
		t.Fatalf("%s", out)
	}
	in := f.updates[0]
	switch {
	case in.MfaConfiguration != types.UserPoolMfaTypeOn:
		t.Errorf("MfaConfiguration %q, want the pool's ON", in.MfaConfiguration)
	case in.AdminCreateUserConfig.UnusedAccountValidityDays != 0:
		t.Errorf("UnusedAccountValidityDays sent beside TemporaryPasswordValidityDays")
	case aws.ToString(in.PoolName) != "pool us-east-1_full" || in.DeletionProtection != types.DeletionProtectionTypeActive:
		t.Errorf("name or deletion protection not written back: %+v", in)
	case aws.ToString(in.LambdaConfig.PreSignUp) != preSignUp || aws.ToString(in.LambdaConfig.PreAuthentication) != enforcer:
		t.Errorf("LambdaConfig %+v", in.LambdaConfig)
	}

	empty := newFake(t, fakePool("us-east-1_empty", "", "", `, "SmsConfiguration": {}, "UserPoolAddOns": {}`))
	sum, out = unitRun(t, empty, Config{Action: Attach, ARN: enforcer, Pools: []string{"us-east-1_empty"}, Apply: true})
	if r := onlyResult(t, sum, out); r.Outcome != Attached || empty.updates[0].SmsConfiguration != nil || empty.updates[0].UserPoolAddOns != nil {
		t.Errorf("empty SmsConfiguration and UserPoolAddOns are to be left out: %s", out)
	}

	lossy := newFake(t, fakePool("us-east-1_lossy", "", "", ""))
	lossy.dropOnUpdate = "UserPoolTags"
	sum, out = unitRun(t, lossy, Config{Action: Attach, ARN: enforcer, Pools: []string{"us-east-1_lossy"}, Apply: true})
	if r := onlyResult(t, sum, out); r.Outcome != Failed || !strings.Contains(r.Reason, `UserPoolTags.team "orders" -> (none)`) {
		t.Errorf("a write that lost the tags: %s", out)
	}
}

// TestPoolElsewhereRefused: a function of another account or Region is
// not attached: the stack's permission would not let Cognito invoke it.
func TestPoolElsewhereRefused(t *testing.T) {
	for _, fn := range []string{
		"arn:aws:lambda:us-east-1:111122223333:function:mfa-enforcer-TriggerFunction-1A2B3C",
		"arn:aws:lambda:eu-west-1:123456789012:function:mfa-enforcer-TriggerFunction-1A2B3C",
	} {
		f := newFake(t, fakePool("us-east-1_here", "", "", ""))
		sum, out := unitRun(t, f, Config{Action: Attach, ARN: fn, Pools: []string{"us-east-1_here"}, Apply: true})
		if r := onlyResult(t, sum, out); r.Outcome != Refused || !strings.Contains(r.Reason, "sign-ins would fail") || len(f.updates) != 0 {
			t.Errorf("%s", out)
		}
	}
}

// TestPlan: attach never replaces another function's trigger; detach
// removes only the given function.
func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		action  Action
		now     Triggers
		want    Triggers
		refused bool
	}{
		{"attach to none", Attach, Triggers{}, Triggers{enforcer, enforcer}, false},
		{"attach half attached", Attach, Triggers{"", enforcer}, Triggers{enforcer, enforcer}, false},
		{"attach already attached", Attach, Triggers{enforcer, enforcer}, Triggers{enforcer, enforcer}, false},
		{"attach over another pre", Attach, Triggers{other, ""}, Triggers{other, ""}, true},
		{"attach over another post", Attach, Triggers{enforcer, other}, Triggers{enforcer, other}, true},
		{"detach both", Detach, Triggers{enforcer, enforcer}, Triggers{}, false},
		{"detach keeps another", Detach, Triggers{other, enforcer}, Triggers{other, ""}, false},
		{"detach none", Detach, Triggers{}, Triggers{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Plan(tc.action, enforcer, tc.now)
			if got != tc.want || (why != "") != tc.refused {
				t.Errorf("Plan = %+v, %q", got, why)
			}
		})
	}
}

// TestListPaged: -all follows NextToken to the last page.
func TestListPaged(t *testing.T) {
	var pools []string
	for i := range 5 {
		pools = append(pools, fakePool(fmt.Sprintf("us-east-1_p%d", i), "", "", ""))
	}
	sum, out := unitRun(t, newFake(t, pools...), Config{Action: Attach, ARN: enforcer, All: true})
	if len(sum.Results) != 5 || sum.Counts[WouldAttach] != 5 {
		t.Errorf("%s", out)
	}
}

// TestCommandExitCodes: 0 when nothing is refused, 1 when a pool is refused
// or fails, 2 on bad usage (before any AWS call).
func TestCommandExitCodes(t *testing.T) {
	f := newFake(t, fakePool("us-east-1_free", "", "", ""), fakePool("us-east-1_taken", other, "", ""))
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"report", []string{"-attach", enforcer, "-pools", "us-east-1_free"}, 0},
		{"refused", []string{"-attach", enforcer, "-pools", "us-east-1_free,us-east-1_taken"}, 1},
		{"missing pool", []string{"-attach", enforcer, "-pools", "us-east-1_gone"}, 1},
		{"detach", []string{"-detach", enforcer, "-all"}, 0},
		{"help", []string{"-help"}, 0},
		{"no action", []string{"-pools", "us-east-1_free"}, 2},
		{"both actions", []string{"-attach", enforcer, "-detach", enforcer, "-all"}, 2},
		{"no pools", []string{"-attach", enforcer}, 2},
		{"pools and all", []string{"-attach", enforcer, "-all", "-pools", "us-east-1_free"}, 2},
		{"not an ARN", []string{"-attach", "TriggerFunction", "-all"}, 2},
		{"not a pool ID", []string{"-attach", enforcer, "-pools", "free"}, 2},
		{"unknown flag", []string{"-attach", enforcer, "-all", "-force"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			built := false
			code := Command(context.Background(), tc.args, &stdout, &stderr, func(context.Context) (API, error) { built = true; return f, nil })
			if code != tc.code || (tc.code == 2 && built) {
				t.Errorf("exit %d, want %d (client built: %v)\n%s%s", code, tc.code, built, stdout.String(), stderr.String())
			}
			if tc.name == "help" && !strings.Contains(stderr.String(), "TriggerInvokePermission") {
				t.Errorf("the help does not say the permission is the stack's:\n%s", stderr.String())
			}
		})
	}
	if len(f.updates) != 0 {
		t.Errorf("report mode wrote %d times", len(f.updates))
	}
}

// filled returns a value of type ty with every field set, non-zero.
func filled(ty reflect.Type) reflect.Value {
	v := reflect.New(ty).Elem()
	switch ty.Kind() {
	case reflect.Pointer:
		v.Set(filled(ty.Elem()).Addr())
	case reflect.Struct:
		if ty == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			break
		}
		for i := range ty.NumField() {
			if ty.Field(i).IsExported() {
				v.Field(i).Set(filled(ty.Field(i).Type))
			}
		}
	case reflect.Slice:
		v.Set(reflect.Append(v, filled(ty.Elem())))
	case reflect.Map:
		v.Set(reflect.MakeMap(ty))
		v.SetMapIndex(filled(ty.Key()), filled(ty.Elem()))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64:
		v.SetInt(1)
	}
	return v
}

// TestEveryMemberHandled: every member of the SDK's UserPoolType is read
// only or written back, and UpdateInput fills every member of
// UpdateUserPoolInput: an SDK upgrade that brings a member fails here.
func TestEveryMemberHandled(t *testing.T) {
	in := reflect.TypeFor[cip.UpdateUserPoolInput]()
	pt := reflect.TypeFor[types.UserPoolType]()
	for i := range pt.NumField() {
		f := pt.Field(i)
		_, readOnly := ReadOnly[f.Name]
		_, written := in.FieldByName(f.Name)
		if f.IsExported() && !readOnly && !written && f.Name != "Id" && f.Name != "Name" {
			t.Errorf("UserPoolType.%s is neither read-only nor written back", f.Name)
		}
		if readOnly && written {
			t.Errorf("UserPoolType.%s is listed read-only, but UpdateUserPool takes it", f.Name)
		}
	}
	pool := filled(reflect.TypeFor[types.UserPoolType]()).Addr().Interface().(*types.UserPoolType)
	got, _ := UpdateInput(pool, Triggers{enforcer, enforcer})
	v := reflect.ValueOf(got).Elem()
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && v.Field(i).IsZero() {
			t.Errorf("UpdateInput leaves UpdateUserPoolInput.%s out", f.Name)
		}
	}
}

// capture is an HTTP client that keeps the request body and answers {}.
type capture struct{ body []byte }

func (c *capture) Do(r *http.Request) (*http.Response, error) {
	c.body, _ = io.ReadAll(r.Body)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// TestCheckSpeaksTheWire: what the SDK puts on the wire for a full request
// is what Uncarried compares against (its field names are the members'),
// and WithRawBody keeps an answer's body.
func TestCheckSpeaksTheWire(t *testing.T) {
	pool := filled(reflect.TypeFor[types.UserPoolType]()).Addr().Interface().(*types.UserPoolType)
	in, omitted := UpdateInput(pool, Triggers{enforcer, enforcer})
	sent := &capture{}
	client := cip.New(cip.Options{Region: "us-east-1", HTTPClient: sent, BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: aws.AnonymousCredentials{}})
	if _, err := client.UpdateUserPool(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	dec := json.NewDecoder(bytes.NewReader(sent.body))
	dec.UseNumber()
	if err := dec.Decode(&wire); err != nil {
		t.Fatal(err)
	}
	wire["Id"], wire["Name"] = wire["UserPoolId"], wire["PoolName"]
	delete(wire, "UserPoolId")
	delete(wire, "PoolName")
	if missing := Uncarried(wire, in, nil); len(missing) != 0 {
		t.Errorf("the request on the wire is not the request checked: %v", missing)
	}
	members := 0
	for _, f := range reflect.VisibleFields(reflect.TypeFor[cip.UpdateUserPoolInput]()) {
		if f.IsExported() {
			members++
		}
	}
	if len(wire) != members || !slices.Contains(omitted, unusedDays) {
		t.Errorf("%d members on the wire, the request has %d (omitted %v): %s", len(wire), members, omitted, sent.body)
	}

	out, err := client.DescribeUserPool(context.Background(), &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_x")}, WithRawBody)
	if err != nil {
		t.Fatal(err)
	}
	if string(RawBody(out.ResultMetadata)) != "{}" {
		t.Errorf("RawBody = %q", RawBody(out.ResultMetadata))
	}
}
