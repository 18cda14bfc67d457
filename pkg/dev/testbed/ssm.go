package testbed

import (
	"context"
	"fmt"
)

// PutParameter writes a new version of an SSM String parameter (creating
// it) and returns the version number SSM gave it.
func (m *Moto) PutParameter(ctx context.Context, name, value string) (int64, error) {
	var out struct{ Version int64 }
	if err := m.CLI(ctx, &out, "ssm", "put-parameter", "--name", name, "--type", "String", "--overwrite", "--value", value); err != nil {
		return 0, fmt.Errorf("put policy parameter %s: %w", name, err)
	}
	return out.Version, nil
}
