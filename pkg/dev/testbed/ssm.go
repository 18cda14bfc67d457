package testbed

import (
	"context"
	"fmt"
)

// PutParameter writes a new version of an SSM String parameter (creating
// it) and returns the version number SSM gave it.
func (m *Moto) PutParameter(ctx context.Context, name, value string) (int64, error) {
	var out struct{ Version int64 }
	if err := m.Call(ctx, &out, "ssm", "PutParameter", map[string]any{"Name": name, "Type": "String", "Overwrite": true, "Value": value}); err != nil {
		return 0, fmt.Errorf("put policy parameter %s: %w", name, err)
	}
	return out.Version, nil
}

// RecreateParameter deletes a parameter and creates it again with value,
// as CloudFormation does when it replaces an AWS::SSM::Parameter: SSM
// starts its versions again at 1.
func (m *Moto) RecreateParameter(ctx context.Context, name, value string) (int64, error) {
	if err := m.Call(ctx, nil, "ssm", "DeleteParameter", map[string]string{"Name": name}); err != nil {
		return 0, fmt.Errorf("delete policy parameter %s: %w", name, err)
	}
	return m.PutParameter(ctx, name, value)
}
