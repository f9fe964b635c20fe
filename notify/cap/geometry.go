package cap

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"
)

// MaxAreaPoints bounds the coordinate pairs of all polygons of one area,
// so that a detailed district boundary does not make a document of
// hundreds of kilobytes that receivers truncate or reject.
const MaxAreaPoints = 200

// Douglas–Peucker tolerances tried, in degrees: from about a metre,
// doubling, up to about 100 km, beyond which only a bounding box is left.
const (
	firstTolerance = 1e-5
	lastTolerance  = 1.0
)

// coordinateDecimals is the precision written: 1e-6° is about 0.1 m,
// finer than any boundary we hold.
const coordinateDecimals = 6

// outerRings returns a closed copy of the outer ring of every polygon of
// mp, checking that each is a usable WGS84 ring. Holes are dropped: CAP
// polygons have none, so the warning also covers them.
func outerRings(mp orb.MultiPolygon) ([]orb.Ring, error) {
	rings := make([]orb.Ring, 0, len(mp))
	for i, p := range mp {
		if len(p) == 0 {
			return nil, fieldErrorf(geometryField(i), "polygon has no rings")
		}
		r := closeRing(p[0])
		if err := checkRing(r); err != nil {
			return nil, fieldErrorf(geometryField(i), "%s", err)
		}
		rings = append(rings, r)
	}
	return rings, nil
}

// closeRing returns a copy of r whose last point equals its first.
func closeRing(r orb.Ring) orb.Ring {
	out := append(orb.Ring(nil), r...)
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}

func geometryField(i int) string { return "Area.Geometry[" + strconv.Itoa(i) + "]" }

func checkRing(r orb.Ring) error {
	for _, p := range r {
		if err := checkPoint(p); err != nil {
			return err
		}
	}
	if len(r) < 4 {
		return errors.New("ring needs at least 3 distinct points")
	}
	if planar.Area(r) == 0 {
		return errors.New("ring encloses no area")
	}
	return nil
}

func checkPoint(p orb.Point) error {
	lon, lat := p.Lon(), p.Lat()
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("point %s is not a WGS84 longitude/latitude", formatLonLat(p))
	}
	return nil
}

// fitRings simplifies rings until they hold at most budget points in all,
// with the smallest Douglas–Peucker tolerance that achieves it. A ring that
// would collapse becomes its bounding box, which still covers it; if even
// that is too much, the bounding box of everything is returned.
func fitRings(rings []orb.Ring, budget int) []orb.Ring {
	if pointCount(rings) <= budget {
		return rings
	}
	for tol := firstTolerance; tol <= lastTolerance; tol *= 2 {
		simplified := simplifyRings(rings, tol)
		if pointCount(simplified) <= budget {
			return simplified
		}
	}
	all := rings[0].Bound()
	for _, r := range rings[1:] {
		all = all.Union(r.Bound())
	}
	return []orb.Ring{all.ToRing()}
}

func simplifyRings(rings []orb.Ring, tolerance float64) []orb.Ring {
	dp := simplify.DouglasPeucker(tolerance)
	out := make([]orb.Ring, len(rings))
	for i, r := range rings {
		// The simplifier works in place; the caller's rings stay intact.
		s := dp.Ring(r.Clone())
		if len(s) < 4 || planar.Area(s) == 0 {
			s = r.Bound().ToRing()
		}
		out[i] = s
	}
	return out
}

func pointCount(rings []orb.Ring) int {
	n := 0
	for _, r := range rings {
		n += len(r)
	}
	return n
}

// formatPolygon writes a ring in CAP's "lat,lon lat,lon ..." form.
func formatPolygon(r orb.Ring) string {
	var b strings.Builder
	for i, p := range r {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(formatLatLon(p))
	}
	return b.String()
}

// formatCircle writes a circle in CAP's "lat,lon radius" form, radius in km.
func formatCircle(c Circle) string {
	return formatLatLon(c.Center) + " " + strconv.FormatFloat(c.RadiusKm, 'f', -1, 64)
}

// formatLatLon writes a point latitude first, as CAP (unlike GeoJSON) wants.
func formatLatLon(p orb.Point) string {
	return formatDegrees(p.Lat()) + "," + formatDegrees(p.Lon())
}

func formatLonLat(p orb.Point) string {
	return "(" + formatDegrees(p.Lon()) + " " + formatDegrees(p.Lat()) + ")"
}

func formatDegrees(v float64) string {
	scale := math.Pow10(coordinateDecimals)
	rounded := math.Round(v*scale) / scale
	if rounded == 0 {
		rounded = 0 // no "-0"
	}
	return strconv.FormatFloat(rounded, 'f', -1, 64)
}
