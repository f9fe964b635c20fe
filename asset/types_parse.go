package asset

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"cityvitals/internal/yamlnode"
	"cityvitals/model"
)

// typeEntry is one type as written in a catalog file.
type typeEntry struct {
	ID         string    `yaml:"id"`
	NameZH     string    `yaml:"name_zh"`
	NameEN     string    `yaml:"name_en"`
	Code       string    `yaml:"code"`
	CodeSource string    `yaml:"code_source"`
	Geometry   string    `yaml:"geometry"`
	Dept       string    `yaml:"dept"`
	Properties []string  `yaml:"properties"`
	Subkinds   []Subkind `yaml:"subkinds"`
	OSM        []string  `yaml:"osm"`
}

var typeFields = []string{"id", "name_zh", "name_en", "code", "code_source",
	"geometry", "dept", "properties", "subkinds", "osm"}

// maxCatalogProblems caps how many problems one parse reports.
const maxCatalogProblems = 20

// ParseTypes reads a type catalog file's content; name is used in error
// messages only. Every problem found (up to 20) is an EINVALID *model.Error
// "name:line: type "id": field f: reason"; the errors are joined.
func ParseTypes(name string, data []byte) (*TypeCatalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	items, err := typeNodes(name, &doc)
	if err != nil {
		return nil, err
	}
	c := &TypeCatalog{
		byID:   make(map[model.AssetType]Type, len(items)),
		byCode: make(map[string]codeRef),
	}
	var problems []error
	for _, item := range items {
		if perr := c.addNode(name, item); perr != nil {
			problems = append(problems, perr)
			if len(problems) == maxCatalogProblems {
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

func typeNodes(name string, doc *yaml.Node) ([]*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, model.Errorf(model.EINVALID, "%s: empty catalog", name)
	}
	root := doc.Content[0]
	seq := yamlnode.Value(root, "types")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil, model.Errorf(model.EINVALID, "%s:%d: field types: expected a list of component types", name, root.Line)
	}
	return seq.Content, nil
}

// addNode decodes, checks and adds one type.
func (c *TypeCatalog) addNode(name string, item *yaml.Node) error {
	id := yamlnode.Scalar(item, "id")
	if item.Kind != yaml.MappingNode {
		return model.Errorf(model.EINVALID, "%s:%d: expected a mapping for a component type", name, item.Line)
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		if k := item.Content[i]; !slices.Contains(typeFields, k.Value) {
			return typeLineError(name, k.Line, id, k.Value, "unknown field")
		}
	}
	var e typeEntry
	if err := item.Decode(&e); err != nil {
		return model.Errorf(model.EINVALID, "%s:%d: type %q: %v", name, item.Line, id, err)
	}
	t := Type{
		ID: model.AssetType(e.ID), NameZH: e.NameZH, NameEN: e.NameEN,
		Code: e.Code, CodeSource: e.CodeSource, Geometry: GeometryKind(e.Geometry),
		Dept: e.Dept, Properties: e.Properties, Subkinds: e.Subkinds, OSM: e.OSM,
	}
	field, reason := c.check(t)
	if field != "" {
		return typeLineError(name, yamlnode.Line(item, field), id, field, reason)
	}
	c.add(t)
	return nil
}

// check returns the first field of t at fault and why, or "", "".
func (c *TypeCatalog) check(t Type) (field, reason string) {
	switch {
	case t.ID == "":
		return "id", "missing"
	case c.byID[t.ID].ID != "":
		return "id", "duplicate type id"
	case t.NameZH == "":
		return "name_zh", "missing"
	case t.NameEN == "":
		return "name_en", "missing"
	case t.Geometry != GeometryPoint && t.Geometry != GeometryLine && t.Geometry != GeometryPolygon:
		return "geometry", fmt.Sprintf("must be point, line or polygon, not %q", t.Geometry)
	case t.Dept == "":
		return "dept", "missing"
	}
	if reason := c.checkCode(t.Code); reason != "" {
		return "code", reason
	}
	for _, sk := range t.Subkinds {
		if reason := c.checkCode(sk.Code); reason != "" || sk.Code == "" {
			return "subkinds", fmt.Sprintf("subkind %q: code %s", sk.NameEN, cmp.Or(reason, "missing"))
		}
	}
	for _, p := range t.Properties {
		if p == "" || strings.ContainsAny(p, " \t") {
			return "properties", fmt.Sprintf("bad property id %q", p)
		}
	}
	for _, s := range t.OSM {
		if _, err := parseTagSet(s); err != nil {
			return "osm", err.Error()
		}
	}
	return "", ""
}

// checkCode accepts "" or a 4-digit legacy code not used yet.
func (c *TypeCatalog) checkCode(code string) string {
	if code == "" {
		return ""
	}
	if len(code) != 4 || strings.Trim(code, "0123456789") != "" {
		return fmt.Sprintf("%q is not a 4-digit GB/T 30428.2 code", code)
	}
	if ref, dup := c.byCode[code]; dup {
		return fmt.Sprintf("%s is already used by type %s", code, ref.typ)
	}
	return ""
}

// add stores a checked type and indexes its codes and OSM tags.
func (c *TypeCatalog) add(t Type) {
	c.byID[t.ID] = t
	c.order = append(c.order, t.ID)
	if t.Code != "" {
		c.byCode[t.Code] = codeRef{typ: t.ID, subkind: -1}
	}
	for i, sk := range t.Subkinds {
		c.byCode[sk.Code] = codeRef{typ: t.ID, subkind: i}
	}
	for _, s := range t.OSM {
		tags, _ := parseTagSet(s) // checked before
		c.osm = append(c.osm, osmRule{typ: t.ID, tags: tags})
	}
}

func typeLineError(name string, line int, id, field, reason string) error {
	return model.Errorf(model.EINVALID, "%s:%d: type %q: field %s: %s", name, line, id, field, reason)
}
