package asset

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"cityvitals/model"
)

const hydrantsPath = "../../shared/data/assets/osm_hydrants_ennepe_ruhr/hydrants.geojson"

// TestImportGeoJSONHydrants imports the real OpenStreetMap hydrant export
// with a fixed type, as an operator would, and checks every feature arrives.
func TestImportGeoJSONHydrants(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(hydrantsPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatal(err)
	}
	stamp := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	resolved := 0
	assets, bad, err := ImportGeoJSON(context.Background(), strings.NewReader(string(data)), Options{
		Type:      "hydrant",
		IDPrefix:  "osm:",
		UpdatedAt: stamp,
		Resolve: func(lon, lat float64) (string, bool) {
			resolved++
			return "ennepe-ruhr", lon > 7 && lon < 8 && lat > 51 && lat < 52
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 0 {
		t.Fatalf("%d features rejected, first: %v", len(bad), bad[0])
	}
	if len(assets) != len(want.Features) || len(assets) != 1949 {
		t.Fatalf("imported %d hydrants, file has %d features (README says 1,949)", len(assets), len(want.Features))
	}
	for i, a := range assets {
		f := want.Features[i]
		if a.Type != "hydrant" || a.Dept != "fire" || a.Unit != "ennepe-ruhr" || !a.UpdatedAt.Equal(stamp) {
			t.Fatalf("asset %d = %+v", i, a)
		}
		if a.ID != "osm:"+f.ID.(string) || !strings.HasPrefix(a.ID, "osm:node/") {
			t.Fatalf("asset %d id %q, feature id %v", i, a.ID, f.ID)
		}
		if !orb.Equal(a.Geometry, f.Geometry) {
			t.Fatalf("asset %d geometry %v, feature %v", i, a.Geometry, f.Geometry)
		}
		if a.Attrs["emergency"] != "fire_hydrant" {
			t.Fatalf("asset %d lost its tags: %v", i, a.Attrs)
		}
	}
	if resolved != len(assets) {
		t.Errorf("resolver called %d times for %d assets", resolved, len(assets))
	}
}

func TestImportGeoJSONConvertsCoordinates(t *testing.T) {
	t.Parallel()
	doc := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"id":"v1","type":"gas_valve","name":"阀门1"},"geometry":{"type":"Point","coordinates":[121.5,31.2]}},
	 {"type":"Feature","properties":{"id":"p1","type":"gas_pipe_segment"},"geometry":{"type":"LineString","coordinates":[[121.0,31.0],[121.1,31.1],[121.2,31.0]]}}
	]}`
	shift := func(lon, lat float64) (float64, float64) { return lon - 0.0045, lat + 0.0019 }
	var placed []orb.Point
	assets, bad, err := ImportGeoJSON(context.Background(), strings.NewReader(doc), Options{
		ToWGS84: shift,
		Resolve: func(lon, lat float64) (string, bool) {
			placed = append(placed, orb.Point{lon, lat})
			return "310101", true
		},
	})
	if err != nil || len(bad) != 0 || len(assets) != 2 {
		t.Fatalf("assets %d, bad %v, err %v", len(assets), bad, err)
	}
	if p := assets[0].Geometry.(orb.Point); math.Abs(p.Lon()-121.4955) > 1e-9 || math.Abs(p.Lat()-31.2019) > 1e-9 {
		t.Errorf("point not converted: %v", p)
	}
	if assets[0].NameZH != "阀门1" || assets[0].Unit != "310101" {
		t.Errorf("valve = %+v", assets[0])
	}
	// The line is placed by its middle vertex, after conversion.
	if got := placed[1]; math.Abs(got.Lon()-121.0955) > 1e-9 || math.Abs(got.Lat()-31.1019) > 1e-9 {
		t.Errorf("line placed at %v, want its converted middle vertex", got)
	}
}

func TestImportGeoJSONReportsBadFeatures(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 100_000)
	point := `{"type":"Point","coordinates":[121.5,31.2]}`
	tests := []struct {
		name      string
		feature   string
		wantField string
		wantText  string
	}{
		{name: "unknown type", feature: `{"type":"Feature","properties":{"id":"a","type":"ufo"},"geometry":` + point + `}`, wantField: "type", wantText: "unknown asset type"},
		{name: "missing type", feature: `{"type":"Feature","properties":{"id":"a"},"geometry":` + point + `}`, wantField: "type", wantText: "missing"},
		{name: "missing id", feature: `{"type":"Feature","properties":{"type":"hydrant"},"geometry":` + point + `}`, wantField: "id", wantText: "missing"},
		{name: "duplicate id", feature: `{"type":"Feature","properties":{"id":"good","type":"hydrant"},"geometry":` + point + `}`, wantField: "id", wantText: "duplicate of item 0"},
		{name: "null geometry", feature: `{"type":"Feature","properties":{"id":"a","type":"hydrant"},"geometry":null}`, wantField: "geometry", wantText: "missing"},
		{name: "latitude out of range", feature: `{"type":"Feature","properties":{"id":"a","type":"hydrant"},"geometry":{"type":"Point","coordinates":[121,91]}}`, wantField: "geometry", wantText: "latitude 91"},
		{name: "coordinates as strings", feature: `{"type":"Feature","properties":{"id":"a","type":"hydrant"},"geometry":{"type":"Point","coordinates":["121","31"]}}`, wantField: "geometry"},
		{name: "geometry of the wrong kind", feature: `{"type":"Feature","properties":{"id":"a","type":"hydrant"},"geometry":{"type":"LineString","coordinates":[[121,31],[121.1,31]]}}`, wantField: "geometry", wantText: "expects a point"},
		{name: "one-point line", feature: `{"type":"Feature","properties":{"id":"a","type":"water_main"},"geometry":{"type":"LineString","coordinates":[[121,31]]}}`, wantField: "geometry", wantText: "at least 2"},
		{name: "open ring", feature: `{"type":"Feature","properties":{"id":"a","type":"pump_station"},"geometry":{"type":"Polygon","coordinates":[[[121,31],[121.1,31],[121.1,31.1],[121,31.2]]]}}`, wantField: "geometry", wantText: "closed rings"},
		{name: "huge id", feature: `{"type":"Feature","properties":{"id":"` + huge + `","type":"hydrant"},"geometry":` + point + `}`, wantField: "id", wantText: "longer than"},
		{name: "huge name", feature: `{"type":"Feature","properties":{"id":"a","type":"hydrant","name_zh":"` + huge + `"},"geometry":` + point + `}`, wantField: "name_zh", wantText: "longer than"},
		{name: "bad status", feature: `{"type":"Feature","properties":{"id":"a","type":"hydrant","status":"haunted"},"geometry":` + point + `}`, wantField: "status", wantText: "unknown status"},
		{name: "properties not an object", feature: `{"type":"Feature","properties":[1,2],"geometry":` + point + `}`, wantField: "properties"},
		{name: "not a feature", feature: `{"type":"Point","coordinates":[1,2]}`, wantField: "feature"},
		{name: "a number", feature: `42`, wantField: "feature"},
	}
	good := `{"type":"Feature","properties":{"id":"good","type":"hydrant","status":"完好","pressure_class":1.5,"tags":{"a":1}},"geometry":` + point + `}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"type":"FeatureCollection","features":[` + good + `,` + tt.feature + `]}`
			assets, bad, err := ImportGeoJSON(context.Background(), strings.NewReader(doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(assets) != 1 || assets[0].ID != "good" || assets[0].Status != StatusIntact {
				t.Fatalf("good feature lost or changed: %+v", assets)
			}
			if assets[0].Attrs["pressure_class"] != "1.5" || assets[0].Attrs["tags"] != `{"a":1}` {
				t.Errorf("attrs = %v", assets[0].Attrs)
			}
			if len(bad) != 1 || bad[0].Index != 1 || bad[0].Field != tt.wantField || !strings.Contains(bad[0].Reason, tt.wantText) {
				t.Fatalf("row errors = %+v, want one at index 1 on field %q containing %q", bad, tt.wantField, tt.wantText)
			}
		})
	}
}

func TestImportGeoJSONRejectsUnreadableInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc string }{
		{name: "empty", doc: ""},
		{name: "not json", doc: "hydrant,1,2"},
		{name: "array", doc: "[]"},
		{name: "wrong type", doc: `{"type":"Feature","features":[]}`},
		{name: "no features", doc: `{"type":"FeatureCollection"}`},
		{name: "truncated", doc: `{"type":"FeatureCollection","features":[{"type":"Feature"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ImportGeoJSON(context.Background(), strings.NewReader(tt.doc), Options{})
			if model.ErrorCode(err) != model.EINVALID {
				t.Errorf("err = %v, want EINVALID", err)
			}
		})
	}
}

func TestImportGeoJSONStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	f, err := os.Open(hydrantsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := ImportGeoJSON(ctx, f, Options{Type: "hydrant"}); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("err = %v, want context canceled", err)
	}
}

// FuzzImportGeoJSON checks that no input panics the decoder and that
// everything it accepts is a well-formed asset.
func FuzzImportGeoJSON(f *testing.F) {
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"node/1","properties":{"type":"hydrant"},"geometry":{"type":"Point","coordinates":[7.4,51.3]}}]}`)
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"p","type":"pump_station"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`)
	f.Add(`{"features":[{"type":"Feature","properties":{"id":1e400,"type":"bridge"},"geometry":{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		assets, bad, err := ImportGeoJSON(context.Background(), strings.NewReader(doc), Options{Resolve: func(lon, lat float64) (string, bool) {
			if _, err := checkLonLat(lon, lat); err != nil {
				t.Fatalf("resolver got a bad point %v,%v", lon, lat)
			}
			return "u", true
		}})
		if err != nil {
			if assets != nil || bad != nil {
				t.Fatal("results returned with an error")
			}
			return
		}
		checkAssets(t, assets)
		for _, e := range bad {
			if e.Field == "" || e.Reason == "" {
				t.Fatalf("row error without field or reason: %+v", e)
			}
		}
	})
}

// checkAssets fails t unless every asset is complete and well-formed.
func checkAssets(t *testing.T, assets []model.Asset) {
	t.Helper()
	ids := make(map[string]bool, len(assets))
	for _, a := range assets {
		if a.ID == "" || ids[a.ID] {
			t.Fatalf("empty or duplicate id in %+v", a)
		}
		ids[a.ID] = true
		if _, ok := DefaultTypes().Lookup(a.Type); !ok {
			t.Fatalf("unknown type in %+v", a)
		}
		if a.Geometry == nil || checkCoordinates(a.Geometry) != nil {
			t.Fatalf("bad geometry in %+v", a)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("asset does not marshal: %v", err)
		}
	}
}
