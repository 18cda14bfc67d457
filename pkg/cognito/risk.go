package cognito

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Risk is one risk configuration as read (DescribeRiskConfiguration): what
// the policy sees of it, and all of it, to write back. SetRiskConfiguration
// replaces what it is given, so a write sends every field it read.
type Risk struct {
	Client string // "" for the pool's own configuration
	// Own: a client's answer is its own configuration; otherwise Cognito
	// answered with the pool's, which the client has.
	Own     bool
	Actions policy.RiskActions
	raw     types.RiskConfigurationType
}

// clientPage is the largest page ListUserPoolClients returns.
const clientPage = 60

// riskOf reads the configuration Cognito answered for client ("" the pool).
func riskOf(client string, out *cip.DescribeRiskConfigurationOutput) Risk {
	r := Risk{Client: client, Own: client == "", Actions: policy.NoActions}
	if out.RiskConfiguration == nil {
		return r
	}
	r.raw = *out.RiskConfiguration
	if client != "" {
		r.Own = aws.ToString(r.raw.ClientId) == client
	}
	if at := r.raw.AccountTakeoverRiskConfiguration; at != nil && at.Actions != nil {
		for _, l := range []struct {
			in  *types.AccountTakeoverActionType
			out *policy.RiskAction
		}{{at.Actions.LowAction, &r.Actions.Low}, {at.Actions.MediumAction, &r.Actions.Medium}, {at.Actions.HighAction, &r.Actions.High}} {
			if l.in != nil && l.in.EventAction != "" {
				*l.out = policy.RiskAction(l.in.EventAction)
			}
		}
	}
	if cc := r.raw.CompromisedCredentialsRiskConfiguration; cc != nil && cc.Actions != nil && cc.Actions.EventAction != "" {
		r.Actions.CompromisedCredentials = policy.CompromisedAction(cc.Actions.EventAction)
	}
	return r
}

// setRiskInput is the SetRiskConfiguration request that writes r back with
// actions: every field read kept (notification settings, each level's
// Notify, the compromised-credentials event filter, the IP ranges), each
// action set, a level absent before sent only when it now asks for
// something.
func setRiskInput(poolID string, r Risk, actions policy.RiskActions) *cip.SetRiskConfigurationInput {
	in := &cip.SetRiskConfigurationInput{UserPoolId: &poolID, RiskExceptionConfiguration: r.raw.RiskExceptionConfiguration}
	if r.Client != "" {
		in.ClientId = aws.String(r.Client)
	}
	at := types.AccountTakeoverRiskConfigurationType{Actions: &types.AccountTakeoverActionsType{}}
	if old := r.raw.AccountTakeoverRiskConfiguration; old != nil {
		at.NotifyConfiguration = old.NotifyConfiguration
		if old.Actions != nil {
			*at.Actions = *old.Actions
		}
	}
	for _, l := range []struct {
		slot **types.AccountTakeoverActionType
		want policy.RiskAction
	}{{&at.Actions.LowAction, actions.Low}, {&at.Actions.MediumAction, actions.Medium}, {&at.Actions.HighAction, actions.High}} {
		switch {
		case *l.slot != nil:
			a := **l.slot
			a.EventAction = types.AccountTakeoverEventActionType(l.want)
			*l.slot = &a
		case l.want != policy.NoAction:
			*l.slot = &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionType(l.want)}
		}
	}
	if r.raw.AccountTakeoverRiskConfiguration != nil || *at.Actions != (types.AccountTakeoverActionsType{}) {
		in.AccountTakeoverRiskConfiguration = &at
	}
	cc := r.raw.CompromisedCredentialsRiskConfiguration
	want := types.CompromisedCredentialsEventActionType(actions.CompromisedCredentials)
	switch {
	case cc != nil:
		c := *cc
		c.Actions = &types.CompromisedCredentialsActionsType{EventAction: want}
		in.CompromisedCredentialsRiskConfiguration = &c
	case actions.CompromisedCredentials != policy.CompromisedAction(policy.NoAction):
		in.CompromisedCredentialsRiskConfiguration = &types.CompromisedCredentialsRiskConfigurationType{
			Actions: &types.CompromisedCredentialsActionsType{EventAction: want}}
	}
	return in
}

// Clients lists the pool's app clients, every page, each page paced.
func (g *Gateway) Clients(ctx context.Context, poolID string) ([]string, error) {
	var ids []string
	var next *string
	for {
		var out *cip.ListUserPoolClientsOutput
		err := g.call(ctx, quota.ListUserPoolClients, poolID, func() (err error) {
			out, err = g.c.api.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: &poolID, MaxResults: aws.Int32(clientPage), NextToken: next})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range out.UserPoolClients {
			ids = append(ids, aws.ToString(c.ClientId))
		}
		if next = out.NextToken; aws.ToString(next) == "" {
			return ids, nil
		}
	}
}

// Risk reads the risk configuration of the pool (client "") or of one of
// its app clients.
func (g *Gateway) Risk(ctx context.Context, poolID, client string) (r Risk, err error) {
	err = g.call(ctx, quota.DescribeRiskConfiguration, poolID, func() (err error) {
		r, err = g.c.risk(ctx, poolID, client)
		return err
	})
	return r, err
}

func (c *Client) risk(ctx context.Context, poolID, client string) (Risk, error) {
	in := &cip.DescribeRiskConfigurationInput{UserPoolId: &poolID}
	if client != "" {
		in.ClientId = aws.String(client)
	}
	out, err := c.api.DescribeRiskConfiguration(ctx, in)
	if err != nil {
		return Risk{}, err
	}
	return riskOf(client, out), nil
}

// GetRisk reads a risk configuration with the reserved token.
func (r *Reserved) GetRisk(ctx context.Context, client string) (risk Risk, err error) {
	err = r.spend(quota.DescribeRiskConfiguration, func() (err error) {
		risk, err = r.g.c.risk(ctx, r.pool, client)
		return err
	})
	return risk, err
}

// SetRisk writes read back with actions, with the reserved token.
func (r *Reserved) SetRisk(ctx context.Context, read Risk, actions policy.RiskActions) error {
	return r.spend(quota.SetRiskConfiguration, func() error {
		_, err := r.g.c.api.SetRiskConfiguration(ctx, setRiskInput(r.pool, read, actions))
		return err
	})
}
