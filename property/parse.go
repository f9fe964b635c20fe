package property

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"cityvitals/internal/yamlnode"
	"cityvitals/model"
)

// entry is one property as written in a catalog file.
type entry struct {
	ID              string  `yaml:"id"`
	NameZH          string  `yaml:"name_zh"`
	NameEN          string  `yaml:"name_en"`
	UoM             string  `yaml:"uom"`
	Domain          string  `yaml:"domain"`
	Kind            string  `yaml:"kind"`
	Min             float64 `yaml:"min"`
	Max             float64 `yaml:"max"`
	DefaultInterval string  `yaml:"default_interval"`
	States          []State `yaml:"states"`
	Source          string  `yaml:"source"`
}

// entryFields are the keys an entry may have; anything else is a typo.
var entryFields = []string{"id", "name_zh", "name_en", "uom", "domain", "kind",
	"min", "max", "default_interval", "states", "source"}

// maxProblems caps how many problems one Parse reports, so that a wrong
// file yields a readable error rather than thousands of lines.
const maxProblems = 20

// Parse reads a catalog file's content. name is used in error messages
// only. The file is a mapping with a "properties" sequence; see the
// embedded catalog.yaml for the format. Every problem found (up to 20) is
// reported as an EINVALID *model.Error "name:line: property "id": field f:
// reason"; the errors are joined.
func Parse(name string, data []byte) (*Catalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	items, err := propertyNodes(name, &doc)
	if err != nil {
		return nil, err
	}
	c := &Catalog{byID: make(map[string]Property, len(items))}
	var problems []error
	idLine := make(map[string]int, len(items))
	for _, item := range items {
		p, perr := decodeEntry(name, item)
		if perr == nil {
			perr = c.addAt(name, item, p, idLine)
		}
		if perr != nil {
			problems = append(problems, perr)
			if len(problems) == maxProblems {
				problems = append(problems, model.Errorf(model.EINVALID, "%s: too many problems, stopped", name))
				break
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return c, nil
}

// propertyNodes returns the items of the top-level "properties" sequence.
func propertyNodes(name string, doc *yaml.Node) ([]*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, model.Errorf(model.EINVALID, "%s: empty catalog", name)
	}
	root := doc.Content[0]
	seq := yamlnode.Value(root, "properties")
	if root.Kind != yaml.MappingNode || seq == nil || seq.Kind != yaml.SequenceNode {
		return nil, model.Errorf(model.EINVALID, "%s:%d: field properties: expected a list of properties", name, root.Line)
	}
	return seq.Content, nil
}

// decodeEntry turns one sequence item into a Property, reporting type
// errors and unknown keys with their line.
func decodeEntry(name string, item *yaml.Node) (Property, error) {
	id := yamlnode.Scalar(item, "id")
	if item.Kind != yaml.MappingNode {
		return Property{}, model.Errorf(model.EINVALID, "%s:%d: expected a mapping for a property", name, item.Line)
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k := item.Content[i]
		if !slices.Contains(entryFields, k.Value) {
			return Property{}, lineError(name, k.Line, id, k.Value, "unknown field")
		}
	}
	var e entry
	if err := item.Decode(&e); err != nil {
		return Property{}, model.Errorf(model.EINVALID, "%s:%d: property %q: %v", name, item.Line, id, err)
	}
	interval, err := time.ParseDuration(e.DefaultInterval)
	if e.DefaultInterval != "" && err != nil {
		return Property{}, lineError(name, yamlnode.Line(item, "default_interval"), id, "default_interval", err.Error())
	}
	kind := Kind(e.Kind)
	if kind == "" {
		kind = KindQuantity
	}
	return Property{
		ID: e.ID, NameZH: e.NameZH, NameEN: e.NameEN, UoM: e.UoM,
		Domain: Domain(e.Domain), Kind: kind, Min: e.Min, Max: e.Max,
		DefaultInterval: interval, States: e.States, Source: e.Source,
	}, nil
}

// addAt adds p to c, or explains with the offending field's line why not.
func (c *Catalog) addAt(name string, item *yaml.Node, p Property, idLine map[string]int) error {
	if first, dup := idLine[p.ID]; dup && p.ID != "" {
		return lineError(name, yamlnode.Line(item, "id"), p.ID, "id", fmt.Sprintf("duplicate of the property on line %d", first))
	}
	if fe := checkFields(p); fe != nil {
		return lineError(name, yamlnode.Line(item, fe.field), p.ID, fe.field, fe.reason)
	}
	idLine[p.ID] = yamlnode.Line(item, "id")
	return c.add(p)
}

func lineError(name string, line int, id, field, reason string) error {
	return model.Errorf(model.EINVALID, "%s:%d: property %q: field %s: %s", name, line, id, field, reason)
}
