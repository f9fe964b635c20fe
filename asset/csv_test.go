package asset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

func TestImportCSV(t *testing.T) {
	t.Parallel()
	// A small inventory as a district office would export it: BOM, Chinese
	// status names, a component code in the type column, extra columns.
	const inventory = "\ufeffid,type,name_zh,name_en,dept,lon,lat,status,material,wkt\n" +
		"MH-001,0111,燃气井盖1,Gas cover 1,,121.47,31.23,完好,cast iron,\n" + // line 2: good
		"MH-002,manhole_cover,井盖2,,drainage,121.48,31.24,damaged,,\n" + // line 3: good
		"MH-003,ufo,飞碟,,,121.49,31.25,,,\n" + // line 4: unknown type
		",hydrant,消火栓,,,121.50,31.26,,,\n" + // line 5: missing id
		"MH-001,hydrant,重复,,,121.50,31.26,,,\n" + // line 6: duplicate id
		"H-1,hydrant,,,,NaN,31.2,,,\n" + // line 7: NaN longitude
		"H-2,hydrant,,,,121.5,95,,,\n" + // line 8: latitude out of range
		"H-3,hydrant,,,,121.5,,,,\n" + // line 9: missing latitude
		"H-4,hydrant\n" + // line 10: short row
		"\"H-5\nsplit\",hydrant,多行,,,121.5,31.2,,,\n" + // lines 11-12: good, quoted newline
		"W-1,water_main,干管,,,,,,steel,\"LINESTRING(121.1 31.1, 121.2 31.2, 121.3 31.1)\"\n" + // line 13: good, WKT
		"W-2,water_main,,,,,,,,LINESTRING(oops)\n" + // line 14: bad WKT
		"H-6,hydrant,,,,121.5,31.2,lost-ish,,\n" // line 15: bad status
	var unitsAsked []orb.Point
	assets, bad, err := ImportCSV(context.Background(), strings.NewReader(inventory), Options{
		Resolve: func(lon, lat float64) (string, bool) {
			unitsAsked = append(unitsAsked, orb.Point{lon, lat})
			return "310101001", true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"MH-001", "MH-002", "H-5\nsplit", "W-1"}
	if len(assets) != len(wantIDs) {
		t.Fatalf("imported %d assets %+v, want %d", len(assets), assets, len(wantIDs))
	}
	for i, id := range wantIDs {
		if assets[i].ID != id || assets[i].Unit != "310101001" {
			t.Errorf("asset %d = %+v, want id %q in unit 310101001", i, assets[i], id)
		}
	}
	gasCover := assets[0]
	if gasCover.Type != "manhole_cover" || gasCover.Attrs["code"] != "0111" || gasCover.Dept != "gas" ||
		gasCover.Status != StatusIntact || gasCover.Attrs["material"] != "cast iron" || gasCover.NameEN != "Gas cover 1" {
		t.Errorf("gas cover = %+v", gasCover)
	}
	if assets[1].Dept != "drainage" || assets[1].Status != StatusDamaged || len(assets[1].Attrs) != 0 {
		t.Errorf("cover 2 = %+v", assets[1])
	}
	if _, ok := assets[3].Geometry.(orb.LineString); !ok || unitsAsked[3] != (orb.Point{121.2, 31.2}) {
		t.Errorf("WKT main geometry %v placed at %v", assets[3].Geometry, unitsAsked[3])
	}
	wantBad := []struct {
		line  int
		field string
	}{{4, "type"}, {5, "id"}, {6, "id"}, {7, "lon"}, {8, "lat"}, {9, "lat"}, {10, "row"}, {14, "wkt"}, {15, "status"}}
	if len(bad) != len(wantBad) {
		t.Fatalf("row errors %v, want %d", bad, len(wantBad))
	}
	for i, w := range wantBad {
		if bad[i].Line != w.line || bad[i].Field != w.field || bad[i].Reason == "" {
			t.Errorf("row error %d = %+v, want line %d field %s", i, bad[i], w.line, w.field)
		}
	}
}

func TestImportCSVColumnMappingAndFixedType(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lamps.csv")
	const doc = "编号,名称,经度,纬度,路段\nL1,路灯1,121.4,31.2,南京路\nL2,路灯2,121.41,31.21,\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	assets, bad, err := ImportCSV(context.Background(), f, Options{
		Type:     "street_light",
		IDPrefix: "lamp:",
		Fields:   Fields{ID: "编号", NameZH: "名称", Lon: "经度", Lat: "纬度"},
	})
	if err != nil || len(bad) != 0 || len(assets) != 2 {
		t.Fatalf("assets %+v, bad %v, err %v", assets, bad, err)
	}
	if a := assets[0]; a.ID != "lamp:L1" || a.Type != "street_light" || a.NameZH != "路灯1" || a.Attrs["路段"] != "南京路" || a.Dept != "greening" {
		t.Errorf("lamp = %+v", a)
	}
	if assets[1].Attrs != nil {
		t.Errorf("empty extra column became attrs %v", assets[1].Attrs)
	}
}

func TestImportCSVRejectsUnusableHeader(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, want string }{
		{name: "empty", doc: "", want: "header"},
		{name: "no id column", doc: "type,lon,lat\nhydrant,1,2\n", want: `no id column "id"`},
		{name: "no location", doc: "id,type\n1,hydrant\n", want: `"lon" and "lat", or "wkt"`},
		{name: "no type", doc: "id,lon,lat\n1,1,2\n", want: "no type column"},
		{name: "duplicate column", doc: "id,id,type,lon,lat\n", want: "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ImportCSV(context.Background(), strings.NewReader(tt.doc), Options{})
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

func TestImportCSVHostileRows(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("长", 10_000)
	tests := []struct {
		name, row, field string
	}{
		{name: "huge attribute", row: "a,hydrant,121,31," + huge + huge, field: "attrs"},
		{name: "huge id", row: strings.Repeat("i", 300) + ",hydrant,121,31,", field: "id"},
		{name: "negative zero and exponent", row: "a,hydrant,1.21e2,-0,", field: ""},
		{name: "invalid utf-8 id", row: "a\xff,hydrant,121,31,", field: "id"},
		{name: "infinite lon", row: "a,hydrant,+Inf,31,", field: "lon"},
		{name: "hex float lon", row: "a,hydrant,0x1p-2,31,", field: ""},
		{name: "bare quote", row: "a\"b,hydrant,121,31,", field: "row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := "id,type,lon,lat,note\n" + tt.row + "\n"
			assets, bad, err := ImportCSV(context.Background(), strings.NewReader(doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkAssets(t, assets)
			if tt.field == "" {
				if len(bad) != 0 {
					t.Errorf("unexpected row errors %v", bad)
				}
				return
			}
			if len(bad) != 1 || bad[0].Field != tt.field || bad[0].Line != 2 {
				t.Errorf("row errors %+v, want one on line 2 field %s", bad, tt.field)
			}
		})
	}
}

// FuzzImportCSV checks that no input panics the decoder and that
// everything it accepts is a well-formed asset.
func FuzzImportCSV(f *testing.F) {
	f.Add("id,type,lon,lat\n1,hydrant,121.4,31.2\n")
	f.Add("id,type,wkt\nw,water_main,\"LINESTRING(0 0,1 1)\"\n")
	f.Add("id,type,lon,lat,status,x\n1,0111,1e308,-0,破损,\"a\"\"b\"\n2,bridge,1,2\n")
	f.Fuzz(func(t *testing.T, doc string) {
		assets, bad, err := ImportCSV(context.Background(), strings.NewReader(doc), Options{})
		if err != nil {
			if assets != nil || bad != nil {
				t.Fatal("results returned with an error")
			}
			return
		}
		checkAssets(t, assets)
		for _, e := range bad {
			if e.Field == "" || e.Reason == "" || e.Line < 2 {
				t.Fatalf("row error without field, reason or line: %+v", e)
			}
		}
	})
}
