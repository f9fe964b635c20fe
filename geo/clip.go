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

// clipper clips rings of one parent to convex cells. It keeps two
// scratch buffers so clipping a parent ring of thousands of vertices
// against thousands of boundary cells allocates only the results. Not
// safe for concurrent use.
type clipper struct {
	parent    orb.MultiPolygon
	bounds    [][]orb.Bound // bounds[p][r] of parent ring r of polygon p
	cur, next []orb.Point
}

func newClipper(mp orb.MultiPolygon) *clipper {
	c := &clipper{parent: mp, bounds: make([][]orb.Bound, len(mp))}
	for pi, poly := range mp {
		for _, ring := range poly {
			c.bounds[pi] = append(c.bounds[pi], ring.Bound())
		}
	}
	return c
}

// clip returns the part of the parent inside the convex, counter-clockwise,
// closed ring cell (Sutherland–Hodgman per ring). Where the parent leaves
// and re-enters the cell, a clipped ring may run back and forth along the
// cell's border; such zero-width slivers add no area, and the winding
// number of every point strictly inside the cell is unchanged, so
// even-odd containment stays exact.
func (c *clipper) clip(cell orb.Ring) orb.MultiPolygon {
	cellBound := cell.Bound()
	minArea := math.Abs(ringArea(cell)) * 1e-9
	var out orb.MultiPolygon
	for pi, poly := range c.parent {
		if !c.bounds[pi][0].Intersects(cellBound) {
			continue
		}
		outer := c.ring(poly[0], cell)
		if math.Abs(ringArea(outer)) <= minArea {
			continue
		}
		clipped := orb.Polygon{outer}
		for ri, hole := range poly[1:] {
			if !c.bounds[pi][ri+1].Intersects(cellBound) {
				continue
			}
			if h := c.ring(hole, cell); math.Abs(ringArea(h)) > minArea {
				clipped = append(clipped, h)
			}
		}
		out = append(out, clipped)
	}
	return out
}

// ring clips a closed ring by each edge of the convex window in turn,
// keeping the part to the left of the edge, and returns a new closed ring
// (or nil).
func (c *clipper) ring(subject, window orb.Ring) orb.Ring {
	if n := len(subject); n > 1 && subject[0] == subject[n-1] {
		subject = subject[:n-1]
	}
	c.cur = append(c.cur[:0], subject...)
	for i := 0; i+1 < len(window) && len(c.cur) > 0; i++ {
		c.next = clipHalfPlane(c.next[:0], c.cur, window[i], window[i+1])
		c.cur, c.next = c.next, c.cur
	}
	if len(c.cur) < 3 {
		return nil
	}
	out := make(orb.Ring, len(c.cur), len(c.cur)+1)
	copy(out, c.cur)
	return append(out, out[0])
}

// clipHalfPlane appends to dst the part of the closed polygon pts left of
// the directed line a→b.
func clipHalfPlane(dst, pts []orb.Point, a, b orb.Point) []orb.Point {
	prev := pts[len(pts)-1]
	prevIn := side(a, b, prev) >= 0
	for _, cur := range pts {
		curIn := side(a, b, cur) >= 0
		if curIn != prevIn {
			dst = append(dst, intersect(a, b, prev, cur))
		}
		if curIn {
			dst = append(dst, cur)
		}
		prev, prevIn = cur, curIn
	}
	return dst
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
