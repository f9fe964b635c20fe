package geo

import (
	"fmt"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// Landmarks in WGS84, each at least 250 m inside its district (measured on
// the data). The Huangpu river separates 黄浦区 and 浦东新区 at the Bund and
// the boundary runs down the river, so the Bund point is on the buildings'
// side of Zhongshan Road, 400 m from the boundary, and Lujiazui is 1 km in.
var landmarks = []struct {
	name     string
	lon, lat float64
	want     string // district code; "" = outside Shanghai
}{
	{"the Bund 外滩", 121.4850, 31.2390, "310101"},
	{"Lujiazui 陆家嘴", 121.5055, 31.2355, "310115"},
	{"People's Square 人民广场", 121.4737, 31.2304, "310101"},
	{"Xujiahui 徐家汇", 121.4365, 31.1886, "310104"},
	{"Pudong airport 浦东机场", 121.8053, 31.1443, "310115"},
	{"Chongming 崇明", 121.40, 31.62, "310151"},
	{"Hongqiao airport 虹桥机场", 121.3364, 31.1979, "310105"},
	{"East China Sea 东海", 122.30, 30.90, ""},
	{"Suzhou 苏州, outside Shanghai", 120.62, 31.30, ""},
	{"null island", 0, 0, ""},
}

func TestLocateDistrictsBothCRS(t *testing.T) {
	t.Parallel()
	imports := []struct {
		name string
		path string
		crs  CRS
	}{
		{"gcj02 file converted on import", districtsGCJ02, CRSGCJ02},
		{"derived wgs84 file", districtsWGS84, CRSWGS84},
	}
	for _, imp := range imports {
		t.Run(imp.name, func(t *testing.T) {
			t.Parallel()
			idx := mustIndex(t, mustReadDistricts(t, imp.path, imp.crs))
			for _, lm := range landmarks {
				got, ok := idx.Locate(lm.lon, lm.lat)
				if got != lm.want || ok != (lm.want != "") {
					t.Errorf("%s (%v, %v): Locate = %q, %v; want %q", lm.name, lm.lon, lm.lat, got, ok, lm.want)
				}
			}
		})
	}
}

// TestGCJ02WithoutConversionMisplaces is the control for the conversion:
// a point in the Huangpu river 150 m east of the (WGS84) district boundary
// belongs to 浦东新区, but the unconverted GCJ-02 boundary lies ~450 m
// further east and would put it in 黄浦区.
func TestGCJ02WithoutConversionMisplaces(t *testing.T) {
	t.Parallel()
	const lon, lat = 121.4905, 31.2397
	tests := []struct {
		name string
		crs  CRS
		want string
	}{
		{"converted", CRSGCJ02, "310115"},
		{"wrongly read as wgs84", CRSWGS84, "310101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := mustIndex(t, mustReadDistricts(t, districtsGCJ02, tc.crs))
			if got, _ := idx.Locate(lon, lat); got != tc.want {
				t.Errorf("Locate(%v, %v) = %q, want %q", lon, lat, got, tc.want)
			}
		})
	}
}

// TestGCJ02ImportMatchesDerivedWGS84 compares every vertex of the GCJ-02
// file, converted by this package, with the independently derived WGS84
// file (written with 7 decimals).
func TestGCJ02ImportMatchesDerivedWGS84(t *testing.T) {
	t.Parallel()
	fromGCJ := mustReadDistricts(t, districtsGCJ02, CRSGCJ02)
	derived := mustReadDistricts(t, districtsWGS84, CRSWGS84)
	worst, vertices := 0.0, 0
	for _, u := range fromGCJ {
		d := mustFindUnit(t, derived, u.Code)
		if len(u.Geometry) != len(d.Geometry) {
			t.Fatalf("%s: %d polygons, derived file has %d", u.Code, len(u.Geometry), len(d.Geometry))
		}
		for pi := range u.Geometry {
			for ri := range u.Geometry[pi] {
				a, b := u.Geometry[pi][ri], d.Geometry[pi][ri]
				if len(a) != len(b) {
					t.Fatalf("%s polygon %d ring %d: %d vertices vs %d", u.Code, pi, ri, len(a), len(b))
				}
				for vi := range a {
					worst = max(worst, abs(a[vi][0]-b[vi][0]), abs(a[vi][1]-b[vi][1]))
					vertices++
				}
			}
		}
	}
	// 7 decimals in the derived file: rounding alone gives up to 5e-8.
	if worst > 2e-7 {
		t.Fatalf("worst vertex difference %g degrees over %d vertices, want <= 2e-7", worst, vertices)
	}
	t.Logf("%d vertices, worst difference %.2g degrees", vertices, worst)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// square returns a closed counter-clockwise ring around (x, y).
func square(x, y, half float64) orb.Ring {
	return orb.Ring{{x - half, y - half}, {x + half, y - half}, {x + half, y + half}, {x - half, y + half}, {x - half, y - half}}
}

func TestLocateRespectsHolesAndDepth(t *testing.T) {
	t.Parallel()
	units := []model.Unit{
		{Code: "D", Level: model.LevelDistrict, Geometry: orb.MultiPolygon{
			{square(121.5, 31.2, 0.10), square(121.5, 31.2, 0.02)}, // a hole in the middle
			{square(121.9, 31.2, 0.05)},                            // an island
		}},
		{Code: "S", Parent: "D", Level: model.LevelStreet, Geometry: orb.MultiPolygon{{square(121.45, 31.15, 0.04)}}},
		{Code: "G", Parent: "S", Level: model.LevelGrid, Geometry: orb.MultiPolygon{{square(121.44, 31.14, 0.01)}}},
		{Code: "G2", Parent: "S", Level: model.LevelGrid, Geometry: orb.MultiPolygon{{square(121.46, 31.14, 0.011)}}},
		{Code: "G1", Parent: "S", Level: model.LevelGrid, Geometry: orb.MultiPolygon{{square(121.46, 31.14, 0.01)}}},
		{Code: "N", Level: model.LevelCity}, // no geometry: Unit only
	}
	idx := mustIndex(t, units)
	tests := []struct {
		name     string
		lon, lat float64
		want     string
	}{
		{"district body", 121.55, 31.25, "D"},
		{"inside the hole", 121.5, 31.2, ""},
		{"hole edge region just outside the hole", 121.525, 31.2, "D"},
		{"island", 121.9, 31.2, "D"},
		{"street beats district", 121.42, 31.18, "S"},
		{"grid beats street", 121.44, 31.14, "G"},
		{"overlapping grids: smaller code wins", 121.46, 31.14, "G1"},
		{"outside everything", 120.0, 30.0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := idx.Locate(tc.lon, tc.lat)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("Locate(%v, %v) = %q, %v; want %q", tc.lon, tc.lat, got, ok, tc.want)
			}
		})
	}
	if got, ok := idx.LocateParent(121.44, 31.14, model.LevelGrid); got != "S" || !ok {
		t.Errorf("LocateParent(grid) = %q, %v; want S", got, ok)
	}
	if got, ok := idx.LocateParent(121.44, 31.14, model.LevelStreet); got != "D" || !ok {
		t.Errorf("LocateParent(street) = %q, %v; want D", got, ok)
	}
	if u, ok := idx.Unit("N"); !ok || u.Level != model.LevelCity {
		t.Errorf("Unit(N) = %+v, %v; want the city unit", u, ok)
	}
	if _, ok := idx.Unit("missing"); ok {
		t.Error("Unit(missing) found something")
	}
}

func TestNewIndexRejectsBadUnits(t *testing.T) {
	t.Parallel()
	good := orb.MultiPolygon{{square(121.5, 31.2, 0.01)}}
	tests := []struct {
		name  string
		units []model.Unit
	}{
		{"empty code", []model.Unit{{Level: model.LevelGrid, Geometry: good}}},
		{"duplicate code", []model.Unit{{Code: "A", Level: model.LevelGrid}, {Code: "A", Level: model.LevelGrid}}},
		{"unknown level", []model.Unit{{Code: "A", Level: "province"}}},
		{"latitude out of range", []model.Unit{{Code: "A", Level: model.LevelGrid, Geometry: orb.MultiPolygon{{square(121.5, 95, 1)}}}}},
		{"open ring too short", []model.Unit{{Code: "A", Level: model.LevelGrid, Geometry: orb.MultiPolygon{{{{1, 1}, {2, 2}}}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx, err := NewIndex(tc.units)
			if err == nil || idx != nil {
				t.Fatalf("NewIndex = %v, %v; want an error", idx, err)
			}
			if model.ErrorCode(err) != model.EINVALID {
				t.Errorf("error %v has code %q, want %q", err, model.ErrorCode(err), model.EINVALID)
			}
		})
	}
}

// TestLocateConcurrentReaders runs lookups from many goroutines; with
// -race it proves the Index is safe for concurrent reads.
func TestLocateConcurrentReaders(t *testing.T) {
	t.Parallel()
	idx := mustIndex(t, mustReadDistricts(t, districtsWGS84, CRSWGS84))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				lm := landmarks[(g+i)%len(landmarks)]
				if got, _ := idx.Locate(lm.lon, lm.lat); got != lm.want {
					errs <- fmt.Errorf("goroutine %d: %s: got %q, want %q", g, lm.name, got, lm.want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
