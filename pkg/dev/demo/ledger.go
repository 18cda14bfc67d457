package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cipt "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/coverage"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/testbed"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/signinmsg"
)

// signInUsers are the users who sign in before the sweeps, by pool index:
// how many, and how many of them have TOTP. customer-app's user jane.doe
// (TOTP and SMS) is one of its two with MFA: 2 of 5 is 40%; staff-sso has
// 2 of 2.
var signInUsers = map[int]struct{ users, withMFA int }{1: {4, 1}, 4: {2, 2}}

// signIns creates the users, and has the SignInCheckFunction (report mode:
// it records and writes no user) read each one's sign-in from an SQS
// batch, as the sign-in queue delivers it. It returns the pools measured.
func signIns(ctx context.Context, m *testbed.Moto, start func(string, string) (*localinvoke.Runtime, error), say func(string, ...any)) ([]*pool, error) {
	if err := m.StackResources(ctx); err != nil {
		return nil, err
	}
	c, err := m.Client(ctx)
	if err != nil {
		return nil, err
	}
	var msgs []signinmsg.Message
	var measured []*pool
	for _, i := range []int{1, 4} {
		p, spec := pools[i], signInUsers[i]
		measured = append(measured, p)
		names := []string{}
		if i == 1 {
			names = append(names, user) // jane.doe exists already, with TOTP and SMS
		}
		for j := range spec.users {
			name := fmt.Sprintf("%s-user-%d", p.spec.Name, j)
			if err := createUser(ctx, m, c, p.id, name, j < spec.withMFA); err != nil {
				return nil, err
			}
			names = append(names, name)
		}
		for _, name := range names {
			out, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.id, Username: &name})
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, signinmsg.New(p.id, name, sub(out.UserAttributes), signinmsg.PostAuthentication, time.Now(), testbed.Account, testbed.Region))
		}
	}
	rt, err := start("SignInCheckFunction", "report")
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	var ev events.SQSEvent
	for i, msg := range msgs {
		body, _ := json.Marshal(msg)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("demo-%d", i), Body: string(body), EventSource: "aws:sqs", AWSRegion: testbed.Region})
	}
	b, _ := json.Marshal(ev)
	if err := invoke(ctx, rt, b, nil); err != nil {
		return nil, err
	}
	say("-- SignInCheckFunction (report mode): %d sign-ins read from the queue; each user's MFA recorded in the coverage ledger by sub, no user changed\n", len(msgs))
	return measured, nil
}

// createUser creates a user, with TOTP turned on or with no factor.
func createUser(ctx context.Context, m *testbed.Moto, c *cip.Client, poolID, name string, totp bool) error {
	if !totp {
		_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: &name})
		return err
	}
	if _, err := m.TOTPUser(ctx, poolID, name); err != nil {
		return err
	}
	_, err := c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &poolID, Username: &name,
		SoftwareTokenMfaSettings: &cipt.SoftwareTokenMfaSettingsType{Enabled: true}})
	return err
}

func sub(attrs []cipt.AttributeType) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// coverageTable prints each measured pool's coverage as the sweep reads it.
func coverageTable(ctx context.Context, m *testbed.Moto, w io.Writer, measured []*pool) error {
	db, err := m.DynamoDB(ctx)
	if err != nil {
		return err
	}
	r := coverage.NewReader(db, testbed.LedgerTable, 0)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "  POOL\tACTIVE USERS (30 DAYS)\tWITH MFA\tCOVERAGE\tBY FACTOR")
	for _, p := range measured {
		c, _, err := r.Read(ctx, p.id, policy.DefaultCoverageWindowDays)
		if err != nil {
			return err
		}
		ratio := "-"
		if c.Ratio != nil {
			ratio = fmt.Sprintf("%.0f%%", 100**c.Ratio)
		}
		f := c.Factors
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\n", p.spec.Name, c.ActiveUsers, c.WithMFA, ratio,
			strings.Join([]string{fmt.Sprintf("TOTP %d", f.SoftwareToken), fmt.Sprintf("SMS %d", f.SMS), fmt.Sprintf("email %d", f.Email)}, ", "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	return nil
}
