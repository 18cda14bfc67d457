package localinvoke

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Template is the part of a SAM template the harness needs: parameters,
// global and per-function environment, timeouts and memory.
type Template struct {
	Parameters map[string]string // parameter defaults
	Resources  map[string]resource
	Conditions map[string]yaml.Node
	globals    functionProps
}

type resource struct {
	Type       string    `yaml:"Type"`
	Properties yaml.Node `yaml:"Properties"`
}

type functionProps struct {
	Timeout     int `yaml:"Timeout"`
	MemorySize  int `yaml:"MemorySize"`
	Environment struct {
		Variables map[string]yaml.Node `yaml:"Variables"`
	} `yaml:"Environment"`
}

// FunctionSpec is one function as the harness runs it.
type FunctionSpec struct {
	LogicalID string
	Env       map[string]string
	Timeout   time.Duration
	Memory    int
	Account   string // in the invoked function ARN; empty means DefaultAccount
}

// DefaultAccount is the account of the invoked function ARN (and of the
// samples in events/) unless a spec names another.
const DefaultAccount = "123456789012"

// LoadTemplate reads a SAM template.
func LoadTemplate(path string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Parameters map[string]struct {
			Default yaml.Node `yaml:"Default"`
		} `yaml:"Parameters"`
		Globals struct {
			Function functionProps `yaml:"Function"`
		} `yaml:"Globals"`
		Resources  map[string]resource  `yaml:"Resources"`
		Conditions map[string]yaml.Node `yaml:"Conditions"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t := &Template{Parameters: map[string]string{}, Resources: doc.Resources, Conditions: doc.Conditions, globals: doc.Globals.Function}
	for name, p := range doc.Parameters {
		t.Parameters[name] = p.Default.Value
	}
	return t, nil
}

// Functions lists the logical IDs of the template's functions.
func (t *Template) Functions() []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Function resolves one function's settings. params override parameter
// defaults, as `sam local invoke --parameter-overrides` does.
func (t *Template) Function(logicalID string, params map[string]string) (FunctionSpec, error) {
	r, ok := t.Resources[logicalID]
	if !ok || r.Type != "AWS::Serverless::Function" {
		return FunctionSpec{}, fmt.Errorf("template has no function %q (functions: %s)", logicalID, strings.Join(t.Functions(), ", "))
	}
	var props functionProps
	if err := r.Properties.Decode(&props); err != nil {
		return FunctionSpec{}, fmt.Errorf("%s: %w", logicalID, err)
	}
	values := map[string]string{}
	for k, v := range t.Parameters {
		values[k] = v
	}
	for k, v := range params {
		values[k] = v
	}
	spec := FunctionSpec{LogicalID: logicalID, Env: map[string]string{},
		Timeout: time.Duration(firstNonZero(props.Timeout, t.globals.Timeout, 3)) * time.Second,
		Memory:  firstNonZero(props.MemorySize, t.globals.MemorySize, 128)}
	for _, vars := range []map[string]yaml.Node{t.globals.Environment.Variables, props.Environment.Variables} {
		for k, node := range vars {
			spec.Env[k] = t.resolve(&node, values)
		}
	}
	return spec, nil
}

func firstNonZero(vs ...int) int {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

var pseudo = map[string]string{
	"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
	"AWS::StackName": "local", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": "",
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// getAtt stands in for an attribute of a resource that is not deployed: an
// ARN-shaped placeholder, so values that must be ARNs still parse.
func getAtt(id, attr string) string {
	return "arn:aws:local:" + pseudo["AWS::Region"] + ":" + pseudo["AWS::AccountId"] + ":" + id + "/" + attr
}

// resolve evaluates the intrinsics that environment values use. A Ref to a
// resource yields its logical ID, as sam local does without a deployed stack.
func (t *Template) resolve(n *yaml.Node, params map[string]string) string {
	ref := func(name string) string {
		if v, ok := params[name]; ok {
			return v
		}
		if v, ok := pseudo[name]; ok {
			return v
		}
		return name
	}
	switch {
	case n.Tag == "!Ref":
		return ref(n.Value)
	case n.Tag == "!Sub" && n.Kind == yaml.ScalarNode:
		return subVar.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := subVar.FindStringSubmatch(m)[1]
			if id, attr, ok := strings.Cut(name, "."); ok {
				return getAtt(id, attr)
			}
			return ref(name)
		})
	case n.Tag == "!GetAtt":
		id, attr, _ := strings.Cut(n.Value, ".")
		return getAtt(id, attr)
	case n.Tag == "!Join" && n.Kind == yaml.SequenceNode && len(n.Content) == 2:
		var parts []string
		for _, c := range n.Content[1].Content {
			parts = append(parts, t.resolve(c, params))
		}
		return strings.Join(parts, n.Content[0].Value)
	case n.Tag == "!If" && n.Kind == yaml.SequenceNode && len(n.Content) == 3:
		if t.condition(n.Content[0].Value, params) {
			return t.resolve(n.Content[1], params)
		}
		return t.resolve(n.Content[2], params)
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Ref":
		return ref(n.Content[1].Value)
	case n.Kind == yaml.ScalarNode:
		return n.Value
	}
	return ""
}

// condition evaluates a named condition built from !Equals and !Not.
func (t *Template) condition(name string, params map[string]string) bool {
	n, ok := t.Conditions[name]
	if !ok {
		return false
	}
	return t.truth(&n, params)
}

func (t *Template) truth(n *yaml.Node, params map[string]string) bool {
	switch {
	case n.Tag == "!Equals" && len(n.Content) == 2:
		return t.resolve(n.Content[0], params) == t.resolve(n.Content[1], params)
	case n.Tag == "!Not" && len(n.Content) == 1:
		return !t.truth(n.Content[0], params)
	case n.Tag == "!Condition":
		return t.condition(n.Value, params)
	}
	return false
}
