package geo

import (
	"math"
	"testing"

	"cityvitals/model"
)

// Reference vectors published with eviltransform (googollee/eviltransform),
// the de-facto reference implementation of the GCJ-02 formula.
var gcjReference = []struct {
	name               string
	wgsLon, wgsLat     float64
	gcjLon, gcjLat     float64
	wantOffsetMinMeter float64
}{
	{"shanghai", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597, 300},
	{"shenzhen", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766, 300},
	{"beijing", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069, 300},
}

func TestWGS84ToGCJ02Reference(t *testing.T) {
	t.Parallel()
	for _, tc := range gcjReference {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lon, lat := WGS84ToGCJ02(tc.wgsLon, tc.wgsLat)
			if math.Abs(lon-tc.gcjLon) > 1e-9 || math.Abs(lat-tc.gcjLat) > 1e-9 {
				t.Errorf("WGS84ToGCJ02(%v, %v) = (%.12f, %.12f), want (%.12f, %.12f)",
					tc.wgsLon, tc.wgsLat, lon, lat, tc.gcjLon, tc.gcjLat)
			}
			if d := approxMetres(lon-tc.wgsLon, lat-tc.wgsLat, lat); d < tc.wantOffsetMinMeter {
				t.Errorf("offset %.0f m, want at least %.0f m: the transform did nothing", d, tc.wantOffsetMinMeter)
			}
		})
	}
}

func TestGCJ02ToWGS84Reference(t *testing.T) {
	t.Parallel()
	for _, tc := range gcjReference {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lon, lat := GCJ02ToWGS84(tc.gcjLon, tc.gcjLat)
			if math.Abs(lon-tc.wgsLon) > 1e-8 || math.Abs(lat-tc.wgsLat) > 1e-8 {
				t.Errorf("GCJ02ToWGS84(%v, %v) = (%.10f, %.10f), want (%.10f, %.10f)",
					tc.gcjLon, tc.gcjLat, lon, lat, tc.wgsLon, tc.wgsLat)
			}
		})
	}
}

// TestGCJRoundTrip checks the iterative inverse across the whole area in
// which the offset applies, on a lattice that includes the edges.
func TestGCJRoundTrip(t *testing.T) {
	t.Parallel()
	const tolerance = 1e-6 // degrees; the contract
	worst := 0.0
	for lon := 72.1; lon < 137.8; lon += 0.37 {
		for lat := 0.9; lat < 55.8; lat += 0.29 {
			gLon, gLat := WGS84ToGCJ02(lon, lat)
			wLon, wLat := GCJ02ToWGS84(gLon, gLat)
			worst = max(worst, math.Abs(wLon-lon), math.Abs(wLat-lat))
		}
	}
	if worst > tolerance {
		t.Fatalf("worst round-trip error %g degrees, want <= %g", worst, tolerance)
	}
	t.Logf("worst round-trip error %.3g degrees", worst)
}

func TestGCJOutsideChinaIsIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lon, lat float64
	}{
		{"london", -0.1276, 51.5072},
		{"tokyo east of box", 139.6917, 35.6895},
		{"sydney", 151.2093, -33.8688},
		{"moscow north of box", 37.6173, 55.7558},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if lon, lat := WGS84ToGCJ02(tc.lon, tc.lat); lon != tc.lon || lat != tc.lat {
				t.Errorf("WGS84ToGCJ02 moved (%v, %v) to (%v, %v)", tc.lon, tc.lat, lon, lat)
			}
			if lon, lat := GCJ02ToWGS84(tc.lon, tc.lat); lon != tc.lon || lat != tc.lat {
				t.Errorf("GCJ02ToWGS84 moved (%v, %v) to (%v, %v)", tc.lon, tc.lat, lon, lat)
			}
		})
	}
}

func TestParseCRS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    CRS
		wantErr bool
	}{
		{"wgs84", "wgs84", CRSWGS84, false},
		{"gcj02", "gcj02", CRSGCJ02, false},
		{"empty", "", "", true},
		{"upper case is not accepted", "WGS84", "", true},
		{"epsg code", "EPSG:4326", "", true},
		{"baidu bd09 is not supported", "bd09", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCRS(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseCRS(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err != nil && model.ErrorCode(err) != model.EINVALID {
				t.Errorf("error code %q, want %q", model.ErrorCode(err), model.EINVALID)
			}
		})
	}
}

// approxMetres converts a small offset in degrees at latitude lat to metres.
func approxMetres(dLon, dLat, lat float64) float64 {
	return math.Hypot(dLon*metresPerDegree*math.Cos(lat*math.Pi/180), dLat*metresPerDegree)
}
