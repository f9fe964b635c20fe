package asset

import (
	"cmp"
	"strings"
	"testing"
	"unicode"

	"cityvitals/model"
	"cityvitals/property"
)

func TestDefaultTypesCoverTheRequiredComponents(t *testing.T) {
	t.Parallel()
	required := []model.AssetType{
		"gas_pipe_segment", "gas_valve", "pressure_regulator_station", "manhole_cover",
		"water_main", "hydrant", "pump_station", "flood_gauge", "bridge", "elevator",
		"street_light", "camera", "bottled_gas_store", "restaurant_kitchen",
		"household_gas_meter", "power_tower", "traffic_signal",
	}
	types := DefaultTypes()
	props := property.Default()
	for _, id := range required {
		typ, ok := types.Lookup(id)
		if !ok {
			t.Errorf("default catalog lacks %q", id)
			continue
		}
		if !strings.ContainsFunc(typ.NameZH, func(r rune) bool { return unicode.Is(unicode.Han, r) }) || typ.NameEN == "" {
			t.Errorf("%s: names %q / %q", id, typ.NameZH, typ.NameEN)
		}
		if len(typ.Properties) == 0 {
			t.Errorf("%s: no observed properties", id)
		}
		for _, p := range typ.Properties {
			if _, ok := props.Lookup(p); !ok {
				t.Errorf("%s: property %q is not in the default property catalog", id, p)
			}
		}
	}
	if got := len(types.List()); got < len(required) {
		t.Errorf("List has %d types, want >= %d", got, len(required))
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		wantType model.AssetType
		wantSub  string
		wantDept string
		ok       bool
	}{
		{name: "type id", in: "hydrant", wantType: "hydrant", wantDept: "fire", ok: true},
		{name: "gas manhole code", in: "0111", wantType: "manhole_cover", wantSub: "0111", wantDept: "gas", ok: true},
		{name: "storm-water manhole code", in: "0103", wantType: "manhole_cover", wantSub: "0103", wantDept: "drainage", ok: true},
		{name: "street light own code", in: " 0106 ", wantType: "street_light", wantDept: "greening", ok: true},
		{name: "river bridge code", in: "0208", wantType: "bridge", wantSub: "0208", ok: true},
		{name: "unknown code", in: "0199", ok: false},
		{name: "unknown id", in: "spaceport", ok: false},
	}
	types := DefaultTypes()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, sub, ok := types.Resolve(tt.in)
			if ok != tt.ok || typ.ID != tt.wantType {
				t.Fatalf("Resolve(%q) = %q, %v; want %q, %v", tt.in, typ.ID, ok, tt.wantType, tt.ok)
			}
			gotSub, gotDept := "", typ.Dept
			if sub != nil {
				gotSub, gotDept = sub.Code, cmp.Or(sub.Dept, typ.Dept)
			}
			if gotSub != tt.wantSub || (tt.wantDept != "" && gotDept != tt.wantDept) {
				t.Errorf("Resolve(%q) subkind %q dept %q; want %q, %q", tt.in, gotSub, gotDept, tt.wantSub, tt.wantDept)
			}
		})
	}
}

func TestParseTypesReportsFileLineAndField(t *testing.T) {
	t.Parallel()
	const good = `  - id: kiosk
    name_zh: 报刊亭
    name_en: Kiosk
    geometry: point
    dept: cityscape
    properties: [noise]
`
	tests := []struct {
		name  string
		yaml  string
		wants []string
	}{
		{name: "duplicate id", yaml: "types:\n" + good + good, wants: []string{"t.yaml:8:", `type "kiosk"`, "field id", "duplicate"}},
		{name: "bad geometry", yaml: "types:\n" + strings.Replace(good, "geometry: point", "geometry: blob", 1), wants: []string{"t.yaml:5:", "field geometry"}},
		{name: "missing dept", yaml: "types:\n" + strings.Replace(good, "    dept: cityscape\n", "", 1), wants: []string{"t.yaml:2:", "field dept", "missing"}},
		{name: "bad code", yaml: "types:\n" + good + "    code: 12a4\n", wants: []string{"t.yaml:8:", "field code", "4-digit"}},
		{name: "code used twice", yaml: "types:\n" + good + "    code: \"0106\"\n" + strings.Replace(good, "kiosk", "booth", 1) + "    code: \"0106\"\n",
			wants: []string{"t.yaml:15:", `type "booth"`, "already used by type kiosk"}},
		{name: "bad osm tags", yaml: "types:\n" + good + "    osm: [\"amenity\"]\n", wants: []string{"t.yaml:8:", "field osm"}},
		{name: "unknown field", yaml: "types:\n" + good + "    colour: red\n", wants: []string{"t.yaml:8:", "field colour", "unknown field"}},
		{name: "wrong shape", yaml: "types:\n" + strings.Replace(good, "properties: [noise]", "properties: noise", 1), wants: []string{"t.yaml:", "line 7"}},
		{name: "no types", yaml: "kinds: []\n", wants: []string{"t.yaml:1:", "field types"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTypes("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("ParseTypes accepted a broken catalog")
			}
			if model.ErrorCode(err) != model.EINVALID {
				t.Errorf("code = %q, want EINVALID", model.ErrorCode(err))
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
