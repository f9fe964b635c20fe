package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// GridShape is the shape of generated grid cells.
type GridShape string

const (
	GridSquare GridShape = "square"
	GridHex    GridShape = "hex" // pointy-top hexagons, odd rows shifted east
)

// MaxGridCells bounds the number of candidate cells GenerateGrid lays over
// a parent's bounding box, so a typo in the cell size cannot exhaust memory.
const MaxGridCells = 2_000_000

// metresPerDegree is the length of one degree of latitude on a sphere of
// the WGS84 mean radius; longitude degrees are shorter by cos(latitude).
const metresPerDegree = 6_371_008.8 * math.Pi / 180

// GenerateGrid tiles parent with regular cells of the given shape: every
// cell of a regular lattice over the parent's bounding box that overlaps
// the parent, clipped to it. Cells inside the parent are whole; cells on
// its boundary keep only their part inside (possibly several pieces, and
// possibly a small sliver). The cells thus cover the parent exactly,
// without gaps and without overhang, so every point of the parent is in
// exactly one cell and cells of neighbouring parents never overlap.
//
// cellSizeMeters is the distance between the centres of neighbouring
// cells: the side of a square, the width across flats of a hexagon.
// Metres are measured in a local equirectangular projection at the
// latitude of the parent's bounding-box centre, accurate to well under 1%
// across a city.
//
// Cells are units of LevelGrid with Parent = parent.Code, code
// "<parent>-r<row>c<col>" (row 0 is the northernmost, col 0 the
// westernmost, zero-padded to equal width so codes sort by position) and
// names "网格 r12c7" / "Grid r12c7". The same input gives the same cells.
//
// Returns EINVALID for a non-positive or non-finite size, a parent without
// geometry, or more than MaxGridCells candidate cells.
func GenerateGrid(parent model.Unit, cellSizeMeters float64, shape GridShape) ([]model.Unit, error) {
	if !(cellSizeMeters > 0) || math.IsInf(cellSizeMeters, 0) {
		return nil, model.Errorf(model.EINVALID, "grid for %q: cell size %g m must be a positive number", parent.Code, cellSizeMeters)
	}
	if len(parent.Geometry) == 0 {
		return nil, model.Errorf(model.EINVALID, "grid for %q: parent has no geometry", parent.Code)
	}
	if err := checkMultiPolygon(parent.Geometry); err != nil {
		return nil, model.Errorf(model.EINVALID, "grid for %q: parent geometry: %s", parent.Code, err)
	}
	layout, err := newGridLayout(parent.Geometry.Bound(), cellSizeMeters, shape)
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "grid for %q: %s", parent.Code, err)
	}
	target := newParentShape(parent.Geometry)
	var cells []model.Unit
	for row := range layout.rows {
		for col := range layout.cols {
			if geometry := target.cut(layout.outline(row, col)); len(geometry) > 0 {
				cells = append(cells, layout.cell(parent.Code, row, col, geometry))
			}
		}
	}
	return cells, nil
}

// parentShape is the parent's geometry prepared for cutting cells.
type parentShape struct {
	inside   region
	boundary *boundaryEdges
	clipper  *clipper
}

func newParentShape(mp orb.MultiPolygon) parentShape {
	return parentShape{inside: newRegion(mp), boundary: newBoundaryEdges(mp), clipper: newClipper(mp)}
}

// cut returns the part of the cell outline inside the parent: the whole
// cell, nothing, or (when a boundary edge comes near) the clipped pieces.
func (s parentShape) cut(outline orb.Ring) orb.MultiPolygon {
	if s.boundary.crosses(outline.Bound()) {
		return s.clipper.clip(outline)
	}
	// No boundary edge near the cell: it is wholly inside or wholly
	// outside, as any one of its points is.
	if s.inside.contains(outline[0][0], outline[0][1]) {
		return orb.MultiPolygon{{outline}}
	}
	return nil
}

// gridLayout places cell centres in a local plane (metres east and south
// of the bounding box's north-west corner) and maps them back to degrees.
type gridLayout struct {
	shape      GridShape
	origin     orb.Point // north-west corner of the parent's bounding box
	mPerDegLon float64
	dx, dy     float64 // centre spacing, metres, across columns and rows
	radius     float64 // hexagons only: centre to vertex, metres
	rows, cols int
	pad        int // digits of the largest row or column number
}

func newGridLayout(b orb.Bound, size float64, shape GridShape) (gridLayout, error) {
	lat0 := (b.Min[1] + b.Max[1]) / 2
	g := gridLayout{
		shape:      shape,
		origin:     orb.Point{b.Min[0], b.Max[1]},
		mPerDegLon: metresPerDegree * math.Cos(lat0*math.Pi/180),
	}
	switch shape {
	case GridSquare:
		g.dx, g.dy = size, size
	case GridHex:
		g.radius = size / math.Sqrt(3)
		g.dx, g.dy = size, 1.5*g.radius
	default:
		return g, fmt.Errorf("unknown grid shape %q: want %q or %q", shape, GridSquare, GridHex)
	}
	width := (b.Max[0] - b.Min[0]) * g.mPerDegLon
	height := (b.Max[1] - b.Min[1]) * metresPerDegree
	// One extra row and column so that the half-cell shifts still cover the box.
	rows, cols := math.Ceil(height/g.dy)+1, math.Ceil(width/g.dx)+1
	if rows*cols > MaxGridCells {
		return g, fmt.Errorf("cell size %g m gives about %.0f cells over the parent's bounding box, limit %d",
			size, rows*cols, MaxGridCells)
	}
	g.rows, g.cols = int(rows), int(cols)
	g.pad = len(fmt.Sprint(max(g.rows, g.cols) - 1))
	return g, nil
}

// centre returns the WGS84 centre of the cell at (row, col).
func (g gridLayout) centre(row, col int) orb.Point {
	x := float64(col) * g.dx
	if g.shape == GridHex && row%2 == 1 {
		x += g.dx / 2
	}
	y := float64(row) * g.dy
	return g.toLonLat(x, y)
}

// toLonLat maps metres east and south of the origin to WGS84.
func (g gridLayout) toLonLat(east, south float64) orb.Point {
	return orb.Point{g.origin[0] + east/g.mPerDegLon, g.origin[1] - south/metresPerDegree}
}

func (g gridLayout) cell(parent string, row, col int, geometry orb.MultiPolygon) model.Unit {
	label := fmt.Sprintf("r%dc%d", row, col)
	return model.Unit{
		Code:     fmt.Sprintf("%s-r%0*dc%0*d", parent, g.pad, row, g.pad, col),
		Parent:   parent,
		Level:    model.LevelGrid,
		NameZH:   "网格 " + label,
		NameEN:   "Grid " + label,
		Geometry: geometry,
	}
}

// outline returns the whole cell's ring, counter-clockwise and closed.
func (g gridLayout) outline(row, col int) orb.Ring {
	c := g.centre(row, col)
	cx := (c[0] - g.origin[0]) * g.mPerDegLon
	cy := (g.origin[1] - c[1]) * metresPerDegree
	ring := make(orb.Ring, 0, 7)
	if g.shape == GridSquare {
		h := g.dx / 2
		// y grows southward in the local plane, so this order is
		// counter-clockwise on the map: SW, SE, NE, NW.
		for _, d := range [4][2]float64{{-h, h}, {h, h}, {h, -h}, {-h, -h}} {
			ring = append(ring, g.toLonLat(cx+d[0], cy+d[1]))
		}
	} else {
		// Pointy-top: vertices at 30°, 90°, ... measured counter-clockwise
		// from east on the map (north is -y here).
		for k := range 6 {
			a := math.Pi/6 + float64(k)*math.Pi/3
			ring = append(ring, g.toLonLat(cx+g.radius*math.Cos(a), cy-g.radius*math.Sin(a)))
		}
	}
	return append(ring, ring[0])
}
