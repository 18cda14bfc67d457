package localinvoke

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Build compiles one function for this host through the Makefile target
// `sam build` uses, into dir, and returns the bootstrap's path.
func Build(root, logicalID, dir string) (string, error) {
	cmd := exec.Command("make", "-s", "build-"+logicalID, "ARTIFACTS_DIR="+dir, "GOARCH="+runtime.GOARCH)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build-%s: %w\n%s", logicalID, err, out)
	}
	return filepath.Join(dir, "bootstrap"), nil
}

var (
	buildMu  sync.Mutex
	builtDir string
	built    = map[string]string{}
)

// StartForTest builds the function once per test binary and runs it under
// the harness with the template's environment (params override template
// parameters) plus extra variables such as the moto endpoint.
func StartForTest(t testing.TB, root, logicalID string, params map[string]string, extra []string) *Runtime {
	t.Helper()
	return StartForTestIn(t, root, logicalID, DefaultAccount, params, extra)
}

// StartForTestIn is StartForTest for a function in another account: its
// invoked function ARN names that account (extra carries its credentials).
func StartForTestIn(t testing.TB, root, logicalID, account string, params map[string]string, extra []string) *Runtime {
	t.Helper()
	buildMu.Lock()
	bin, ok := built[logicalID]
	if !ok {
		var err error
		if builtDir == "" {
			if builtDir, err = os.MkdirTemp("", "localinvoke-"); err != nil {
				buildMu.Unlock()
				t.Fatal(err)
			}
		}
		if bin, err = Build(root, logicalID, filepath.Join(builtDir, logicalID)); err != nil {
			buildMu.Unlock()
			t.Fatal(err)
		}
		built[logicalID] = bin
	}
	buildMu.Unlock()
	rt, err := StartFunctionIn(root, bin, logicalID, account, params, extra, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}

// StartFunction runs a built bootstrap under the harness with the
// environment root/template.yaml declares for logicalID.
func StartFunction(root, bin, logicalID string, params map[string]string, extra []string, logSink io.Writer) (*Runtime, error) {
	return StartFunctionIn(root, bin, logicalID, DefaultAccount, params, extra, logSink)
}

// StartFunctionIn is StartFunction for a function in account.
func StartFunctionIn(root, bin, logicalID, account string, params map[string]string, extra []string, logSink io.Writer) (*Runtime, error) {
	tpl, err := LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	spec, err := tpl.Function(logicalID, params)
	if err != nil {
		return nil, err
	}
	spec.Account = account
	return Start(bin, spec, extra, logSink)
}

// RemoveBuilds deletes what StartForTest built; call it from TestMain.
func RemoveBuilds() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
}
