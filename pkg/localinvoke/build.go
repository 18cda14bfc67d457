package localinvoke

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
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
