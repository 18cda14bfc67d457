package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Lazy starts moto on first use and shares it across a test binary.
type Lazy struct {
	once sync.Once
	moto *Moto
	err  error
}

// Get returns the shared server, starting it (and pointing the SDK at it)
// on first use. A server that cannot start fails the test: a skipped
// integration test would hide a missing install. With -short (unit tests
// only) the test is skipped.
func (l *Lazy) Get(t testing.TB) *Moto {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test against moto: skipped with -short")
	}
	l.once.Do(func() {
		l.moto, l.err = StartMoto()
		if l.err == nil {
			l.moto.SetEnv()
			l.err = l.moto.StackResources(context.Background())
		}
	})
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l.moto
}

// Own starts a moto for one test, with the stack's resources, and stops it
// when the test ends: tests that each sweep a whole account can run in
// parallel, each on its own. Its clients take their endpoint from it, not
// from the process's environment. Skipped with -short.
func Own(t testing.TB) *Moto {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test against moto: skipped with -short")
	}
	m, err := StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	if err := m.StackResources(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// Stop stops the server if it was started; call it from TestMain.
func (l *Lazy) Stop() {
	if l.moto != nil {
		l.moto.Stop()
	}
}

// SMS settings used by test pools, so tests can check they survive.
const (
	SNSCallerARN = "arn:aws:iam::123456789012:role/cognito-sms"
	ExternalID   = "sms-external-id"
	SMSMessage   = "Your sign-in code is {####}"
)

// PoolMFA is what the AWS CLI reports of a pool's MFA configuration.
type PoolMFA struct {
	MfaConfiguration              string
	SoftwareTokenMfaConfiguration *struct{ Enabled bool }
	SmsMfaConfiguration           *struct {
		SmsAuthenticationMessage string
		SmsConfiguration         struct{ SnsCallerArn, ExternalId string }
	}
	WebAuthnConfiguration *struct{ RelyingPartyId, UserVerification, FactorConfiguration string }
}

// TOTP reports whether TOTP is enabled.
func (p PoolMFA) TOTP() bool {
	return p.SoftwareTokenMfaConfiguration != nil && p.SoftwareTokenMfaConfiguration.Enabled
}

// String is a compact form for test messages.
func (p PoolMFA) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// CreatePool creates a pool and sets its MFA to level with the given
// factors (TOTP, SMS), as a person would, through Call. It returns the
// pool ID.
func (m *Moto) CreatePool(ctx context.Context, name string, tags map[string]string, level string, factors ...policy.Factor) (string, error) {
	in := map[string]any{"PoolName": name}
	if len(tags) > 0 {
		in["UserPoolTags"] = tags
	}
	var out struct{ UserPool struct{ Id string } }
	if err := m.Call(ctx, &out, "cognito-idp", "CreateUserPool", in); err != nil {
		return "", err
	}
	id := out.UserPool.Id
	if level == "OFF" && len(factors) == 0 {
		return id, nil
	}
	return id, m.SetMFA(ctx, id, level, factors...)
}

// SetMFA sets a pool's MFA configuration, as a person changing the pool
// would.
func (m *Moto) SetMFA(ctx context.Context, poolID, level string, factors ...policy.Factor) error {
	in := map[string]any{"UserPoolId": poolID, "MfaConfiguration": level}
	for _, f := range factors {
		switch f {
		case policy.SoftwareToken:
			in["SoftwareTokenMfaConfiguration"] = map[string]bool{"Enabled": true}
		case policy.SMS:
			in["SmsMfaConfiguration"] = map[string]any{"SmsAuthenticationMessage": SMSMessage,
				"SmsConfiguration": map[string]string{"SnsCallerArn": SNSCallerARN, "ExternalId": ExternalID}}
		default:
			return fmt.Errorf("unknown factor %q", f)
		}
	}
	return m.Call(ctx, nil, "cognito-idp", "SetUserPoolMfaConfig", in)
}

// GetMFA reads a pool's MFA configuration.
func (m *Moto) GetMFA(ctx context.Context, poolID string) (PoolMFA, error) {
	var out PoolMFA
	err := m.Call(ctx, &out, "cognito-idp", "GetUserPoolMfaConfig", map[string]string{"UserPoolId": poolID})
	return out, err
}

// DeletePool deletes a pool.
func (m *Moto) DeletePool(ctx context.Context, poolID string) error {
	return m.Call(ctx, nil, "cognito-idp", "DeleteUserPool", map[string]string{"UserPoolId": poolID})
}

// TagPool adds tags to a pool (TagResource), as a person would.
func (m *Moto) TagPool(ctx context.Context, poolID string, tags map[string]string) error {
	arn := cognito.PoolARN(Region, Account, poolID)
	return m.Call(ctx, nil, "cognito-idp", "TagResource", map[string]any{"ResourceArn": arn, "Tags": tags})
}
