package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// boundaryEdges indexes the edges of a MultiPolygon by bounding box, to
// tell cells that cross the boundary (and need clipping) from cells wholly
// inside or outside it.
type boundaryEdges struct {
	tree rtree.RTreeGN[float64, struct{}]
}

func newBoundaryEdges(mp orb.MultiPolygon) *boundaryEdges {
	be := &boundaryEdges{}
	for _, poly := range mp {
		for _, ring := range poly {
			for i := 0; i+1 < len(ring); i++ {
				b := orb.Bound{Min: ring[i], Max: ring[i]}.Extend(ring[i+1])
				be.tree.Insert(b.Min, b.Max, struct{}{})
			}
		}
	}
	return be
}

// crosses reports whether any boundary edge's box meets b.
func (be *boundaryEdges) crosses(b orb.Bound) bool {
	found := false
	be.tree.Search(b.Min, b.Max, func(_, _ [2]float64, _ struct{}) bool {
		found = true
		return false
	})
	return found
}

// clipToCell returns the part of mp inside the convex, counter-clockwise,
// closed ring cell (Sutherland–Hodgman per ring). Where mp leaves and
// re-enters the cell, a clipped ring may run back and forth along the
// cell's border; such zero-width slivers add no area and do not change
// even-odd containment of points off the border.
func clipToCell(mp orb.MultiPolygon, cell orb.Ring) orb.MultiPolygon {
	minArea := math.Abs(ringArea(cell)) * 1e-9
	var out orb.MultiPolygon
	for _, poly := range mp {
		outer := clipRing(poly[0], cell)
		if math.Abs(ringArea(outer)) <= minArea {
			continue
		}
		clipped := orb.Polygon{outer}
		for _, hole := range poly[1:] {
			if h := clipRing(hole, cell); math.Abs(ringArea(h)) > minArea {
				clipped = append(clipped, h)
			}
		}
		out = append(out, clipped)
	}
	return out
}

// clipRing clips a closed ring by each edge of the convex window in turn,
// keeping the part to the left of the edge, and returns it closed (or nil).
func clipRing(subject, window orb.Ring) orb.Ring {
	pts := openRing(subject)
	for i := 0; i+1 < len(window) && len(pts) > 0; i++ {
		pts = clipHalfPlane(pts, window[i], window[i+1])
	}
	if len(pts) < 3 {
		return nil
	}
	return append(pts, pts[0])
}

// openRing returns the ring's vertices without the closing repeat.
func openRing(r orb.Ring) []orb.Point {
	if n := len(r); n > 1 && r[0] == r[n-1] {
		r = r[:n-1]
	}
	return append([]orb.Point(nil), r...)
}

// clipHalfPlane keeps the part of the closed polygon pts left of a→b.
func clipHalfPlane(pts []orb.Point, a, b orb.Point) []orb.Point {
	out := make([]orb.Point, 0, len(pts)+4)
	prev := pts[len(pts)-1]
	prevIn := side(a, b, prev) >= 0
	for _, cur := range pts {
		curIn := side(a, b, cur) >= 0
		if curIn != prevIn {
			out = append(out, intersect(a, b, prev, cur))
		}
		if curIn {
			out = append(out, cur)
		}
		prev, prevIn = cur, curIn
	}
	return out
}

// side is positive when p is left of the directed line a→b.
func side(a, b, p orb.Point) float64 {
	return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
}

// intersect returns where segment p→q crosses the line through a→b; the
// caller guarantees p and q are on different sides.
func intersect(a, b, p, q orb.Point) orb.Point {
	sp, sq := side(a, b, p), side(a, b, q)
	t := sp / (sp - sq)
	return orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
}

// ringArea is the signed shoelace area of a closed ring in square degrees
// (positive when counter-clockwise).
func ringArea(r orb.Ring) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}
