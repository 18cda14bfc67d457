// Package signinmsg is the message the sign-in trigger enqueues and the
// sign-in check consumes: one sign-in, versioned so that a consumer can
// refuse a message it does not understand rather than guess.
package signinmsg

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// Retention is how long the sign-in queue keeps a message (the template's
// SignInQueue MessageRetentionPeriod): no real sign-in is older.
const Retention = 24 * time.Hour

// Trigger sources the trigger enqueues.
const (
	PreAuthentication  = "PreAuthentication_Authentication"
	PostAuthentication = "PostAuthentication_Authentication"
)

// Schema and Version name the message format. A consumer refuses another
// schema or a version it does not know; a new field that older consumers
// may ignore keeps the version, a change of meaning takes a new one.
const (
	Schema  = "cognito-mfa-enforcer/sign-in"
	Version = 1
)

// Message is one sign-in: which user of which pool, by which trigger, when
// and where.
type Message struct {
	Schema        string    `json:"schema"`
	Version       int       `json:"version"`
	PoolID        string    `json:"poolId"`
	Username      string    `json:"username"`
	Sub           string    `json:"sub,omitempty"`
	TriggerSource string    `json:"triggerSource"`
	Time          time.Time `json:"time"`
	Account       string    `json:"account,omitempty"` // empty outside Lambda
	Region        string    `json:"region"`
}

// New returns the message for a sign-in.
func New(poolID, username, sub, source string, at time.Time, account, region string) Message {
	return Message{Schema: Schema, Version: Version, PoolID: poolID, Username: username, Sub: sub,
		TriggerSource: source, Time: at.UTC(), Account: account, Region: region}
}

// ChecksUser reports whether the sign-in asks for a user check: a
// completed sign-in (PostAuthentication) names a user who signed in; a
// PreAuthentication attempt may still fail, and only checks the pool.
func (m Message) ChecksUser() bool {
	return m.TriggerSource == PostAuthentication && m.Username != ""
}

// Key names what a message asks to check, so repeats can be recognised:
// the user for a completed sign-in, the pool for an attempt.
func (m Message) Key() string {
	if m.ChecksUser() {
		return m.PoolID + "/" + m.Username
	}
	return m.PoolID
}

// Dedup is m's FIFO deduplication ID: its Key and the sub it claims,
// hashed (a user name may hold characters the ID may not; 64 of the 128
// characters allowed). With the sub, a message forged under another sub
// cannot make the queue drop the user's real sign-in.
func (m Message) Dedup() string {
	sum := sha256.Sum256([]byte(m.Key() + "\x00" + m.Sub))
	return hex.EncodeToString(sum[:])
}

// Validate reports the first field that makes m unusable.
func (m Message) Validate() error {
	switch {
	case m.Schema != Schema:
		return fmt.Errorf("sign-in message: schema: %q is not %q", m.Schema, Schema)
	case m.Version != Version:
		return fmt.Errorf("sign-in message: version: %d is not supported (supported: %d)", m.Version, Version)
	case !policy.IsPoolID(m.PoolID):
		return fmt.Errorf("sign-in message: poolId: %q is not a user pool ID", m.PoolID)
	case m.TriggerSource != PreAuthentication && m.TriggerSource != PostAuthentication:
		return fmt.Errorf("sign-in message: triggerSource: %q is not %s or %s", m.TriggerSource, PreAuthentication, PostAuthentication)
	case m.Time.IsZero():
		return errors.New("sign-in message: time: missing")
	}
	return nil
}

// Decode reads and validates one message body.
func Decode(body string) (Message, error) {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return Message{}, fmt.Errorf("sign-in message: %w", err)
	}
	return m, m.Validate()
}
