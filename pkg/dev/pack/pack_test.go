package pack

import (
	"archive/zip"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestMemberTemplate packages the stack as a StackSet deploys it: no
// Transform, nothing serverless left, every function's code at the
// parameterised S3 location, cfn-lint clean, and one arm64 bootstrap zip
// per function.
func TestMemberTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("the SAM transform needs Python and the arm64 builds take a while: skipped with -short")
	}
	out := t.TempDir()
	if _, err := Package(filepath.Join("..", "..", ".."), out); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, TemplateFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Past the --template-body limit: the rollout passes its S3 URL.
	t.Logf("member template: %d bytes (inline limit %d, from S3 %d)", len(raw), BodyLimit, URLLimit)
	if len(raw) >= URLLimit {
		t.Errorf("member template of %d bytes: past what CloudFormation reads from S3", len(raw))
	}
	if strings.Contains(string(raw), "Transform") || strings.Contains(string(raw), "AWS::Serverless::") {
		t.Error("the member template still needs the SAM transform")
	}
	var doc struct {
		Parameters map[string]any
		Resources  map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{BucketPrefixParam, KeyPrefixParam, "CentralFindingsBusArn", "PolicyDocument", "EnableSecurityHub"} {
		if doc.Parameters[p] == nil {
			t.Errorf("no parameter %s", p)
		}
	}
	functions := 0
	for id, r := range doc.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		functions++
		if !reflect.DeepEqual(r.Properties["Code"], CodeLocation(id)) {
			t.Errorf("%s code from %v", id, r.Properties["Code"])
		}
		checkZip(t, filepath.Join(out, id+".zip"))
	}
	if functions != 4 {
		t.Errorf("%d functions, want 4", functions)
	}
	lint(t, path)
}

// lint runs cfn-lint on a template and fails on any finding but one:
// cfn-lint's list of IAM actions predates Cognito's GetProvisionedLimit
// (2026-07), which the sweep's role grants.
func lint(t *testing.T, path string) {
	t.Helper()
	b, err := exec.Command("cfn-lint", "--format", "json", path).Output()
	var found []struct {
		Rule     struct{ Id string }
		Message  string
		Location struct{ Path []any }
	}
	if jerr := json.Unmarshal(b, &found); jerr != nil {
		t.Fatalf("cfn-lint: %v %v\n%s", err, jerr, b)
	}
	for _, f := range found {
		if f.Rule.Id == "W3037" && strings.HasPrefix(f.Message, "'getprovisionedlimit' is not one of") {
			continue
		}
		t.Errorf("cfn-lint %s at %v: %.300s", f.Rule.Id, f.Location.Path, f.Message)
	}
}

func checkZip(t *testing.T, path string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if len(z.File) != 1 || z.File[0].Name != "bootstrap" || z.File[0].Mode()&0o100 == 0 {
		t.Fatalf("%s: want one executable bootstrap, got %v", path, z.File)
	}
	f, err := z.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tmp := filepath.Join(t.TempDir(), "bootstrap")
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := elf.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Machine != elf.EM_AARCH64 {
		t.Errorf("%s: built for %s, the functions run on arm64", path, e.Machine)
	}
}
