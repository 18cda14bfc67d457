package trigger

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/coldstart"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
)

const root = "../.."

// fakeSQS answers SendMessage as SQS does (the SDK checks the body's MD5).
func fakeSQS() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ MessageBody string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		sum := md5.Sum([]byte(in.MessageBody))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": "m", "MD5OfMessageBody": hex.EncodeToString(sum[:])})
	}))
}

// BenchmarkColdSignIn starts the built trigger and answers its first
// sign-in, side by side with a naive floor built the same way
// (testdata/floor: LoadDefaultConfig, an SQS client, one SendMessage),
// against the same local SQS endpoint. Reported: each cold path (process
// start to the first answer) in ms, their ratio (goal <= 1.1), and each
// bootstrap's size in MB as deployed (linux/arm64; goal <= 8 MB).
func BenchmarkColdSignIn(b *testing.B) {
	sqs := fakeSQS()
	defer sqs.Close()
	tpl, err := localinvoke.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	spec, err := tpl.Function("TriggerFunction", map[string]string{"SignInQueue": sqs.URL + "/123456789012/sign-in"})
	if err != nil {
		b.Fatal(err)
	}
	ev := signIn(PostAuthentication, "us-east-1_Cold1", "jane")
	coldstart.Compare(b, root, spec, coldstart.Env(sqs.URL), ev, "trigger", "./functions/trigger", "./pkg/trigger/testdata/floor")
}
