package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// jsonAPIs are the X-Amz-Target prefix and content type of each AWS JSON
// protocol service the test bed calls directly.
var jsonAPIs = map[string]struct{ prefix, contentType string }{
	"cognito-idp": {"AWSCognitoIdentityProviderService.", "application/x-amz-json-1.1"},
	"events":      {"AWSEvents.", "application/x-amz-json-1.1"},
	"ssm":         {"AmazonSSM.", "application/x-amz-json-1.1"},
	"sqs":         {"AmazonSQS.", "application/x-amz-json-1.0"},
}

// Call makes one call of an AWS JSON protocol API (cognito-idp, events,
// ssm, sqs) to moto as plain HTTP, the request and answer as the API
// reference spells them: like the AWS CLI, a client that is not the SDK the
// functions use, without starting a process (a millisecond against a
// second). op is the operation's name ("GetUserPoolMfaConfig").
func (m *Moto) Call(ctx context.Context, out any, service, op string, in any) error {
	return m.call(ctx, "testing", "", out, service, op, in)
}

// Call is Moto.Call in this account.
func (a *OtherAccount) Call(ctx context.Context, out any, service, op string, in any) error {
	return a.m.call(ctx, a.key, a.token, out, service, op, in)
}

func (m *Moto) call(ctx context.Context, key, token string, out any, service, op string, in any) error {
	api, ok := jsonAPIs[service]
	if !ok {
		return fmt.Errorf("call %s %s: not a JSON protocol service the test bed knows", service, op)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("call %s %s: %w", service, op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", api.contentType)
	req.Header.Set("X-Amz-Target", api.prefix+op)
	// moto reads the account from the access key and the Region and
	// service from the scope; it does not check the signature.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261207/"+Region+"/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	if token != "" {
		req.Header.Set("X-Amz-Security-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("call %s %s: %w", service, op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("call %s %s: %w", service, op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("call %s %s: %s: %s", service, op, resp.Status, strings.TrimSpace(string(raw)))
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("call %s %s: decode the answer: %w", service, op, err)
	}
	return nil
}
