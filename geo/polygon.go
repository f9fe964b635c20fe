package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// edge is one segment of a ring, stored flat for the point-in-polygon loop.
type edge struct {
	x1, y1, x2, y2 float64
}

// bucketMinEdges is the edge count below which a polygon is tested by a
// plain loop: for grid cells (4 or 6 edges) buckets cost more than they save.
const bucketMinEdges = 32

// edgesPerBucket is the target mean number of edges per y-bucket. District
// boundaries have thousands of vertices; with ~2 edges a bucket a lookup
// touches a handful of edges instead of all of them.
const edgesPerBucket = 2

// preparedPolygon is one polygon (outer ring plus holes) ready for fast
// point-in-polygon tests. Its edges are grouped into horizontal bands
// ("buckets") of equal height: a horizontal ray from a point can only
// cross edges whose y-range overlaps the point's band, so the test reads
// one band instead of every edge.
type preparedPolygon struct {
	bound  orb.Bound
	edges  []edge
	starts []int32 // bucket b holds edges[ids[starts[b]:starts[b+1]]]
	ids    []int32
	invH   float64 // buckets per degree of latitude
}

// preparePolygon builds the edge buckets of p. Rings need not be closed;
// the closing edge is added. Horizontal edges are dropped: a horizontal
// ray never crosses them under the half-open rule used by contains.
func preparePolygon(p orb.Polygon) preparedPolygon {
	pp := preparedPolygon{bound: p.Bound()}
	for _, ring := range p {
		for i := range ring {
			a, b := ring[i], ring[(i+1)%len(ring)]
			if a[1] != b[1] {
				pp.edges = append(pp.edges, edge{a[0], a[1], b[0], b[1]})
			}
		}
	}
	if len(pp.edges) >= bucketMinEdges {
		pp.buildBuckets()
	}
	return pp
}

// buildBuckets assigns every edge to each band its y-range overlaps, as a
// compressed sparse row: starts indexes ids.
func (pp *preparedPolygon) buildBuckets() {
	height := pp.bound.Max[1] - pp.bound.Min[1]
	if height <= 0 {
		return
	}
	n := max(1, len(pp.edges)/edgesPerBucket)
	pp.invH = float64(n) / height
	pp.starts = make([]int32, n+1) // counts first, then prefix sums
	for _, e := range pp.edges {
		lo, hi := pp.bucketRange(e)
		for b := lo; b <= hi; b++ {
			pp.starts[b+1]++
		}
	}
	for b := 1; b <= n; b++ {
		pp.starts[b] += pp.starts[b-1]
	}
	pp.ids = make([]int32, pp.starts[n])
	fill := slices.Clone(pp.starts[:n])
	for i, e := range pp.edges {
		lo, hi := pp.bucketRange(e)
		for b := lo; b <= hi; b++ {
			pp.ids[fill[b]] = int32(i)
			fill[b]++
		}
	}
}

func (pp *preparedPolygon) bucketRange(e edge) (lo, hi int) {
	return pp.bucket(math.Min(e.y1, e.y2)), pp.bucket(math.Max(e.y1, e.y2))
}

// bucket returns the band of latitude y, clamped to the polygon's bands.
func (pp *preparedPolygon) bucket(y float64) int {
	b := int((y - pp.bound.Min[1]) * pp.invH)
	return min(max(b, 0), len(pp.starts)-2)
}

// contains reports whether pt is inside the polygon by the even-odd rule
// over all rings, so holes are excluded. Points exactly on an edge may go
// either way; the unit tree does not depend on it.
func (pp *preparedPolygon) contains(x, y float64) bool {
	if x < pp.bound.Min[0] || x > pp.bound.Max[0] || y < pp.bound.Min[1] || y > pp.bound.Max[1] {
		return false
	}
	if pp.starts == nil {
		return crossesOdd(pp.edges, x, y)
	}
	b := pp.bucket(y)
	inside := false
	for _, id := range pp.ids[pp.starts[b]:pp.starts[b+1]] {
		if crosses(&pp.edges[id], x, y) {
			inside = !inside
		}
	}
	return inside
}

func crossesOdd(edges []edge, x, y float64) bool {
	inside := false
	for i := range edges {
		if crosses(&edges[i], x, y) {
			inside = !inside
		}
	}
	return inside
}

// crosses reports whether a ray from (x, y) towards +x crosses e. The
// half-open test on y counts a ray through a shared vertex exactly once.
func crosses(e *edge, x, y float64) bool {
	if (e.y1 > y) == (e.y2 > y) {
		return false
	}
	xCross := e.x1 + (y-e.y1)*(e.x2-e.x1)/(e.y2-e.y1)
	return x < xCross
}

// region is a MultiPolygon prepared for repeated containment tests.
type region []preparedPolygon

func newRegion(mp orb.MultiPolygon) region {
	r := make(region, 0, len(mp))
	for _, poly := range mp {
		if len(poly) > 0 {
			r = append(r, preparePolygon(poly))
		}
	}
	return r
}

// contains reports whether any polygon of the region contains the point.
func (r region) contains(x, y float64) bool {
	for i := range r {
		if r[i].contains(x, y) {
			return true
		}
	}
	return false
}

// InteriorPoint returns a point guaranteed to lie inside mp (not on its
// boundary, not in a hole), unlike the centroid, which can fall outside a
// crescent-shaped or island-rich unit. It follows the scan-line method of
// JTS InteriorPointArea: on a horizontal line through the middle of each
// polygon that avoids every vertex, it takes the midpoint of the widest
// inside interval. ok is false when mp has no interior (empty, zero area,
// or rings that cancel out under the even-odd rule).
func InteriorPoint(mp orb.MultiPolygon) (p orb.Point, ok bool) {
	bestWidth := 0.0
	for _, poly := range mp {
		if len(poly) == 0 {
			continue
		}
		if q, width := polygonInteriorPoint(poly); width > bestWidth {
			p, bestWidth, ok = q, width, true
		}
	}
	return p, ok
}

// polygonInteriorPoint returns the midpoint of the widest inside interval
// on the middle scan line of poly and the interval's width. Should that
// line cross only degenerate spikes (width 0), it tries the other bands
// between vertex latitudes, nearest the middle first.
func polygonInteriorPoint(poly orb.Polygon) (orb.Point, float64) {
	if p, w := widestInterval(poly, scanLineY(poly)); w > 0 {
		return p, w
	}
	ys := vertexLatitudes(poly)
	mid := (ys[0] + ys[len(ys)-1]) / 2
	bands := make([]float64, 0, len(ys))
	for i := 0; i+1 < len(ys); i++ {
		bands = append(bands, (ys[i]+ys[i+1])/2)
	}
	slices.SortFunc(bands, func(a, b float64) int { return cmpFloat(math.Abs(a-mid), math.Abs(b-mid)) })
	for _, y := range bands {
		if p, w := widestInterval(poly, y); w > 0 {
			return p, w
		}
	}
	return orb.Point{}, 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// vertexLatitudes returns the distinct vertex latitudes of poly, sorted.
func vertexLatitudes(poly orb.Polygon) []float64 {
	var ys []float64
	for _, ring := range poly {
		for _, p := range ring {
			ys = append(ys, p[1])
		}
	}
	slices.Sort(ys)
	return slices.Compact(ys)
}

// widestInterval intersects poly with the horizontal line at y, which
// must pass through no vertex, and returns the midpoint and width of the
// widest interval inside it by the even-odd rule.
func widestInterval(poly orb.Polygon, y float64) (orb.Point, float64) {
	var xs []float64
	for _, ring := range poly {
		for i := range ring {
			a, b := ring[i], ring[(i+1)%len(ring)]
			if (a[1] > y) != (b[1] > y) {
				xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
	}
	slices.Sort(xs)
	bestWidth, bestX := 0.0, 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestWidth {
			bestWidth, bestX = w, (xs[i]+xs[i+1])/2
		}
	}
	return orb.Point{bestX, y}, bestWidth
}

// scanLineY picks a latitude near the middle of poly's bounding box that
// passes through no vertex: halfway between the nearest vertex latitudes
// above and below the middle.
func scanLineY(poly orb.Polygon) float64 {
	b := poly.Bound()
	mid := (b.Min[1] + b.Max[1]) / 2
	below, above := b.Min[1], b.Max[1]
	for _, ring := range poly {
		for _, p := range ring {
			switch y := p[1]; {
			case y <= mid && y > below:
				below = y
			case y > mid && y < above:
				above = y
			}
		}
	}
	return (below + above) / 2
}
