package incident

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"slices"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"

	"cityvitals/model"
)

//go:embed routing.yaml
var defaultRouting []byte

// Router maps an incident (category × place × level …) to the department
// responsible for it: the first rule whose CEL condition holds wins.
// Rules are data: the embedded routing.yaml, or a file a city supplies.
type Router struct {
	rules []routeRule
}

type routeRule struct {
	line    int
	name    string
	dept    string
	program cel.Program
}

// RouteInput is what a routing condition sees.
type RouteInput struct {
	Category string
	Domain   string
	Level    int8
	Unit     string
	Path     []string // the unit's ancestors from the root, the unit last
	Source   model.IncidentSource
	Assets   []string
}

type routeFile struct {
	Rules []struct {
		Name string `yaml:"name"`
		When string `yaml:"when"`
		Dept string `yaml:"dept"`
	} `yaml:"rules"`
}

// DefaultRouter is the router of the embedded routing.yaml.
func DefaultRouter() (*Router, error) { return ParseRouter("routing.yaml", defaultRouting) }

// LoadRouter reads routing rules from a file.
func LoadRouter(path string) (*Router, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("routing rules: %w", err)
	}
	return ParseRouter(path, b)
}

// ParseRouter compiles routing rules; errors name file and line.
func ParseRouter(name string, src []byte) (*Router, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	var f routeFile
	if err := doc.Decode(&f); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	env, err := cel.NewEnv(
		cel.Variable("category", cel.StringType), cel.Variable("domain", cel.StringType),
		cel.Variable("level", cel.IntType), cel.Variable("unit", cel.StringType),
		cel.Variable("path", cel.ListType(cel.StringType)), cel.Variable("source", cel.StringType),
		cel.Variable("assets", cel.ListType(cel.StringType)),
	)
	if err != nil {
		return nil, fmt.Errorf("routing environment: %w", err)
	}
	items := ruleNodes(&doc)
	r := &Router{}
	for i, rule := range f.Rules {
		line := 0
		if i < len(items) {
			line = items[i].Line
		}
		if rule.Dept == "" || rule.When == "" {
			return nil, model.Errorf(model.EINVALID, "%s:%d: rule %q needs both when and dept", name, line, rule.Name)
		}
		ast, iss := env.Compile(rule.When)
		if iss.Err() != nil {
			return nil, model.Errorf(model.EINVALID, "%s:%d: rule %q: %v", name, line, rule.Name, iss.Err())
		}
		if !ast.OutputType().IsExactType(cel.BoolType) {
			return nil, model.Errorf(model.EINVALID, "%s:%d: rule %q: when must be a boolean, is %s", name, line, rule.Name, ast.OutputType())
		}
		prg, err := env.Program(ast)
		if err != nil {
			return nil, model.Errorf(model.EINVALID, "%s:%d: rule %q: %v", name, line, rule.Name, err)
		}
		r.rules = append(r.rules, routeRule{line: line, name: rule.Name, dept: rule.Dept, program: prg})
	}
	if len(r.rules) == 0 {
		return nil, model.Errorf(model.EINVALID, "%s: no routing rules", name)
	}
	return r, nil
}

func ruleNodes(doc *yaml.Node) []*yaml.Node {
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "rules" {
			return root.Content[i+1].Content
		}
	}
	return nil
}

// Route returns the department of the first matching rule and the rule's
// name, or ENOTFOUND when no rule matches.
func (r *Router) Route(in RouteInput) (dept, rule string, err error) {
	vars := map[string]any{
		"category": in.Category, "domain": in.Domain, "level": int64(in.Level), "unit": in.Unit,
		"path": nonNil(in.Path), "source": string(in.Source), "assets": nonNil(in.Assets),
	}
	for _, rr := range r.rules {
		out, _, err := rr.program.Eval(vars)
		if err != nil {
			return "", "", fmt.Errorf("routing rule %q (line %d): %w", rr.name, rr.line, err)
		}
		if ok, _ := out.Value().(bool); ok {
			return rr.dept, rr.name, nil
		}
	}
	return "", "", model.Errorf(model.ENOTFOUND, "no routing rule matches category %q in unit %q", in.Category, in.Unit)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Departments lists the departments the rules route to, in rule order.
func (r *Router) Departments() []string {
	var out []string
	for _, rr := range r.rules {
		if !slices.Contains(out, rr.dept) {
			out = append(out, rr.dept)
		}
	}
	return out
}
