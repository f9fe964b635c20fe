package citizen_test

import (
	"slices"
	"strings"
	"testing"

	"cityvitals/citizen"
	"cityvitals/model"
)

// The indicator catalog's domains (indicator/catalog/*.yaml).
var indicatorDomains = []string{"bridge", "crowd", "drainage", "elevator", "environment", "fire", "gas",
	"hotline", "municipal", "power", "traffic", "water", "weather"}

// The platform's incident categories (plan/defaults/vocabulary.yaml and
// incident/routing.yaml), which the SLA tables and routing key on.
var incidentCategories = []string{"waterlogging", "gas_leak", "water_main_burst", "power_outage", "crowd",
	"fire", "manhole_cover", "streetlight", "exposed_garbage", "dirty_road", "illegal_building",
	"street_vending", "noise", "other"}

func TestDefaultCatalog(t *testing.T) {
	c, err := citizen.DefaultCatalog()
	mustNil(t, err)
	services := c.Services()
	if n := len(services); n < 15 || n > 25 {
		t.Errorf("%d services, want 15-25", n)
	}
	for _, s := range services {
		if s.Name.ZH == "" || s.Name.EN == "" || s.Description.ZH == "" || s.Description.EN == "" {
			t.Errorf("%s: names and descriptions must be bilingual: %+v", s.Code, s)
		}
		if !slices.Contains(indicatorDomains, s.Domain) {
			t.Errorf("%s: domain %q is not a domain of the indicator catalog", s.Code, s.Domain)
		}
		if !slices.Contains(incidentCategories, s.Category) {
			t.Errorf("%s: category %q is not an incident category", s.Code, s.Category)
		}
		if s.Agency == "" || s.Expected <= 0 {
			t.Errorf("%s: agency %q and expected %v are required", s.Code, s.Agency, s.Expected)
		}
	}
	// The item codes CN_REFERENCE.md gives.
	for code, event := range map[string]string{
		"exposed_garbage": "06010", "dirty_road": "06012", "bin_overflow": "06042",
		"illegal_advertising": "07003", "street_vending": "09006",
	} {
		s, ok := c.Service(code)
		if !ok || s.EventCode.Code != event || !strings.HasPrefix(s.EventCode.Standard, "GB/T 30428") {
			t.Errorf("service %s: event code %+v, want GB/T 30428 %s", code, s.EventCode, event)
		}
	}
	for _, code := range []string{"gas_smell", "waterlogging", "manhole_cover", "streetlight_out", "water_main_burst", "noise", "other"} {
		if _, ok := c.Service(code); !ok {
			t.Errorf("lifeline or catch-all service %s is missing", code)
		}
	}
	gas, _ := c.Service("gas_smell")
	if gas.Category != "gas_leak" || gas.Domain != "gas" || gas.Notice.ZH == "" {
		t.Errorf("gas_smell must open a gas_leak incident and warn the reporter: %+v", gas)
	}
}

func TestLoadCatalogRefusesBadDocuments(t *testing.T) {
	const good = `version: "1"
services:
  - code: pothole
    name_zh: 坑洼
    name_en: Pothole
    group: street
    category: other
    domain: municipal
`
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"empty", ``, []string{"empty catalog"}},
		{"not yaml", `services: [`, []string{"yaml"}},
		{"misspelt field", good + "    agnecy: x\n", []string{"agnecy"}},
		{"no version", strings.Replace(good, `version: "1"`, ``, 1), []string{"version: missing"}},
		{"bad code", strings.Replace(good, "code: pothole", "code: Pot Hole", 1), []string{`code "Pot Hole"`}},
		{"duplicate code", good + strings.TrimPrefix(good, "version: \"1\"\nservices:\n"), []string{"service pothole: code is used twice"}},
		{"missing english name", strings.Replace(good, "name_en: Pothole", "", 1), []string{"name_zh and name_en"}},
		{"bad expected", good + "    expected: soon\n", []string{`expected "soon"`}},
		{"event code without standard", good + "    event_code: {code: \"06010\"}\n", []string{"event_code needs both"}},
		{"attribute problems", good + `    attributes:
      - code: kind
        datatype: singlevaluelist
        order: 1
        description_en: Kind
      - code: kind
        datatype: colour
        order: 1
        description_en: Again
      - code: depth
        datatype: string
        order: 2
        min: 1
        description_en: Depth
        values: [{key: a, name_en: A}]
`, []string{
			"attribute kind: a list attribute needs values",
			"attribute kind: code is used twice",
			"order 1 is used twice",
			`datatype "colour"`,
			"min and max are only for numbers",
			"values are only for singlevaluelist",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := citizen.LoadCatalog("test.yaml", []byte(tc.doc))
			wantError(t, err, model.EINVALID, tc.want...)
		})
	}
	if _, err := citizen.LoadCatalog("good.yaml", []byte(good)); err != nil {
		t.Errorf("the good document is refused: %v", err)
	}
}

func TestCheckAttributes(t *testing.T) {
	c, err := citizen.LoadCatalog("test.yaml", []byte(`version: "1"
services:
  - code: probe
    name_zh: 探
    name_en: Probe
    group: g
    category: other
    domain: municipal
    attributes:
      - {code: one, datatype: singlevaluelist, required: true, order: 1, description_en: One,
         values: [{key: a, name_en: A}, {key: b, name_en: B}]}
      - {code: many, datatype: multivaluelist, order: 2, description_en: Many,
         values: [{key: x, name_en: X}, {key: y, name_en: Y}]}
      - {code: depth, datatype: number, order: 3, description_en: Depth, min: 0, max: 200}
      - {code: since, datatype: datetime, order: 4, description_en: Since}
      - {code: plate, datatype: string, order: 5, description_en: Plate}
      - {code: story, datatype: text, order: 6, description_en: Story}
      - {code: note, datatype: string, variable: false, order: 7, description_en: Read this}
`))
	mustNil(t, err)
	probe, _ := c.Service("probe")
	tests := []struct {
		name    string
		answers map[string][]string
		want    []string // problem fragments; none means valid
	}{
		{"all valid", map[string][]string{
			"one": {" a "}, "many": {"x", "y"}, "depth": {"12.5"}, "since": {"2025-07-01T22:30:00+08:00"},
			"plate": {"沪A12345"}, "story": {"第一行\n第二行"}, "note": {""},
		}, nil},
		{"required missing", map[string][]string{"depth": {"1"}}, []string{"attribute[one]: required"}},
		{"required blank", map[string][]string{"one": {"  "}}, []string{"attribute[one]: required"}},
		{"unknown value", map[string][]string{"one": {"c"}}, []string{`attribute[one]: "c" is not one of a, b`}},
		{"two values for a single list", map[string][]string{"one": {"a", "b"}}, []string{"takes one answer, got 2"}},
		{"repeated multi value", map[string][]string{"one": {"a"}, "many": {"x", "x"}}, []string{`"x" is given twice`}},
		{"unknown attribute", map[string][]string{"one": {"a"}, "colour": {"red"}}, []string{"attribute[colour]: service probe has no such attribute"}},
		{"not a number", map[string][]string{"one": {"a"}, "depth": {"deep"}}, []string{`"deep" is not a number`}},
		{"NaN", map[string][]string{"one": {"a"}, "depth": {"NaN"}}, []string{`"NaN" is not a number`}},
		{"out of range", map[string][]string{"one": {"a"}, "depth": {"250"}}, []string{"250 is outside [0, 200]"}},
		{"datetime without zone", map[string][]string{"one": {"a"}, "since": {"2025-07-01 22:30"}}, []string{"not an ISO 8601 date-time"}},
		{"line break in a string", map[string][]string{"one": {"a"}, "plate": {"A\nB"}}, []string{"only one line"}},
		{"control character", map[string][]string{"one": {"a"}, "story": {"bell\x07"}}, []string{"control character U+0007"}},
		{"too long", map[string][]string{"one": {"a"}, "plate": {strings.Repeat("长", 201)}}, []string{"201 characters, at most 200"}},
		{"informational answered", map[string][]string{"one": {"a"}, "note": {"hi"}}, []string{"informational only"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := probe.CheckAttributes(tc.answers)
			if len(tc.want) == 0 {
				if len(problems) > 0 {
					t.Fatalf("problems %v", problems)
				}
				if got["one"][0] != "a" || len(got["many"]) != 2 || got["note"] != nil {
					t.Errorf("answers not trimmed or blank ones kept: %v", got)
				}
				return
			}
			joined := strings.Join(problems, "; ")
			for _, w := range tc.want {
				if !strings.Contains(joined, w) {
					t.Errorf("problems %q do not mention %q", joined, w)
				}
			}
		})
	}
}
