// Package testbed starts the real components integration tests need: a
// moto server standing in for AWS, and the AWS CLI as an independent client.
package testbed

import (
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/logbuf"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"

	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

//go:embed moto_launcher.py
var launcher []byte

// Region and Account are what moto reports for the test credentials.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Moto is a running moto server on 127.0.0.1.
type Moto struct {
	Endpoint string
	cmd      *exec.Cmd
	dir      string
	stderr   *logbuf.Buffer
	done     chan struct{}
}

// StartMoto launches moto on a free port and waits until it answers.
func StartMoto() (*Moto, error) {
	dir, err := os.MkdirTemp("", "moto-")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "moto_launcher.py")
	if err := os.WriteFile(script, launcher, 0o600); err != nil {
		return nil, err
	}
	m := &Moto{dir: dir, stderr: &logbuf.Buffer{Max: 1 << 20}, done: make(chan struct{})}
	m.cmd = exec.Command("python3", script)
	m.cmd.Stderr = m.stderr
	m.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "COGNITO_QUOTAS="+quota.JSON())
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto (python3 with moto[server] is needed; `make test` installs it): %w", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()

	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		m.Endpoint = "http://127.0.0.1:" + p
		return m, nil
	case <-m.done:
		return nil, fmt.Errorf("moto exited before listening (is moto[server] installed? `make test` installs it): %s", m.stderr.String())
	case <-time.After(60 * time.Second):
		m.Stop()
		return nil, errors.New("moto did not start within 60s: " + m.stderr.String())
	}
}

// Env is the environment that points an AWS SDK or CLI at this server.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.Endpoint,
		"AWS_ACCESS_KEY_ID=testing", // what Client uses too
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// unset are variables that would point a client elsewhere.
var unset = []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"}

// SetEnv applies Env to this process, for SDK clients built in tests.
func (m *Moto) SetEnv() {
	for _, k := range unset {
		os.Unsetenv(k)
	}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
}

// environ is this process's environment without its AWS settings, plus
// aws: what the AWS CLI runs with.
func (m *Moto) environ(aws []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(unset, k) && !strings.HasPrefix(k, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, aws...)
}

// Throttle makes moto answer TooManyRequestsException as AWS does, at
// fraction of AWS's quotas (pkg/quota's table), per category and per pool
// and operation; 0 stops throttling. Either way the counters start over.
func (m *Moto) Throttle(fraction float64) error {
	return m.postQuota("throttle", map[string]float64{"fraction": fraction}, "set moto's throttling")
}

// Provision sets the account's provisioned limits GetProvisionedLimit
// answers and moto's throttling follows (by category; none: the published
// defaults), or denies the call (AccessDeniedException).
func (m *Moto) Provision(limits map[string]int, deny bool) error {
	return m.postQuota("provisioned", map[string]any{"limits": limits, "deny": deny}, "set moto's provisioned limits")
}

// postQuota posts in, as JSON, to moto's /_quota/ endpoint path; errors
// begin with what.
func (m *Moto) postQuota(path string, in any, what string) error {
	body, _ := json.Marshal(in)
	resp, err := http.Post(m.Endpoint+"/_quota/"+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", what, resp.Status)
	}
	return nil
}

// RawMFA returns a pool's GetUserPoolMfaConfig answer as moto sends it,
// read with a plain HTTP request: neither the AWS CLI's nor the SDK's
// model drops a field it does not know.
func (m *Moto) RawMFA(ctx context.Context, poolID string) (map[string]json.RawMessage, error) {
	var out map[string]json.RawMessage
	if err := m.Call(ctx, &out, "cognito-idp", "GetUserPoolMfaConfig", map[string]string{"UserPoolId": poolID}); err != nil {
		return nil, fmt.Errorf("raw GetUserPoolMfaConfig of %s: %w", poolID, err)
	}
	return out, nil
}

// QuotaCounts returns the Cognito calls moto answered since the last
// Throttle, and how many it throttled, by quota category.
func (m *Moto) QuotaCounts() (pace.Counts, error) {
	resp, err := http.Get(m.Endpoint + "/_quota/counts")
	if err != nil {
		return nil, fmt.Errorf("read moto's quota counts: %w", err)
	}
	defer resp.Body.Close()
	var counts pace.Counts
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		return nil, fmt.Errorf("read moto's quota counts: %w", err)
	}
	return counts, nil
}

// Stop ends the server and removes its files.
func (m *Moto) Stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	_ = os.RemoveAll(m.dir)
}

// CLI runs the AWS CLI against this server and decodes its JSON output
// into out (when out is not nil).
func (m *Moto) CLI(ctx context.Context, out any, args ...string) error {
	return m.cli(ctx, m.Env(), out, args...)
}

func (m *Moto) cli(ctx context.Context, env []string, out any, args ...string) error {
	args = append([]string{"--endpoint-url", m.Endpoint, "--region", Region, "--output", "json"}, args...)
	cmd := exec.CommandContext(ctx, "aws", args...)
	cmd.Env = m.environ(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("aws %s: %w: %s", strings.Join(args[6:], " "), err, stderr.String())
	}
	// Some commands (receive-message on an empty queue) print nothing.
	if out == nil || len(bytes.TrimSpace(stdout.Bytes())) == 0 {
		return nil
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("aws %s: decode output: %w", strings.Join(args[6:], " "), err)
	}
	return nil
}

// OtherAccount is another AWS account in the same moto: credentials from
// sts:AssumeRole into a role of that account act in it.
type OtherAccount struct {
	ID         string
	Env        []string // the Moto environment with this account's credentials
	m          *Moto
	key, token string
}

// AssumeAccount returns credentials acting in account id.
func (m *Moto) AssumeAccount(ctx context.Context, id string) (*OtherAccount, error) {
	var out struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	if err := m.CLI(ctx, &out, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+id+":role/test-bed", "--role-session-name", "test-bed"); err != nil {
		return nil, err
	}
	c := out.Credentials
	env := []string{"AWS_ACCESS_KEY_ID=" + c.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey, "AWS_SESSION_TOKEN=" + c.SessionToken}
	for _, kv := range m.Env() {
		if k, _, _ := strings.Cut(kv, "="); k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY" {
			env = append(env, kv)
		}
	}
	return &OtherAccount{ID: id, Env: env, m: m, key: c.AccessKeyId, token: c.SessionToken}, nil
}

// CLI runs the AWS CLI in this account (see Moto.CLI).
func (a *OtherAccount) CLI(ctx context.Context, out any, args ...string) error {
	return a.m.cli(ctx, a.Env, out, args...)
}
