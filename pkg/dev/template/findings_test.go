package template

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/findings"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/reconcile"
)

// TestFindingsKeptByDefault (F10): a default deploy keeps every finding:
// an archive on the bus the stack creates, and a rule delivering every
// enforcer event, on whichever bus, to a log group EventBridge may write
// to, kept as long as the functions' logs.
func TestFindingsKeptByDefault(t *testing.T) {
	tpl := transformed(t)
	archive := tpl.Resources["FindingsArchive"]
	if archive.Type != "AWS::Events::Archive" || archive.Condition != "CreateFindingsBus" ||
		asJSON(archive.Properties["SourceArn"]) != `{"Fn::GetAtt":["FindingsBus","Arn"]}` || archive.Properties["EventPattern"] != nil ||
		asJSON(archive.Properties["RetentionDays"]) != `{"Ref":"LogRetentionDays"}` {
		t.Errorf("archive %+v", archive)
	}
	group := tpl.Resources["FindingsLogGroup"]
	if group.Type != "AWS::Logs::LogGroup" || group.Condition != "" || asJSON(group.Properties["RetentionInDays"]) != `{"Ref":"LogRetentionDays"}` ||
		!strings.HasPrefix(asJSON(group.Properties["LogGroupName"]), `{"Fn::Sub":"/aws/events/`) {
		t.Errorf("log group %+v", group)
	}
	rule := tpl.Resources["FindingsLogRule"]
	if rule.Type != "AWS::Events::Rule" || rule.Condition != "" || asJSON(rule.Properties["EventPattern"]) != `{"source":["cognito-mfa-enforcer"]}` ||
		asJSON(rule.Properties["EventBusName"]) != `{"Fn::If":["CreateFindingsBus",{"Ref":"FindingsBus"},{"Ref":"ExistingFindingsBusName"}]}` ||
		!strings.Contains(asJSON(rule.Properties["Targets"]), `"Arn":{"Fn::GetAtt":["FindingsLogGroup","Arn"]}`) ||
		!strings.Contains(asJSON(rule.DependsOn), "FindingsLogGroupPolicy") {
		t.Errorf("log rule %+v", rule)
	}
	pol := tpl.Resources["FindingsLogGroupPolicy"]
	doc := asJSON(pol.Properties["PolicyDocument"])
	if pol.Type != "AWS::Logs::ResourcePolicy" || pol.Condition != "" {
		t.Errorf("resource policy %+v", pol)
	}
	for _, want := range []string{"events.amazonaws.com", "logs:CreateLogStream", "logs:PutLogEvents", "${FindingsLogGroup.Arn}", "aws:SourceAccount"} {
		if !strings.Contains(doc, want) {
			t.Errorf("resource policy lacks %s: %s", want, doc)
		}
	}
}

// TestQueriesReadRealFields: the saved Logs Insights queries name only
// fields a finding event has, as Logs Insights flattens it (nested keys
// joined with ".", array elements by index): a renamed field would leave a
// query that runs and finds nothing.
func TestQueriesReadRealFields(t *testing.T) {
	tpl := transformed(t)
	fields := map[string]bool{}
	before := policy.PoolMFA{Level: "OFF"}
	after := policy.PoolMFA{Level: "ON", SoftwareToken: true}
	res := reconcile.Result{PoolID: "us-east-1_a", PoolName: "orders", Status: reconcile.Remediated, Mode: policy.Enforce, Profile: "workforce",
		Policy: policy.Origin{Source: "ssm:/org/mfa", Version: 3}, Message: "corrected",
		Violations: []policy.Violation{{Code: policy.CodeLevelBelowPolicy, Text: "MFA is OFF", Correctable: true}},
		Before:     &before, After: &after,
		Changes:           []policy.Change{{Field: "MfaConfiguration", Before: "OFF", After: "ON"}},
		ConcurrentChanges: []policy.Change{{Field: "SmsMfaConfiguration", Before: "", After: "set"}}}
	f := findings.New("123456789012", "us-east-1", res, findings.Cause{Kind: "cloudtrail", EventName: "UpdateUserPool", CallerARN: "arn:aws:iam::123456789012:role/x"}, time.Now())
	// As EventBridge delivers it to the log group: the envelope and the detail.
	event := map[string]any{"version": "0", "id": "x", "detail-type": findings.ForFinding(f).DetailType, "source": "cognito-mfa-enforcer",
		"account": "123456789012", "time": "2026-11-20T12:00:00Z", "region": "us-east-1", "resources": []string{}, "detail": f}
	raw, _ := json.Marshal(event)
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	var flatten func(prefix string, v any)
	flatten = func(prefix string, v any) {
		fields[prefix] = true
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				flatten(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
		case []any:
			for i, x := range v {
				flatten(prefix+"."+strconv.Itoa(i), x)
			}
		}
	}
	flatten("", generic)

	field := regexp.MustCompile("`[^`]+`|@?[A-Za-z][A-Za-z0-9_.-]*")
	keywords := map[string]bool{"filter": true, "stats": true, "fields": true, "sort": true, "by": true, "as": true, "and": true, "or": true,
		"in": true, "not": true, "desc": true, "asc": true, "latest": true, "max": true, "count": true, "ispresent": true, "limit": true}
	queries := 0
	for _, id := range tpl.OfType("AWS::Logs::QueryDefinition") {
		queries++
		q := props(t, tpl, id)["QueryString"].(string)
		q = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(q, `""`) // string literals are values
		aliases := map[string]bool{}
		for _, m := range regexp.MustCompile(`\bas ([A-Za-z]+)`).FindAllStringSubmatch(q, -1) {
			aliases[m[1]] = true
		}
		for _, name := range field.FindAllString(q, -1) {
			name = strings.Trim(name, "`")
			if keywords[name] || aliases[name] || strings.HasPrefix(name, "@") {
				continue
			}
			if !fields[name] {
				t.Errorf("%s reads %s, which a finding does not have (it has %v)", id, name, slices.Sorted(maps.Keys(fields)))
			}
		}
	}
	if queries != 2 {
		t.Errorf("%d saved queries, want what is failing now and what changed this week", queries)
	}
}
