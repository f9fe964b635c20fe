package campaign

import (
	"strings"
	"testing"

	"cityvitals/asset"
	"cityvitals/model"
)

func TestDefaultChecklistsCoverTheGasTypes(t *testing.T) {
	t.Parallel()
	cat := DefaultChecklists()
	types := asset.DefaultTypes()
	want := map[model.AssetType]bool{"household_gas_meter": false, "pressure_regulator_station": false,
		"restaurant_kitchen": false, "bottled_gas_store": false}
	for _, cl := range cat.Checklists() {
		if _, ok := types.Lookup(cl.AssetType); !ok {
			t.Errorf("checklist %q checks %q, which is not in the asset catalog", cl.ID, cl.AssetType)
		}
		want[cl.AssetType] = true
		for _, it := range cl.Items {
			if !hasConfidenceTag(it.Source) || !it.Severity.Valid() || it.TextZH == "" || it.TextEN == "" {
				t.Errorf("checklist %q item %+v is incomplete", cl.ID, it)
			}
		}
	}
	for typ, seen := range want {
		if !seen {
			t.Errorf("no default checklist for %q", typ)
		}
	}
	household, ok := cat.Checklist("household_gas")
	if !ok {
		t.Fatal("no household_gas checklist")
	}
	// The household checks CN_REFERENCE lists, each read in a public source.
	for _, words := range []string{"金属波纹管", "2 米", "熄火保护", "紧急切断阀", "可调式减压阀", "过期", "地下室", "两种气源"} {
		found := false
		for _, it := range household.Items {
			if strings.Contains(it.TextZH, words) && strings.Contains(it.Source, "[V]") {
				found = true
			}
		}
		if !found {
			t.Errorf("household checklist has no [V] item about %q", words)
		}
	}
	household.Items[0].TextZH = "changed"
	if again, _ := cat.Checklist("household_gas"); again.Items[0].TextZH == "changed" {
		t.Error("Checklist returned the catalog's own items: a caller can change the catalog")
	}
}

func TestParseChecklistsNamesLineAndField(t *testing.T) {
	t.Parallel()
	const head = "categories:\n  - {id: hose, name_zh: 管, name_en: Hoses}\nchecklists:\n"
	item := func(extra string) string {
		return head + "  - id: h\n    asset_type: household_gas_meter\n    name_zh: 户\n    name_en: H\n    source: x [V]\n    items:\n" +
			"      - id: H01\n        category: hose\n        text_zh: 软管\n        text_en: hose\n        severity: general\n        source: y [V]\n" + extra
	}
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"valid", item(""), nil},
		{"not yaml", "checklists: [", []string{"t.yaml"}},
		{"unknown field", item("        colour: red\n"), []string{"t.yaml:16", "colour", "unknown field"}},
		{"bad severity", strings.Replace(item(""), "severity: general", "severity: severe", 1), []string{"t.yaml:14", "severity", "major or general"}},
		{"no confidence tag", strings.Replace(item(""), "source: y [V]", "source: somewhere", 1), []string{"t.yaml:15", "confidence tag"}},
		{"unknown category", strings.Replace(item(""), "category: hose", "category: pipes", 1), []string{"t.yaml:11", "pipes"}},
		{"duplicate item", item("      - {id: H01, category: hose, text_zh: a, text_en: b, severity: major, source: 'z [R]'}\n"), []string{"t.yaml:16", "H01", "already used"}},
		{"dot in id", strings.Replace(item(""), "id: H01", "id: H.01", 1), []string{"t.yaml:10", "not an id"}},
		{"no items", head + "  - {id: h, asset_type: x, name_zh: a, name_en: b, source: 'c [R]'}\n", []string{"t.yaml:4", "items", "non-empty list"}},
		{"two checklists for a type", item("  - {id: h2, asset_type: household_gas_meter, name_zh: a, name_en: b, source: 'c [R]', items: [{id: H02, category: hose, text_zh: a, text_en: b, severity: major, source: 'z [R]'}]}\n"),
			[]string{"t.yaml:16", "already has checklist"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cat, err := ParseChecklists("t.yaml", []byte(tc.yaml))
			if tc.want == nil {
				mustNil(t, err)
				if cl, ok := cat.Checklist("h"); !ok || len(cl.Items) != 1 {
					t.Errorf("parsed %+v", cl)
				}
				return
			}
			if err == nil {
				t.Fatalf("parsed without error; want %v", tc.want)
			}
			wantCode(t, err, model.EINVALID, tc.want...)
		})
	}
}
