// Package coldstart measures a built function's cold path (process start
// to the first answer) side by side with a naive floor built the same way,
// for the cold-start benchmarks.
package coldstart

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/localinvoke"
)

// Env is a sandbox's AWS environment against a local endpoint, with no
// shared config or instance metadata to read.
func Env(endpoint string) []string {
	return []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=token",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
}

// Build compiles the main package pkg (relative to root) the way the
// Makefile builds functions, for goarch.
func Build(tb testing.TB, root, pkg, out, goarch string) string {
	tb.Helper()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", pkg, err, o)
	}
	return out
}

// Compare builds the product's and the floor's main packages, then starts
// each cold and answers event with it, alternating so both see the same
// machine load, b.N times. It reports each cold path in ms
// ("ms-"+name), their ratio (name+"/floor") and each bootstrap's size in
// MB as deployed (linux/arm64, "MB-"+name).
func Compare(b *testing.B, root string, spec localinvoke.FunctionSpec, env []string, event []byte, name, pkg, floorPkg string) {
	b.Helper()
	dir := b.TempDir()
	bins := map[string]string{name: Build(b, root, pkg, filepath.Join(dir, name), runtime.GOARCH),
		"floor": Build(b, root, floorPkg, filepath.Join(dir, "floor"), runtime.GOARCH)}
	sizes := map[string]float64{}
	for n, p := range map[string]string{name: pkg, "floor": floorPkg} {
		st, err := os.Stat(Build(b, root, p, filepath.Join(dir, n+"-arm64"), "arm64"))
		if err != nil {
			b.Fatal(err)
		}
		sizes[n] = float64(st.Size()) / (1 << 20)
	}
	cold := func(bin string) time.Duration {
		t0 := time.Now()
		rt, err := localinvoke.Start(bin, spec, env, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := rt.Invoke(context.Background(), event)
		d := time.Since(t0)
		rt.Close()
		if err != nil || res.Err != nil {
			b.Fatalf("%s: %v %v\n%s", bin, err, res.Err, rt.Logs())
		}
		return d
	}
	var product, floor time.Duration
	for b.Loop() {
		floor += cold(bins["floor"])
		product += cold(bins[name])
	}
	n := float64(b.N)
	b.ReportMetric(product.Seconds()*1000/n, "ms-"+name)
	b.ReportMetric(floor.Seconds()*1000/n, "ms-floor")
	b.ReportMetric(float64(product)/float64(floor), name+"/floor")
	for n, mb := range sizes {
		b.ReportMetric(mb, "MB-"+n)
	}
}
