package model

import "github.com/paulmach/orb"

// UnitLevel is a level of the spatial-unit tree, from the whole city down to
// the grid cell, the smallest spatial unit (最小空间单元).
type UnitLevel string

const (
	LevelCity      UnitLevel = "city"
	LevelDistrict  UnitLevel = "district"  // 区
	LevelStreet    UnitLevel = "street"    // 街镇
	LevelCommunity UnitLevel = "community" // 居村
	LevelGrid      UnitLevel = "grid"      // 网格
)

// UnitLevels lists the levels from the top of the tree down.
var UnitLevels = []UnitLevel{LevelCity, LevelDistrict, LevelStreet, LevelCommunity, LevelGrid}

// Depth returns the level's position in the tree (city = 0), or -1 if the
// level is unknown.
func (l UnitLevel) Depth() int {
	for i, x := range UnitLevels {
		if x == l {
			return i
		}
	}
	return -1
}

// Unit is one node of the spatial-unit tree. Geometry is in WGS84
// (longitude, latitude); GCJ-02 input is converted on import.
type Unit struct {
	Code     string           `json:"code"`
	Parent   string           `json:"parent,omitempty"`
	Level    UnitLevel        `json:"level"`
	NameZH   string           `json:"name_zh"`
	NameEN   string           `json:"name_en,omitempty"`
	Geometry orb.MultiPolygon `json:"-"`
}
