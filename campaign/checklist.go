package campaign

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"cityvitals/internal/yamlnode"
	"cityvitals/model"
)

//go:embed checklists.yaml
var defaultChecklistsYAML []byte

// Category is a problem class checklist items belong to.
type Category struct {
	ID     string `json:"id"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// Catalog is a validated, immutable set of checklists and the problem
// categories their items use; safe for concurrent use.
type Catalog struct {
	categories []Category
	checklists []model.Checklist
}

// DefaultChecklists returns the catalog embedded in the binary. It panics
// if the embedded file is invalid, which the package tests rule out.
func DefaultChecklists() *Catalog { return defaultChecklists() }

var defaultChecklists = sync.OnceValue(func() *Catalog {
	c, err := ParseChecklists("checklists.yaml", defaultChecklistsYAML)
	if err != nil {
		panic(fmt.Sprintf("campaign: embedded checklists: %v", err))
	}
	return c
})

// LoadChecklistsFile reads and validates a checklist file; see
// ParseChecklists for the errors.
func LoadChecklistsFile(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load checklists: %w", err)
	}
	return ParseChecklists(path, data)
}

// Checklist returns a copy of the checklist with the id.
func (c *Catalog) Checklist(id string) (model.Checklist, bool) {
	for _, cl := range c.checklists {
		if cl.ID == id {
			return cloneChecklist(cl), true
		}
	}
	return model.Checklist{}, false
}

// Checklists returns copies of every checklist in file order.
func (c *Catalog) Checklists() []model.Checklist {
	out := make([]model.Checklist, len(c.checklists))
	for i, cl := range c.checklists {
		out[i] = cloneChecklist(cl)
	}
	return out
}

// Categories returns the problem categories in file order.
func (c *Catalog) Categories() []Category { return slices.Clone(c.categories) }

// Category returns the category with the id.
func (c *Catalog) Category(id string) (Category, bool) {
	i := slices.IndexFunc(c.categories, func(x Category) bool { return x.ID == id })
	if i < 0 {
		return Category{}, false
	}
	return c.categories[i], true
}

func cloneChecklist(cl model.Checklist) model.Checklist {
	cl.Items = slices.Clone(cl.Items)
	return cl
}

// idPattern is what checklist, item and category ids look like: item ids
// become CSV column names, where '.' separates an item from its note or
// photos column.
var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,47}$`)

var (
	categoryFields  = []string{"id", "name_zh", "name_en"}
	checklistFields = []string{"id", "asset_type", "name_zh", "name_en", "dept", "source", "items"}
	itemFields      = []string{"id", "category", "text_zh", "text_en", "severity", "source"}
)

// maxChecklistProblems caps how many problems one parse reports.
const maxChecklistProblems = 20

// ParseChecklists reads a checklist file's content; name is used in error
// messages only. Every problem found (up to 20) is an EINVALID
// *model.Error "name:line: checklist "id" item "id": field f: reason";
// the errors are joined and no catalog is returned.
func ParseChecklists(name string, data []byte) (*Catalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, model.Errorf(model.EINVALID, "%s: expected a mapping with categories and checklists", name)
	}
	p := &checklistParser{name: name, c: &Catalog{}}
	root := doc.Content[0]
	p.checkFields(root, []string{"categories", "checklists"}, "")
	p.readCategories(root)
	p.readChecklists(root)
	if len(p.problems) > 0 {
		return nil, errors.Join(p.problems...)
	}
	return p.c, nil
}

type checklistParser struct {
	name     string
	c        *Catalog
	problems []error
	itemAt   map[string]string // item id → checklist that defines it
}

func (p *checklistParser) fail(line int, where, field, format string, args ...any) {
	if len(p.problems) > maxChecklistProblems {
		return
	}
	if len(p.problems) == maxChecklistProblems {
		p.problems = append(p.problems, model.Errorf(model.EINVALID, "%s: too many problems, stopped", p.name))
		return
	}
	prefix := fmt.Sprintf("%s:%d: ", p.name, line)
	if where != "" {
		prefix += where + ": "
	}
	if field != "" {
		prefix += "field " + field + ": "
	}
	p.problems = append(p.problems, model.Errorf(model.EINVALID, "%s%s", prefix, fmt.Sprintf(format, args...)))
}

// checkFields reports keys of m that are not allowed: a typo would
// otherwise be silently ignored.
func (p *checklistParser) checkFields(m *yaml.Node, allowed []string, where string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(allowed, k.Value) {
			p.fail(k.Line, where, k.Value, "unknown field")
		}
	}
}

// list returns the items of the sequence under key, reporting anything else.
func (p *checklistParser) list(m *yaml.Node, key, where string) []*yaml.Node {
	seq := yamlnode.Value(m, key)
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) == 0 {
		p.fail(yamlnode.Line(m, key), where, key, "expected a non-empty list")
		return nil
	}
	return seq.Content
}

// text returns the scalar under key, reporting it if missing.
func (p *checklistParser) text(m *yaml.Node, key, where string) string {
	v := strings.TrimSpace(yamlnode.Scalar(m, key))
	if v == "" {
		p.fail(yamlnode.Line(m, key), where, key, "missing")
	}
	return v
}

func (p *checklistParser) id(m *yaml.Node, key, where string) string {
	v := p.text(m, key, where)
	if v != "" && !idPattern.MatchString(v) {
		p.fail(yamlnode.Line(m, key), where, key, "%q is not an id (a letter, then letters, digits, '_' or '-')", v)
	}
	return v
}

func (p *checklistParser) readCategories(root *yaml.Node) {
	for _, n := range p.list(root, "categories", "") {
		if n.Kind != yaml.MappingNode {
			p.fail(n.Line, "", "categories", "expected a mapping for a category")
			continue
		}
		where := fmt.Sprintf("category %q", yamlnode.Scalar(n, "id"))
		p.checkFields(n, categoryFields, where)
		c := Category{ID: p.id(n, "id", where), NameZH: p.text(n, "name_zh", where), NameEN: p.text(n, "name_en", where)}
		if _, dup := p.c.Category(c.ID); dup && c.ID != "" {
			p.fail(yamlnode.Line(n, "id"), where, "id", "duplicate category id")
			continue
		}
		p.c.categories = append(p.c.categories, c)
	}
}

func (p *checklistParser) readChecklists(root *yaml.Node) {
	p.itemAt = map[string]string{}
	types := map[model.AssetType]string{}
	for _, n := range p.list(root, "checklists", "") {
		if n.Kind != yaml.MappingNode {
			p.fail(n.Line, "", "checklists", "expected a mapping for a checklist")
			continue
		}
		where := fmt.Sprintf("checklist %q", yamlnode.Scalar(n, "id"))
		p.checkFields(n, checklistFields, where)
		cl := model.Checklist{
			ID: p.id(n, "id", where), AssetType: model.AssetType(p.id(n, "asset_type", where)),
			NameZH: p.text(n, "name_zh", where), NameEN: p.text(n, "name_en", where),
			Dept: strings.TrimSpace(yamlnode.Scalar(n, "dept")), Source: p.text(n, "source", where),
		}
		if _, dup := p.c.Checklist(cl.ID); dup && cl.ID != "" {
			p.fail(yamlnode.Line(n, "id"), where, "id", "duplicate checklist id")
		}
		if other, dup := types[cl.AssetType]; dup && cl.AssetType != "" {
			p.fail(yamlnode.Line(n, "asset_type"), where, "asset_type", "%q already has checklist %q", cl.AssetType, other)
		}
		types[cl.AssetType] = cl.ID
		for _, item := range p.list(n, "items", where) {
			if it, ok := p.readItem(item, cl.ID); ok {
				cl.Items = append(cl.Items, it)
			}
		}
		p.c.checklists = append(p.c.checklists, cl)
	}
}

func (p *checklistParser) readItem(n *yaml.Node, checklist string) (model.ChecklistItem, bool) {
	where := fmt.Sprintf("checklist %q item %q", checklist, yamlnode.Scalar(n, "id"))
	if n.Kind != yaml.MappingNode {
		p.fail(n.Line, where, "", "expected a mapping for an item")
		return model.ChecklistItem{}, false
	}
	before := len(p.problems)
	p.checkFields(n, itemFields, where)
	it := model.ChecklistItem{
		ID: p.id(n, "id", where), Category: p.text(n, "category", where),
		TextZH: p.text(n, "text_zh", where), TextEN: p.text(n, "text_en", where),
		Severity: model.HazardSeverity(p.text(n, "severity", where)), Source: p.text(n, "source", where),
	}
	if other, dup := p.itemAt[it.ID]; dup && it.ID != "" {
		p.fail(yamlnode.Line(n, "id"), where, "id", "item id already used in checklist %q; item ids are unique in the file", other)
	}
	p.itemAt[it.ID] = checklist
	if _, ok := p.c.Category(it.Category); !ok && it.Category != "" {
		p.fail(yamlnode.Line(n, "category"), where, "category", "%q is not a category of this file", it.Category)
	}
	if !it.Severity.Valid() && it.Severity != "" {
		p.fail(yamlnode.Line(n, "severity"), where, "severity", "%q: want major or general", it.Severity)
	}
	if it.Source != "" && !hasConfidenceTag(it.Source) {
		p.fail(yamlnode.Line(n, "source"), where, "source", "must carry a confidence tag [V], [P] or [R]")
	}
	return it, len(p.problems) == before
}

func hasConfidenceTag(s string) bool {
	return strings.Contains(s, "[V]") || strings.Contains(s, "[P]") || strings.Contains(s, "[R]")
}
