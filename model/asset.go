package model

import (
	"time"

	"github.com/paulmach/orb"
)

// AssetType names a kind of city component (部件). The catalog of known types
// lives in package asset; the type here is just the identifier.
type AssetType string

// Asset is one city component: a gas valve, a manhole cover, a bridge...
// Geometry is WGS84; Unit is the deepest spatial unit holding its
// representative point, resolved on import.
type Asset struct {
	ID        string            `json:"id"`
	Type      AssetType         `json:"type"`
	NameZH    string            `json:"name_zh,omitempty"`
	NameEN    string            `json:"name_en,omitempty"`
	Dept      string            `json:"dept,omitempty"` // owner department code
	Unit      string            `json:"unit,omitempty"`
	Status    string            `json:"status,omitempty"` // 完好/破损/丢失/废弃/移除 as codes
	Attrs     map[string]string `json:"attrs,omitempty"`
	Geometry  orb.Geometry      `json:"-"`
	UpdatedAt time.Time         `json:"updated_at"`
}
