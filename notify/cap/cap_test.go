package cap_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"cityvitals/model"
	"cityvitals/notify/cap"
)

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name    string
		warning func(testing.TB) cap.Warning
		golden  string
	}{
		{"red gas leak over Huangpu polygon", redGasLeak, "red_gas_leak.xml"},
		{"update lowers it to orange", redGasLeakUpdate, "red_gas_leak_update.xml"},
		{"cancel references both", redGasLeakCancel, "red_gas_leak_cancel.xml"},
		{"blue rainstorm forecast by geocode", blueRainstorm, "blue_rainstorm.xml"},
	}
	docs := map[string][]byte{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := cap.Render(tt.warning(t))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, tt.golden, doc)
			docs[tt.golden] = doc
		})
	}
	validateCAP(t, docs)
}

// TestSchemaHarness proves the validation harness can tell good from bad:
// the OASIS example passes, and a document with one wrong enumeration
// value fails.
func TestSchemaHarness(t *testing.T) {
	doc, err := cap.Render(redGasLeak(t))
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(doc, []byte("<urgency>Immediate</urgency>"), []byte("<urgency>Soon</urgency>"), 1)
	if bytes.Equal(broken, doc) {
		t.Fatal("fixture has no Immediate urgency to break")
	}
	brokenPath := filepath.Join(t.TempDir(), "broken.xml")
	if err := os.WriteFile(brokenPath, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		file  string
		valid bool
	}{
		{"OASIS example", capExample, true},
		{"urgency outside the enumeration", brokenPath, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schemaErrors(t, tt.file)
			if valid := err == nil; valid != tt.valid {
				t.Errorf("valid = %v, want %v (xmllint: %v)", valid, tt.valid, err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	w := redGasLeakCancel(t)
	doc, err := cap.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cap.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	built, err := cap.Build(w)
	if err != nil {
		t.Fatal(err)
	}
	again, err := cap.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, doc) {
		t.Errorf("Parse then Marshal changed the document:\n%s", again)
	}
	if a.References != built.References || len(a.Infos) != 2 || a.Infos[1].Language != cap.LanguageEN {
		t.Errorf("parsed alert = %+v, want the built one %+v", a, built)
	}
}

func TestBuildMapsLevelsAndMessageTypes(t *testing.T) {
	tests := []struct {
		name      string
		level     cap.Level
		msgType   cap.MsgType
		responses []cap.ResponseType
		urgency   cap.Urgency
		severity  cap.Severity
		response  []cap.ResponseType
	}{
		{"blue alert", cap.LevelBlue, cap.MsgAlert, nil, cap.UrgencyFuture, cap.SeverityMinor, nil},
		{"yellow alert", cap.LevelYellow, cap.MsgAlert, nil, cap.UrgencyExpected, cap.SeverityModerate, nil},
		{"orange update", cap.LevelOrange, cap.MsgUpdate, []cap.ResponseType{cap.ResponsePrepare}, cap.UrgencyExpected, cap.SeveritySevere, []cap.ResponseType{cap.ResponsePrepare}},
		{"red alert", cap.LevelRed, cap.MsgAlert, []cap.ResponseType{cap.ResponseEvacuate}, cap.UrgencyImmediate, cap.SeverityExtreme, []cap.ResponseType{cap.ResponseEvacuate}},
		{"cancel is past and all clear", cap.LevelRed, cap.MsgCancel, nil, cap.UrgencyPast, cap.SeverityExtreme, []cap.ResponseType{cap.ResponseAllClear}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := redGasLeakUpdate(t)
			w.Level, w.MsgType, w.Responses = tt.level, tt.msgType, tt.responses
			a, err := cap.Build(w)
			if err != nil {
				t.Fatal(err)
			}
			for _, info := range a.Infos {
				if info.Urgency != tt.urgency || info.Severity != tt.severity {
					t.Errorf("%s: urgency/severity = %s/%s, want %s/%s", info.Language, info.Urgency, info.Severity, tt.urgency, tt.severity)
				}
				if !equalResponses(info.ResponseType, tt.response) {
					t.Errorf("%s: responseType = %v, want %v", info.Language, info.ResponseType, tt.response)
				}
				if got := info.Parameters[0]; got.Name != "level" || got.Value != tt.level.String() {
					t.Errorf("%s: first parameter = %+v, want level=%s", info.Language, got, tt.level)
				}
			}
		})
	}
}

func equalResponses(a, b []cap.ResponseType) bool {
	return strings.Join(responseStrings(a), ",") == strings.Join(responseStrings(b), ",")
}

func responseStrings(rs []cap.ResponseType) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func TestCategories(t *testing.T) {
	tests := []struct {
		name   string
		domain cap.Domain
		want   []cap.Category
	}{
		{"gas is safety and infrastructure", cap.DomainGas, []cap.Category{cap.CategorySafety, cap.CategoryInfra}},
		{"flood is meteorological per CAP", cap.DomainFlood, []cap.Category{cap.CategoryMet}},
		{"drainage is met and infrastructure", cap.DomainDrainage, []cap.Category{cap.CategoryMet, cap.CategoryInfra}},
		{"air quality is environmental", cap.DomainAir, []cap.Category{cap.CategoryEnv}},
		{"subsidence is geophysical", cap.DomainGeology, []cap.Category{cap.CategoryGeo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cap.Categories(tt.domain)
			if !ok || len(got) != len(tt.want) {
				t.Fatalf("Categories(%q) = %v, %v; want %v", tt.domain, got, ok, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Categories(%q)[%d] = %s, want %s", tt.domain, i, got[i], tt.want[i])
				}
			}
		})
	}
	if _, ok := cap.Categories("volcano"); ok {
		t.Error("Categories accepted an unknown domain")
	}
}

func TestBuildRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(w *cap.Warning)
		field string
	}{
		{"empty id", func(w *cap.Warning) { w.ID = "" }, "ID"},
		{"id with a space", func(w *cap.Warning) { w.ID = "CV 1" }, "ID"},
		{"sender with a comma", func(w *cap.Warning) { w.Sender = "a,b" }, "Sender"},
		{"sender with an ampersand", func(w *cap.Warning) { w.Sender = "a&b" }, "Sender"},
		{"zero sent", func(w *cap.Warning) { w.Sent = time.Time{} }, "Sent"},
		{"five-digit year", func(w *cap.Warning) { w.Sent = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Sent"},
		{"draft status", func(w *cap.Warning) { w.Status = "Draft" }, "Status"},
		{"ack message", func(w *cap.Warning) { w.MsgType = "Ack" }, "MsgType"},
		{"update without references", func(w *cap.Warning) { w.References = nil }, "References"},
		{"reference without sent", func(w *cap.Warning) { w.References[0].Sent = time.Time{} }, "References[0].Sent"},
		{"reference to itself", func(w *cap.Warning) { w.References[0].ID, w.References[0].Sender = w.ID, w.Sender }, "References[0]"},
		{"incident with a space", func(w *cap.Warning) { w.Incidents = []string{"INC 1"} }, "Incidents[0]"},
		{"level zero", func(w *cap.Warning) { w.Level = 0 }, "Level"},
		{"level five", func(w *cap.Warning) { w.Level = 5 }, "Level"},
		{"certainty missing", func(w *cap.Warning) { w.Certainty = "" }, "Certainty"},
		{"unknown domain", func(w *cap.Warning) { w.Domain = "volcano" }, "Domain"},
		{"unknown response", func(w *cap.Warning) { w.Responses = []cap.ResponseType{"Panic"} }, "Responses[0]"},
		{"no chinese event", func(w *cap.Warning) { w.EventZH = " " }, "EventZH"},
		{"no chinese headline", func(w *cap.Warning) { w.HeadlineZH = "" }, "HeadlineZH"},
		{"english without event", func(w *cap.Warning) { w.EventEN = "" }, "EventEN"},
		{"control character", func(w *cap.Warning) { w.DescriptionZH = "泄漏\x00" }, "DescriptionZH"},
		{"invalid utf-8", func(w *cap.Warning) { w.InstructionEN = "\xff" }, "InstructionEN"},
		{"relative web link", func(w *cap.Warning) { w.Web = "/warnings/1" }, "Web"},
		{"expires before sent", func(w *cap.Warning) { w.Expires = w.Sent.Add(-time.Minute) }, "Expires"},
		{"expires before onset", func(w *cap.Warning) { w.Onset = w.Expires.Add(time.Hour) }, "Expires"},
		{"reserved parameter", func(w *cap.Warning) { w.Parameters["level"] = "x" }, `Parameters["level"]`},
		{"empty parameter name", func(w *cap.Warning) { w.Parameters[""] = "x" }, `Parameters[""]`},
		{"no area at all", func(w *cap.Warning) { w.Area = cap.Area{NameZH: "黄浦区", NameEN: "Huangpu"} }, "Area"},
		{"no area name", func(w *cap.Warning) { w.Area.NameZH = "" }, "Area.NameZH"},
		{"bad admin code", func(w *cap.Warning) { w.Area.AdminCode = "3101" }, "Area.AdminCode"},
		{"zero radius", func(w *cap.Warning) { w.Area.Circles[0].RadiusKm = 0 }, "Area.Circles[0]"},
		{"circle off the globe", func(w *cap.Warning) { w.Area.Circles[0].Center = orb.Point{31.2, 121.5} }, "Area.Circles[0]"},
		{"latitude out of range", func(w *cap.Warning) { w.Area.Geometry[0][0][3] = orb.Point{121.5, 91} }, "Area.Geometry[0]"},
		{"NaN coordinate", func(w *cap.Warning) { w.Area.Geometry[0][0][3] = orb.Point{math.NaN(), 31} }, "Area.Geometry[0]"},
		{"polygon without rings", func(w *cap.Warning) { w.Area.Geometry = append(w.Area.Geometry, orb.Polygon{}) }, "Area.Geometry[1]"},
		{"two-point ring", func(w *cap.Warning) { w.Area.Geometry = orb.MultiPolygon{{{{121, 31}, {121.1, 31}}}} }, "Area.Geometry[0]"},
		{"flat ring", func(w *cap.Warning) {
			w.Area.Geometry = orb.MultiPolygon{{{{121, 31}, {121.1, 31}, {121.2, 31}, {121, 31}}}}
		}, "Area.Geometry[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := redGasLeakUpdate(t)
			tt.edit(&w)
			_, err := cap.Build(w)
			var merr *model.Error
			if !errors.As(err, &merr) || merr.Code != model.EINVALID {
				t.Fatalf("Build error = %v, want a *model.Error with code %s", err, model.EINVALID)
			}
			if !strings.Contains(merr.Message, w.ID) || !strings.Contains(merr.Message, tt.field+":") {
				t.Errorf("message %q does not name warning %q and field %s", merr.Message, w.ID, tt.field)
			}
		})
	}
}

// TestAreaPolygonsOfEveryDistrict renders a warning over each of the 16
// real district boundaries and checks the CAP polygons: latitude first,
// closed, at least four pairs, at most MaxAreaPoints in all, and covering
// about the same area as the boundary they came from.
func TestAreaPolygonsOfEveryDistrict(t *testing.T) {
	docs := map[string][]byte{}
	for _, d := range loadDistricts(t) {
		t.Run(d.code, func(t *testing.T) {
			w := redGasLeak(t)
			w.Area = cap.Area{NameZH: d.name, AdminCode: d.code, Geometry: d.geometry}
			w.EventEN, w.SenderNameEN, w.HeadlineEN, w.DescriptionEN, w.InstructionEN = "", "", "", "", ""
			doc, err := cap.Render(w)
			if err != nil {
				t.Fatal(err)
			}
			docs[d.code] = doc
			a, err := cap.Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			var got orb.MultiPolygon
			points := 0
			for _, text := range a.Infos[0].Areas[0].Polygons {
				ring := parsePolygon(t, text)
				points += len(ring)
				got = append(got, orb.Polygon{ring})
			}
			if len(got) != len(d.geometry) {
				t.Errorf("%d polygons, want one per polygon of the boundary (%d)", len(got), len(d.geometry))
			}
			if points > cap.MaxAreaPoints {
				t.Errorf("%d points, want at most %d", points, cap.MaxAreaPoints)
			}
			want := outerArea(d.geometry)
			if ratio := outerArea(got) / want; ratio < 0.95 || ratio > 1.05 {
				t.Errorf("polygons cover %.4f of the boundary's area, want within 5%%", ratio)
			}
		})
	}
	validateCAP(t, docs)
}

// parsePolygon reads CAP's "lat,lon ..." text back into a lon/lat ring and
// checks CAP's rules for it.
func parsePolygon(t *testing.T, text string) orb.Ring {
	t.Helper()
	var ring orb.Ring
	for _, pair := range strings.Fields(text) {
		lat, lon, ok := strings.Cut(pair, ",")
		if !ok {
			t.Fatalf("pair %q has no comma", pair)
		}
		p := orb.Point{parseFloat(t, lon), parseFloat(t, lat)}
		// Shanghai lies at about 30.7-31.9°N, 120.8-122.2°E: a swapped
		// order would put it in the Indian Ocean.
		if p.Lat() < 30 || p.Lat() > 32 || p.Lon() < 120 || p.Lon() > 123 {
			t.Fatalf("pair %q is not latitude,longitude in Shanghai", pair)
		}
		ring = append(ring, p)
	}
	if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
		t.Fatalf("polygon %q is not closed with at least 4 pairs", text)
	}
	return ring
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func outerArea(mp orb.MultiPolygon) float64 {
	total := 0.0
	for _, p := range mp {
		total += math.Abs(planar.Area(p[0]))
	}
	return total
}

// TestBuildLeavesGeometryIntact guards against the in-place simplifier
// changing the caller's unit boundary.
func TestBuildLeavesGeometryIntact(t *testing.T) {
	d := loadDistrict(t, "310118") // Qingpu: over 1,200 points, simplified
	before := d.geometry.Clone()
	w := redGasLeak(t)
	w.Area.Geometry = d.geometry
	if _, err := cap.Build(w); err != nil {
		t.Fatal(err)
	}
	if !orb.Equal(before, d.geometry) {
		t.Error("Build modified the input geometry")
	}
}

// TestAreaOfManyIslands checks the last resort of simplification: when
// even one bounding box per island exceeds MaxAreaPoints, the area becomes
// a single box that still covers every island.
func TestAreaOfManyIslands(t *testing.T) {
	var islands orb.MultiPolygon
	for i := range 60 {
		lon, lat := 121.0+float64(i%10)*0.05, 31.0+float64(i/10)*0.05
		islands = append(islands, orb.Polygon{square(lon, lat, 0.001)})
	}
	w := redGasLeak(t)
	w.Area.Geometry = islands
	doc, err := cap.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	validateCAP(t, map[string][]byte{"islands": doc})
	a, err := cap.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	polygons := a.Infos[0].Areas[0].Polygons
	if len(polygons) != 1 {
		t.Fatalf("%d polygons, want one bounding box", len(polygons))
	}
	// Coordinates are written to 1e-6°, so allow that much rounding.
	box := parsePolygon(t, polygons[0]).Bound().Pad(1e-6)
	for i, p := range islands {
		if !box.Contains(p.Bound().Min) || !box.Contains(p.Bound().Max) {
			t.Errorf("island %d at %v is outside the box %v", i, p.Bound(), box)
		}
	}
}
