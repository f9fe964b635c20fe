package geo

import (
	"os"
	"path/filepath"
	"testing"

	"cityvitals/model"
)

// Real district boundaries (see /work/shared/data/README.md). The repo is
// cloned next to shared/, so the path is relative to this package dir.
const shanghaiDataDir = "../../shared/data/shanghai"

var (
	districtsGCJ02 = filepath.Join(shanghaiDataDir, "shanghai_districts_detailed_gcj02.geojson")
	districtsWGS84 = filepath.Join(shanghaiDataDir, "shanghai_districts_detailed_wgs84_derived.geojson")
)

// mustReadDistricts imports one of the district files as LevelDistrict.
func mustReadDistricts(tb testing.TB, path string, crs CRS) []model.Unit {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read districts: %v", err)
	}
	units, err := UnitsFromGeoJSON(data, ImportOptions{Level: model.LevelDistrict, CRS: crs})
	if err != nil {
		tb.Fatalf("import %s: %v", path, err)
	}
	if len(units) != 16 {
		tb.Fatalf("import %s: got %d districts, want 16", path, len(units))
	}
	return units
}

func mustIndex(tb testing.TB, units []model.Unit) *Index {
	tb.Helper()
	idx, err := NewIndex(units)
	if err != nil {
		tb.Fatalf("NewIndex: %v", err)
	}
	return idx
}

func mustFindUnit(tb testing.TB, units []model.Unit, code string) model.Unit {
	tb.Helper()
	for _, u := range units {
		if u.Code == code {
			return u
		}
	}
	tb.Fatalf("no unit %q", code)
	return model.Unit{}
}
