package obsimport

import (
	"fmt"
	"slices"
	"strings"
)

// template is a parsed key or name template: literal text and
// {placeholder} fields, expanded once per stream.
type template struct {
	parts []templatePart
}

type templatePart struct {
	literal string
	field   string // one of placeholders when set
}

func parseTemplate(s string) (template, error) {
	var t template
	for s != "" {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			t.parts = append(t.parts, templatePart{literal: s})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: s[:open]})
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return template{}, fmt.Errorf("unclosed { in %q", s)
		}
		field := s[open+1 : open+end]
		if !slices.Contains(placeholders, field) {
			return template{}, fmt.Errorf("unknown placeholder {%s}: use one of {%s}", field, strings.Join(placeholders, "}, {"))
		}
		t.parts = append(t.parts, templatePart{field: field})
		s = s[open+end+1:]
	}
	return t, nil
}

func (t template) uses(field string) bool {
	return slices.ContainsFunc(t.parts, func(p templatePart) bool { return p.field == field })
}

func (t template) expand(values map[string]string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.field != "" {
			b.WriteString(values[p.field])
		} else {
			b.WriteString(p.literal)
		}
	}
	return b.String()
}
