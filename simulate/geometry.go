package simulate

import (
	"math"
	"math/rand/v2"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// metresPerDegree is the length of a degree of latitude (and of longitude
// at the equator) on the WGS84 mean sphere.
const metresPerDegree = 111_195.0

// quad is a four-cornered area: south-west, south-east, north-east,
// north-west. Points inside are addressed by (u, v) in [0, 1]², u
// eastwards and v northwards, through bilinear interpolation.
type quad [4]orb.Point

// lerp is exact at t = 0 and t = 1, so neighbouring quads that share
// corners also share every point of their common edge, bit for bit, and
// their subdivisions tile without gaps or overlaps.
func lerp(a, b orb.Point, t float64) orb.Point {
	switch t {
	case 0:
		return a
	case 1:
		return b
	}
	return orb.Point{a[0]*(1-t) + b[0]*t, a[1]*(1-t) + b[1]*t}
}

func (q quad) at(u, v float64) orb.Point {
	return lerp(lerp(q[0], q[1], u), lerp(q[3], q[2], u), v)
}

// sub returns cell (i, j) of an n × n subdivision, i eastwards, j
// northwards.
func (q quad) sub(i, j, n int) quad {
	f := func(k int) float64 { return float64(k) / float64(n) }
	return quad{q.at(f(i), f(j)), q.at(f(i+1), f(j)), q.at(f(i+1), f(j+1)), q.at(f(i), f(j+1))}
}

// polygon is the quad as a closed counter-clockwise ring.
func (q quad) polygon() orb.MultiPolygon {
	return orb.MultiPolygon{{{q[0], q[1], q[2], q[3], q[0]}}}
}

// tessellate cuts the city's box into cols × rows quads whose inner
// corners are shifted at random (by up to a fifth of a cell), so the
// districts look drawn rather than ruled while still covering the box
// exactly.
func tessellate(rng *rand.Rand, cols, rows int) []quad {
	dx, dy := (cityEast-cityWest)/float64(cols), (cityNorth-citySouth)/float64(rows)
	corner := make([][]orb.Point, cols+1)
	for i := range corner {
		corner[i] = make([]orb.Point, rows+1)
		for j := range corner[i] {
			p := orb.Point{cityWest + float64(i)*dx, citySouth + float64(j)*dy}
			if i > 0 && i < cols && j > 0 && j < rows {
				p[0] += (rng.Float64() - 0.5) * 0.4 * dx
				p[1] += (rng.Float64() - 0.5) * 0.4 * dy
			}
			corner[i][j] = p
		}
	}
	// The box's own edges stay straight; only interior corners move.
	for i := 1; i < cols; i++ {
		corner[i][0][0] += (rng.Float64() - 0.5) * 0.4 * dx
		corner[i][rows][0] += (rng.Float64() - 0.5) * 0.4 * dx
	}
	for j := 1; j < rows; j++ {
		corner[0][j][1] += (rng.Float64() - 0.5) * 0.4 * dy
		corner[cols][j][1] += (rng.Float64() - 0.5) * 0.4 * dy
	}
	out := make([]quad, 0, cols*rows)
	for j := rows - 1; j >= 0; j-- { // north first, as maps are read
		for i := range cols {
			out = append(out, quad{corner[i][j], corner[i+1][j], corner[i+1][j+1], corner[i][j+1]})
		}
	}
	return out
}

// distanceM is the distance between two points in metres, in a local
// equirectangular projection (accurate to well under 1 % across a city).
func distanceM(a, b orb.Point) float64 {
	dx := (b[0] - a[0]) * metresPerDegree * math.Cos((a[1]+b[1])/2*math.Pi/180)
	dy := (b[1] - a[1]) * metresPerDegree
	return math.Hypot(dx, dy)
}

// offsetM moves p east and north by the given metres.
func offsetM(p orb.Point, east, north float64) orb.Point {
	return orb.Point{p[0] + east/(metresPerDegree*math.Cos(p[1]*math.Pi/180)), p[1] + north/metresPerDegree}
}

// along returns the point m metres from a towards b.
func along(a, b orb.Point, m float64) orb.Point {
	return lerp(a, b, m/distanceM(a, b))
}

func midpoint(a, b orb.Point) orb.Point { return lerp(a, b, 0.5) }

// squareAround is a square of side metres centred on p.
func squareAround(p orb.Point, side float64) orb.Polygon {
	h := side / 2
	sw, ne := offsetM(p, -h, -h), offsetM(p, h, h)
	return orb.Polygon{{sw, {ne[0], sw[1]}, ne, {sw[0], ne[1]}, sw}}
}

// clip keeps hostile input from being echoed back at length.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
