package geo

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"cityvitals/model"
)

// FuzzUnitsFromGeoJSON feeds arbitrary bytes to the decoder. Whatever the
// input, it must not panic, every error must be a caller-facing EINVALID,
// and whatever it accepts must be a valid unit set: NewIndex takes it, the
// codes are unique and every unit has an interior point.
func FuzzUnitsFromGeoJSON(f *testing.F) {
	for _, seed := range [][]byte{
		fc(feature(`{"adcode":310101,"name":"黄浦区","parent":{"adcode":310000}}`, goodSquare)),
		fc(feature(`{"adcode":"A"}`, `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}`)),
		fc(feature(`{"adcode":"A"}`, `{"type":"Polygon","coordinates":[[[0,0],[9,0],[9,9],[0,9],[0,0]],[[3,3],[6,3],[6,6],[3,3]]]}`)),
		fc(feature(`{"adcode":1}`, `{"type":"Point","coordinates":[1,2]}`), feature(`{"adcode":1}`, goodSquare)),
		fc(feature(`{"adcode":"\u0000"}`, `{"type":"Polygon","coordinates":[[[1e308,-1e308]]]}`)),
		fc(feature(`{"adcode":1}`, `{"type":"GeometryCollection","geometries":[]}`)),
		[]byte(`{"type":"FeatureCollection","features":[null,1,"x",[],{}]}`),
		[]byte(`{"type":"FeatureCollection","features":null}`),
		[]byte(`[]`),
		firstRealFeature(f),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		units, err := UnitsFromGeoJSON(data, ImportOptions{Level: model.LevelStreet, CRS: CRSGCJ02})
		if err != nil {
			checkAllInvalid(t, err)
		}
		if _, err := NewIndex(units); err != nil {
			t.Fatalf("accepted units do not index: %v", err)
		}
		for _, u := range units {
			if u.Level != model.LevelStreet || u.Code == "" {
				t.Fatalf("accepted unit %+v", u)
			}
			p, ok := InteriorPoint(u.Geometry)
			if !ok || !newRegion(u.Geometry).contains(p[0], p[1]) {
				t.Fatalf("unit %s: interior point %v, %v is not inside", u.Code, p, ok)
			}
		}
	})
}

// checkAllInvalid fails unless every error joined in err is an EINVALID
// *model.Error: decoding problems are the sender's, never internal.
func checkAllInvalid(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		var me *model.Error
		if !errors.As(e, &me) || me.Code != model.EINVALID {
			t.Fatalf("error %v (%T) is not an EINVALID *model.Error", e, e)
		}
	}
}

// firstRealFeature returns the first district of the real GCJ-02 file as a
// one-feature collection: a realistic seed with a ~1,000-vertex polygon.
func firstRealFeature(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(districtsGCJ02)
	if err != nil {
		tb.Fatalf("read seed: %v", err)
	}
	var doc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Features) == 0 {
		tb.Fatalf("decode seed: %v", err)
	}
	return fc(string(doc.Features[0]))
}
