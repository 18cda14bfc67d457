package reconcile

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

const adaptivePolicy = `{"adaptiveAuthentication":{"acceptAsOn":true}}`

// actions is an account-takeover configuration with each level's action,
// every level notifying.
func actions(low, medium, high types.AccountTakeoverEventActionType) *types.AccountTakeoverRiskConfigurationType {
	return testbed.RiskConfig(low, medium, high).AccountTakeoverRiskConfiguration
}

var (
	awsDesign = actions("NO_ACTION", "MFA_IF_CONFIGURED", "MFA_REQUIRED")
	lax       = actions("NO_ACTION", "NO_ACTION", "NO_ACTION")
	ipLists   = &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"192.0.2.0/24"}, SkippedIPRangeList: []string{"198.51.100.0/24"}}
	blockLeak = &types.CompromisedCredentialsRiskConfigurationType{Actions: &types.CompromisedCredentialsActionsType{EventAction: "BLOCK"},
		EventFilter: []types.EventFilterType{types.EventFilterTypeSignIn}}
)

// adaptivePool is a Plus pool in ENFORCED mode at OPTIONAL with TOTP, with
// the pool's risk configuration and two app clients, "web" inheriting it
// and "mobile" with its own.
func adaptivePool(poolRisk, mobile *types.AccountTakeoverRiskConfigurationType) *fakes.Pools {
	f := fakes.New()
	f.MFA[pool] = &cip.GetUserPoolMfaConfigOutput{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: totpOn}
	f.Tiers[pool], f.ThreatProtection[pool] = types.UserPoolTierTypePlus, types.AdvancedSecurityModeTypeEnforced
	f.Clients[pool] = []string{"web", "mobile"}
	f.Risks[pool] = &types.RiskConfigurationType{UserPoolId: aws.String(pool), AccountTakeoverRiskConfiguration: poolRisk,
		CompromisedCredentialsRiskConfiguration: blockLeak, RiskExceptionConfiguration: ipLists}
	if mobile != nil {
		f.Risks[pool+"/mobile"] = &types.RiskConfigurationType{UserPoolId: aws.String(pool), ClientId: aws.String("mobile"),
			AccountTakeoverRiskConfiguration: mobile, RiskExceptionConfiguration: ipLists}
	}
	return f
}

// TestAdaptiveEquivalent: a pool whose adaptive authentication the policy
// accepts as ON, with every client's actions at the minimum, is compliant
// by equivalent: left OPTIONAL, nothing written, its finding naming the
// control and the effective actions of the pool and each client.
func TestAdaptiveEquivalent(t *testing.T) {
	f := adaptivePool(awsDesign, awsDesign)
	r, _ := reconciler(t, f, adaptivePolicy)
	res := r.Reconcile(context.Background(), pool)
	if res.Status != Compliant || res.Equivalent != policy.Equivalent || len(f.Sets)+len(f.RiskSets) != 0 {
		t.Fatalf("status %s, equivalent %q, %d writes: %s", res.Status, res.Equivalent, len(f.Sets)+len(f.RiskSets), res.Message)
	}
	if got := strings.Join(f.Calls, " "); got != "Get Describe DescribeRisk ListClients DescribeRisk DescribeRisk" {
		t.Errorf("calls %q", got)
	}
	a := res.Adaptive
	if a == nil || !a.Accepted || len(a.Effective) != 3 || a.Effective[1].Target != "web" || a.Effective[1].Own ||
		a.Effective[1].Actions.High != policy.MFARequired || a.Effective[0].Actions.CompromisedCredentials != "BLOCK" {
		t.Errorf("judgement %+v", a)
	}
}

// TestAdaptiveClientOverrideRaised: an app client whose own configuration
// falls below the minimum is found, named, and raised in enforce mode:
// only its levels below the minimum, every other setting as it was, the
// pool's configuration and the MFA level untouched. Report mode writes
// nothing.
func TestAdaptiveClientOverrideRaised(t *testing.T) {
	for _, mode := range []string{"report", "enforce"} {
		t.Run(mode, func(t *testing.T) {
			mobile := actions("NO_ACTION", "BLOCK", "NO_ACTION") // medium stricter than the minimum: kept
			f := adaptivePool(awsDesign, mobile)
			r, _ := reconciler(t, f, `{"mode":"`+mode+`","adaptiveAuthentication":{"acceptAsOn":true}}`)
			res := r.Reconcile(context.Background(), pool)
			var found []string
			for _, v := range res.Violations {
				found = append(found, policy.Labels([]policy.Violation{v})[0])
				if v.Code != policy.CodeAdaptiveBelowPolicy || !v.Correctable || !strings.Contains(v.Text, "app client mobile") {
					t.Errorf("violation %+v", v)
				}
			}
			if strings.Join(found, " ") != "ADAPTIVE_ACTION_BELOW_POLICY:mobile:high" {
				t.Errorf("violations %v", found)
			}
			if res.Equivalent != policy.Equivalent || f.MFA[pool].MfaConfiguration != "OPTIONAL" || len(f.Sets) != 0 {
				t.Errorf("equivalent %q, level %s, %d MFA writes", res.Equivalent, f.MFA[pool].MfaConfiguration, len(f.Sets))
			}
			if mode == "report" {
				if res.Status != Drift || len(f.RiskSets) != 0 {
					t.Fatalf("report mode: %s with %d risk writes", res.Status, len(f.RiskSets))
				}
				return
			}
			if res.Status != Remediated || len(f.RiskSets) != 1 || aws.ToString(f.RiskSets[0].ClientId) != "mobile" {
				t.Fatalf("status %s (%s), %d risk writes", res.Status, res.Message, len(f.RiskSets))
			}
			got := f.Risks[pool+"/mobile"]
			want := actions("NO_ACTION", "BLOCK", "MFA_REQUIRED")
			if !reflect.DeepEqual(got.AccountTakeoverRiskConfiguration, want) || !reflect.DeepEqual(got.RiskExceptionConfiguration, ipLists) {
				t.Errorf("stored %+v, want high raised and everything else kept", got)
			}
			if !reflect.DeepEqual(f.Risks[pool].AccountTakeoverRiskConfiguration, awsDesign) {
				t.Error("the pool's configuration changed")
			}
			if len(res.Changes) != 1 || res.Changes[0] != (policy.Change{Field: "adaptive.client:mobile.high", Before: "NO_ACTION", After: "MFA_REQUIRED"}) {
				t.Errorf("changes %+v", res.Changes)
			}
		})
	}
}

// TestAdaptiveNotAccepted: a pool below Plus, or with threat protection in
// AUDIT, is judged by the ordinary rules (raised to ON), its finding
// saying why adaptive authentication was not accepted, and its risk
// configuration is not read.
func TestAdaptiveNotAccepted(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*fakes.Pools)
		why  string
	}{
		{"Essentials", func(f *fakes.Pools) { f.Tiers[pool] = types.UserPoolTierTypeEssentials }, "plan is ESSENTIALS"},
		{"audit", func(f *fakes.Pools) { f.ThreatProtection[pool] = types.AdvancedSecurityModeTypeAudit }, "threat protection is AUDIT"},
		{"off", func(f *fakes.Pools) { delete(f.ThreatProtection, pool) }, "threat protection is not reported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptivePool(awsDesign, nil)
			tc.set(f)
			r, _ := reconciler(t, f, adaptivePolicy)
			res := r.Reconcile(context.Background(), pool)
			if res.Status != Remediated || f.MFA[pool].MfaConfiguration != "ON" || res.Equivalent != "" {
				t.Fatalf("status %s, level %s, equivalent %q", res.Status, f.MFA[pool].MfaConfiguration, res.Equivalent)
			}
			if res.Adaptive == nil || res.Adaptive.Accepted || !strings.Contains(res.Adaptive.Reason, tc.why) {
				t.Errorf("judgement %+v, want not accepted because %s", res.Adaptive, tc.why)
			}
			if strings.Contains(strings.Join(f.Calls, " "), "Risk") {
				t.Errorf("risk read for a pool that cannot qualify: %v", f.Calls)
			}
		})
	}
}

// TestAdaptiveNeverLowersOn: a pool at ON stays ON and costs no risk read.
func TestAdaptiveNeverLowersOn(t *testing.T) {
	f := adaptivePool(lax, nil)
	f.MFA[pool].MfaConfiguration = "ON"
	r, _ := reconciler(t, f, adaptivePolicy)
	res := r.Reconcile(context.Background(), pool)
	if res.Status != Compliant || res.Adaptive != nil || strings.Join(f.Calls, " ") != "Get" || f.MFA[pool].MfaConfiguration != "ON" {
		t.Errorf("status %s, judgement %+v, calls %v", res.Status, res.Adaptive, f.Calls)
	}
}

// TestAdaptivePoolConfigRaisedAndConcurrentChangeKept: the pool's own
// configuration below the minimum is raised from a read made just before
// the write, keeping what someone changed since the check's first read.
func TestAdaptivePoolConfigRaisedAndConcurrentChangeKept(t *testing.T) {
	f := adaptivePool(lax, nil)
	api := &riskChangedAfterFirstRead{Pools: f}
	r := reconcilerOver(t, api, adaptivePolicy, fakes.Uncapped(), fakes.QuickBackoff)
	res := r.Reconcile(context.Background(), pool)
	if res.Status != Remediated || len(f.RiskSets) != 1 {
		t.Fatalf("status %s (%s), %d risk writes", res.Status, res.Message, len(f.RiskSets))
	}
	stored := f.Risks[pool]
	if got := stored.AccountTakeoverRiskConfiguration.Actions; got.LowAction.EventAction != "BLOCK" ||
		got.MediumAction.EventAction != "MFA_IF_CONFIGURED" || got.HighAction.EventAction != "MFA_REQUIRED" {
		t.Errorf("stored %+v: the concurrent BLOCK at low risk lost, or the minimum not met", got)
	}
	if !reflect.DeepEqual(stored.RiskExceptionConfiguration, ipLists) || !reflect.DeepEqual(stored.CompromisedCredentialsRiskConfiguration, blockLeak) {
		t.Errorf("stored %+v: settings the policy does not govern changed", stored)
	}
	for _, v := range res.Violations {
		if !v.Correctable {
			t.Errorf("violation %+v not corrected", v)
		}
	}
}

// riskChangedAfterFirstRead is the fake with someone setting the pool's
// low-risk action to BLOCK right after the enforcer's first read of it.
type riskChangedAfterFirstRead struct {
	*fakes.Pools
	reads int
}

func (c *riskChangedAfterFirstRead) DescribeRiskConfiguration(ctx context.Context, in *cip.DescribeRiskConfigurationInput, o ...func(*cip.Options)) (*cip.DescribeRiskConfigurationOutput, error) {
	out, err := c.Pools.DescribeRiskConfiguration(ctx, in, o...)
	if c.reads++; c.reads == 1 {
		next := *c.Risks[pool]
		next.AccountTakeoverRiskConfiguration = actions("BLOCK", "NO_ACTION", "NO_ACTION")
		c.Risks[pool] = &next
	}
	return out, err
}

// TestAdaptiveRiskWriteRefused: a refused risk write leaves the pool
// unremediable with Cognito's message on the violation.
func TestAdaptiveRiskWriteRefused(t *testing.T) {
	f := adaptivePool(lax, nil)
	f.Errs["SetRisk"] = []error{&types.InvalidParameterException{Message: aws.String("NotifyConfiguration is required")}}
	r, _ := reconciler(t, f, adaptivePolicy)
	res := r.Reconcile(context.Background(), pool)
	if res.Status != Unremediable || !strings.Contains(res.Message, "NotifyConfiguration is required") {
		t.Fatalf("status %s (%s)", res.Status, res.Message)
	}
	for _, v := range res.Violations {
		if v.Correctable || !strings.Contains(v.Reason, "NotifyConfiguration") {
			t.Errorf("violation %+v", v)
		}
	}
}
