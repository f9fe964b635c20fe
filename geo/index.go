package geo

import (
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"cityvitals/model"
)

// Index answers point-in-unit queries over a set of units. It holds one
// R-tree per level of the unit tree over the bounding boxes of the units'
// polygons; a query walks the levels from the deepest up, reads the few
// polygons whose box holds the point and tests each exactly (holes
// respected) with its edge buckets, stopping at the first level that
// contains the point.
//
// An Index is immutable after NewIndex and safe for concurrent use by any
// number of goroutines. To change the units, build a new Index and swap
// the pointer (for example an atomic.Pointer[Index]) the readers use.
type Index struct {
	units  []model.Unit
	depth  []int // depth of units[i] in the tree, city = 0
	byCode map[string]int
	polys  []indexedPolygon
	levels []rtree.RTreeGN[float64, int32] // by depth; item: position in polys
}

// indexedPolygon is one polygon of one unit's MultiPolygon.
type indexedPolygon struct {
	preparedPolygon
	unit int // position in Index.units
}

// NewIndex builds an index over units. Units without geometry are kept for
// Unit but never returned by Locate. The units' geometries are shared, not
// copied: callers must not modify them afterwards.
//
// Returns EINVALID naming the unit for an empty or duplicate code, an
// unknown level, or a coordinate outside the WGS84 range.
func NewIndex(units []model.Unit) (*Index, error) {
	idx := &Index{
		units:  make([]model.Unit, len(units)),
		depth:  make([]int, len(units)),
		byCode: make(map[string]int, len(units)),
		levels: make([]rtree.RTreeGN[float64, int32], len(model.UnitLevels)),
	}
	copy(idx.units, units)
	for i, u := range idx.units {
		if err := idx.add(i, u); err != nil {
			return nil, err
		}
	}
	idx.buildTrees()
	return idx, nil
}

// buildTrees inserts every polygon into its level's R-tree in Hilbert
// order.
func (idx *Index) buildTrees() {
	byLevel := make([][]int32, len(idx.levels))
	for id, p := range idx.polys {
		d := idx.depth[p.unit]
		byLevel[d] = append(byLevel[d], int32(id))
	}
	bound := func(id int32) orb.Bound { return idx.polys[id].bound }
	for d, ids := range byLevel {
		hilbertOrder(ids, bound)
		for _, id := range ids {
			b := bound(id)
			idx.levels[d].Insert(b.Min, b.Max, id)
		}
	}
}

func (idx *Index) add(i int, u model.Unit) error {
	if u.Code == "" {
		return model.Errorf(model.EINVALID, "unit %d: empty code", i)
	}
	if _, dup := idx.byCode[u.Code]; dup {
		return model.Errorf(model.EINVALID, "unit %d: duplicate code %q", i, u.Code)
	}
	idx.depth[i] = u.Level.Depth()
	if idx.depth[i] < 0 {
		return model.Errorf(model.EINVALID, "unit %q: unknown level %q", u.Code, u.Level)
	}
	if err := checkMultiPolygon(u.Geometry); err != nil {
		return model.Errorf(model.EINVALID, "unit %q: geometry: %s", u.Code, err)
	}
	idx.byCode[u.Code] = i
	for _, poly := range u.Geometry {
		if len(poly) == 0 || len(poly[0]) == 0 {
			continue
		}
		idx.polys = append(idx.polys, indexedPolygon{preparedPolygon: preparePolygon(poly), unit: i})
	}
	return nil
}

// Len returns the number of units in the index.
func (idx *Index) Len() int { return len(idx.units) }

// Unit returns the unit with the given code.
func (idx *Index) Unit(code string) (model.Unit, bool) {
	i, ok := idx.byCode[code]
	if !ok {
		return model.Unit{}, false
	}
	return idx.units[i], true
}

// Locate returns the code of the deepest unit whose geometry contains the
// WGS84 point (lon, lat): a grid cell if one holds it, else its community,
// street and so on. ok is false when no unit contains the point. When two
// units of the same level overlap at the point, the smaller code wins, so
// the answer does not depend on insertion order.
func (idx *Index) Locate(lon, lat float64) (code string, ok bool) {
	return idx.locateAbove(lon, lat, len(model.UnitLevels))
}

// LocateParent returns the code of the deepest unit strictly above level
// child that contains the point: the parent a new unit of that level at
// this point would hang from. Levels may be skipped (a grid cell directly
// under a district when no street polygons exist).
func (idx *Index) LocateParent(lon, lat float64, child model.UnitLevel) (code string, ok bool) {
	return idx.locateAbove(lon, lat, child.Depth())
}

// locateAbove finds the deepest containing unit with depth < limit.
func (idx *Index) locateAbove(lon, lat float64, limit int) (string, bool) {
	for d := min(limit, len(idx.levels)) - 1; d >= 0; d-- {
		if best := idx.locateAt(d, lon, lat); best >= 0 {
			return idx.units[best].Code, true
		}
	}
	return "", false
}

// locateAt returns the position of the unit at depth d containing the
// point, the smallest code if several do, or -1.
func (idx *Index) locateAt(d int, lon, lat float64) int {
	best := -1
	pt := [2]float64{lon, lat}
	idx.levels[d].Search(pt, pt, func(_, _ [2]float64, id int32) bool {
		p := &idx.polys[id]
		if best >= 0 && idx.units[p.unit].Code >= idx.units[best].Code {
			return true
		}
		if p.contains(lon, lat) {
			best = p.unit
		}
		return true
	})
	return best
}
