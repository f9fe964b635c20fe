package sqlitestore_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/store"
	sqlitestore "cityvitals/store/sqlite"
)

func testPlan(id string) model.Plan {
	return model.Plan{
		ID: id, EventType: "rainstorm", Level: 3, NameZH: "暴雨橙色", NameEN: "Rainstorm orange",
		Sources:  []string{"上海市防汛防台专项应急预案 [R]"},
		Triggers: []model.PlanTrigger{{Indicator: "weather.rainstorm", MinLevel: 3, UnitLevel: model.LevelDistrict}},
		Tasks: []model.PlanTask{
			{ID: "pumps", Dept: "drainage", TitleZH: "泵站开机", TitleEN: "Run pumps", Category: "waterlogging", Deadline: 30 * time.Minute, Level: 3},
			{ID: "close", Dept: "traffic-police", TitleZH: "封闭下立交", TitleEN: "Close underpasses", Category: "waterlogging", Deadline: time.Hour, Level: 3},
		},
		UpdatedBy: "li.na", UpdatedAt: t0.UnixMilli(),
	}
}

func testActivation(planID string, version int, unit string) model.Activation {
	at := t0.UnixMilli()
	return model.Activation{
		PlanID: planID, Version: version, Level: 3, Unit: unit, Reason: "3 小时雨量 62 mm", ActivatedBy: "wang.wei",
		AlertFingerprint: "a1b2c3", At: at,
		Tasks: []model.ActivationTask{
			{TaskID: "pumps", Dept: "drainage", Title: "泵站开机", Category: "waterlogging", Level: 3, DeadlineAt: at + 30*60000},
			{TaskID: "close", Dept: "traffic-police", Title: "封闭下立交", Category: "waterlogging", Level: 3, DeadlineAt: at + 60*60000},
		},
	}
}

func TestPlanVersions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	v1, err := db.PutPlan(ctx, testPlan("rainstorm-orange"))
	mustNil(t, err)
	edit := v1
	edit.Tasks = append(edit.Tasks, model.PlanTask{ID: "metro", Dept: "metro", TitleZH: "挡水板", TitleEN: "Flood boards",
		Category: "waterlogging", Deadline: 15 * time.Minute, Level: 3})
	edit.UpdatedBy = "zhao.lei"
	v2, err := db.PutPlan(ctx, edit)
	mustNil(t, err)
	if v1.Version != 1 || v2.Version != 2 {
		t.Fatalf("versions %d, %d; want 1, 2", v1.Version, v2.Version)
	}

	got1, err := db.PlanVersion(ctx, "rainstorm-orange", 1)
	mustNil(t, err)
	if !reflect.DeepEqual(got1, v1) {
		t.Errorf("version 1 read back as\n%+v\nwant\n%+v", got1, v1)
	}
	latest, err := db.Plan(ctx, "rainstorm-orange")
	mustNil(t, err)
	if !reflect.DeepEqual(latest, v2) || len(latest.Tasks) != 3 || latest.Tasks[2].Deadline != 15*time.Minute {
		t.Errorf("latest read back as\n%+v\nwant\n%+v", latest, v2)
	}
	history, err := db.PlanHistory(ctx, "rainstorm-orange")
	mustNil(t, err)
	if len(history) != 2 || history[0].Version != 2 || history[1].Version != 1 {
		t.Errorf("history %+v: want versions 2, 1", history)
	}

	_, err = db.PutPlan(ctx, testPlan("gas-leak"))
	mustNil(t, err)
	all, err := db.ListPlans(ctx)
	mustNil(t, err)
	if len(all) != 2 || all[0].ID != "gas-leak" || all[1].ID != "rainstorm-orange" || all[1].Version != 2 {
		t.Errorf("ListPlans = %+v: want the latest of gas-leak and rainstorm-orange (v2)", all)
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	v1, err := db.PutPlan(ctx, testPlan("p"))
	mustNil(t, err)
	_, err = db.PutPlan(ctx, v1) // made from v1: fine, becomes v2
	mustNil(t, err)

	tests := []struct {
		name string
		run  func() error
		code string
	}{
		{"stale base version", func() error { _, err := db.PutPlan(ctx, v1); return err }, model.ECONFLICT},
		{"no id", func() error { _, err := db.PutPlan(ctx, model.Plan{Level: 1}); return err }, model.EINVALID},
		{"level out of range", func() error {
			p := testPlan("q")
			p.Level = 9
			_, err := db.PutPlan(ctx, p)
			return err
		}, model.EINTERNAL}, // the CHECK constraint backs the service's validation
		{"unknown plan", func() error { _, err := db.Plan(ctx, "nope"); return err }, model.ENOTFOUND},
		{"unknown version", func() error { _, err := db.PlanVersion(ctx, "p", 3); return err }, model.ENOTFOUND},
		{"unknown history", func() error { _, err := db.PlanHistory(ctx, "nope"); return err }, model.ENOTFOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := model.ErrorCode(tc.run()); got != tc.code {
				t.Errorf("error code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestActivationLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	_, err := db.PutPlan(ctx, testPlan("rainstorm-orange"))
	mustNil(t, err)

	a, err := db.CreateActivation(ctx, testActivation("rainstorm-orange", 1, "310101"))
	mustNil(t, err)
	if a.ID == 0 || !a.Active() {
		t.Fatalf("created %+v: want an id and active", a)
	}
	_, err = db.CreateActivation(ctx, testActivation("rainstorm-orange", 1, "310101"))
	if model.ErrorCode(err) != model.ECONFLICT {
		t.Fatalf("second activation in the same unit: %v, want ECONFLICT", err)
	}
	other, err := db.CreateActivation(ctx, testActivation("rainstorm-orange", 1, "310104"))
	mustNil(t, err) // another unit is fine

	task := a.Tasks[1]
	task.IncidentID = 77
	mustNil(t, db.SetActivationTask(ctx, a.ID, task))
	failed := a.Tasks[0]
	failed.Error = "department drainage has no duty officer"
	mustNil(t, db.SetActivationTask(ctx, a.ID, failed))

	got, err := db.Activation(ctx, a.ID)
	mustNil(t, err)
	want := a
	want.Tasks = []model.ActivationTask{failed, task}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}

	end := t0.Add(time.Hour).UnixMilli()
	mustNil(t, db.EndActivation(ctx, a.ID, "wang.wei", end))
	got, err = db.Activation(ctx, a.ID)
	mustNil(t, err)
	if got.Active() || got.EndedAt != end || got.EndedBy != "wang.wei" {
		t.Errorf("after end: %+v", got)
	}
	again, err := db.CreateActivation(ctx, testActivation("rainstorm-orange", 1, "310101"))
	mustNil(t, err) // ended: the unit may activate the plan again
	if again.ID <= other.ID {
		t.Errorf("new activation id %d not after %d", again.ID, other.ID)
	}
}

func TestActivationErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	_, err := db.PutPlan(ctx, testPlan("p"))
	mustNil(t, err)
	a, err := db.CreateActivation(ctx, testActivation("p", 1, "310101"))
	mustNil(t, err)
	mustNil(t, db.EndActivation(ctx, a.ID, "x", t0.UnixMilli()))

	tests := []struct {
		name string
		run  func() error
		code string
	}{
		{"unknown plan version", func() error {
			_, err := db.CreateActivation(ctx, testActivation("p", 2, "310101"))
			return err
		}, model.ENOTFOUND},
		{"no unit", func() error { _, err := db.CreateActivation(ctx, testActivation("p", 1, "")); return err }, model.EINVALID},
		{"duplicate task ids", func() error {
			b := testActivation("p", 1, "310109")
			b.Tasks[1].TaskID = b.Tasks[0].TaskID
			_, err := db.CreateActivation(ctx, b)
			return err
		}, model.ECONFLICT},
		{"unknown activation", func() error { _, err := db.Activation(ctx, 999); return err }, model.ENOTFOUND},
		{"unknown task", func() error {
			return db.SetActivationTask(ctx, a.ID, model.ActivationTask{TaskID: "nope", IncidentID: 1})
		}, model.ENOTFOUND},
		{"end unknown", func() error { return db.EndActivation(ctx, 999, "x", 1) }, model.ENOTFOUND},
		{"end twice", func() error { return db.EndActivation(ctx, a.ID, "x", 1) }, model.ECONFLICT},
		{"end anonymously", func() error { return db.EndActivation(ctx, a.ID, "", 1) }, model.EINVALID},
		{"bad cursor", func() error {
			_, _, err := db.ListActivations(ctx, store.ActivationFilter{}, store.Page{After: "!!"})
			return err
		}, model.EINVALID},
		{"bad status", func() error {
			_, _, err := db.ListActivations(ctx, store.ActivationFilter{Status: "paused"}, store.Page{})
			return err
		}, model.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := model.ErrorCode(tc.run()); got != tc.code {
				t.Errorf("error code %q, want %q", got, tc.code)
			}
		})
	}
	// The refused duplicate-task activation left nothing behind.
	items, _, err := db.ListActivations(ctx, store.ActivationFilter{Unit: "310109"}, store.Page{})
	mustNil(t, err)
	if len(items) != 0 {
		t.Errorf("a refused activation was stored: %+v", items)
	}
}

func TestListActivations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	for _, id := range []string{"p", "q"} {
		_, err := db.PutPlan(ctx, testPlan(id))
		mustNil(t, err)
	}
	var ids []int64
	for i := range 7 {
		plan := []string{"p", "q"}[i%2]
		a, err := db.CreateActivation(ctx, testActivation(plan, 1, fmt.Sprintf("31010%d", i)))
		mustNil(t, err)
		ids = append(ids, a.ID)
	}
	mustNil(t, db.EndActivation(ctx, ids[0], "x", t0.UnixMilli()))
	mustNil(t, db.EndActivation(ctx, ids[3], "x", t0.UnixMilli()))

	var paged []int64
	after := ""
	for pages := 0; pages < 10; pages++ {
		items, next, err := db.ListActivations(ctx, store.ActivationFilter{}, store.Page{After: after, Limit: 3})
		mustNil(t, err)
		for _, a := range items {
			paged = append(paged, a.ID)
			if len(a.Tasks) != 2 {
				t.Errorf("activation %d listed with %d tasks, want 2", a.ID, len(a.Tasks))
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	if want := []int64{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}; !reflect.DeepEqual(paged, want) {
		t.Errorf("pages gave %v, want newest first %v", paged, want)
	}

	filters := []struct {
		name string
		f    store.ActivationFilter
		want []int64
	}{
		{"active", store.ActivationFilter{Status: store.ActivationsActive}, []int64{ids[6], ids[5], ids[4], ids[2], ids[1]}},
		{"ended", store.ActivationFilter{Status: store.ActivationsEnded}, []int64{ids[3], ids[0]}},
		{"plan q", store.ActivationFilter{PlanID: "q"}, []int64{ids[5], ids[3], ids[1]}},
		{"unit", store.ActivationFilter{Unit: "310104"}, []int64{ids[4]}},
		{"active plan p", store.ActivationFilter{Status: store.ActivationsActive, PlanID: "p"}, []int64{ids[6], ids[4], ids[2]}},
	}
	for _, tc := range filters {
		t.Run(tc.name, func(t *testing.T) {
			items, next, err := db.ListActivations(ctx, tc.f, store.Page{})
			mustNil(t, err)
			var got []int64
			for _, a := range items {
				got = append(got, a.ID)
			}
			if !reflect.DeepEqual(got, tc.want) || next != "" {
				t.Errorf("got %v (next %q), want %v", got, next, tc.want)
			}
		})
	}
}

func TestActivationSurvivesReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, path := mustOpen(t)
	_, err := db.PutPlan(ctx, testPlan("p"))
	mustNil(t, err)
	a, err := db.CreateActivation(ctx, testActivation("p", 1, "310101"))
	mustNil(t, err)
	mustNil(t, db.Close())

	db, err = sqlitestore.Open(path)
	mustNil(t, err)
	defer db.Close()
	got, err := db.Activation(ctx, a.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(got, a) {
		t.Errorf("after reopen\n%+v\nwant\n%+v", got, a)
	}
	_, err = db.CreateActivation(ctx, testActivation("p", 1, "310101"))
	if model.ErrorCode(err) != model.ECONFLICT {
		t.Errorf("activation after reopen: %v, want ECONFLICT (still active)", err)
	}
}
