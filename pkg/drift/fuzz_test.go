package drift

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// FuzzParseEvent: no input panics, and an accepted successful call always
// names a valid pool ID and one of the watched event names.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "drift-*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	f.Add(`{"source":"aws.cognito-idp","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"cognito-idp.amazonaws.com","eventName":"UpdateUserPool","errorCode":"X"}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseEvent([]byte(raw))
		if err != nil || c.ErrorCode != "" {
			return
		}
		if !policy.IsPoolID(c.PoolID) {
			t.Fatalf("accepted pool ID %q", c.PoolID)
		}
		valid := false
		for _, n := range EventNames {
			valid = valid || n == c.EventName
		}
		if !valid {
			t.Fatalf("accepted event name %q", c.EventName)
		}
	})
}
