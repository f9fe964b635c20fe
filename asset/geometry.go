package asset

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// geometryKind classifies g and rejects shapes too small to be what they
// claim (a line of one point, a ring of three) or too large to keep.
func geometryKind(g orb.Geometry) (GeometryKind, error) {
	var kind GeometryKind
	switch g := g.(type) {
	case orb.Point:
		return GeometryPoint, nil
	case orb.MultiPoint:
		kind = GeometryPoint
		if len(g) == 0 {
			return "", errors.New("empty multi-point")
		}
	case orb.LineString:
		kind = GeometryLine
		if len(g) < 2 {
			return "", errors.New("a line needs at least 2 positions")
		}
	case orb.MultiLineString:
		kind = GeometryLine
		if len(g) == 0 || !all(g, func(l orb.LineString) bool { return len(l) >= 2 }) {
			return "", errors.New("a multi-line needs lines of at least 2 positions")
		}
	case orb.Polygon:
		kind = GeometryPolygon
		if !validPolygon(g) {
			return "", errors.New("a polygon needs closed rings of at least 4 positions")
		}
	case orb.MultiPolygon:
		kind = GeometryPolygon
		if len(g) == 0 || !all(g, validPolygon) {
			return "", errors.New("a multi-polygon needs polygons of closed rings of at least 4 positions")
		}
	default:
		return "", fmt.Errorf("unsupported geometry %s", g.GeoJSONType())
	}
	if n := countPoints(g); n > maxGeomPoints {
		return "", fmt.Errorf("%d positions, more than %d", n, maxGeomPoints)
	}
	return kind, nil
}

func validPolygon(p orb.Polygon) bool {
	return len(p) > 0 && all(p, func(r orb.Ring) bool { return len(r) >= 4 && r.Closed() })
}

func all[S ~[]E, E any](s S, ok func(E) bool) bool {
	for _, e := range s {
		if !ok(e) {
			return false
		}
	}
	return true
}

// eachPoint calls fn for every position of g until fn returns false.
func eachPoint(g orb.Geometry, fn func(orb.Point) bool) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiPoint:
		eachOf(g, fn)
	case orb.LineString:
		eachOf(g, fn)
	case orb.Ring:
		eachOf(g, fn)
	case orb.MultiLineString:
		for _, l := range g {
			eachPoint(l, fn)
		}
	case orb.Polygon:
		for _, r := range g {
			eachPoint(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachPoint(p, fn)
		}
	}
}

func eachOf[S ~[]orb.Point](s S, fn func(orb.Point) bool) {
	for _, p := range s {
		if !fn(p) {
			return
		}
	}
}

func countPoints(g orb.Geometry) int {
	n := 0
	eachPoint(g, func(orb.Point) bool { n++; return true })
	return n
}

// checkCoordinates rejects non-finite or out-of-range longitudes and
// latitudes, naming the first bad position.
func checkCoordinates(g orb.Geometry) error {
	var bad error
	eachPoint(g, func(p orb.Point) bool {
		if _, err := checkLonLat(p.Lon(), p.Lat()); err != nil {
			bad = err
			return false
		}
		return true
	})
	return bad
}

// checkLonLat returns the field at fault ("lon" or "lat") and why.
func checkLonLat(lon, lat float64) (string, error) {
	switch {
	case !finite(lon) || lon < -180 || lon > 180:
		return "lon", fmt.Errorf("longitude %v outside [-180, 180]", lon)
	case !finite(lat) || lat < -90 || lat > 90:
		return "lat", fmt.Errorf("latitude %v outside [-90, 90]", lat)
	}
	return "", nil
}

// transform returns a copy of g with every position passed through fn.
func transform(g orb.Geometry, fn func(lon, lat float64) (float64, float64)) orb.Geometry {
	g = orb.Clone(g)
	conv := func(ps []orb.Point) {
		for i, p := range ps {
			ps[i][0], ps[i][1] = fn(p[0], p[1])
		}
	}
	switch g := g.(type) {
	case orb.Point:
		lon, lat := fn(g[0], g[1])
		return orb.Point{lon, lat}
	case orb.MultiPoint:
		conv(g)
	case orb.LineString:
		conv(g)
	case orb.MultiLineString:
		for _, l := range g {
			conv(l)
		}
	case orb.Polygon:
		for _, r := range g {
			conv(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				conv(r)
			}
		}
	}
	return g
}

// RepresentativePoint returns the point used to place g in a spatial unit:
// a point itself; the first point of a MultiPoint; the middle vertex of a
// line (of the first line of a MultiLineString); for polygons a point
// guaranteed inside the (largest) polygon, not merely its centroid, so that
// a crescent-shaped site lands in the unit it actually occupies.
func RepresentativePoint(g orb.Geometry) orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return g
	case orb.MultiPoint:
		return g[0]
	case orb.LineString:
		return g[len(g)/2]
	case orb.MultiLineString:
		return g[0][len(g[0])/2]
	case orb.Polygon:
		return interiorPoint(g)
	case orb.MultiPolygon:
		return interiorPoint(largest(g))
	}
	return g.Bound().Center()
}

func largest(mp orb.MultiPolygon) orb.Polygon {
	best, bestArea := mp[0], -1.0
	for _, p := range mp {
		if a := math.Abs(planar.Area(p)); a > bestArea {
			best, bestArea = p, a
		}
	}
	return best
}

// interiorPoint returns the centroid when it lies inside p, else the middle
// of the widest span where the horizontal line through the centroid crosses
// p (the usual point-on-surface construction).
func interiorPoint(p orb.Polygon) orb.Point {
	c, _ := planar.CentroidArea(p)
	if planar.PolygonContains(p, c) {
		return c
	}
	y := c.Lat()
	if !finite(y) {
		y = p.Bound().Center().Lat()
	}
	xs := crossings(p, y)
	bestX, bestW := p[0][0].Lon(), -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			bestX, bestW = (xs[i]+xs[i+1])/2, w
		}
	}
	return orb.Point{bestX, y}
}

// crossings returns the sorted x of every edge of p crossing the line at y.
// Edges are half-open in y so that a vertex on the line counts once.
func crossings(p orb.Polygon, y float64) []float64 {
	var xs []float64
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] <= y) == (b[1] <= y) {
				continue
			}
			xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
		}
	}
	sort.Float64s(xs)
	return xs
}
