package plan

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"cityvitals/internal/yamlnode"
	"cityvitals/model"
)

// Term is one entry of a vocabulary: an id with its names.
type Term struct {
	ID     string `json:"id"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// Vocabulary is what plan tasks may name: the departments that take
// tasks and the incident categories the tasks open. It is a value: a
// city that names departments differently loads its own.
type Vocabulary struct {
	Departments []Term `json:"departments"`
	Categories  []Term `json:"categories"`
}

// Department returns the department with the id.
func (v Vocabulary) Department(id string) (Term, bool) { return find(v.Departments, id) }

// Category returns the category with the id.
func (v Vocabulary) Category(id string) (Term, bool) { return find(v.Categories, id) }

func find(terms []Term, id string) (Term, bool) {
	i := slices.IndexFunc(terms, func(t Term) bool { return t.ID == id })
	if i < 0 {
		return Term{}, false
	}
	return terms[i], true
}

// DefaultVocabulary returns the vocabulary embedded in the binary
// (defaults/vocabulary.yaml).
func DefaultVocabulary() (Vocabulary, error) {
	data, err := defaultFiles.ReadFile("defaults/vocabulary.yaml")
	if err != nil {
		return Vocabulary{}, fmt.Errorf("read default plan vocabulary: %w", err)
	}
	return ParseVocabulary("defaults/vocabulary.yaml", data)
}

// ParseVocabulary reads a vocabulary file: mappings departments and
// categories, each a list of {id, name_zh, name_en}. Problems come back
// as EINVALID errors "name:line: field: reason", joined.
func ParseVocabulary(name string, data []byte) (Vocabulary, error) {
	root, err := parseRoot(name, data, "departments and categories")
	if err != nil {
		return Vocabulary{}, err
	}
	probs := &problems{}
	checkFields(root, []string{"departments", "categories"}, func(key string, line int) {
		probs.add("%s:%d: %s: unknown field", name, line, key)
	})
	v := Vocabulary{
		Departments: readTerms(name, root, "departments", probs),
		Categories:  readTerms(name, root, "categories", probs),
	}
	return v, probs.err()
}

func readTerms(name string, root *yaml.Node, key string, probs *problems) []Term {
	list := yamlnode.Value(root, key)
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		probs.add("%s:%d: %s: expected a list of {id, name_zh, name_en}", name, yamlnode.Line(root, key), key)
		return nil
	}
	var terms []Term
	for i, item := range list.Content {
		where := fmt.Sprintf("%s:%d: %s[%d]", name, item.Line, key, i)
		t := Term{ID: yamlnode.Scalar(item, "id"), NameZH: yamlnode.Scalar(item, "name_zh"), NameEN: yamlnode.Scalar(item, "name_en")}
		checkFields(item, []string{"id", "name_zh", "name_en"}, func(k string, line int) {
			probs.add("%s:%d: %s[%d].%s: unknown field", name, line, key, i, k)
		})
		switch {
		case !termPattern.MatchString(t.ID):
			probs.add("%s: id: must match %s, got %q", where, termPattern, t.ID)
		case slices.ContainsFunc(terms, func(o Term) bool { return o.ID == t.ID }):
			probs.add("%s: id: %q is listed twice", where, t.ID)
		case badText(t.NameZH, maxNameRunes) != "" || badText(t.NameEN, maxNameRunes) != "":
			probs.add("%s: name_zh and name_en: both required, one line of at most %d characters", where, maxNameRunes)
		default:
			terms = append(terms, t)
		}
	}
	return terms
}

// parseRoot parses a YAML document whose top level must be a mapping.
func parseRoot(name string, data []byte, want string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, model.Errorf(model.EINVALID, "%s: expected a mapping with %s", name, want)
	}
	return doc.Content[0], nil
}

// checkFields calls unknown for every key of mapping m not in allowed:
// a typo in a field name must not be silently ignored.
func checkFields(m *yaml.Node, allowed []string, unknown func(key string, line int)) {
	if m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(allowed, k.Value) {
			unknown(k.Value, k.Line)
		}
	}
}
