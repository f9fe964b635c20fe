package public_test

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/alert/public"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/notify/cap"
)

type names struct{}

var square = orb.MultiPolygon{{{{121.4, 31.2}, {121.5, 31.2}, {121.5, 31.3}, {121.4, 31.3}, {121.4, 31.2}}}}

func (names) Indicator(id string) (*indicator.Indicator, bool) {
	return &indicator.Indicator{ID: id, Domain: "drainage", NameZH: "积水", NameEN: "Ponding"}, id == "drainage.ponding"
}

func (names) Unit(code string) (model.Unit, bool) {
	switch code {
	case "310101":
		return model.Unit{Code: code, Level: model.LevelDistrict, NameZH: "黄浦区", Geometry: square}, true
	case "310101-r1c1":
		return model.Unit{Code: code, Level: model.LevelGrid, NameZH: "网格", Geometry: square}, true
	}
	return model.Unit{}, false
}

func (names) Roots() []model.Unit {
	return []model.Unit{{Code: "310000", Level: model.LevelCity, Geometry: square}}
}

func alertAt(unit string, level int8, state model.AlertState) model.Alert {
	return model.Alert{Fingerprint: "abc", Rule: "threshold", Level: level, State: state, StartsAt: 1000, UpdatedAt: 2000,
		Labels: map[string]string{"unit": unit, "indicator": "drainage.ponding"}, SummaryZH: "黄浦区 积水 橙色预警", SummaryEN: "Huangpu: ponding orange"}
}

func TestWhatIsPublic(t *testing.T) {
	cases := []struct {
		name string
		a    model.Alert
		want bool
	}{
		{"orange in a district", alertAt("310101", 3, model.AlertFiring), true},
		{"orange in the city", alertAt("", 3, model.AlertFiring), true},
		{"blue in a district", alertAt("310101", 1, model.AlertFiring), false},
		{"red in a grid cell", alertAt("310101-r1c1", 4, model.AlertFiring), false},
		{"resolved in a district", alertAt("310101", 0, model.AlertResolved), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := public.IsPublic(tc.a, names{}); got != tc.want {
				t.Fatalf("IsPublic = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWarningRendersAsCAP(t *testing.T) {
	w, err := public.Warning(alertAt("310101", 3, model.AlertFiring), names{}, "cityvitals@test")
	if err != nil {
		t.Fatal(err)
	}
	if w.MsgType != cap.MsgAlert || w.Level != 3 || w.Area.AdminCode != "310101" || w.Domain != cap.DomainDrainage {
		t.Fatalf("warning %+v", w)
	}
	doc, err := cap.Render(w)
	if err != nil || !strings.Contains(string(doc), "<identifier>"+public.Identifier(alertAt("310101", 3, model.AlertFiring))) {
		t.Fatalf("render: %v\n%s", err, doc)
	}
	cancel, err := public.Warning(alertAt("310101", 3, model.AlertResolved), names{}, "cityvitals@test")
	if err != nil || cancel.MsgType != cap.MsgCancel || len(cancel.References) != 1 || cancel.References[0].ID != w.ID {
		t.Fatalf("cancel %+v (%v) must reference %s", cancel, err, w.ID)
	}
	if public.Fingerprint(w.ID) != "abc" {
		t.Fatalf("fingerprint of %s = %s", w.ID, public.Fingerprint(w.ID))
	}
	city, err := public.Warning(alertAt("", 3, model.AlertFiring), names{}, "cityvitals@test")
	if err != nil || city.Area.AdminCode != "310000" || len(city.Area.Geometry) != 1 {
		t.Fatalf("city-wide warning area %+v (%v)", city.Area, err)
	}
}
