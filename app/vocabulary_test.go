package app_test

import (
	"testing"

	"cityvitals/asset"
	"cityvitals/incident"
	"cityvitals/plan"
)

// TestOneDepartmentVocabulary: assets, routing rules, plans, teams and
// campaigns name departments by the ids of one vocabulary, so a routed
// incident reaches the department whose users and teams may act on it.
func TestOneDepartmentVocabulary(t *testing.T) {
	v, err := plan.DefaultVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, d := range v.Departments {
		known[d.ID] = true
	}
	router, err := incident.DefaultRouter()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range router.Departments() {
		if !known[d] {
			t.Errorf("routing.yaml routes to %q, which plan/defaults/vocabulary.yaml does not have", d)
		}
	}
	for _, typ := range asset.DefaultTypes().List() {
		if typ.Dept != "" && !known[typ.Dept] {
			t.Errorf("asset type %s belongs to %q, which plan/defaults/vocabulary.yaml does not have", typ.ID, typ.Dept)
		}
		for _, sub := range typ.Subkinds {
			if sub.Dept != "" && !known[sub.Dept] {
				t.Errorf("asset subkind %s belongs to %q, which plan/defaults/vocabulary.yaml does not have", sub.Code, sub.Dept)
			}
		}
	}
}
