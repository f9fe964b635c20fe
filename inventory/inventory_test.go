package inventory_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/audit"
	"cityvitals/geo"
	"cityvitals/ingest"
	"cityvitals/inventory"
	"cityvitals/model"
	"cityvitals/property"
	"cityvitals/store"
	sqlitestore "cityvitals/store/sqlite"
)

const districtsWGS = "../../shared/data/shanghai/shanghai_districts_detailed_wgs84_derived.geojson"

type fixture struct {
	inv *inventory.Service
	db  *sqlitestore.DB
	reg *ingest.Registry
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := ingest.NewRegistry()
	inv, err := inventory.New(context.Background(), inventory.Stores{Units: db, Assets: db, Datastreams: db},
		property.Default(), reg, audit.NewLogger(db))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{inv: inv, db: db, reg: reg}
}

func (f fixture) importDistricts(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(districtsWGS)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.inv.ImportUnitsGeoJSON(context.Background(), "test", data, inventory.GeoJSONImport{
		ImportOptions: geo.ImportOptions{Level: model.LevelDistrict}, CreateParents: true,
	})
	if err != nil {
		t.Fatalf("import districts: %v", err)
	}
}

func TestCreateDatastreamsRefusesBadItemsNamingTheField(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := model.Datastream{Key: "ok", Property: "pm25"}
	cases := []struct {
		name  string
		ds    model.Datastream
		field string
	}{
		{"unknown property", model.Datastream{Property: "vibes"}, "datastreams[1].property"},
		{"foreign unit", model.Datastream{Property: "pm25", UoM: "mg/m³"}, "datastreams[1].uom"},
		{"negative interval", model.Datastream{Property: "pm25", Interval: -time.Second}, "datastreams[1].interval"},
		{"bad location", model.Datastream{Property: "pm25", Lon: 200, Lat: 10, HasPoint: true}, "datastreams[1].location"},
		{"unknown asset", model.Datastream{Property: "pm25", Asset: "nope"}, "datastreams[1].asset"},
		{"control characters", model.Datastream{Property: "pm25", Key: "a\x00b"}, "datastreams[1].key"},
		{"huge key", model.Datastream{Property: "pm25", Key: strings.Repeat("k", 10_000)}, "datastreams[1].key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.inv.CreateDatastreams(ctx, "test", []model.Datastream{good, tc.ds})
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want EINVALID naming %s", err, tc.field)
			}
		})
	}
	items, _, err := f.db.Datastreams(ctx, store.DatastreamFilter{}, store.Page{})
	if err != nil || len(items) != 0 {
		t.Fatalf("after refused batches the store holds %d streams (err %v), want none", len(items), err)
	}
}

func TestStreamsArePlacedAndFollowTheTree(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Registered before any unit exists: no unit yet.
	created, err := f.inv.CreateDatastreams(ctx, "test", []model.Datastream{
		{Key: "square", Property: "pm25", Lon: 121.4737, Lat: 31.2304, HasPoint: true},
		{Key: "xujiahui", Property: "pm25", Lon: 121.4365, Lat: 31.1886, HasPoint: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created[0].Unit != "" {
		t.Fatalf("unit before import = %q, want none", created[0].Unit)
	}
	f.importDistricts(t)
	if got := unitOf(t, f, created[0].ID); got != "310101" {
		t.Fatalf("after importing districts the square is in %q, want 310101 (黄浦区)", got)
	}
	if got := unitOf(t, f, created[1].ID); got != "310104" {
		t.Fatalf("Xujiahui is in %q, want 310104 (徐汇区)", got)
	}
	if _, err := f.inv.GenerateGrid(ctx, "test", "310101", 500, geo.GridSquare); err != nil {
		t.Fatal(err)
	}
	cell := unitOf(t, f, created[0].ID)
	if u, _ := f.inv.Unit(cell); u.Level != model.LevelGrid || u.Parent != "310101" {
		t.Fatalf("after the grid the square is in %+v, want a grid cell of 310101", u)
	}
	if path := f.inv.Ancestors(cell); len(path) != 3 || path[0] != "310000" || path[1] != "310101" {
		t.Fatalf("path = %v, want [310000 310101 %s]", path, cell)
	}
	if d := f.inv.Descendants("310101"); len(d) < 2 || d[0] != "310101" || !slices.Contains(d, cell) || slices.Contains(d, "310104") {
		t.Fatalf("descendants of 310101 = %v, want it, its cells and nothing of 310104", d)
	}
	if d := f.inv.Descendants("nowhere"); d != nil {
		t.Fatalf("descendants of an unknown unit = %v, want nil", d)
	}
	if got := f.inv.UnitStreams("310101", true); len(got) != 1 || got[0] != created[0].ID {
		t.Fatalf("streams under 310101 = %v, want only the square", got)
	}
	if got := f.inv.UnitStreams("310000", true); len(got) != 2 {
		t.Fatalf("streams under the city = %v, want both", got)
	}
	if ds, ok := f.reg.ByID(created[0].ID); !ok || ds.Unit != cell {
		t.Fatalf("ingest registry has %+v, want the stream re-homed to %s", ds, cell)
	}
}

func unitOf(t *testing.T, f fixture, id int64) string {
	t.Helper()
	ds, err := f.db.Datastream(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ds.Unit
}

func TestStreamOnAnAssetTakesItsPlace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.importDistricts(t)
	valve := model.Asset{ID: "valve-1", Type: "gas_valve", Geometry: orb.Point{121.4365, 31.1886}}
	if err := f.inv.PutAssets(ctx, "test", []model.Asset{valve}); err != nil {
		t.Fatal(err)
	}
	created, err := f.inv.CreateDatastreams(ctx, "test", []model.Datastream{{Key: "v1/p", Property: "gas_pressure", Asset: "valve-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if created[0].Unit != "310104" || !created[0].HasPoint {
		t.Fatalf("stream on the valve = %+v, want placed in 310104 at the valve", created[0])
	}
}

func TestImportUnitsRefusesABrokenTree(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	square := orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}
	cases := []struct {
		name  string
		units []model.Unit
		want  string
	}{
		{"unknown parent", []model.Unit{{Code: "a", Level: model.LevelStreet, Parent: "zz", Geometry: square}}, `unknown unit "zz"`},
		{"parent not above", []model.Unit{
			{Code: "p", Level: model.LevelGrid, Geometry: square},
			{Code: "c", Level: model.LevelStreet, Parent: "p", Geometry: square}}, "not above"},
		{"unknown level", []model.Unit{{Code: "x", Level: "galaxy", Geometry: square}}, "unknown level"},
		{"own parent", []model.Unit{{Code: "x", Level: model.LevelStreet, Parent: "x", Geometry: square}}, "own parent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.inv.ImportUnits(ctx, "test", tc.units)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
	if all, _ := f.db.AllUnits(ctx); len(all) != 0 {
		t.Fatalf("refused imports stored %d units", len(all))
	}
}

func TestEnsureDatastreamIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	spec := model.Datastream{Key: "beijing/Dongsi/pm25", Property: "pm25", Lon: 116.4174, Lat: 39.9289, HasPoint: true}
	a, err := f.inv.EnsureDatastream(ctx, "test", spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.inv.EnsureDatastream(ctx, "test", spec)
	if err != nil || b.ID != a.ID {
		t.Fatalf("second ensure = %d, %v; want the same stream %d", b.ID, err, a.ID)
	}
	rep, err := audit.Verify(ctx, f.db)
	if err != nil || !rep.OK() || rep.Records != 1 {
		t.Fatalf("audit = %+v, %v; want one intact record for the one creation", rep, err)
	}
}
