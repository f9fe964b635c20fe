package asset

import (
	"context"
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"cityvitals/model"
)

const shanghaiOSMPath = "../../shared/data/assets/osm_shanghai_sample/ex_shanghai_sample.osm"

// countOSMNodes counts, independently of ImportOSM, the nodes of the file
// carrying each tag; it loads the whole document, which is fine for tests.
func countOSMNodes(t *testing.T, path string, tags map[string]model.AssetType) map[model.AssetType]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Nodes []struct {
			Tags []struct {
				K string `xml:"k,attr"`
				V string `xml:"v,attr"`
			} `xml:"tag"`
		} `xml:"node"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	counts := make(map[model.AssetType]int)
	for _, n := range doc.Nodes {
		for _, tg := range n.Tags {
			if typ, ok := tags[tg.K+"="+tg.V]; ok {
				counts[typ]++
			}
		}
	}
	return counts
}

func TestImportOSMShanghaiSample(t *testing.T) {
	t.Parallel()
	mapped := map[string]model.AssetType{
		"power=tower": "power_tower", "highway=traffic_signals": "traffic_signal",
		"amenity=restaurant": "restaurant_kitchen", "amenity=fast_food": "restaurant_kitchen",
		"emergency=fire_hydrant": "hydrant", "man_made=manhole": "manhole_cover",
		"highway=street_lamp": "street_light", "man_made=surveillance": "camera",
	}
	want := countOSMNodes(t, shanghaiOSMPath, mapped)
	f, err := os.Open(shanghaiOSMPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	assets, bad, err := ImportOSM(context.Background(), f, Options{IDPrefix: "osm:"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 0 {
		t.Fatalf("row errors: %v", bad)
	}
	checkAssets(t, assets)
	got := make(map[model.AssetType]int)
	for _, a := range assets {
		got[a.Type]++
		if !strings.HasPrefix(a.ID, "osm:node/") {
			t.Errorf("id %q lacks the osm:node/ prefix", a.ID)
		}
	}
	// The sample has power towers, signals and restaurants, but no hydrants,
	// manholes, lamps or cameras; those must count zero on both sides.
	for _, typ := range []model.AssetType{"power_tower", "traffic_signal", "restaurant_kitchen"} {
		if want[typ] == 0 {
			t.Errorf("the sample should contain %s nodes", typ)
		}
	}
	for _, typ := range mapped {
		if got[typ] != want[typ] {
			t.Errorf("%s: imported %d, file has %d", typ, got[typ], want[typ])
		}
	}
	if len(assets) != want["power_tower"]+want["traffic_signal"]+want["restaurant_kitchen"] {
		t.Errorf("imported %d assets of types %v", len(assets), got)
	}
}

func TestImportOSMNodes(t *testing.T) {
	t.Parallel()
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="31.2" lon="121.4"><tag k="emergency" v="fire_hydrant"/><tag k="name" v="消火栓甲"/><tag k="fire_hydrant:type" v="pillar"/></node>
  <node id="2" lat="31.2" lon="121.5"><tag k="man_made" v="manhole"/><tag k="manhole" v="sewer"/></node>
  <node id="3" lat="31.3" lon="121.5"><tag k="highway" v="street_lamp"/></node>
  <node id="4" lat="31.3" lon="121.6"><tag k="man_made" v="surveillance"/><tag k="name:en" v="Cam"/></node>
  <node id="5" lat="31.3" lon="121.6"/>
  <node id="6" lat="north" lon="121.6"><tag k="power" v="tower"/></node>
  <node id="7" lat="95" lon="121.6"><tag k="power" v="tower"/></node>
  <node id="x8" lat="31" lon="121"><tag k="power" v="tower"/></node>
  <node id="9" lat="31" lon="121"><tag k="pipeline" v="valve"/><tag k="substance" v="water"/></node>
  <node id="10" lat="31" lon="121"><tag k="pipeline" v="valve"/><tag k="substance" v="gas"/></node>
  <way id="11"><nd ref="1"/><nd ref="2"/><tag k="power" v="tower"/></way>
</osm>`
	assets, bad, err := ImportOSM(context.Background(), strings.NewReader(doc), Options{Type: "bridge"})
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []model.AssetType{"hydrant", "manhole_cover", "street_light", "camera", "gas_valve"}
	if len(assets) != len(wantTypes) {
		t.Fatalf("assets %+v", assets)
	}
	for i, typ := range wantTypes {
		if assets[i].Type != typ {
			t.Errorf("asset %d type %s, want %s (Options.Type must not apply)", i, assets[i].Type, typ)
		}
	}
	if h := assets[0]; h.ID != "node/1" || h.NameZH != "消火栓甲" || h.Attrs["fire_hydrant:type"] != "pillar" {
		t.Errorf("hydrant = %+v", h)
	}
	if assets[3].NameEN != "Cam" {
		t.Errorf("camera = %+v", assets[3])
	}
	wantBad := []struct {
		line  int
		field string
	}{{8, "geometry"}, {9, "geometry"}, {10, "id"}}
	if len(bad) != len(wantBad) {
		t.Fatalf("row errors %+v", bad)
	}
	for i, w := range wantBad {
		if bad[i].Line != w.line || bad[i].Field != w.field {
			t.Errorf("row error %d = %+v, want line %d field %s", i, bad[i], w.line, w.field)
		}
	}
}

func TestImportOSMRejectsMalformedXML(t *testing.T) {
	t.Parallel()
	_, _, err := ImportOSM(context.Background(), strings.NewReader(`<osm><node id="1" lat="1" lon="2"><tag k="power" v="tower"></node></osm>`), Options{})
	if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("err = %v, want EINVALID naming line 1", err)
	}
}

// FuzzImportOSM feeds arbitrary XML to the OSM importer: it must never
// panic, and every asset it returns must be a known type at valid
// coordinates.
func FuzzImportOSM(f *testing.F) {
	f.Add(`<osm><node id="1" lat="31.2" lon="121.5"><tag k="emergency" v="fire_hydrant"/></node></osm>`)
	f.Add(`<osm><node id="2" lat="NaN" lon="121.5"><tag k="highway" v="traffic_signals"/></node></osm>`)
	f.Add(`<osm><node id="" lat="91" lon="-181"><tag k="power" v="tower"/></node><way id="3"/></osm>`)
	f.Add(`<osm><node`)
	f.Fuzz(func(t *testing.T, doc string) {
		assets, rowErrs, err := ImportOSM(context.Background(), strings.NewReader(doc), Options{})
		if err != nil {
			return
		}
		types := DefaultTypes()
		for _, a := range assets {
			if _, ok := types.Lookup(a.Type); !ok {
				t.Fatalf("asset %q has unknown type %q", a.ID, a.Type)
			}
			if a.Geometry == nil {
				t.Fatalf("asset %q has no geometry", a.ID)
			}
		}
		for _, re := range rowErrs {
			if re.Reason == "" {
				t.Fatalf("row error without a reason: %+v", re)
			}
		}
	})
}
