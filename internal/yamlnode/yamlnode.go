// Package yamlnode reads values and their line numbers out of parsed YAML
// nodes, for the catalog loaders that report errors as file:line.
package yamlnode

import "go.yaml.in/yaml/v3"

// Value returns the value node of key in mapping m, or nil.
func Value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// Line returns the line of key's value in m, or m's own line when the key
// is absent (a missing field is reported where the item starts).
func Line(m *yaml.Node, key string) int {
	if v := Value(m, key); v != nil {
		return v.Line
	}
	return m.Line
}

// Scalar returns the scalar value of key in m, or "".
func Scalar(m *yaml.Node, key string) string {
	if v := Value(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
