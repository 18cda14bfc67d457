package cognitofake

import (
	"context"
	"strings"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/setup"
)

// StartForTest starts a fake for one test and returns it with an SDK
// client built the way the functions build theirs (setup.AWS), pointed at
// it through the environment.
func StartForTest(t testing.TB) (*Server, *cip.Client) {
	t.Helper()
	f := New()
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	for _, kv := range f.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := setup.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f, cip.NewFromConfig(cfg)
}
