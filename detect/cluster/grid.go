package cluster

import "math"

// earthRadiusM is the IUGG mean Earth radius.
const earthRadiusM = 6_371_008.8

const radPerDeg = math.Pi / 180

// cellKey names a grid cell: row and column of equal-angle cells.
type cellKey struct{ row, col int32 }

// geometry answers "which cells" and "how close" for one radius. Cells
// are square in degrees, one radius (as an angle on the sphere) a side:
// a point within the radius is at most one row away, and in longitude at
// most lonReach away, a few columns at the latitudes cities lie at.
type geometry struct {
	cellDeg float64 // cell side, degrees
	sinHalf float64 // sin(r/2R)
	havMax  float64 // haversine of the radius: sin²(r/2R)
}

func newGeometry(radiusM float64) geometry {
	angle := radiusM / earthRadiusM
	s := math.Sin(angle / 2)
	return geometry{cellDeg: angle / radPerDeg, sinHalf: s, havMax: s * s}
}

func (g geometry) cell(lonDeg, latDeg float64) cellKey {
	return cellKey{row: int32(math.Floor(latDeg / g.cellDeg)), col: int32(math.Floor(lonDeg / g.cellDeg))}
}

// lonReach is how far in longitude (degrees) a point within the radius
// of one at latDeg can be. From the haversine formula,
// sin²(d/2R) ≥ cos φ1 cos φ2 sin²(Δλ/2), and both cosines are at least
// that of the pole-most latitude one cell away.
func (g geometry) lonReach(latDeg float64) float64 {
	cosMin := math.Cos(min(math.Abs(latDeg)+g.cellDeg, 90) * radPerDeg)
	if cosMin <= g.sinHalf {
		return 180
	}
	return 2 * math.Asin(g.sinHalf/cosMin) / radPerDeg
}

// near reports whether two members are within the radius (haversine,
// compared without the square root and arcsine).
func (g geometry) near(a, b *member) bool {
	sLat := math.Sin((b.lat - a.lat) / 2)
	sLon := math.Sin((b.lon - a.lon) / 2)
	return sLat*sLat+a.cosLat*b.cosLat*sLon*sLon <= g.havMax
}

// distanceM is the great-circle distance in metres.
func distanceM(lon1, lat1, lon2, lat2 float64) float64 {
	sLat := math.Sin((lat2 - lat1) * radPerDeg / 2)
	sLon := math.Sin((lon2 - lon1) * radPerDeg / 2)
	h := sLat*sLat + math.Cos(lat1*radPerDeg)*math.Cos(lat2*radPerDeg)*sLon*sLon
	return 2 * earthRadiusM * math.Asin(math.Sqrt(min(h, 1)))
}
