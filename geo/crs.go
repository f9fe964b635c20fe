package geo

import (
	"math"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// CRS names the coordinate reference system of input coordinates.
type CRS string

const (
	// CRSWGS84 is GPS longitude/latitude (EPSG:4326), the canonical system.
	CRSWGS84 CRS = "wgs84"
	// CRSGCJ02 is the obfuscated system mandated for maps published in
	// mainland China (Amap, Tencent, DataV boundaries).
	CRSGCJ02 CRS = "gcj02"
)

// ParseCRS returns the CRS named by s ("wgs84" or "gcj02", case-sensitive
// as written in configuration and CLI flags). Any other value, including
// the empty string, is an EINVALID error.
func ParseCRS(s string) (CRS, error) {
	switch c := CRS(s); c {
	case CRSWGS84, CRSGCJ02:
		return c, nil
	}
	return "", model.Errorf(model.EINVALID, "unknown CRS %q: want %q or %q", s, CRSWGS84, CRSGCJ02)
}

// Parameters of the GCJ-02 transform: the Krasovsky 1940 ellipsoid.
const (
	krasovskyA  = 6378245.0              // semi-major axis, metres
	krasovskyEE = 0.00669342162296594323 // first eccentricity squared
)

// gcjInverseTolerance is the accuracy, in degrees, to which GCJ02ToWGS84
// inverts the forward transform (about 0.1 mm on the ground).
const gcjInverseTolerance = 1e-10

// gcjInverseMaxIter bounds the fixed-point iteration. It converges in 3-5
// steps in practice because the offset varies slowly with position.
const gcjInverseMaxIter = 30

// OutOfChina reports whether the point lies outside the rectangle in which
// GCJ-02 applies an offset. Outside it, GCJ-02 equals WGS84. This is the
// rectangle every public implementation uses; it is coarse on purpose so
// that results agree with the maps that publish GCJ-02 data.
func OutOfChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// WGS84ToGCJ02 applies the GCJ-02 offset to a WGS84 position.
func WGS84ToGCJ02(lon, lat float64) (gcjLon, gcjLat float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjOffset(lon, lat)
	return lon + dLon, lat + dLat
}

// GCJ02ToWGS84 removes the GCJ-02 offset by fixed-point iteration on the
// forward transform, to within 1e-10 degrees of the exact inverse (the
// closed-form "subtract the offset once" shortcut is only good to ~1e-5).
func GCJ02ToWGS84(lon, lat float64) (wgsLon, wgsLat float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	wgsLon, wgsLat = lon, lat
	for range gcjInverseMaxIter {
		fLon, fLat := WGS84ToGCJ02(wgsLon, wgsLat)
		errLon, errLat := fLon-lon, fLat-lat
		wgsLon -= errLon
		wgsLat -= errLat
		if math.Abs(errLon) < gcjInverseTolerance && math.Abs(errLat) < gcjInverseTolerance {
			break
		}
	}
	return wgsLon, wgsLat
}

// gcjOffset returns the GCJ-02 offset in degrees at a WGS84 position.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105, lat-35
	dLat = gcjShiftLat(x, y)
	dLon = gcjShiftLon(x, y)
	radLat := lat / 180 * math.Pi
	sinLat := math.Sin(radLat)
	magic := 1 - krasovskyEE*sinLat*sinLat
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

func gcjShiftLat(x, y float64) float64 {
	r := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	r += (20*math.Sin(y*math.Pi) + 40*math.Sin(y/3*math.Pi)) * 2 / 3
	r += (160*math.Sin(y/12*math.Pi) + 320*math.Sin(y*math.Pi/30)) * 2 / 3
	return r
}

func gcjShiftLon(x, y float64) float64 {
	r := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	r += (20*math.Sin(x*math.Pi) + 40*math.Sin(x/3*math.Pi)) * 2 / 3
	r += (150*math.Sin(x/12*math.Pi) + 300*math.Sin(x/30*math.Pi)) * 2 / 3
	return r
}

// ToWGS84 converts a point given in crs to WGS84. An unknown crs is an
// EINVALID error.
func ToWGS84(crs CRS, p orb.Point) (orb.Point, error) {
	switch crs {
	case CRSWGS84:
		return p, nil
	case CRSGCJ02:
		lon, lat := GCJ02ToWGS84(p[0], p[1])
		return orb.Point{lon, lat}, nil
	}
	_, err := ParseCRS(string(crs))
	return p, err
}

// multiPolygonToWGS84 converts every vertex of mp, given in crs, in place.
func multiPolygonToWGS84(crs CRS, mp orb.MultiPolygon) error {
	if crs == CRSWGS84 {
		return nil
	}
	for _, poly := range mp {
		for _, ring := range poly {
			for i, p := range ring {
				q, err := ToWGS84(crs, p)
				if err != nil {
					return err
				}
				ring[i] = q
			}
		}
	}
	return nil
}
