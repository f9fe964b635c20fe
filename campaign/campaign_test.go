package campaign

import (
	"strings"
	"testing"

	"cityvitals/model"
	"cityvitals/store"
)

func validNewCampaign() NewCampaign {
	return NewCampaign{
		Name: "燃气安全专项整治", Domain: "gas", Units: []string{"310101"},
		StartAt: ms(periodStart), EndAt: ms(periodStart.AddDate(0, 3, 0)),
		Depts: []string{"gas"}, Checklists: []string{"household_gas"},
	}
}

func TestCreateCampaignRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name   string
		edit   func(*NewCampaign)
		code   string
		fields []string
	}{
		{"no name", func(n *NewCampaign) { n.Name = "  " }, model.EINVALID, []string{"name"}},
		{"huge name", func(n *NewCampaign) { n.Name = strings.Repeat("燃", 100) }, model.EINVALID, []string{"name", "200 bytes"}},
		{"bad domain", func(n *NewCampaign) { n.Domain = "Gas Safety" }, model.EINVALID, []string{"domain"}},
		{"empty period", func(n *NewCampaign) { n.EndAt = n.StartAt }, model.EINVALID, []string{"end_at", "not after"}},
		{"unknown unit", func(n *NewCampaign) { n.Units = []string{"310101", "999999"} }, model.EINVALID, []string{"units[1]", "999999"}},
		{"unit twice", func(n *NewCampaign) { n.Units = []string{"310101", "310101"} }, model.EINVALID, []string{"units[1]", "twice"}},
		{"unknown dept", func(n *NewCampaign) { n.Depts = []string{"police"} }, model.EINVALID, []string{"depts[0]", "police"}},
		{"no checklist", func(n *NewCampaign) { n.Checklists = nil }, model.EINVALID, []string{"checklists"}},
		{"unknown checklist", func(n *NewCampaign) { n.Checklists = []string{"household_gas", "nope"} }, model.EINVALID, []string{"checklists[1]", "nope", "household_gas"}},
		{"negative deadline", func(n *NewCampaign) { n.Deadlines.Major = -5 }, model.EINVALID, []string{"deadlines.major"}},
		{"assignment outside scope", func(n *NewCampaign) {
			n.Assignments = []model.InspectorAssignment{{Unit: "310115001-G1", Inspector: "li.si"}}
		}, model.EINVALID, []string{"assignments[0].unit", "310115001-G1"}},
		{"assignment without inspector", func(n *NewCampaign) {
			n.Assignments = []model.InspectorAssignment{{Unit: "310101002"}}
		}, model.EINVALID, []string{"assignments[0].inspector"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := validNewCampaign()
			tc.edit(&n)
			_, err := f.svc.CreateCampaign(t.Context(), "zhang.san", n)
			wantCode(t, err, tc.code, tc.fields...)
		})
	}
	c, err := f.svc.CreateCampaign(t.Context(), "zhang.san", validNewCampaign())
	mustNil(t, err)
	if c.Deadlines != (model.RectifyDays{General: defaultGeneralDays, Major: defaultMajorDays}) || len(c.Checklists[0].Items) == 0 {
		t.Errorf("created %+v: want default deadlines and a frozen checklist", c)
	}
	if got := f.audit.actions(campaignTarget(c.ID)); len(got) != 1 || got[0] != "campaign.create" {
		t.Errorf("audited %v, want campaign.create", got)
	}
}

func TestUpdateCampaignExtendsPeriodWithVersionCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.householdCampaign(t)
	end := c.EndAt + 30*dayMs
	name := "燃气安全专项整治（延期）"
	v2, err := f.svc.UpdateCampaign(t.Context(), "zhang.san", c.ID, CampaignChange{Version: c.Version, EndAt: &end, Name: &name})
	mustNil(t, err)
	if v2.EndAt != end || v2.Name != name || v2.Version != c.Version+1 || len(v2.Checklists) != 2 {
		t.Errorf("updated %+v", v2)
	}
	_, err = f.svc.UpdateCampaign(t.Context(), "zhang.san", c.ID, CampaignChange{Version: c.Version, EndAt: &end})
	wantCode(t, err, model.ECONFLICT, "version")
	early := c.StartAt - 1
	_, err = f.svc.UpdateCampaign(t.Context(), "zhang.san", c.ID, CampaignChange{Version: v2.Version, EndAt: &early})
	wantCode(t, err, model.EINVALID, "end_at")
}

func TestGenerateTasksFromScopeWithDescendants(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	c := f.householdCampaign(t)
	f.putMeters(t, 2, "310101002-G1", "310101002-G2", "310104003-G1", "310115001-G1")
	mustNil(t, f.db.PutAssets(ctx, []model.Asset{
		{ID: "kitchen-1", Type: "restaurant_kitchen", Unit: "310104003-G1", Dept: "housing"},
		{ID: "mh-1", Type: "manhole_cover", Unit: "310101002-G1"},
		{ID: "station-1", Type: "pressure_regulator_station", Unit: "310101002-G1"}, // no checklist chosen for it
	}))

	n, err := f.svc.GenerateTasks(ctx, "zhang.san", c.ID)
	mustNil(t, err)
	if n != 7 {
		t.Fatalf("generated %d tasks, want 7: 6 meters in the two districts and one kitchen", n)
	}
	byAsset := map[string]model.InspectionTask{}
	for _, task := range f.allTasks(t, c) {
		byAsset[task.Asset] = task
	}
	cases := []struct {
		asset, district, inspector, checklist, dept string
	}{
		{"310101002-G1-m0", "310101", "li.si", "household_gas", "gas"},   // deepest assignment wins
		{"310101002-G2-m1", "310101", "wang.wu", "household_gas", "gas"}, // the street's inspector
		{"310104003-G1-m0", "310104", "", "household_gas", "gas"},        // nobody assigned yet
		{"kitchen-1", "310104", "", "restaurant_kitchen_gas", "housing"},
	}
	for _, tc := range cases {
		task, ok := byAsset[tc.asset]
		if !ok {
			t.Errorf("no task for %s", tc.asset)
			continue
		}
		if task.District != tc.district || task.Inspector != tc.inspector || task.Checklist != tc.checklist || task.Dept != tc.dept {
			t.Errorf("task of %s = %+v, want district %s inspector %q checklist %s dept %s",
				tc.asset, task, tc.district, tc.inspector, tc.checklist, tc.dept)
		}
	}
	for _, outside := range []string{"310115001-G1-m0", "mh-1", "station-1"} {
		if _, ok := byAsset[outside]; ok {
			t.Errorf("task generated for %s, which is out of scope or of an unchecked type", outside)
		}
	}

	f.putMeters(t, 3, "310104003-G1") // one more meter (m2) registered later
	again, err := f.svc.GenerateTasks(ctx, "zhang.san", c.ID)
	mustNil(t, err)
	if again != 1 {
		t.Errorf("regeneration created %d tasks, want 1 for the new meter", again)
	}

	moved, err := f.svc.AssignTasks(ctx, "zhang.san", c.ID, "310104", "zhao.liu")
	mustNil(t, err)
	if moved != 4 {
		t.Errorf("assigned %d tasks in 徐汇区, want 4", moved)
	}
	_, err = f.svc.AssignTasks(ctx, "zhang.san", c.ID, "310115", "zhao.liu")
	wantCode(t, err, model.EINVALID, "310115", "scope")
	mine, _, err := f.svc.Tasks(ctx, store.TaskFilter{Campaign: c.ID, Inspector: "zhao.liu"}, store.Page{})
	mustNil(t, err)
	if len(mine) != 4 {
		t.Errorf("zhao.liu has %d tasks, want 4", len(mine))
	}
	if got := f.audit.actions(campaignTarget(c.ID)); strings.Join(got, ",") !=
		"campaign.create,campaign.generate_tasks,campaign.generate_tasks,campaign.assign_tasks" {
		t.Errorf("audited %v", got)
	}
}
