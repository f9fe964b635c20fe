package indicator

// Tests of the default catalog's content (indicator/catalog/*.yaml): its
// coverage, the HJ 633-2012 AQI expressions against an independent
// implementation on real Beijing data, the composite warning levels, and
// docs/catalog.md, which is generated from the catalog and must match it.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"cityvitals/asset"
	"cityvitals/property"
)

var updateCatalogDoc = flag.Bool("update-catalog-doc", false, "rewrite docs/catalog.md from the default catalog")

const catalogDocPath = "../docs/catalog.md"

func defaultCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default(property.Default(), asset.DefaultTypes())
	if err != nil {
		t.Fatalf("default catalog: %v", err)
	}
	return c
}

// TestCatalogDocIsCurrent fails when docs/catalog.md no longer matches the
// default catalog. Regenerate with
// go test ./indicator -run TestCatalogDocIsCurrent -update-catalog-doc
func TestCatalogDocIsCurrent(t *testing.T) {
	want := renderCatalogDoc(defaultCatalog(t))
	if *updateCatalogDoc {
		if err := os.WriteFile(catalogDocPath, want, 0o644); err != nil {
			t.Fatalf("write %s: %v", catalogDocPath, err)
		}
	}
	got, err := os.ReadFile(catalogDocPath)
	if err != nil {
		t.Fatalf("read %s: %v", catalogDocPath, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with indicator/catalog; regenerate it with\n"+
			"go test ./indicator -run TestCatalogDocIsCurrent -update-catalog-doc", catalogDocPath)
	}
}

// TestDefaultCatalogCoverage checks what the default catalog promises the
// dashboard: enough indicators over the city's domains, each domain led
// by one to three core indicators, bilingual texts, sourced thresholds,
// and the city-level air-quality indicators that a replay with no unit
// tree relies on.
func TestDefaultCatalogCoverage(t *testing.T) {
	t.Parallel()
	c := defaultCatalog(t)
	if n := len(c.Programs()); n < 60 {
		t.Errorf("%d indicators, want at least 60", n)
	}
	if n := len(c.Domains()); n < 10 {
		t.Errorf("%d domains, want at least 10", n)
	}
	for _, d := range c.Tree() {
		if n := len(d.Core); n < 1 || n > 3 {
			t.Errorf("domain %s: %d core indicators, want 1 to 3", d.ID, n)
		}
		if !hasHan(d.NameZH) || d.NameEN == "" {
			t.Errorf("domain %s: names %q / %q, want Chinese and English", d.ID, d.NameZH, d.NameEN)
		}
	}
	for _, p := range c.Programs() {
		ind := p.Indicator()
		if !hasHan(ind.NameZH) || !hasHan(ind.WhyZH) || !hasHan(ind.Dept) {
			t.Errorf("%s: name_zh, why_zh and dept must be in Chinese", ind.ID)
		}
		if hasHan(ind.NameEN) || hasHan(ind.WhyEN) {
			t.Errorf("%s: name_en and why_en must be in English", ind.ID)
		}
		if len(ind.Sources) == 0 {
			t.Errorf("%s: no sources", ind.ID)
		}
	}
	for _, id := range []string{"env.city_aqi", "env.city_aqi.pm25"} {
		if p, ok := c.Program(id); !ok || p.Indicator().Level != "city" {
			t.Errorf("%s: want a city-level indicator", id)
		}
	}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// hj633 holds the breakpoints of HJ 633-2012 Table 1 used by the catalog,
// by property id, for an implementation independent of the CEL text.
var hj633 = map[string][]float64{
	"pm25": {0, 35, 75, 115, 150, 250, 350, 500},
	"pm10": {0, 50, 150, 250, 350, 420, 500, 600},
	"so2":  {0, 50, 150, 475, 800, 1600, 2100, 2620},
	"no2":  {0, 40, 80, 180, 280, 565, 750, 940},
	"co":   {0, 2, 4, 14, 24, 36, 48, 60},
	"o3":   {0, 160, 200, 300, 400, 800, 1000, 1200},
}

var hj633IAQI = []float64{0, 50, 100, 150, 200, 300, 400, 500}

// referenceIAQI is HJ 633-2012 §5.1, held at 500 above the top breakpoint.
func referenceIAQI(bp []float64, c float64) float64 {
	for i := 1; i < len(bp); i++ {
		if c <= bp[i] {
			return hj633IAQI[i-1] + (hj633IAQI[i]-hj633IAQI[i-1])/(bp[i]-bp[i-1])*(c-bp[i-1])
		}
	}
	return 500
}

// catalogScope is a Scope with one latest value per property and fixed
// values of other indicators.
type catalogScope struct {
	latest     map[string][]float64
	indicators map[string]float64
}

func (s catalogScope) Streams(prop, _ string) StreamSet {
	v := s.latest[prop]
	return fixedStreams{latest: v, totals: v}
}

func (s catalogScope) Indicator(id string) (float64, bool) {
	v, ok := s.indicators[id]
	return v, ok
}

// fixedStreams reports every value it holds.
type fixedStreams struct{ latest, totals []float64 }

func (f fixedStreams) Registered() int   { return len(f.latest) }
func (f fixedStreams) Latest() []float64 { return f.latest }
func (f fixedStreams) Totals() []float64 { return f.totals }
func (f fixedStreams) Changes() []Change { return nil }

// TestAQISubIndicesMatchHJ633 evaluates every IAQI expression, at district
// and city level, at each breakpoint, between breakpoints and beyond the
// scale, and compares it with referenceIAQI.
func TestAQISubIndicesMatchHJ633(t *testing.T) {
	t.Parallel()
	c := defaultCatalog(t)
	for _, prefix := range []string{"env.aqi", "env.city_aqi"} {
		for prop, bp := range hj633 {
			p, ok := c.Program(prefix + "." + prop)
			if !ok {
				t.Errorf("%s.%s missing", prefix, prop)
				continue
			}
			var concentrations []float64
			for i, b := range bp {
				concentrations = append(concentrations, b)
				if i > 0 {
					concentrations = append(concentrations, (bp[i-1]+b)/2)
				}
			}
			concentrations = append(concentrations, bp[len(bp)-1]*1.5)
			for _, conc := range concentrations {
				checkIAQI(t, p, prop, []float64{conc}, referenceIAQI(bp, conc))
			}
		}
	}
}

// TestCityPM25OnBeijingData runs the city PM2.5 sub-index over a year of
// real hourly readings of two Beijing stations, averaged per hour as the
// city indicator averages its stations.
func TestCityPM25OnBeijingData(t *testing.T) {
	t.Parallel()
	p, ok := defaultCatalog(t).Program("env.city_aqi.pm25")
	if !ok {
		t.Fatal("env.city_aqi.pm25 missing")
	}
	const dir = "../../shared/data/airquality/beijing_prsa/"
	a := readPM25(t, dir+"PRSA_Data_Dongsi_20130301-20170228.csv", 24*365)
	b := readPM25(t, dir+"PRSA_Data_Huairou_20130301-20170228.csv", 24*365)
	checked := 0
	for i := range min(len(a), len(b)) {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) {
			continue
		}
		checkIAQI(t, p, "pm25", []float64{a[i], b[i]}, referenceIAQI(hj633["pm25"], (a[i]+b[i])/2))
		checked++
	}
	if checked < 24*300 {
		t.Errorf("only %d complete hours checked", checked)
	}
}

func checkIAQI(t *testing.T, p *Program, prop string, latest []float64, want float64) {
	t.Helper()
	got, ok, err := p.Eval(catalogScope{latest: map[string][]float64{prop: latest}})
	if err != nil || !ok {
		t.Fatalf("%s at %v: ok %v, err %v", p.Indicator().ID, latest, ok, err)
	}
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s at %v = %v, want %v", p.Indicator().ID, latest, got, want)
	}
}

// readPM25 returns the PM2.5 column of a PRSA file, NaN where it is NA.
func readPM25(t *testing.T, path string, rows int) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open real data: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	col := -1
	for i, h := range header {
		if h == "PM2.5" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no PM2.5 column in %v", path, header)
	}
	var out []float64
	for len(out) < rows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		v, err := strconv.ParseFloat(rec[col], 64)
		if err != nil {
			v = math.NaN() // "NA"
		}
		out = append(out, v)
	}
	return out
}

// TestCompositeWarningLevels checks the composite rainstorm, cold-wave and
// AQI indicators against the criteria they encode.
func TestCompositeWarningLevels(t *testing.T) {
	t.Parallel()
	c := defaultCatalog(t)
	tests := []struct {
		name       string
		id         string
		latest     map[string][]float64
		indicators map[string]float64
		want       Level
	}{
		{"rain below every criterion", "weather.rainstorm", nil,
			map[string]float64{"weather.rainstorm.12h": 49, "weather.rainstorm.6h": 40, "weather.rainstorm.3h": 30}, LevelNone},
		{"rain 50 mm in 12 h is blue", "weather.rainstorm", nil,
			map[string]float64{"weather.rainstorm.12h": 50, "weather.rainstorm.6h": 45, "weather.rainstorm.3h": 30}, LevelBlue},
		{"rain 50 mm in 6 h is yellow", "weather.rainstorm", nil,
			map[string]float64{"weather.rainstorm.12h": 70, "weather.rainstorm.6h": 52, "weather.rainstorm.3h": 45}, LevelYellow},
		{"rain 50 mm in 3 h is orange", "weather.rainstorm", nil,
			map[string]float64{"weather.rainstorm.12h": 80, "weather.rainstorm.6h": 80, "weather.rainstorm.3h": 60}, LevelOrange},
		{"rain 100 mm in 3 h is red", "weather.rainstorm", nil,
			map[string]float64{"weather.rainstorm.12h": 130, "weather.rainstorm.6h": 120, "weather.rainstorm.3h": 101}, LevelRed},
		{"cold: 10 °C drop, 3 °C, force 6 is yellow", "weather.coldwave",
			map[string][]float64{"air_temperature": {3, 6}, "wind_speed": {11, 4}},
			map[string]float64{"weather.coldwave.drop24h": 10.5, "weather.coldwave.drop48h": 11}, LevelYellow},
		{"cold: 16 °C drop but 2 °C is not red, yellow holds", "weather.coldwave",
			map[string][]float64{"air_temperature": {2}, "wind_speed": {12}},
			map[string]float64{"weather.coldwave.drop24h": 16, "weather.coldwave.drop48h": 17}, LevelYellow},
		{"cold: 16 °C drop, -1 °C, force 6 is red", "weather.coldwave",
			map[string][]float64{"air_temperature": {-1}, "wind_speed": {12}},
			map[string]float64{"weather.coldwave.drop24h": 16, "weather.coldwave.drop48h": 17}, LevelRed},
		{"cold: 8 °C in 48 h without wind is nothing", "weather.coldwave",
			map[string][]float64{"air_temperature": {3}, "wind_speed": {5}},
			map[string]float64{"weather.coldwave.drop24h": 6, "weather.coldwave.drop48h": 9}, LevelNone},
		{"AQI 100 is still 良", "env.aqi", nil,
			map[string]float64{"env.aqi.pm25": 100, "env.aqi.pm10": 80, "env.aqi.so2": 10, "env.aqi.no2": 40, "env.aqi.co": 20, "env.aqi.o3": 60}, LevelNone},
		{"AQI is the worst sub-index: 重度 is orange", "env.aqi", nil,
			map[string]float64{"env.aqi.pm25": 120, "env.aqi.pm10": 230, "env.aqi.so2": 10, "env.aqi.no2": 40, "env.aqi.co": 20, "env.aqi.o3": 60}, LevelOrange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := c.Program(tt.id)
			if !ok {
				t.Fatalf("%s missing", tt.id)
			}
			v, ok, err := p.Eval(catalogScope{latest: tt.latest, indicators: tt.indicators})
			if err != nil || !ok {
				t.Fatalf("eval: ok %v, err %v", ok, err)
			}
			if got := p.Grade(v, LevelNone); got != tt.want {
				t.Errorf("value %v graded %v, want %v", v, got, tt.want)
			}
		})
	}
}

// renderCatalogDoc writes docs/catalog.md: one table per domain, core
// indicators followed by their sub-indicators.
func renderCatalogDoc(c *Catalog) []byte {
	var b bytes.Buffer
	b.WriteString("# Default indicator catalog (城市运行数字体征默认目录)\n\n")
	b.WriteString("Generated from `indicator/catalog/*.yaml` by `go test ./indicator -run TestCatalogDocIsCurrent -update-catalog-doc`;\n")
	b.WriteString("do not edit by hand. The format is described in [indicators.md](indicators.md).\n")
	b.WriteString("Grades: blue = IV (蓝色), yellow = III (黄色), orange = II (橙色), red = I (红色);\n")
	b.WriteString("`≥` for direction high, `≤` for low, both sides for band. \"local practice\" in a\n")
	b.WriteString("source means no national standard sets that threshold, with the reasoning given.\n")
	fmt.Fprintf(&b, "\n%d indicators in %d domains.\n", len(c.Programs()), len(c.Domains()))
	for _, d := range c.Tree() {
		fmt.Fprintf(&b, "\n## %s %s (`%s`)\n\n", d.NameZH, d.NameEN, d.ID)
		b.WriteString("| id | 名称 | name | dept | level | window | unit | thresholds | sources |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, n := range d.Core {
			writeDocRows(&b, n, 0)
		}
	}
	return b.Bytes()
}

func writeDocRows(b *bytes.Buffer, n Node, depth int) {
	ind := n.Indicator
	id := "`" + ind.ID + "`"
	if depth == 0 {
		id = "**" + id + "**"
	} else {
		id = strings.Repeat("↳ ", depth) + id
	}
	unit := ind.Unit
	if unit == "" {
		unit = "—"
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id, cell(ind.NameZH), cell(ind.NameEN),
		cell(ind.Dept), ind.Level, formatWindow(ind.Window.String()), cell(unit), docThresholds(ind), docSources(ind.Sources))
	for _, sub := range n.Subs {
		writeDocRows(b, sub, depth+1)
	}
}

// formatWindow drops the zero minutes and seconds Duration.String adds.
func formatWindow(s string) string {
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func docThresholds(ind *Indicator) string {
	t := ind.Thresholds
	var s string
	switch ind.Direction {
	case OutsideBand:
		s = "≤ " + gradeList(t.LowBlue, t.LowYellow, t.LowOrange, t.LowRed) + "; ≥ " + gradeList(t.Blue, t.Yellow, t.Orange, t.Red)
	case LowIsBad:
		s = "≤ " + gradeList(t.Blue, t.Yellow, t.Orange, t.Red)
	default:
		s = "≥ " + gradeList(t.Blue, t.Yellow, t.Orange, t.Red)
	}
	if ind.Rollup == RollupShareAbove {
		r := ind.RollupThresholds
		s += fmt.Sprintf("; above %s: share of children at %s or worse ≥ %s", ind.Level, levelName(ind.RollupLevel),
			gradeList(r.Blue, r.Yellow, r.Orange, r.Red))
	}
	return s
}

// gradeList writes "blue 10 / yellow 20 …" for the grades that are set.
func gradeList(blue, yellow, orange, red *float64) string {
	var parts []string
	for i, v := range []*float64{blue, yellow, orange, red} {
		if v != nil {
			parts = append(parts, levelName(Level(i+1))+" "+strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	return strings.Join(parts, " / ")
}

func levelName(l Level) string {
	return map[Level]string{LevelBlue: "blue", LevelYellow: "yellow", LevelOrange: "orange", LevelRed: "red"}[l]
}

// docSources lists the sources in key order ("key: text; …").
func docSources(sources map[string]string) string {
	keys := make([]string, 0, len(sources))
	for k := range sources {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "*" + k + "*: " + cell(sources[k])
	}
	return strings.Join(parts, "<br>")
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
