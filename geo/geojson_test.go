package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"cityvitals/model"
)

// fc wraps feature JSON texts in a FeatureCollection.
func fc(features ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`)
}

const goodSquare = `{"type":"Polygon","coordinates":[[[121.40,31.10],[121.41,31.10],[121.41,31.11],[121.40,31.11],[121.40,31.10]]]}`

func feature(props, geometry string) string {
	return `{"type":"Feature","properties":` + props + `,"geometry":` + geometry + `}`
}

func TestUnitsFromGeoJSONProperties(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts ImportOptions
		in   string
		want model.Unit
	}{
		{
			name: "numeric adcode and nested parent",
			opts: ImportOptions{Level: model.LevelDistrict},
			in:   feature(`{"adcode":310101,"name":" 黄浦区 ","parent":{"adcode":310000}}`, goodSquare),
			want: model.Unit{Code: "310101", Parent: "310000", Level: model.LevelDistrict, NameZH: "黄浦区"},
		},
		{
			name: "string codes and custom property names",
			opts: ImportOptions{Level: model.LevelStreet, CodeProp: "code", NameZHProp: "名称", NameENProp: "en", ParentProp: "up"},
			in:   feature(`{"code":"310101002000","名称":"南京东路街道","en":"Nanjing East Road","up":"310101"}`, goodSquare),
			want: model.Unit{Code: "310101002000", Parent: "310101", Level: model.LevelStreet, NameZH: "南京东路街道", NameEN: "Nanjing East Road"},
		},
		{
			name: "literal dotted key wins over the path",
			opts: ImportOptions{Level: model.LevelDistrict},
			in:   feature(`{"adcode":1,"parent.adcode":"A","parent":{"adcode":"B"}}`, goodSquare),
			want: model.Unit{Code: "1", Parent: "A", Level: model.LevelDistrict},
		},
		{
			name: "12-digit numeric code stays exact",
			opts: ImportOptions{Level: model.LevelStreet, ParentProp: "none"},
			in:   feature(`{"adcode":310115137000}`, goodSquare),
			want: model.Unit{Code: "310115137000", Level: model.LevelStreet},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			units, err := UnitsFromGeoJSON(fc(tc.in), tc.opts)
			if err != nil || len(units) != 1 {
				t.Fatalf("UnitsFromGeoJSON = %d units, %v", len(units), err)
			}
			got := units[0]
			if len(got.Geometry) != 1 {
				t.Fatalf("geometry %v, want one polygon", got.Geometry)
			}
			got.Geometry = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestUnitsFromGeoJSONRejectsFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string // all in the error message
	}{
		{"missing code", feature(`{"name":"x"}`, goodSquare), []string{"feature 0", `missing code property "adcode"`}},
		{"null code", feature(`{"adcode":null}`, goodSquare), []string{"feature 0", "missing code"}},
		{"code is an object", feature(`{"adcode":{"$gt":""}}`, goodSquare), []string{"feature 0", `"adcode"`, "object"}},
		{"code is a fraction", feature(`{"adcode":3.5}`, goodSquare), []string{"feature 0", "not an integral code"}},
		{"code with spaces", feature(`{"adcode":"31 01"}`, goodSquare), []string{"feature 0", "white space"}},
		{"code with control characters", feature(`{"adcode":"31\u0000\u001b[2J"}`, goodSquare), []string{"feature 0", "control characters"}},
		{"code too long", feature(`{"adcode":"`+strings.Repeat("9", 65)+`"}`, goodSquare), []string{"feature 0", "limit 64"}},
		{"empty string code", feature(`{"adcode":"  "}`, goodSquare), []string{"feature 0", "empty"}},
		{"name is a number", feature(`{"adcode":1,"name":42}`, goodSquare), []string{"feature 0 (code 1)", `"name"`, "number"}},
		{"name too long", feature(`{"adcode":1,"name":"`+strings.Repeat("区", 201)+`"}`, goodSquare), []string{"feature 0 (code 1)", "limit 200"}},
		{"parent is an array", feature(`{"adcode":1,"parent":{"adcode":[1]}}`, goodSquare), []string{"feature 0 (code 1)", `"parent.adcode"`, "array"}},
		{"point geometry", feature(`{"adcode":1}`, `{"type":"Point","coordinates":[121.4,31.2]}`), []string{"feature 0 (code 1)", "type Point, want Polygon or MultiPolygon"}},
		{"line geometry", feature(`{"adcode":1}`, `{"type":"LineString","coordinates":[[121.4,31.2],[121.5,31.3]]}`), []string{"feature 0 (code 1)", "LineString"}},
		{"null geometry", feature(`{"adcode":1}`, `null`), []string{"feature 0 (code 1)", "geometry: missing"}},
		{"empty polygon", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[]}`), []string{"feature 0 (code 1)", "empty"}},
		{"empty multipolygon", feature(`{"adcode":1}`, `{"type":"MultiPolygon","coordinates":[]}`), []string{"feature 0 (code 1)", "empty"}},
		{"ring of two points", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[121.4,31.2],[121.5,31.3]]]}`), []string{"feature 0 (code 1)", "want at least 4"}},
		{"longitude out of range", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[1121.4,31.1],[121.5,31.1],[121.5,31.2],[1121.4,31.1]]]}`), []string{"feature 0 (code 1)", "position 0", "outside longitude"}},
		{"latitude out of range", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[121.4,-91],[121.5,31.1],[121.5,31.2],[121.4,-91]]]}`), []string{"feature 0 (code 1)", "outside"}},
		{"coordinates are strings", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[["121.4","31.1"]]]}`), []string{"feature 0"}},
		{"number overflows float64", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[1e999,31.1],[121.5,31.1],[121.5,31.2],[1e999,31.1]]]}`), []string{"feature 0"}},
		{"position with one number", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[121.4,31.1],[121.5],[121.5,31.2],[121.4,31.1]]]}`), []string{"feature 0 (code 1)", "position 1 has 1 numbers"}},
		{"empty position", feature(`{"adcode":1}`, `{"type":"MultiPolygon","coordinates":[[[[121.4,31.1],[],[121.5,31.2],[121.4,31.1]]]]}`), []string{"feature 0 (code 1)", "position 1 has 0 numbers"}},
		{"zero-area spike", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[121.4,31.1],[121.5,31.2],[121.4,31.1],[121.5,31.2]]]}`), []string{"feature 0 (code 1)", "encloses no area"}},
		{"ring traversed twice cancels out", feature(`{"adcode":1}`, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0],[1,0],[1,1],[0,0]]]}`), []string{"feature 0 (code 1)", "encloses no area"}},
		{"feature is a string", `"<script>alert(1)</script>"`, []string{"feature 0"}},
		{"feature of the wrong type", `{"type":"FeatureCollection","features":[]}`, []string{"feature 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The bad feature sits between two good ones, which must survive.
			good := func(code string) string { return feature(`{"adcode":"`+code+`"}`, goodSquare) }
			units, err := UnitsFromGeoJSON(fc(good("A"), tc.in, good("B")), ImportOptions{Level: model.LevelDistrict})
			if err == nil {
				t.Fatalf("no error; units %v", units)
			}
			if len(units) != 2 || units[0].Code != "A" || units[1].Code != "B" {
				t.Errorf("good features lost: got %d units", len(units))
			}
			msg := strings.Replace(err.Error(), "feature 1", "feature 0", 1) // the bad one is second
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if model.ErrorCode(err) != model.EINVALID {
				t.Errorf("error code %q, want %q", model.ErrorCode(err), model.EINVALID)
			}
		})
	}
}

func TestUnitsFromGeoJSONRejectsDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		opts ImportOptions
		want string
	}{
		{"not JSON", `{"type":`, ImportOptions{Level: model.LevelDistrict}, "malformed JSON"},
		{"empty input", ``, ImportOptions{Level: model.LevelDistrict}, "GeoJSON"},
		{"a bare feature", feature(`{"adcode":1}`, goodSquare), ImportOptions{Level: model.LevelDistrict}, `want "FeatureCollection"`},
		{"features is an object", `{"type":"FeatureCollection","features":{}}`, ImportOptions{Level: model.LevelDistrict}, "features"},
		{"unknown CRS", string(fc()), ImportOptions{Level: model.LevelDistrict, CRS: "bd09"}, `unknown CRS "bd09"`},
		{"unknown level", string(fc()), ImportOptions{Level: "province"}, `unknown level "province"`},
		{"missing level", string(fc()), ImportOptions{}, "unknown level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			units, err := UnitsFromGeoJSON([]byte(tc.in), tc.opts)
			if err == nil || units != nil {
				t.Fatalf("got %v, %v; want nil and an error", units, err)
			}
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
}

func TestUnitsFromGeoJSONDuplicateCode(t *testing.T) {
	t.Parallel()
	in := fc(feature(`{"adcode":7}`, goodSquare), feature(`{"adcode":"7"}`, goodSquare))
	units, err := UnitsFromGeoJSON(in, ImportOptions{Level: model.LevelGrid})
	if len(units) != 1 || err == nil || !strings.Contains(err.Error(), "feature 1: duplicate code 7 (first used by feature 0)") {
		t.Fatalf("got %d units, %v; want the first kept and the second named as duplicate", len(units), err)
	}
}

func TestUnitsFromGeoJSONReportsAtMostFiftyProblems(t *testing.T) {
	t.Parallel()
	bad := make([]string, 120)
	for i := range bad {
		bad[i] = feature(`{}`, goodSquare)
	}
	_, err := UnitsFromGeoJSON(fc(bad...), ImportOptions{Level: model.LevelGrid})
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("error %v is not a joined error", err)
	}
	if n := len(joined.Unwrap()); n != maxReportedProblems+1 || !strings.Contains(err.Error(), "and 70 more") {
		t.Errorf("%d errors listed, want %d and a summary of the other 70", n, maxReportedProblems+1)
	}
}

// TestUnitsFromGeoJSONParentByContainment writes generated grid cells as
// GeoJSON without parent properties and imports them back against the
// districts: each cell must find the district it was generated for. Only
// whole cells take part: the published district polygons overlap by a few
// metres along some boundaries, where a clipped boundary sliver lies in
// two districts and the smaller code wins.
func TestUnitsFromGeoJSONParentByContainment(t *testing.T) {
	t.Parallel()
	districts := mustReadDistricts(t, districtsGCJ02, CRSGCJ02)
	parents := mustIndex(t, districts)
	var want []model.Unit
	out := geojson.NewFeatureCollection()
	for _, code := range []string{"310101", "310115", "310151"} {
		const size = 2000
		cells, err := GenerateGrid(mustFindUnit(t, districts, code), size, GridHex)
		if err != nil {
			t.Fatalf("GenerateGrid: %v", err)
		}
		for _, c := range cells {
			if areaSquareMetres(c.Geometry) < 0.99*math.Sqrt(3)/2*size*size {
				continue
			}
			f := geojson.NewFeature(c.Geometry)
			f.Properties["id"] = c.Code
			out.Append(f)
			want = append(want, c)
		}
	}
	if len(want) < 100 {
		t.Fatalf("only %d whole cells: the test exercised too little", len(want))
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got, err := UnitsFromGeoJSON(data, ImportOptions{Level: model.LevelGrid, CodeProp: "id", Parents: parents})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("imported %d cells, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Code != want[i].Code || got[i].Parent != want[i].Parent {
			t.Fatalf("cell %d: code %s parent %q, want %s parent %q", i, got[i].Code, got[i].Parent, want[i].Code, want[i].Parent)
		}
	}

	// A feature in the sea has no parent and is rejected.
	sea := fc(feature(`{"adcode":"X"}`, `{"type":"Polygon","coordinates":[[[122.5,30.5],[122.6,30.5],[122.6,30.6],[122.5,30.6],[122.5,30.5]]]}`))
	if _, err := UnitsFromGeoJSON(sea, ImportOptions{Level: model.LevelStreet, Parents: parents}); err == nil ||
		!strings.Contains(err.Error(), "no parent unit contains its interior point") {
		t.Errorf("sea feature: error %v, want no parent", err)
	}
}

// TestInteriorPointOfCrescent uses a C-shaped polygon whose centroid lies
// in the open mouth, outside the polygon.
func TestInteriorPointOfCrescent(t *testing.T) {
	t.Parallel()
	c := orb.Polygon{{{0, 0}, {10, 0}, {10, 2}, {2, 2}, {2, 8}, {10, 8}, {10, 10}, {0, 10}, {0, 0}}}
	tests := []struct {
		name string
		mp   orb.MultiPolygon
	}{
		{"crescent", orb.MultiPolygon{c}},
		{"square with a hole over the middle", orb.MultiPolygon{{square(5, 5, 5), square(5, 5, 3)}}},
		{"two islands", orb.MultiPolygon{{square(0, 0, 1)}, {square(20, 20, 3)}}},
		// The middle scan line (y = 35) crosses only the zero-width spike
		// to (100, 70); the area is the triangle below y = 31.
		{"spike over the middle", orb.MultiPolygon{{{{121.47, 31}, {100, 70}, {121.47, 31}, {0, 0}, {1, 0}, {121.47, 31}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, ok := InteriorPoint(tc.mp)
			if !ok || !newRegion(tc.mp).contains(p[0], p[1]) {
				t.Fatalf("InteriorPoint = %v, %v: not inside", p, ok)
			}
		})
	}
	crescent := orb.MultiPolygon{c}
	if centroid := crescent.Bound().Center(); newRegion(crescent).contains(centroid[0], centroid[1]) {
		t.Fatalf("test premise: bound centre %v should be outside the crescent", centroid)
	}
	if _, ok := InteriorPoint(nil); ok {
		t.Error("InteriorPoint(nil) reported a point")
	}
}

func ExampleUnitsFromGeoJSON() {
	data := fc(feature(`{"adcode":310101,"name":"黄浦区","parent":{"adcode":310000}}`, goodSquare))
	units, err := UnitsFromGeoJSON(data, ImportOptions{Level: model.LevelDistrict, CRS: CRSGCJ02})
	if err != nil {
		fmt.Println(err)
		return
	}
	idx, err := NewIndex(units)
	if err != nil {
		fmt.Println(err)
		return
	}
	lon, lat := GCJ02ToWGS84(121.405, 31.105) // a point given in GCJ-02
	code, ok := idx.Locate(lon, lat)
	fmt.Println(units[0].NameZH, units[0].Parent, code, ok)
	// Output: 黄浦区 310000 310101 true
}
