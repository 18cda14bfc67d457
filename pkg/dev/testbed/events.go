package testbed

import (
	"os"
	"path/filepath"
	"strings"
)

// Placeholders used by the samples in events/.
const (
	SamplePoolID   = "us-east-1_EXAMPLE11"
	SampleUserName = "jane.doe"
)

// Sample reads root/events/file and fills in a real pool ID and, when user
// is not empty, a real user name (also inside an SQS message's body).
func Sample(root, file, poolID, user string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(root, "events", file))
	if err != nil {
		return nil, err
	}
	s := strings.ReplaceAll(string(raw), SamplePoolID, poolID)
	if user != "" {
		s = strings.ReplaceAll(s, `"`+SampleUserName+`"`, `"`+user+`"`)
		s = strings.ReplaceAll(s, `\"`+SampleUserName+`\"`, `\"`+user+`\"`) // in an SQS message's body
	}
	return []byte(s), nil
}
