// Package pack turns template.yaml into the member stack an AWS
// Organizations StackSet can deploy: plain CloudFormation (service-managed
// StackSets refuse templates with a Transform) whose function code is read
// from S3 at a location given by parameters, plus each function's bootstrap
// for arm64, zipped.
package pack

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/template"
)

// TemplateFile is the member template's name in the output folder.
const TemplateFile = "member.template.json"

// Code location parameters the member template adds.
const (
	BucketPrefixParam = "CodeBucketPrefix"
	KeyPrefixParam    = "CodeKeyPrefix"
)

// CodeLocation is where a function's code is read from: one bucket per
// Region (<prefix>-<region>, readable by the organisation), one key per
// function.
func CodeLocation(logicalID string) map[string]any {
	return map[string]any{
		"S3Bucket": map[string]any{"Fn::Sub": "${" + BucketPrefixParam + "}-${AWS::Region}"},
		"S3Key":    map[string]any{"Fn::Sub": "${" + KeyPrefixParam + "}" + logicalID + ".zip"},
	}
}

// CloudFormation's limits on a template: passed inline (--template-body),
// and read from S3 (--template-url). The member template is past the
// first: the rollout uploads it and passes its URL.
const (
	BodyLimit = 51_200
	URLLimit  = 1 << 20
)

// Package writes the member template and one zip per function into out.
// It builds the functions for arm64 through the Makefile targets `sam
// build` uses, so the zips hold what `sam deploy` would upload.
func Package(root, out string) ([]string, error) {
	path, functions, err := Template(root, out)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	for _, id := range functions {
		zipped, err := build(root, id, out)
		if err != nil {
			return nil, err
		}
		files = append(files, zipped)
	}
	return files, nil
}

// Template writes the member template alone into out, for upload to S3,
// and returns its path and the functions' logical IDs.
func Template(root, out string) (path string, functions []string, err error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", nil, err
	}
	tpl, err := template.Transform(filepath.Join(root, "template.yaml"))
	if err != nil {
		return "", nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(tpl.Raw, &doc); err != nil {
		return "", nil, err
	}
	functions = member(doc)
	body, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return "", nil, err
	}
	if len(body) >= URLLimit {
		return "", nil, fmt.Errorf("member template of %d bytes: CloudFormation reads at most %d from S3", len(body), URLLimit)
	}
	path = filepath.Join(out, TemplateFile)
	return path, functions, os.WriteFile(path, append(body, '\n'), 0o644)
}

// member rewrites a transformed template in place: code from the
// parameterised S3 location, the two parameters added. It returns the
// functions' logical IDs.
func member(doc map[string]any) []string {
	params, _ := doc["Parameters"].(map[string]any)
	if params == nil {
		params = map[string]any{}
		doc["Parameters"] = params
	}
	params[BucketPrefixParam] = map[string]any{"Type": "String", "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,40}$",
		"Description": "Code buckets' name prefix: each Region's stack reads its code from <prefix>-<region>."}
	params[KeyPrefixParam] = map[string]any{"Type": "String", "Default": "cognito-mfa-enforcer/",
		"Description": "Key prefix of the functions' zips in the code buckets."}
	delete(doc, "Transform")
	var ids []string
	for id, r := range doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] != "AWS::Lambda::Function" {
			continue
		}
		res["Properties"].(map[string]any)["Code"] = CodeLocation(id)
		delete(res, "Metadata") // sam build's BuildMethod: nothing for CloudFormation
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// build compiles one function for arm64 and zips its bootstrap.
func build(root, logicalID, out string) (string, error) {
	dir, err := os.MkdirTemp("", "pack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("make", "-s", "build-"+logicalID, "ARTIFACTS_DIR="+dir, "GOARCH=arm64")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build-%s (arm64, built on %s): %w\n%s", logicalID, runtime.GOARCH, err, b)
	}
	zipped := filepath.Join(out, logicalID+".zip")
	return zipped, zipFile(filepath.Join(dir, "bootstrap"), zipped)
}

// zipFile writes a zip holding src as an executable named bootstrap, the
// name the provided.al2023 runtime starts.
func zipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	entry, err := w.CreateHeader(h)
	if err == nil {
		_, err = io.Copy(entry, in)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
