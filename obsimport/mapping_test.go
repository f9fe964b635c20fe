package obsimport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// validWide is a correct mapping; each error case changes one line of it.
const validWide = `layout: wide
key: "s/{station}/{property}"
interval: 1h
time:
  column: ts
  layout: "2006-01-02 15:04"
  zone: Asia/Shanghai
station:
  column: site
stations:
  A: {lon: 121.4, lat: 31.2}
measurements:
  - column: PM2.5
    property: pm25
    uom: µg/m³
  - column: CO
    property: co
    uom: mg/m³
    scale: 0.001
`

func TestLoadMappingErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, to string
		want           string // file:line: field: … (the file name is prefixed below)
	}{
		{"unknown layout", "layout: wide", "layout: tall", `:1: layout: unknown layout "tall"`},
		{"unknown field", "interval: 1h", "intervall: 1h", `line 3: field intervall not found`},
		{"bad interval", "interval: 1h", "interval: hourly", `:3: interval: "hourly" is not a positive duration`},
		{"bad time layout", `layout: "2006-01-02 15:04"`, `layout: "yyyy-MM-dd HH:mm"`, `:6: time.layout: "yyyy-MM-dd HH:mm" is not a Go time layout`},
		{"bad time zone", "zone: Asia/Shanghai", "zone: Asia/Beijing", `:7: time.zone: unknown time zone "Asia/Beijing"`},
		{"bad offset", "zone: Asia/Shanghai", "zone: +8", `:7: time.zone: bad offset "+8"`},
		{"unknown time part", "  column: ts\n  layout: \"2006-01-02 15:04\"", "  parts: {year: y, month: m, day: d, hr: h}", `:5: time.parts.hr: unknown part "hr"`},
		{"missing day part", "  column: ts\n  layout: \"2006-01-02 15:04\"", "  parts: {year: y, month: m}", `:5: time.parts: missing day`},
		{"no station", "  column: site", "  fixed: \"\"", `:9: station: missing`},
		{"station without lat", "A: {lon: 121.4, lat: 31.2}", "A: {lon: 121.4}", `:11: stations.A: needs both lon and lat`},
		{"station off the globe", "A: {lon: 121.4, lat: 31.2}", "A: {lon: 221.4, lat: 31.2}", `:11: stations.A: lon 221.4, lat 31.2 is not a WGS84 point`},
		{"measurement without column", "  - column: CO\n", "  - match: CO\n", `:16: measurements.1.column: missing`},
		{"bad property id", "property: pm25", "property: PM 2.5", `:14: measurements.0.property: "PM 2.5" is not a property id`},
		{"property twice", "property: co", "property: pm25", `:17: measurements.1.property: property "pm25" is mapped twice`},
		{"missing uom", "    uom: mg/m³\n", "", `:16: measurements.1.uom: missing`},
		{"zero scale", "scale: 0.001", "scale: 0", `:19: measurements.1.scale: zero`},
		{"key without property", `key: "s/{station}/{property}"`, `key: "s/{station}"`, `:2: key: "s/{station}" must contain {property}`},
		{"key without station", `key: "s/{station}/{property}"`, `key: "s/{property}"`, `:2: key: "s/{property}" must contain {station}`},
		{"unknown placeholder", `key: "s/{station}/{property}"`, `key: "s/{site}/{station}/{property}"`, `:2: key: unknown placeholder {site}`},
		{"bad delimiter", "layout: wide", "layout: wide\ndelimiter: \";;\"", `:2: delimiter: ";;" is not one usable character`},
		{"bad encoding", "layout: wide", "layout: wide\nencoding: latin1", `:2: encoding: unknown encoding "latin1"`},
		{"undeclared column", "layout: wide", "layout: wide\nheader: false\ncolumns: [ts, site, PM2.5]", `:18: measurements.1.column: column "CO" is not among the declared columns`},
		{"long without value column", "layout: wide", "layout: long", `value_column: missing`},
		{"stations file without column", "stations:", "stations_file: {path: s.csv, key: name, lon: x, lat: y}\nstations:", `stations_file: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text := strings.Replace(validWide, tt.from, tt.to, 1)
			if text == validWide {
				t.Fatalf("case does not change the mapping: %q not found", tt.from)
			}
			dir := t.TempDir()
			writeFile(t, dir, "s.csv", "name,lon,lat\nA,121,31\n")
			path := writeFile(t, dir, "m.yaml", text)
			_, err := LoadMapping(path)
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to name %s and contain %s", err, path, tt.want)
			}
		})
	}
}

func TestLoadMappingValid(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "m.yaml", validWide)
	m, err := LoadMapping(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Layout != Wide || m.Interval != time.Hour || m.Encoding != UTF8 || len(m.Measurements) != 2 {
		t.Errorf("mapping %+v", m)
	}
	if co := m.Measurements[1]; co.Scale != 0.001 || m.Measurements[0].Scale != 1 {
		t.Errorf("scales %v and %v, want 1 and 0.001", m.Measurements[0].Scale, co.Scale)
	}
	for _, na := range defaultNA {
		if !m.na[na] {
			t.Errorf("default NA tokens lack %q", na)
		}
	}
}

func TestLoadMappingMissingFile(t *testing.T) {
	t.Parallel()
	_, err := LoadMapping(filepath.Join(t.TempDir(), "none.yaml"))
	if !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v, want a not-exist error", err)
	}
}

func TestTemplateExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, template, want string
	}{
		{"key", "beijing/{station}/{property}", "beijing/Dongsi/pm25"},
		{"literal only", "fixed", "fixed"},
		{"name", "{station_name} {property} ({column})", "东四 pm25 (PM2.5)"},
	}
	values := map[string]string{"station": "Dongsi", "station_name": "东四", "property": "pm25", "column": "PM2.5"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := parseTemplate(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			if got := tmpl.expand(values); got != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.template, got, tt.want)
			}
		})
	}
	if _, err := parseTemplate("a/{station"); err == nil {
		t.Error("unclosed placeholder accepted")
	}
}
