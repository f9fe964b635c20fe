package sqlitestore_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/store"
	sqlitestore "cityvitals/store/sqlite"
)

var campaignStart = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

const hourMs = int64(time.Hour / time.Millisecond)

func testCampaign() model.Campaign {
	return model.Campaign{
		Name: "燃气安全专项整治", Domain: "gas", Units: []string{"310101"},
		StartAt: campaignStart, EndAt: campaignStart + 90*24*hourMs, Depts: []string{"gas"},
		Checklists: []model.Checklist{{ID: "household_gas", AssetType: "household_gas_meter", Items: []model.ChecklistItem{
			{ID: "H01", Category: "hose", Severity: model.SeverityGeneral, TextZH: "金属波纹管"}}}},
		Deadlines: model.RectifyDays{General: 30, Major: 90}, CreatedBy: "zhang.san", CreatedAt: campaignStart,
		UpdatedAt: campaignStart,
	}
}

// campaignAssets puts n household meters into each of the units, and a
// manhole cover into the first unit (a type the campaign does not check).
func campaignAssets(t *testing.T, db *sqlitestore.DB, n int, units ...string) {
	t.Helper()
	var assets []model.Asset
	for _, u := range units {
		for i := range n {
			assets = append(assets, model.Asset{ID: fmt.Sprintf("%s-m%d", u, i), Type: "household_gas_meter", Unit: u, Dept: "gas"})
		}
	}
	assets = append(assets, model.Asset{ID: "mh-1", Type: "manhole_cover", Unit: units[0]})
	mustNil(t, db.PutAssets(t.Context(), assets))
}

func householdScope() store.TaskScope {
	return store.TaskScope{
		Places: map[string]store.TaskPlace{
			"310101002-G1": {District: "310101", Inspector: "li.si"},
			"310101002-G2": {District: "310101"},
		},
		Types: map[model.AssetType]store.TaskChecklist{"household_gas_meter": {ID: "household_gas"}},
	}
}

func TestCampaignRoundTripAndConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	c, err := db.CreateCampaign(ctx, testCampaign())
	mustNil(t, err)
	if c.ID == 0 || c.Version != 1 {
		t.Fatalf("created %+v: want an id and version 1", c)
	}
	got, err := db.Campaign(ctx, c.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, c)
	}
	edit := c
	edit.Name = "燃气安全专项整治（延长）"
	edit.EndAt += 30 * 24 * hourMs
	v2, err := db.UpdateCampaign(ctx, edit)
	mustNil(t, err)
	if v2.Version != 2 {
		t.Errorf("version after update %d, want 2", v2.Version)
	}
	if _, err := db.UpdateCampaign(ctx, edit); model.ErrorCode(err) != model.ECONFLICT {
		t.Errorf("update from a stale version: %v, want ECONFLICT", err)
	}
	if _, err := db.Campaign(ctx, 999); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("unknown campaign: %v, want ENOTFOUND", err)
	}
	bad := testCampaign()
	bad.EndAt = bad.StartAt
	if _, err := db.CreateCampaign(ctx, bad); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("empty period: %v, want EINVALID", err)
	}
	all, err := db.ListCampaigns(ctx)
	mustNil(t, err)
	if len(all) != 1 || all[0].Name != edit.Name {
		t.Errorf("ListCampaigns = %+v", all)
	}
}

func TestGenerateTasksIsIdempotentAndScoped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	c, err := db.CreateCampaign(ctx, testCampaign())
	mustNil(t, err)
	campaignAssets(t, db, 3, "310101002-G1", "310101002-G2", "310115001-G1")

	n, err := db.GenerateTasks(ctx, c.ID, householdScope())
	mustNil(t, err)
	if n != 6 {
		t.Fatalf("created %d tasks, want 6 (3 meters in each of two scoped grids)", n)
	}
	again, err := db.GenerateTasks(ctx, c.ID, householdScope())
	mustNil(t, err)
	if again != 0 {
		t.Errorf("second generation created %d, want 0", again)
	}
	tasks, next, err := db.Tasks(ctx, store.TaskFilter{Campaign: c.ID}, store.Page{Limit: 4})
	mustNil(t, err)
	if len(tasks) != 4 || next == "" {
		t.Fatalf("first page %d tasks, next %q", len(tasks), next)
	}
	rest, next, err := db.Tasks(ctx, store.TaskFilter{Campaign: c.ID}, store.Page{After: next, Limit: 4})
	mustNil(t, err)
	if len(rest) != 2 || next != "" {
		t.Fatalf("second page %d tasks, next %q", len(rest), next)
	}
	for _, task := range append(tasks, rest...) {
		wantInspector := map[string]string{"310101002-G1": "li.si", "310101002-G2": ""}[task.Unit]
		if task.District != "310101" || task.Checklist != "household_gas" || task.Dept != "gas" ||
			task.Inspector != wantInspector || task.AssetType != "household_gas_meter" {
			t.Errorf("task %+v", task)
		}
	}
	byAsset, err := db.TaskOfAsset(ctx, c.ID, "310101002-G2-m1")
	mustNil(t, err)
	if byAsset.Unit != "310101002-G2" {
		t.Errorf("TaskOfAsset = %+v", byAsset)
	}
	changed, err := db.AssignTasks(ctx, c.ID, []string{"310101002-G2"}, "wang.wu")
	mustNil(t, err)
	if changed != 3 {
		t.Errorf("assigned %d, want 3", changed)
	}
	mine, _, err := db.Tasks(ctx, store.TaskFilter{Campaign: c.ID, Inspector: "wang.wu", Pending: true}, store.Page{})
	mustNil(t, err)
	if len(mine) != 3 {
		t.Errorf("wang.wu has %d pending tasks, want 3", len(mine))
	}
	if _, err := db.GenerateTasks(ctx, 999, householdScope()); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("unknown campaign: %v, want ENOTFOUND", err)
	}
}

func testHazard(c model.Campaign, task model.InspectionTask, sev model.HazardSeverity) model.Hazard {
	return model.Hazard{
		Campaign: c.ID, Task: task.ID, Item: "H01", Asset: task.Asset, AssetType: task.AssetType, Unit: task.Unit,
		District: task.District, Category: "hose", Severity: sev, Description: "橡胶软管", FoundAt: campaignStart + hourMs,
		FoundBy: "li.si", Photos: []string{"p1"}, Dept: "gas", Deadline: campaignStart + 48*hourMs,
		State: model.HazardOpen, CreatedAt: campaignStart + hourMs, UpdatedAt: campaignStart + hourMs,
	}
}

func TestApplyInspectionsRowsAreAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	c, err := db.CreateCampaign(ctx, testCampaign())
	mustNil(t, err)
	campaignAssets(t, db, 2, "310101002-G1")
	_, err = db.GenerateTasks(ctx, c.ID, householdScope())
	mustNil(t, err)
	tasks, _, err := db.Tasks(ctx, store.TaskFilter{Campaign: c.ID}, store.Page{})
	mustNil(t, err)

	result := func(task model.InspectionTask) model.InspectionResult {
		return model.InspectionResult{Task: task.ID, Campaign: c.ID, Inspector: "li.si", At: campaignStart + hourMs,
			Items:       []model.ItemResult{{Item: "H01", Outcome: model.OutcomeFail, Photos: []string{"p1"}}},
			SubmittedBy: "li.si", SubmittedAt: campaignStart + 2*hourMs, HasPoint: true, Lon: 121.48, Lat: 31.23}
	}
	broken := testHazard(c, tasks[1], model.SeverityGeneral)
	broken.Severity = "catastrophic" // refused by the store: the row must leave nothing behind
	ins := []store.Inspection{
		{Result: result(tasks[0]), Hazards: []model.Hazard{testHazard(c, tasks[0], model.SeverityGeneral)},
			Event: model.HazardEvent{At: campaignStart + 2*hourMs, Actor: "li.si", Action: "found"}},
		{Result: result(tasks[1]), Hazards: []model.Hazard{broken}},
		{Result: model.InspectionResult{Task: 999, Campaign: c.ID, Inspector: "li.si", At: campaignStart}},
	}
	errs, err := db.ApplyInspections(ctx, ins)
	mustNil(t, err)
	if errs[0] != nil || model.ErrorCode(errs[1]) != model.EINVALID || model.ErrorCode(errs[2]) != model.ENOTFOUND {
		t.Fatalf("errors %v: want nil, EINVALID, ENOTFOUND", errs)
	}
	if ins[0].Hazards[0].ID == 0 {
		t.Error("applied hazard has no id written back")
	}
	second, err := db.Task(ctx, tasks[1].ID)
	mustNil(t, err)
	if second.Done() {
		t.Error("the refused row marked its task inspected")
	}
	if _, err := db.InspectionResult(ctx, tasks[1].ID); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("the refused row stored a result: %v", err)
	}
	first, err := db.Task(ctx, tasks[0].ID)
	mustNil(t, err)
	if !first.Done() || first.Hazards != 1 || first.InspectedBy != "li.si" {
		t.Errorf("applied task %+v", first)
	}
	res, err := db.InspectionResult(ctx, tasks[0].ID)
	mustNil(t, err)
	if !reflect.DeepEqual(res, result(tasks[0])) {
		t.Errorf("result read back\n%+v\nwant\n%+v", res, result(tasks[0]))
	}
	again, err := db.ApplyInspections(ctx, ins[:1])
	mustNil(t, err)
	if model.ErrorCode(again[0]) != model.ECONFLICT {
		t.Errorf("inspecting a done task again: %v, want ECONFLICT", again[0])
	}
	hs, _, err := db.Hazards(ctx, store.HazardFilter{Campaign: c.ID}, store.Page{})
	mustNil(t, err)
	if len(hs) != 1 {
		t.Errorf("%d hazards stored, want 1", len(hs))
	}
}

func TestHazardUpdateHistoryAndQueries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	c, err := db.CreateCampaign(ctx, testCampaign())
	mustNil(t, err)
	task := model.InspectionTask{Asset: "a1", AssetType: "household_gas_meter", Unit: "310101002-G1", District: "310101"}
	h, err := db.CreateHazard(ctx, testHazard(c, task, model.SeverityMajor),
		model.HazardEvent{At: campaignStart, Actor: "li.si", Action: "report", To: model.HazardOpen})
	mustNil(t, err)

	h.State, h.Owner, h.Measures = model.HazardRectifying, "zhao.liu", "关闭表前阀"
	h.Milestones = []model.Milestone{{Seq: 1, Title: "更换软管", Due: campaignStart + 24*hourMs}}
	v2, err := db.UpdateHazard(ctx, h, model.HazardEvent{At: campaignStart + hourMs, Actor: "zhao.liu", Action: "plan",
		From: model.HazardOpen, To: model.HazardRectifying, Evidence: []string{"e1"}, Data: map[string]any{"owner": "zhao.liu"}})
	mustNil(t, err)
	got, err := db.Hazard(ctx, h.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(got, v2) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, v2)
	}
	if _, err := db.UpdateHazard(ctx, h, model.HazardEvent{Action: "plan"}); model.ErrorCode(err) != model.ECONFLICT {
		t.Errorf("stale update: %v, want ECONFLICT", err)
	}
	events, err := db.HazardEvents(ctx, h.ID)
	mustNil(t, err)
	if len(events) != 2 || events[1].Action != "plan" || events[1].Evidence[0] != "e1" || events[1].Data["owner"] != "zhao.liu" {
		t.Errorf("events %+v", events)
	}

	majors, err := db.OpenMajorByUnit(ctx)
	mustNil(t, err)
	if !reflect.DeepEqual(majors, map[string]int{"310101002-G1": 1}) {
		t.Errorf("OpenMajorByUnit = %v", majors)
	}
	open, err := db.OpenHazardsOfAsset(ctx, "a1")
	mustNil(t, err)
	if len(open) != 1 || len(open[0].Milestones) != 1 {
		t.Errorf("OpenHazardsOfAsset = %+v", open)
	}
	closed := v2
	closed.State, closed.ClosedAt, closed.RectifiedAt = model.HazardClosed, campaignStart+3*hourMs, campaignStart+2*hourMs
	_, err = db.UpdateHazard(ctx, closed, model.HazardEvent{Action: "close"})
	mustNil(t, err)
	majors, err = db.OpenMajorByUnit(ctx)
	mustNil(t, err)
	open, err2 := db.OpenHazardsOfAsset(ctx, "a1")
	mustNil(t, errors.Join(err, err2))
	if len(majors) != 0 || len(open) != 0 {
		t.Errorf("after close-out: majors %v, open %v; want none", majors, open)
	}
}

func TestMarkOverdueReturnsEachItemOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	c, err := db.CreateCampaign(ctx, testCampaign())
	mustNil(t, err)
	task := model.InspectionTask{Asset: "a1", AssetType: "household_gas_meter", Unit: "g1", District: "310101"}
	h := testHazard(c, task, model.SeverityMajor)
	h.State = model.HazardRectifying
	h.Deadline = campaignStart + 10*hourMs
	h.Milestones = []model.Milestone{
		{Seq: 1, Title: "停用", Due: campaignStart + 2*hourMs},
		{Seq: 2, Title: "更换", Due: campaignStart + 5*hourMs},
	}
	h, err = db.CreateHazard(ctx, h, model.HazardEvent{Action: "report"})
	mustNil(t, err)
	awaiting := testHazard(c, model.InspectionTask{Asset: "a2", Unit: "g1"}, model.SeverityGeneral)
	awaiting.State, awaiting.RectifiedAt = model.HazardAwaiting, campaignStart+3*hourMs
	_, err = db.CreateHazard(ctx, awaiting, model.HazardEvent{Action: "report"})
	mustNil(t, err)

	at := func(hours int64) []model.HazardOverdue {
		t.Helper()
		found, err := db.MarkOverdue(ctx, campaignStart+hours*hourMs)
		mustNil(t, err)
		return found
	}
	if got := at(1); len(got) != 0 {
		t.Errorf("at +1h: %+v, want nothing", got)
	}
	// Scanners racing at +3h: milestone 1 must come out exactly once.
	var mu sync.Mutex
	var raced []model.HazardOverdue
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got := at(3)
			mu.Lock()
			raced = append(raced, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(raced) != 1 || raced[0].Milestone != 1 || raced[0].Hazard.ID != h.ID || raced[0].Due != campaignStart+2*hourMs {
		t.Fatalf("racing scans at +3h found %+v, want milestone 1 once", raced)
	}
	got := at(11)
	if len(got) != 2 || got[0].Milestone != 0 || got[1].Milestone != 2 {
		t.Fatalf("at +11h: %+v, want the deadline and milestone 2", got)
	}
	if got[0].Hazard.OverdueAt == 0 || got[1].Hazard.Milestones[1].OverdueAt == 0 {
		t.Errorf("marks not returned in the hazard: %+v", got[0].Hazard)
	}
	if again := at(100); len(again) != 0 {
		t.Errorf("later scan found %+v again", again)
	}
	overdue, _, err := db.Hazards(ctx, store.HazardFilter{Overdue: true}, store.Page{})
	mustNil(t, err)
	if len(overdue) != 1 || overdue[0].ID != h.ID {
		t.Errorf("overdue listing %+v", overdue)
	}
}

func TestCampaignStats(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	c, err := db.CreateCampaign(ctx, testCampaign())
	mustNil(t, err)
	campaignAssets(t, db, 2, "310101002-G1", "310101002-G2")
	_, err = db.GenerateTasks(ctx, c.ID, householdScope())
	mustNil(t, err)
	tasks, _, err := db.Tasks(ctx, store.TaskFilter{Campaign: c.ID}, store.Page{})
	mustNil(t, err)
	errs, err := db.ApplyInspections(ctx, []store.Inspection{{Result: model.InspectionResult{
		Task: tasks[0].ID, Campaign: c.ID, Inspector: "li.si", At: campaignStart + hourMs}}})
	mustNil(t, errors.Join(append(errs, err)...))

	hz := func(sev model.HazardSeverity, found, deadline, rectified, closed int64) {
		h := testHazard(c, tasks[0], sev)
		h.FoundAt, h.Deadline, h.RectifiedAt, h.ClosedAt = campaignStart+found*hourMs, campaignStart+deadline*hourMs, rectified, closed
		switch {
		case closed > 0:
			h.State = model.HazardClosed
		case rectified > 0:
			h.State = model.HazardAwaiting
		}
		_, err := db.CreateHazard(ctx, h, model.HazardEvent{Action: "found"})
		mustNil(t, err)
	}
	hz(model.SeverityMajor, 1, 100, 0, 0)                                            // major, open, not yet due
	hz(model.SeverityGeneral, 2, 10, campaignStart+5*hourMs, campaignStart+6*hourMs) // closed in time
	hz(model.SeverityGeneral, 3, 10, 0, 0)                                           // overdue at +20h
	hz(model.SeverityGeneral, 4, 10, campaignStart+15*hourMs, 0)                     // rectified late, awaiting
	hz(model.SeverityGeneral, 500, 600, 0, 0)                                        // found after the period asked

	rows, err := db.CampaignStats(ctx, store.StatsQuery{Campaign: c.ID, By: "district", From: campaignStart,
		To: campaignStart + 100*hourMs, AsOf: campaignStart + 20*hourMs, MajorSince: campaignStart + 10*hourMs})
	mustNil(t, err)
	want := model.CampaignReportRow{Key: "310101", Tasks: 4, Inspected: 1, Found: 4, Major: 1, Rectified: 1,
		AwaitingVerify: 1, Overdue: 1, MajorOpenLong: 1, RectifiedLate: 1}
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Errorf("stats\n%+v\nwant\n%+v", rows, want)
	}
	byDept, err := db.CampaignStats(ctx, store.StatsQuery{Campaign: c.ID, By: "dept", From: campaignStart, To: campaignStart + 1000*hourMs, AsOf: campaignStart + 1000*hourMs})
	mustNil(t, err)
	if len(byDept) != 1 || byDept[0].Key != "gas" || byDept[0].Found != 5 {
		t.Errorf("by dept %+v", byDept)
	}
	if _, err := db.CampaignStats(ctx, store.StatsQuery{Campaign: c.ID, By: "street"}); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("group by street: %v, want EINVALID", err)
	}
}
