package trigger

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

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

// build compiles a main package the way the Makefile builds functions.
func build(b *testing.B, pkg, out, goarch string) string {
	b.Helper()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", pkg, err, o)
	}
	return out
}

// BenchmarkColdSignIn starts the built trigger and answers its first
// sign-in, side by side with a naive floor built the same way
// (testdata/floor: LoadDefaultConfig, an SQS client, one SendMessage),
// against the same local SQS endpoint. Reported: each cold path (process
// start to the first answer) in ms, their ratio (goal <= 1.1), and each
// bootstrap's size in MB as deployed (linux/arm64; goal <= 8 MB).
func BenchmarkColdSignIn(b *testing.B) {
	dir := b.TempDir()
	bins := map[string]string{
		"trigger": build(b, "./functions/trigger", filepath.Join(dir, "trigger"), runtime.GOARCH),
		"floor":   build(b, "./pkg/trigger/testdata/floor", filepath.Join(dir, "floor"), runtime.GOARCH),
	}
	sizes := map[string]float64{}
	for name, pkg := range map[string]string{"trigger": "./functions/trigger", "floor": "./pkg/trigger/testdata/floor"} {
		st, err := os.Stat(build(b, pkg, filepath.Join(dir, name+"-arm64"), "arm64"))
		if err != nil {
			b.Fatal(err)
		}
		sizes[name] = float64(st.Size()) / (1 << 20)
	}
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
	env := []string{"AWS_ENDPOINT_URL=" + sqs.URL, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=token",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
	ev := signIn(PostAuthentication, "us-east-1_Cold1", "jane")
	cold := func(bin string) time.Duration {
		t0 := time.Now()
		rt, err := localinvoke.Start(bin, spec, env, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := rt.Invoke(context.Background(), ev)
		d := time.Since(t0)
		rt.Close()
		if err != nil || res.Err != nil {
			b.Fatalf("%s: %v %v\n%s", bin, err, res.Err, rt.Logs())
		}
		return d
	}
	var trig, floor time.Duration
	for b.Loop() {
		// Alternate, so both see the same machine load.
		floor += cold(bins["floor"])
		trig += cold(bins["trigger"])
	}
	n := float64(b.N)
	b.ReportMetric(trig.Seconds()*1000/n, "ms-trigger")
	b.ReportMetric(floor.Seconds()*1000/n, "ms-floor")
	b.ReportMetric(float64(trig)/float64(floor), "trigger/floor")
	for name, mb := range sizes {
		b.ReportMetric(mb, "MB-"+name)
	}
}
