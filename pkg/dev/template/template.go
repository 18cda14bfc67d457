// Package template reads the SAM template as CloudFormation sees it after
// the SAM transform, so tests can check what will be deployed.
package template

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

//go:embed transform.py
var script []byte

// Resource is one CloudFormation resource.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Condition  string         `json:"Condition"`
	DependsOn  any            `json:"DependsOn"`
}

// Transformed is a template after the SAM transform.
type Transformed struct {
	Parameters map[string]any      `json:"Parameters"`
	Conditions map[string]any      `json:"Conditions"`
	Resources  map[string]Resource `json:"Resources"`
	Outputs    map[string]any      `json:"Outputs"`
	Raw        json.RawMessage     `json:"-"` // the whole template, as the translator wrote it
}

// Transform runs the SAM translator (python3, installed with cfn-lint).
func Transform(path string) (*Transformed, error) {
	dir, err := os.MkdirTemp("", "sam-transform-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	py := filepath.Join(dir, "transform.py")
	if err := os.WriteFile(py, script, 0o600); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("python3", py, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("SAM transform of %s: %w: %s", path, err, stderr.String())
	}
	t := Transformed{Raw: stdout.Bytes()}
	if err := json.Unmarshal(t.Raw, &t); err != nil {
		return nil, fmt.Errorf("SAM transform output: %w", err)
	}
	return &t, nil
}

// OfType lists the logical IDs of resources of one type.
func (t *Transformed) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// ForwardingRolePath is the IAM path of the member stack's forwarding role:
// the hub's bus policy admits roles under it only.
const ForwardingRolePath = "/cognito-mfa-enforcer/"
