package asset

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"cityvitals/model"
)

//go:embed types.yaml
var defaultTypesYAML []byte

// GeometryKind is the shape a component type is drawn with.
type GeometryKind string

const (
	GeometryPoint   GeometryKind = "point"
	GeometryLine    GeometryKind = "line"
	GeometryPolygon GeometryKind = "polygon"
)

// Subkind is a finer kind of a component type with its own legacy code,
// such as 0111 燃气井盖 under manhole_cover.
type Subkind struct {
	Code   string `json:"code" yaml:"code"`
	NameZH string `json:"name_zh" yaml:"name_zh"`
	NameEN string `json:"name_en" yaml:"name_en"`
	Dept   string `json:"dept,omitempty" yaml:"dept"` // overrides the type's dept when set
}

// Type is one kind of city component (部件类型).
type Type struct {
	ID         model.AssetType `json:"id"`
	NameZH     string          `json:"name_zh"`
	NameEN     string          `json:"name_en"`
	Code       string          `json:"code,omitempty"` // legacy GB/T 30428.2 code, "" if unknown
	CodeSource string          `json:"code_source,omitempty"`
	Geometry   GeometryKind    `json:"geometry"`
	Dept       string          `json:"dept"`       // default owner department
	Properties []string        `json:"properties"` // observed-property ids
	Subkinds   []Subkind       `json:"subkinds,omitempty"`
	OSM        []string        `json:"osm,omitempty"` // "k=v[,k=v]" tag sets
}

// TypeCatalog is a validated, immutable set of component types, safe for
// concurrent use.
type TypeCatalog struct {
	byID   map[model.AssetType]Type
	byCode map[string]codeRef
	order  []model.AssetType
	osm    []osmRule
}

// codeRef is what a component code stands for.
type codeRef struct {
	typ     model.AssetType
	subkind int // index into Type.Subkinds, -1 for the type's own code
}

// DefaultTypes returns the catalog embedded in the binary. It panics if
// the embedded file is invalid, which the package tests rule out.
func DefaultTypes() *TypeCatalog { return defaultTypes() }

var defaultTypes = sync.OnceValue(func() *TypeCatalog {
	c, err := ParseTypes("types.yaml", defaultTypesYAML)
	if err != nil {
		panic(fmt.Sprintf("asset: embedded type catalog: %v", err))
	}
	return c
})

// LoadTypesFile reads and validates a type catalog file; problems come back
// as EINVALID errors naming file, line and field.
func LoadTypesFile(path string) (*TypeCatalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read asset type catalog: %w", err)
	}
	return ParseTypes(path, data)
}

// Lookup returns the type with the id.
func (c *TypeCatalog) Lookup(id model.AssetType) (Type, bool) {
	t, ok := c.byID[id]
	return t.clone(), ok
}

// List returns every type in catalog order.
func (c *TypeCatalog) List() []Type {
	out := make([]Type, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, c.byID[id].clone())
	}
	return out
}

// Resolve maps what an inventory writes in its type column to a type: the
// type id ("manhole_cover") or a component code ("0111", "0106"). For a
// subkind code it also returns the subkind.
func (c *TypeCatalog) Resolve(s string) (Type, *Subkind, bool) {
	s = strings.TrimSpace(s)
	if t, ok := c.byID[model.AssetType(s)]; ok {
		return t.clone(), nil, true
	}
	ref, ok := c.byCode[s]
	if !ok {
		return Type{}, nil, false
	}
	t := c.byID[ref.typ].clone()
	if ref.subkind < 0 {
		return t, nil, true
	}
	sk := t.Subkinds[ref.subkind]
	return t, &sk, true
}

func (t Type) clone() Type {
	t.Properties = slices.Clone(t.Properties)
	t.Subkinds = slices.Clone(t.Subkinds)
	t.OSM = slices.Clone(t.OSM)
	return t
}

// accepts reports whether a geometry of kind g fits the type: its own kind,
// or a point, which every inventory may use as a location marker.
func (t Type) accepts(g GeometryKind) bool {
	return g == t.Geometry || g == GeometryPoint
}
