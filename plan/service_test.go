package plan_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/plan"
)

func TestPutKeepsEveryVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	v1, err := f.svc.Put(ctx, "li.na", customPlan("test-plan"))
	mustNil(t, err)
	if v1.Version != 1 || v1.UpdatedBy != "li.na" || v1.UpdatedAt != t0.UnixMilli() || v1.Tasks[0].Level != 2 {
		t.Fatalf("v1 = %+v: want version 1 by li.na at t0, task level defaulted to the plan's", v1)
	}

	f.clock.Advance(time.Hour)
	edit := v1
	edit.Tasks = append([]model.PlanTask(nil), v1.Tasks...)
	edit.Tasks[0].Deadline = 20 * time.Minute
	v2, err := f.svc.Put(ctx, "zhao.lei", edit) // edit.Version = 1: made from v1
	mustNil(t, err)
	if v2.Version != 2 || v2.UpdatedBy != "zhao.lei" || v2.Tasks[0].Deadline != 20*time.Minute {
		t.Fatalf("v2 = %+v", v2)
	}

	old, err := f.svc.PlanVersion(ctx, "test-plan", 1)
	mustNil(t, err)
	if old.Tasks[0].Deadline != 30*time.Minute || old.UpdatedBy != "li.na" {
		t.Errorf("version 1 now reads %+v: older versions must not change", old)
	}
	latest, err := f.svc.Plan(ctx, "test-plan")
	mustNil(t, err)
	if latest.Version != 2 {
		t.Errorf("latest is version %d, want 2", latest.Version)
	}
	history, err := f.svc.PlanHistory(ctx, "test-plan")
	mustNil(t, err)
	if len(history) != 2 {
		t.Errorf("history has %d versions, want 2", len(history))
	}

	_, err = f.svc.Put(ctx, "li.na", edit) // still made from v1, but v2 exists
	wantError(t, err, model.ECONFLICT, "latest version is 2")

	puts := f.audits(t, "plan.put")
	if len(puts) != 2 || puts[0].Actor != "li.na" || puts[1].Actor != "zhao.lei" || puts[1].Target != "plan:test-plan" {
		t.Fatalf("plan.put audit records: %+v", puts)
	}
	var detail model.Plan
	mustNil(t, json.Unmarshal([]byte(puts[1].Detail), &detail))
	if detail.Version != 2 || detail.Tasks[0].Deadline != 20*time.Minute {
		t.Errorf("audit detail %s: want the stored version 2 with its deadlines", puts[1].Detail)
	}
}

func TestPutRefusesInvalidPlans(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	tests := []struct {
		name   string
		edit   func(p *model.Plan)
		wanted []string
	}{
		{"unknown category", func(p *model.Plan) { p.Tasks[0].Category = "sinkhole" },
			[]string{`tasks[0].category: unknown incident category "sinkhole"`}},
		{"zero deadline", func(p *model.Plan) { p.Tasks[1].Deadline = 0 }, []string{"tasks[1].deadline: must be more than 0"}},
		{"negative deadline", func(p *model.Plan) { p.Tasks[1].Deadline = -time.Minute }, []string{"tasks[1].deadline: must be more than 0"}},
		{"deadline too far", func(p *model.Plan) { p.Tasks[1].Deadline = 60 * 24 * time.Hour }, []string{"tasks[1].deadline: must be more than 0 and at most 720h0m0s"}},
		{"duplicate task ids", func(p *model.Plan) { p.Tasks[1].ID = "a" }, []string{`tasks[1].id: "a" is already the id of tasks[0]`}},
		{"plan level 0", func(p *model.Plan) { p.Level = 0 }, []string{"level: must be 1–4"}},
		{"plan level 5", func(p *model.Plan) { p.Level = 5 }, []string{"level: must be 1–4"}},
		{"task level", func(p *model.Plan) { p.Tasks[0].Level = -1 }, []string{"tasks[0].level: must be 1–4"}},
		{"empty dept", func(p *model.Plan) { p.Tasks[0].Dept = " " }, []string{"tasks[0].dept: required"}},
		{"unknown dept", func(p *model.Plan) { p.Tasks[0].Dept = "wizards" }, []string{`tasks[0].dept: unknown department "wizards"`}},
		{"no tasks", func(p *model.Plan) { p.Tasks = nil }, []string{"tasks: a plan needs at least one task"}},
		{"too many tasks", func(p *model.Plan) {
			for len(p.Tasks) <= 100 {
				p.Tasks = append(p.Tasks, p.Tasks[0])
			}
		}, []string{"tasks: at most 100"}},
		{"trigger matching everything", func(p *model.Plan) { p.Triggers = []model.PlanTrigger{{MinLevel: 4}} },
			[]string{"triggers[0]: set at least one of domain, indicator and rule"}},
		{"trigger level", func(p *model.Plan) { p.Triggers = []model.PlanTrigger{{Rule: "threshold", MinLevel: 7}} },
			[]string{"triggers[0].min_level: must be 1–4"}},
		{"trigger label", func(p *model.Plan) { p.Triggers = []model.PlanTrigger{{Indicator: "Weather Rain"}} },
			[]string{`triggers[0].indicator: must match`}},
		{"hostile id", func(p *model.Plan) { p.ID = "x'; DROP TABLE plans; --" }, []string{`plan "x'; DROP TABLE plans; --": id: must match`}},
		{"control characters", func(p *model.Plan) { p.NameEN = "Test\x1b[31m plan" }, []string{"name_en: must be one line without control characters"}},
		{"huge title", func(p *model.Plan) { p.Tasks[0].TitleZH = strings.Repeat("长", 10000) }, []string{"tasks[0].title_zh: at most 200 characters, got 10000"}},
		{"invalid UTF-8", func(p *model.Plan) { p.NameZH = "\xff\xfe" }, []string{"name_zh: not valid UTF-8"}},
		{"several at once", func(p *model.Plan) { p.EventType = ""; p.Tasks[1].Category = "" },
			[]string{"event_type: must match", "tasks[1].category: required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := customPlan("bad-plan")
			tc.edit(&p)
			_, err := f.svc.Put(ctx, "li.na", p)
			wantError(t, err, model.EINVALID, tc.wanted...)
		})
	}
	if _, err := f.svc.PlanHistory(ctx, "bad-plan"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("after refused puts the plan exists: %v", err)
	}
	if puts := f.audits(t, "plan.put"); len(puts) != 0 {
		t.Errorf("refused puts were audited: %+v", puts)
	}
	_, err := f.svc.Put(ctx, "", customPlan("anonymous"))
	wantError(t, err, model.EINVALID, "updated_by: required")

	// Event type and level are what alerts match on: they stay.
	p, err := f.svc.Put(ctx, "li.na", customPlan("test-plan"))
	mustNil(t, err)
	p.Level = 4
	_, err = f.svc.Put(ctx, "li.na", p)
	wantError(t, err, model.EINVALID, "event_type and level cannot change")
}

func TestSeedAndImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	defaults, err := plan.Defaults(f.svc.Vocabulary())
	mustNil(t, err)

	stored, err := f.svc.Seed(ctx, "system", defaults)
	mustNil(t, err)
	if len(stored) != len(defaults) {
		t.Fatalf("first seed stored %d of %d plans", len(stored), len(defaults))
	}
	stored, err = f.svc.Seed(ctx, "system", defaults)
	mustNil(t, err)
	if len(stored) != 0 {
		t.Errorf("second seed stored %d plans, want none", len(stored))
	}

	edited, err := f.svc.Plan(ctx, "rainstorm-blue")
	mustNil(t, err)
	edited.Tasks = edited.Tasks[:1]
	_, err = f.svc.Put(ctx, "li.na", edited)
	mustNil(t, err)
	if stored, _ = f.svc.Seed(ctx, "system", defaults); len(stored) != 0 {
		t.Errorf("seed overwrote an edited plan: %+v", stored)
	}

	stored, err = f.svc.Import(ctx, "ops", defaults)
	mustNil(t, err)
	if len(stored) != 1 || stored[0].ID != "rainstorm-blue" || stored[0].Version != 3 {
		t.Fatalf("import stored %+v: want only rainstorm-blue, as version 3", stored)
	}
	restored, err := f.svc.Plan(ctx, "rainstorm-blue")
	mustNil(t, err)
	if len(restored.Tasks) != 4 {
		t.Errorf("import left rainstorm-blue with %d tasks, want the default 4", len(restored.Tasks))
	}
	if puts := f.audits(t, "plan.put"); len(puts) != len(defaults)+2 {
		t.Errorf("%d plan.put records, want %d (seed, edit, import)", len(puts), len(defaults)+2)
	}
}

func TestPlanTaskJSON(t *testing.T) {
	t.Parallel()
	task := model.PlanTask{ID: "a", Dept: "gas", TitleZH: "关阀", TitleEN: "Shut", Category: "gas_leak", Deadline: 90 * time.Minute, Level: 3}
	data, err := json.Marshal(task)
	mustNil(t, err)
	if !strings.Contains(string(data), `"deadline":"1h30m0s"`) {
		t.Errorf("encoded %s: want the deadline as a duration string", data)
	}
	var back model.PlanTask
	mustNil(t, json.Unmarshal(data, &back))
	if back != task {
		t.Errorf("round trip gave %+v, want %+v", back, task)
	}
	err = json.Unmarshal([]byte(`{"id":"a","deadline":"ninety minutes"}`), &back)
	wantError(t, err, model.EINVALID, `task "a": deadline "ninety minutes"`)
}
