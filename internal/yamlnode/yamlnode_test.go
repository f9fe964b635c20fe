package yamlnode

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestValueLineScalar(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("id: pm25\nrange:\n  min: 0\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	cases := []struct {
		key    string
		scalar string
		line   int
	}{
		{"id", "pm25", 1},
		{"range", "", 3}, // a mapping, not a scalar; its value starts on line 3
		{"missing", "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			if got := Scalar(m, tc.key); got != tc.scalar {
				t.Errorf("Scalar = %q, want %q", got, tc.scalar)
			}
			if got := Line(m, tc.key); got != tc.line {
				t.Errorf("Line = %d, want %d", got, tc.line)
			}
		})
	}
	if Value(nil, "x") != nil || Value(m.Content[0], "x") != nil {
		t.Error("Value of a non-mapping must be nil")
	}
}
