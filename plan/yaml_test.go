package plan_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/plan"
	"cityvitals/property"
)

func defaultVocabulary(tb testing.TB) plan.Vocabulary {
	tb.Helper()
	v, err := plan.DefaultVocabulary()
	mustNil(tb, err)
	return v
}

func TestDefaultsCoverTheRequiredEvents(t *testing.T) {
	t.Parallel()
	plans, err := plan.Defaults(defaultVocabulary(t))
	mustNil(t, err)
	byID := map[string]model.Plan{}
	for _, p := range plans {
		byID[p.ID] = p
	}
	want := map[string]struct {
		event string
		level int8
	}{
		"rainstorm-blue": {"rainstorm", 1}, "rainstorm-yellow": {"rainstorm", 2},
		"rainstorm-orange": {"rainstorm", 3}, "rainstorm-red": {"rainstorm", 4},
		"cold-wave-orange": {"cold_wave", 3}, "heat-wave-orange": {"heat_wave", 3},
		"gas-leak": {"gas_leak", 3}, "crowd-metro": {"crowd", 3},
		"water-main-burst": {"water_main_burst", 3}, "power-cut": {"power_outage", 3},
	}
	for id, w := range want {
		p, ok := byID[id]
		if !ok {
			t.Errorf("default plan %q missing", id)
			continue
		}
		if p.EventType != w.event || p.Level != w.level {
			t.Errorf("%s: event %s level %d, want %s level %d", id, p.EventType, p.Level, w.event, w.level)
		}
		if len(p.Triggers) == 0 {
			t.Errorf("%s: no trigger, so no alert can activate it", id)
		}
		if !slices.ContainsFunc(p.Sources, func(s string) bool { return strings.Contains(s, "[R]") || strings.Contains(s, "[V]") }) {
			t.Errorf("%s: no source carries a confidence mark [V] or [R]", id)
		}
	}
	// Freeze protection: the cold-wave plan watches water mains and gas demand.
	cold := byID["cold-wave-orange"]
	depts := map[string]bool{}
	for _, task := range cold.Tasks {
		depts[task.Dept] = true
	}
	if !depts["water"] || !depts["gas"] {
		t.Errorf("cold-wave-orange tasks go to %v: want water (main pressure) and gas (demand peak)", depts)
	}
}

// TestDefaultTriggersNameRealIndicators keeps the plans and the vital-signs
// catalog in step: a renamed indicator must not leave a plan that no
// alert can activate.
func TestDefaultTriggersNameRealIndicators(t *testing.T) {
	t.Parallel()
	cat, err := indicator.Default(property.Default(), asset.DefaultTypes())
	mustNil(t, err)
	plans, err := plan.Defaults(defaultVocabulary(t))
	mustNil(t, err)
	for _, p := range plans {
		for i, tr := range p.Triggers {
			prog, ok := cat.Program(tr.Indicator)
			if !ok {
				t.Errorf("%s triggers[%d]: indicator %q is not in the catalog", p.ID, i, tr.Indicator)
				continue
			}
			ind := prog.Indicator()
			if tr.Domain != "" && tr.Domain != ind.Domain {
				t.Errorf("%s triggers[%d]: domain %q, but %s is in %q", p.ID, i, tr.Domain, tr.Indicator, ind.Domain)
			}
			// An indicator exists at its own level and above (roll-up), never below.
			if tr.UnitLevel.Depth() > model.UnitLevel(ind.Level).Depth() {
				t.Errorf("%s triggers[%d]: unit level %s is below %s, where %s is computed", p.ID, i, tr.UnitLevel, ind.Level, tr.Indicator)
			}
		}
	}
}

func TestParseReadsEveryField(t *testing.T) {
	t.Parallel()
	const doc = `
plans:
  - id: storm-surge
    event_type: storm_surge
    level: 4
    name_zh: 风暴潮红色
    name_en: Storm surge red
    sources: ["made up for a test [R]"]
    retired: true
    triggers:
      - domain: drainage
        indicator: drainage.river
        rule: threshold
        unit_level: district
    tasks:
      - id: gates
        dept: drainage
        title_zh: 关闭水闸
        title_en: Close the sluices
        category: waterlogging
        deadline: 1h30m
        level: orange
`
	plans, err := plan.Parse("surge.yaml", []byte(doc), defaultVocabulary(t))
	mustNil(t, err)
	want := model.Plan{
		ID: "storm-surge", EventType: "storm_surge", Level: 4, NameZH: "风暴潮红色", NameEN: "Storm surge red",
		Sources: []string{"made up for a test [R]"}, Retired: true,
		Triggers: []model.PlanTrigger{{Domain: "drainage", Indicator: "drainage.river", Rule: "threshold", MinLevel: 1, UnitLevel: model.LevelDistrict}},
		Tasks: []model.PlanTask{{ID: "gates", Dept: "drainage", TitleZH: "关闭水闸", TitleEN: "Close the sluices",
			Category: "waterlogging", Deadline: 90 * time.Minute, Level: 3}},
	}
	if len(plans) != 1 || !equalJSON(t, plans[0], want) {
		t.Errorf("parsed %+v\nwant %+v", plans, want)
	}
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	t.Parallel()
	const valid = `plans:
  - id: p
    event_type: test
    level: yellow
    name_zh: 测试
    name_en: Test
    tasks:
      - id: a
        dept: drainage
        title_zh: 任务
        title_en: Task
        category: other
        deadline: 30m
`
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"yaml syntax", "    level: yellow\n", "    level: [yellow\n", []string{"t.yaml: yaml:"}},
		{"unknown plan field", "    name_en: Test\n", "    name_en: Test\n    nmae_zh: typo\n", []string{`t.yaml:7: plan "p": nmae_zh: unknown field`}},
		{"unknown task field", "        deadline: 30m\n", "        deadline: 30m\n        owner: x\n", []string{`t.yaml:14: plan "p": tasks[0].owner: unknown field`}},
		{"bad level", "    level: yellow\n", "    level: purple\n", []string{`t.yaml:4: plan "p": level: want blue, yellow, orange, red or 1–4, got "purple"`}},
		{"missing level", "    level: yellow\n", "", []string{`t.yaml:2: plan "p": level: must be 1–4`}},
		{"bad deadline", "deadline: 30m", "deadline: half an hour", []string{`t.yaml:13: plan "p": tasks[0].deadline: want a duration`}},
		{"zero deadline", "deadline: 30m", "deadline: 0s", []string{`t.yaml:13: plan "p": tasks[0].deadline: must be more than 0`}},
		{"negative deadline", "deadline: 30m", "deadline: -5m", []string{`t.yaml:13: plan "p": tasks[0].deadline: must be more than 0`}},
		{"unknown dept", "dept: drainage", "dept: drianage", []string{`t.yaml:9: plan "p": tasks[0].dept: unknown department "drianage"`}},
		{"unknown category", "category: other", "category: sinkhole", []string{`t.yaml:12: plan "p": tasks[0].category: unknown incident category "sinkhole"`}},
		{"missing dept", "        dept: drainage\n", "", []string{`t.yaml:8: plan "p": tasks[0].dept: required`}},
		{"duplicate task", "        deadline: 30m\n", "        deadline: 30m\n      - id: a\n        dept: water\n        title_zh: 二\n        title_en: Two\n        category: other\n        deadline: 1h\n",
			[]string{`t.yaml:14: plan "p": tasks[1].id: "a" is already the id of tasks[0]`}},
		{"tasks not a list", "    tasks:\n", "    tasks: none\n    old_tasks:\n", []string{`plan "p": tasks: expected a list`}},
		{"trigger matching everything", "    tasks:\n", "    triggers:\n      - min_level: red\n    tasks:\n",
			[]string{`t.yaml:8: plan "p": triggers[0]: set at least one of domain, indicator and rule`}},
		{"bad unit level", "    tasks:\n", "    triggers:\n      - indicator: gas.leak\n        unit_level: block\n    tasks:\n",
			[]string{`t.yaml:9: plan "p": triggers[0].unit_level: unknown level "block"`}},
		{"hostile id", "  - id: p\n", "  - id: ../../etc/passwd\n", []string{`t.yaml:2: plan "../../etc/passwd": id: must match`}},
		{"not a plan list", valid, "plans: {p: 1}\n", []string{"t.yaml:1: plans: expected a list of plans"}},
		{"not a mapping", valid, "- just\n- a list\n", []string{"t.yaml: expected a mapping with plans"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(valid, tc.old, tc.new, 1)
			if doc == valid {
				t.Fatalf("test edit %q did not apply", tc.old)
			}
			plans, err := plan.Parse("t.yaml", []byte(doc), defaultVocabulary(t))
			if plans != nil {
				t.Errorf("got plans %+v with an error", plans)
			}
			wantError(t, err, model.EINVALID, tc.want...)
		})
	}
}

func TestParseReportsEveryProblemOnce(t *testing.T) {
	t.Parallel()
	const doc = `plans:
  - id: p
    event_type: test
    level: 9
    name_zh: 测试
    name_en: Test
    tasks:
      - id: a
        dept: nobody
        title_zh: 任务
        title_en: Task
        category: other
        deadline: soon
`
	_, err := plan.Parse("t.yaml", []byte(doc), defaultVocabulary(t))
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 3 {
		t.Fatalf("error %v: want three problems (level, dept, deadline)", err)
	}
	lines := strings.Split(err.Error(), "\n")
	for i, want := range []string{"t.yaml:4: ", "t.yaml:9: ", "t.yaml:13: "} {
		if !strings.HasPrefix(lines[i], model.EINVALID+": "+want) {
			t.Errorf("problem %d is %q, want it at %s (problems in line order)", i, lines[i], want)
		}
	}
}

func TestLoadFilesRefusesAnIDDefinedTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	one := `plans:
  - id: same
    event_type: test
    level: 1
    name_zh: 一
    name_en: One
    tasks: [{id: a, dept: water, title_zh: 甲, title_en: A, category: other, deadline: 1h}]
`
	mustNil(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(one), 0o600))
	mustNil(t, os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(one), 0o600))
	mustNil(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a plan"), 0o600))
	_, err := plan.LoadFiles(defaultVocabulary(t), dir)
	wantError(t, err, model.EINVALID, filepath.Join(dir, "b.yaml")+`:2: plan "same": id: already defined at `+filepath.Join(dir, "a.yaml")+":2")

	plans, err := plan.LoadFiles(defaultVocabulary(t), filepath.Join(dir, "a.yaml"))
	mustNil(t, err)
	if len(plans) != 1 || plans[0].Tasks[0].Deadline != time.Hour {
		t.Errorf("loaded %+v", plans)
	}
	if _, err := plan.LoadFiles(defaultVocabulary(t), filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("loading a missing file succeeded")
	}
}

func TestParseVocabulary(t *testing.T) {
	t.Parallel()
	v := defaultVocabulary(t)
	if d, ok := v.Department("traffic-police"); !ok || d.NameZH == "" {
		t.Errorf("traffic-police: %+v, %v", d, ok)
	}
	if _, ok := v.Category("water_main_burst"); !ok {
		t.Error("category water_main_burst missing")
	}
	const bad = `departments:
  - id: water
    name_zh: 供水
    name_en: Water
  - id: water
    name_zh: 又一个
    name_en: Again
categories:
  - id: Other Things
    name_zh: 其他
    name_en: Other
colours: []
`
	_, err := plan.ParseVocabulary("v.yaml", []byte(bad))
	wantError(t, err, model.EINVALID,
		`v.yaml:5: departments[1]: id: "water" is listed twice`,
		`v.yaml:9: categories[0]: id: must match`,
		`v.yaml:12: colours: unknown field`)
}
