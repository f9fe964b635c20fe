package property

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"cityvitals/model"
)

func TestDefaultCatalogCoversTheRequiredProperties(t *testing.T) {
	t.Parallel()
	c := Default()
	required := []string{
		"gas_lel", "gas_pressure", "gas_flow", "water_pressure", "water_flow",
		"water_level", "rainfall_rate", "rainfall", "pm25", "pm10", "so2", "no2",
		"co", "o3", "aqi", "air_temperature", "dew_point", "air_pressure",
		"relative_humidity", "wind_speed", "wind_direction", "traffic_speed",
		"traffic_flow", "crowd_count", "crowd_density", "power_load", "voltage",
		"manhole_tilt", "bridge_strain", "bridge_deflection", "elevator_fault_code",
		"elevator_state", "noise", "fire_alarm_state", "smoke_concentration",
		"water_turbidity", "residual_chlorine",
	}
	for _, id := range required {
		p, ok := c.Lookup(id)
		if !ok {
			t.Errorf("default catalog lacks %q", id)
			continue
		}
		if !hasHan(p.NameZH) {
			t.Errorf("%s: name_zh %q has no Chinese characters", id, p.NameZH)
		}
		if p.NameEN == "" || p.Source == "" {
			t.Errorf("%s: name_en or source empty", id)
		}
	}
	if got := len(c.List()); got != c.Len() || got < len(required) {
		t.Errorf("List returned %d properties, Len %d, want >= %d", got, c.Len(), len(required))
	}
}

func TestDefaultCatalogUnitsAreConvertible(t *testing.T) {
	t.Parallel()
	for _, p := range Default().List() {
		if _, ok := CanonicalUoM(p.UoM); !ok {
			t.Errorf("%s: uom %q is not in the unit table, so no alias converts to it", p.ID, p.UoM)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		id, uom string
		value   float64
		want    float64
		wantErr string // substring; "" means success
	}{
		{name: "canonical unit", id: "pm25", uom: "µg/m³", value: 35, want: 35},
		{name: "empty uom means canonical", id: "gas_lel", uom: "", value: 25, want: 25},
		{name: "ascii alias", id: "pm25", uom: "ug/m3", value: 75, want: 75},
		{name: "greek mu alias", id: "pm10", uom: "μg/m³", value: 150, want: 150},
		{name: "spaces ignored", id: "pm10", uom: " µg / m3 ", value: 150, want: 150},
		{name: "CO in mg/m3 ascii", id: "co", uom: "mg/m3", value: 4, want: 4},
		{name: "CO sent in µg/m³ is converted", id: "co", uom: "ug/m3", value: 2500, want: 2.5},
		{name: "water pressure in kPa", id: "water_pressure", uom: "kPa", value: 300, want: 0.3},
		{name: "gas pressure in MPa", id: "gas_pressure", uom: "MPa", value: 0.4, want: 400},
		{name: "fahrenheit beyond range", id: "air_temperature", uom: "°F", value: 212, wantErr: "value 100 °C outside plausible range"},
		{name: "fahrenheit in range", id: "air_temperature", uom: "degF", value: 50, want: 10},
		{name: "kelvin", id: "dew_point", uom: "K", value: 273.15, want: 0},
		{name: "celsius sign", id: "air_temperature", uom: "℃", value: 21.5, want: 21.5},
		{name: "km/h to m/s", id: "wind_speed", uom: "km/h", value: 36, want: 10},
		{name: "state code", id: "elevator_state", uom: "code", value: 4, want: 4},
		{name: "fractional state code", id: "fire_alarm_state", uom: "code", value: 3.5, wantErr: "whole-number code"},
		{name: "state code above the list", id: "lamp_state", uom: "", value: 3, wantErr: "outside plausible range"},
		{name: "lel is not percent", id: "gas_lel", uom: "%", value: 10, wantErr: `uom "%" cannot be converted`},
		{name: "incompatible unit", id: "pm25", uom: "kPa", value: 10, wantErr: "cannot be converted"},
		{name: "unknown unit", id: "pm25", uom: "furlongs", value: 10, wantErr: "cannot be converted"},
		{name: "case matters: mPa is not MPa", id: "water_pressure", uom: "mPa", value: 0.3, wantErr: "cannot be converted"},
		{name: "negative concentration", id: "pm25", uom: "ug/m3", value: -1, wantErr: "outside plausible range"},
		{name: "lel above 100", id: "gas_lel", uom: "%LEL", value: 100.5, wantErr: "outside plausible range"},
		{name: "NaN", id: "noise", uom: "dB(A)", value: math.NaN(), wantErr: "not a finite number"},
		{name: "infinity", id: "noise", uom: "dB(A)", value: math.Inf(1), wantErr: "not a finite number"},
		{name: "unknown property", id: "pm1", uom: "ug/m3", value: 1, wantErr: `"pm1": unknown observed property`},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Validate(tt.id, tt.uom, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate(%q, %q, %v) error = %v, want containing %q", tt.id, tt.uom, tt.value, err, tt.wantErr)
				}
				if code := model.ErrorCode(err); code != model.EINVALID {
					t.Errorf("error code = %q, want %q", code, model.EINVALID)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate(%q, %q, %v): %v", tt.id, tt.uom, tt.value, err)
			}
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Validate(%q, %q, %v) = %v, want %v", tt.id, tt.uom, tt.value, got, tt.want)
			}
		})
	}
}

func TestCanonicalUoM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{name: "ascii microgram", in: "ug/m3", want: "µg/m³", ok: true},
		{name: "greek mu", in: "μg/m³", want: "µg/m³", ok: true},
		{name: "micro sign", in: "µg/m³", want: "µg/m³", ok: true},
		{name: "milligram", in: "mg/m3", want: "mg/m³", ok: true},
		{name: "cubic metres per hour", in: "m^3/h", want: "m³/h", ok: true},
		{name: "unknown", in: "parsec", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CanonicalUoM(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("CanonicalUoM(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestValidateBeijingAirQuality runs a real station's four years of hourly
// readings through Validate: every reported number is a real reading, so
// every one must pass, and CO (reported in µg/m³) must come back in mg/m³.
func TestValidateBeijingAirQuality(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../shared/data/airquality/beijing_prsa/PRSA_Data_Dongsi_20130301-20170228.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	columns := map[string]struct{ id, uom string }{
		"PM2.5": {"pm25", "ug/m3"}, "PM10": {"pm10", "ug/m3"}, "SO2": {"so2", "ug/m3"},
		"NO2": {"no2", "ug/m3"}, "CO": {"co", "ug/m3"}, "O3": {"o3", "ug/m3"},
		"TEMP": {"air_temperature", "degC"}, "PRES": {"air_pressure", "hPa"},
		"DEWP": {"dew_point", "℃"}, "RAIN": {"rainfall", "mm"}, "WSPM": {"wind_speed", "m/s"},
	}
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	checked := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range header {
			col, ok := columns[name]
			v, perr := strconv.ParseFloat(rec[i], 64)
			if !ok || perr != nil { // "NA" marks a missing reading
				continue
			}
			got, err := c.Validate(col.id, col.uom, v)
			if err != nil {
				t.Fatalf("row %s column %s: %v", rec[0], name, err)
			}
			if col.id == "co" && math.Abs(got-v/1000) > 1e-9 {
				t.Fatalf("row %s: CO %v µg/m³ became %v mg/m³", rec[0], v, got)
			}
			checked++
		}
	}
	if checked < 35064*len(columns)*9/10 {
		t.Errorf("checked only %d readings; the file has 35,064 hourly rows", checked)
	}
}

func TestParseReportsFileLineAndField(t *testing.T) {
	t.Parallel()
	const good = `  - id: a
    name_zh: 甲
    name_en: A
    uom: kPa
    domain: gas
    min: 0
    max: 10
    default_interval: 1m
`
	tests := []struct {
		name  string
		yaml  string
		wants []string // substrings of the error
	}{
		{
			name:  "duplicate id",
			yaml:  "properties:\n" + good + good,
			wants: []string{"custom.yaml:10:", `property "a"`, "field id", "duplicate of the property on line 2"},
		},
		{
			name:  "min not below max",
			yaml:  "properties:\n" + strings.Replace(good, "max: 10", "max: 0", 1),
			wants: []string{"custom.yaml:8:", "field max", "greater than min"},
		},
		{
			name:  "unknown domain",
			yaml:  "properties:\n" + strings.Replace(good, "domain: gas", "domain: sewage", 1),
			wants: []string{"custom.yaml:6:", "field domain", `unknown domain "sewage"`},
		},
		{
			name:  "unknown field",
			yaml:  "properties:\n" + strings.Replace(good, "uom: kPa", "unit: kPa", 1),
			wants: []string{"custom.yaml:5:", "field unit", "unknown field"},
		},
		{
			name:  "missing field reported at the item",
			yaml:  "properties:\n" + strings.Replace(good, "    name_en: A\n", "", 1),
			wants: []string{"custom.yaml:2:", "field name_en", "missing"},
		},
		{
			name:  "wrong type",
			yaml:  "properties:\n" + strings.Replace(good, "min: 0", "min: low", 1),
			wants: []string{"custom.yaml:", "line 7", "low"},
		},
		{
			name:  "bad duration",
			yaml:  "properties:\n" + strings.Replace(good, "1m", "often", 1),
			wants: []string{"custom.yaml:9:", "field default_interval"},
		},
		{
			name:  "no properties list",
			yaml:  "props: []\n",
			wants: []string{"custom.yaml:1:", "field properties"},
		},
		{
			name:  "not yaml",
			yaml:  "properties: [\n",
			wants: []string{"custom.yaml:"},
		},
		{
			name:  "state property without states",
			yaml:  "properties:\n" + strings.Replace(good, "uom: kPa", "uom: code\n    kind: state", 1),
			wants: []string{"custom.yaml:2:", "field states"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("custom.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse accepted a broken catalog")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.EINVALID {
				t.Errorf("error %v is not an EINVALID *model.Error", err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	doc := `properties:
  - {id: x, name_zh: 甲, name_en: X, uom: kPa, domain: nowhere, min: 0, max: 1, default_interval: 1m}
  - {id: y, name_zh: 乙, name_en: Y, uom: kPa, domain: gas, min: 5, max: 1, default_interval: 1m}
`
	_, err := Parse("two.yaml", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), "two.yaml:2:") || !strings.Contains(err.Error(), "two.yaml:3:") {
		t.Fatalf("want problems on lines 2 and 3, got %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "city.yaml")
	doc := `properties:
  - id: methane_ppm
    name_zh: 甲烷浓度
    name_en: Methane
    uom: "1"
    domain: gas
    min: 0
    max: 1000000
    default_interval: 30s
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.Lookup("methane_ppm")
	if !ok || p.DefaultInterval.Seconds() != 30 || p.Kind != KindQuantity {
		t.Errorf("loaded %+v, %v", p, ok)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || model.ErrorCode(err) != model.EINTERNAL {
		t.Errorf("missing file: err = %v, want an internal (I/O) error", err)
	}
}

func TestNewChecksProperties(t *testing.T) {
	t.Parallel()
	p := Property{ID: "p", NameZH: "压", NameEN: "P", UoM: "kPa", Domain: DomainGas, Kind: KindQuantity, Min: 0, Max: 1, DefaultInterval: 1}
	if _, err := New([]Property{p, p}); err == nil || !strings.Contains(err.Error(), "field id: duplicate") {
		t.Errorf("duplicate: err = %v", err)
	}
	bad := p
	bad.Min = math.NaN()
	if _, err := New([]Property{bad}); err == nil || !strings.Contains(err.Error(), "field min") {
		t.Errorf("NaN min: err = %v", err)
	}
	gappy := Property{ID: "s", NameZH: "态", NameEN: "S", UoM: "code", Domain: DomainFire, Kind: KindState,
		Min: 0, Max: 2, DefaultInterval: 1, States: []State{{Code: 0}, {Code: 2}}}
	c, err := New([]Property{p, gappy})
	if err != nil || c.Len() != 2 {
		t.Fatalf("New: %v", err)
	}
	if _, err := c.Validate("s", "", 1); err == nil || !strings.Contains(err.Error(), "value 1 is not a known state") {
		t.Errorf("code between listed states: err = %v", err)
	}
}
