package sla

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

func TestDefaultPolicyMatch(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		category         string
		level            int8
		id               string
		respond, dispose time.Duration
		calendar         string
		sourceContains   string
	}{
		{"gas_leak", LevelRed, "*/red", 15 * time.Minute, 2 * time.Hour, "24x7", "platform default"},
		{"water_main_burst", LevelOrange, "*/orange", 30 * time.Minute, 4 * time.Hour, "24x7", "platform default"},
		{"waterlogging", LevelYellow, "*/yellow", time.Hour, 24 * time.Hour, "24x7", "platform default"},
		{"power_outage", LevelBlue, "*/blue", 2 * time.Hour, 72 * time.Hour, "24x7", "platform default"},
		{"other", LevelAny, "*/*", 2 * time.Hour, 72 * time.Hour, "24x7", "without a level"},
		{"exposed_garbage", LevelRed, "exposed_garbage/*", time.Hour, hm(7, 30), "workdays", "1 working day [V]"},
		{"dirty_road", LevelAny, "dirty_road/*", time.Hour, 5 * time.Hour, "workdays", "5 working hours [V]"},
		{"illegal_building", LevelBlue, "illegal_building/*", hm(7, 30), 15 * hm(7, 30), "workdays", "15 working days [V]"},
		{"manhole_cover", LevelYellow, "manhole_cover/*", 30 * time.Minute, 6 * time.Hour, "24x7", "36 h where impossible"},
	}
	for _, tc := range cases {
		t.Run(tc.category, func(t *testing.T) {
			r, err := p.Match(tc.category, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			if r.ID != tc.id || r.Respond != tc.respond || r.Dispose != tc.dispose || r.Calendar.Name() != tc.calendar {
				t.Errorf("Match = %s respond %s dispose %s on %s; want %s %s %s on %s",
					r.ID, r.Respond, r.Dispose, r.Calendar.Name(), tc.id, tc.respond, tc.dispose, tc.calendar)
			}
			if !strings.Contains(r.Source, tc.sourceContains) || r.Near != 0.8 || r.SecondLevel != 1 ||
				r.Supervisor != "district_ops_center" || r.Supervisor2 != "city_ops_center" || r.File != "policy.yaml" || r.Line == 0 {
				t.Errorf("rule %s: source %q near %g second %g supervisors %s/%s at %s:%d", r.ID, r.Source, r.Near, r.SecondLevel, r.Supervisor, r.Supervisor2, r.File, r.Line)
			}
		})
	}
}

// TestDefaultPolicySources checks that every default rule says where its
// limits come from: the platform's own choice or a tagged source.
func TestDefaultPolicySources(t *testing.T) {
	tagged := regexp.MustCompile(`platform default|\[[VPR]\]`)
	for _, r := range DefaultPolicy().Rules() {
		if !tagged.MatchString(r.Source) {
			t.Errorf("rule %s: source %q names neither the platform default nor a tagged source", r.ID, r.Source)
		}
	}
}

func TestMatchRefusals(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		category string
		level    int8
		code     string
	}{
		{"flood", LevelRed, model.EINVALID},
		{"", LevelRed, model.EINVALID},
		{"*", LevelRed, model.EINVALID}, // "*" is for rules, not incidents
		{"gas_leak", 5, model.EINVALID},
		{"gas_leak", -1, model.EINVALID},
	} {
		if _, err := p.Match(tc.category, tc.level); model.ErrorCode(err) != tc.code {
			t.Errorf("Match(%q, %d) err = %v, want %s", tc.category, tc.level, err, tc.code)
		}
	}
	city := loadCity(t)
	if _, err := city.Match("gas_leak", LevelBlue); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("no catch-all rule: err = %v, want ENOTFOUND", err)
	}
	if _, err := p.Calendar("nights"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("Calendar(nights) err = %v, want ENOTFOUND", err)
	}
}

func loadCity(t *testing.T) *Policy {
	t.Helper()
	// Load from a real file path, as a deployment would.
	path := filepath.Join(t.TempDir(), "city.yaml")
	data, err := os.ReadFile("testdata/city_policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCityPolicyFromFile(t *testing.T) {
	p := loadCity(t)
	cases := []struct {
		category string
		level    int8
		id       string
		dispose  time.Duration
		near     float64
		source   string
		sup2     string
	}{
		{"noise", LevelRed, "noise/red", 4 * time.Hour, 0.75, "test city red noise", "city_grid_center"},
		{"noise", LevelBlue, "noise/*", 16 * time.Hour, 0.5, "test city table", "city_grid_center"}, // 2d of the 8h make-up day
		{"gas_leak", LevelRed, "*/red", time.Hour, 0.75, "test city table", "province_center"},
	}
	for _, tc := range cases {
		r, err := p.Match(tc.category, tc.level)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != tc.id || r.Dispose != tc.dispose || r.Near != tc.near || r.Source != tc.source || r.Supervisor2 != tc.sup2 {
			t.Errorf("Match(%s, %d) = %+v", tc.category, tc.level, r)
		}
	}
	cal, err := p.Calendar("city_hours")
	if err != nil {
		t.Fatal(err)
	}
	sat := time.Date(2026, 3, 7, 10, 0, 0, 0, shanghai)
	if !cal.IsWorking(sat) || cal.IsWorking(sat.Add(3*time.Hour)) || cal.IsWorking(time.Date(2026, 5, 4, 10, 0, 0, 0, shanghai)) ||
		!cal.IsWorking(time.Date(2026, 5, 9, 16, 0, 0, 0, shanghai)) {
		t.Error("city_hours: Saturday mornings, the May holidays and the long make-up Saturday are wrong")
	}
	if _, err := LoadPolicyFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestCategories(t *testing.T) {
	cats := Categories()
	want := map[string]string{"exposed_garbage": "暴露垃圾", "dirty_road": "道路不洁", "illegal_building": "违法搭建",
		"manhole_cover": "井盖破损", "gas_leak": "燃气泄漏", "waterlogging": "路面积水", "water_main_burst": "供水爆管",
		"power_outage": "停电", "crowd": "人群聚集", "fire": "火灾隐患", "streetlight": "路灯故障", "noise": "噪声扰民", "other": "其他"}
	if len(cats) != len(want) {
		t.Errorf("%d categories, want %d", len(cats), len(want))
	}
	for _, c := range cats {
		if want[c.ID] != c.NameZH || c.NameEN == "" || !slices.Contains(categoryGroups, c.Group) {
			t.Errorf("category %+v", c)
		}
	}
	cats[0].ID = "changed" // a copy: the policy is immutable
	if c, ok := DefaultPolicy().Category(Categories()[0].ID); !ok || c.ID == "changed" {
		t.Error("Categories must return a copy")
	}
	if c, ok := DefaultPolicy().Category("exposed_garbage"); !ok || c.Code != "06010" || !strings.Contains(c.CodeSource, "[P]") {
		t.Errorf("exposed_garbage = %+v", c)
	}
}

func TestDefaultHolidays(t *testing.T) {
	cal, err := DefaultPolicy().Calendar("workdays")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		day  time.Time
		want bool
	}{
		{sh(10, 1, 10, 0), false}, // 国庆节
		{sh(10, 7, 10, 0), false},
		{sh(10, 8, 10, 0), true},
		{sh(10, 10, 10, 0), true}, // make-up Saturday
		{sh(9, 20, 10, 0), true},  // make-up Sunday
		{sh(9, 25, 10, 0), false}, // 中秋节, a Friday
		{sh(2, 14, 10, 0), true},  // make-up Saturday before 春节
		{sh(2, 23, 10, 0), false}, // last day of 春节, a Monday
		{sh(1, 4, 10, 0), true},   // make-up Sunday after 元旦
		{time.Date(2025, 1, 26, 10, 0, 0, 0, shanghai), true},
		{time.Date(2025, 10, 8, 10, 0, 0, 0, shanghai), false},
		{sh(3, 10, 12, 30), false}, // lunch
	}
	for _, tc := range cases {
		if got := cal.IsWorking(tc.day); got != tc.want {
			t.Errorf("IsWorking(%s) = %v, want %v", tc.day, got, tc.want)
		}
	}
	// 2026 has 261 weekdays; 19 fall in holidays (元旦 2, 春节 6, 清明 1,
	// 劳动节 3, 端午 1, 中秋 1, 国庆 5) and 6 weekend days are worked.
	if got := cal.Working(sh(1, 1, 0, 0), time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)); got != (261-19+6)*hm(7, 30) {
		t.Errorf("working time in 2026 = %s (%g days)", got, got.Hours()/7.5)
	}
}

func TestWarnings(t *testing.T) {
	p := DefaultPolicy()
	if w := p.Warnings(sh(6, 1, 0, 0)); len(w) != 0 {
		t.Errorf("Warnings in June 2026 = %v", w)
	}
	w := p.Warnings(sh(12, 15, 0, 0))
	if len(w) != 1 || !strings.Contains(w[0], `"workdays" has no holiday schedule for 2027`) {
		t.Errorf("Warnings in December 2026 = %v", w)
	}
}

// ruleHead is a valid policy up to its rules; rules appended start on line 11.
const ruleHead = `calendars:
  - {name: 24x7, always: true, source: test}
  - name: office
    zone: Asia/Shanghai
    hours: {mon-fri: ["09:00-17:00"]}
    source: test
categories:
  - {id: fire, name_zh: 火灾隐患, name_en: Fire hazard, group: public_safety}
defaults: {supervisor: ops, source: test}
rules:
`

func TestParsePolicyErrors(t *testing.T) {
	rule := func(s string) string { return ruleHead + s }
	cases := []struct {
		name, doc, want string
	}{
		{"unknown rule field", rule(`  - {category: fire, level: red, dispose: 2h, calendar: 24x7, respnd: 15m}`),
			`bad.yaml:11: rule fire/red: respnd: unknown field`},
		{"bad duration", rule(`  - {category: fire, level: red, dispose: 2 hours, calendar: 24x7}`),
			`bad.yaml:11: rule fire/red: dispose: "2 hours": want a duration`},
		{"negative duration on its own line", rule("  - category: fire\n    level: red\n    dispose: -2h\n    calendar: 24x7"),
			`bad.yaml:13: rule fire/red: dispose: "-2h"`},
		{"fractional days", rule(`  - {category: fire, level: red, dispose: 1.5d, calendar: office}`),
			`bad.yaml:11: rule fire/red: dispose: "1.5d": want whole working days`},
		{"too long", rule(`  - {category: fire, level: red, dispose: 9000h, calendar: 24x7}`),
			`dispose: 9000h is longer than`},
		{"missing dispose", rule(`  - {category: fire, level: red, calendar: 24x7}`),
			`bad.yaml:11: rule fire/red: dispose: missing`},
		{"unknown calendar", rule(`  - {category: fire, level: red, dispose: 2h, calendar: nights}`),
			`bad.yaml:11: rule fire/red: calendar: no calendar "nights"`},
		{"unknown category", rule(`  - {category: flood, level: red, dispose: 2h, calendar: 24x7}`),
			`bad.yaml:11: rule flood/red: category: unknown category "flood"`},
		{"unknown level", rule(`  - {category: fire, level: purple, dispose: 2h, calendar: 24x7}`),
			`level: "purple": want blue, yellow, orange, red`},
		{"duplicate rule", rule("  - {category: fire, level: red, dispose: 2h, calendar: 24x7}\n  - {category: fire, level: 4, dispose: 3h, calendar: 24x7}"),
			`bad.yaml:12: rule fire/4: level: rule fire/red is also given at line 11`},
		{"respond longer than dispose", rule(`  - {category: fire, level: red, respond: 3h, dispose: 2h, calendar: 24x7}`),
			`respond: 3h0m0s is longer than dispose 2h0m0s`},
		{"near out of range", rule(`  - {category: fire, level: red, dispose: 2h, calendar: 24x7, near: 1.5}`),
			`bad.yaml:11: rule fire/red: near: 1.5: want a fraction`},
		{"near not a number", rule(`  - {category: fire, level: red, dispose: 2h, calendar: 24x7, near: "0.8"}`),
			`near: not a number: "0.8"`},
		{"bad supervisor", rule(`  - {category: fire, level: red, dispose: 2h, calendar: 24x7, supervisor: "Ops Center; DROP"}`),
			`supervisor: "Ops Center; DROP": want lower-case letters`},
		{"no supervisor anywhere", strings.Replace(rule(`  - {category: fire, level: red, dispose: 2h, calendar: 24x7}`), "supervisor: ops, ", "", 1),
			`bad.yaml:11: rule fire/red: supervisor: missing`},
		{"rule not a mapping", rule(`  - fire`), `bad.yaml:11: rule /: expected a mapping`},
		{"bad hours", "calendars:\n  - name: office\n    hours:\n      mon-fri:\n        - \"9-17\"\n    source: test\n",
			`bad.yaml:5: calendar "office": hours: "9-17": want HH:MM-HH:MM`},
		{"overlapping hours", "calendars:\n  - name: office\n    hours: {mon: [\"09:00-12:00\", \"11:00-13:00\"]}\n    source: test\n",
			`bad.yaml:3: calendar "office": hours: span 11:00–13:00 starts before the previous one ends`},
		{"hours past 24:00", "calendars:\n  - name: office\n    hours: {mon: [\"22:00-24:30\"]}\n    source: test\n",
			`bad.yaml:3: calendar "office": hours: "22:00-24:30"`},
		{"bad day", "calendars:\n  - name: office\n    hours: {fri-mon: [\"09:00-12:00\"]}\n    source: test\n",
			`bad.yaml:3: calendar "office": hours: "fri-mon": want days`},
		{"day twice", "calendars:\n  - name: office\n    hours:\n      mon-fri: [\"09:00-12:00\"]\n      fri: [\"13:00-15:00\"]\n    source: test\n",
			`bad.yaml:5: calendar "office": hours: fri given twice`},
		{"no hours at all", "calendars:\n  - name: office\n    hours: {sat: [], sun: []}\n    source: test\n",
			`calendar "office": hours: calendar "office": no working hours`},
		{"unknown zone", "calendars:\n  - name: office\n    zone: Mars/Olympus\n    hours: {mon: [\"09:00-12:00\"]}\n    source: test\n",
			`bad.yaml:3: calendar "office": zone: unknown time zone "Mars/Olympus"`},
		{"host zone", "calendars:\n  - name: office\n    zone: Local\n    hours: {mon: [\"09:00-12:00\"]}\n    source: test\n",
			`bad.yaml:3: calendar "office": zone: unknown time zone "Local"`},
		{"zone path", "calendars:\n  - name: office\n    zone: ../../etc/passwd\n    hours: {mon: [\"09:00-12:00\"]}\n    source: test\n",
			`bad.yaml:3: calendar "office": zone: unknown time zone "../../etc/passwd"`},
		{"always with hours", "calendars:\n  - name: all\n    always: true\n    hours: {mon: [\"09:00-12:00\"]}\n    source: test\n",
			`bad.yaml:4: calendar "all": hours: not for a round-the-clock calendar`},
		{"always not a bool", "calendars:\n  - {name: all, always: yes please, source: test}\n",
			`bad.yaml:2: calendar "all": always: want true or false`},
		{"calendar without source", "calendars:\n  - {name: all, always: true}\n", `bad.yaml:2: calendar "all": source: missing`},
		{"duplicate calendar", "calendars:\n  - {name: all, always: true, source: a}\n  - {name: all, always: true, source: b}\n",
			`bad.yaml:3: calendar "all": name: duplicate calendar "all"`},
		{"unknown schedule", "calendars:\n  - name: office\n    hours: {mon: [\"09:00-12:00\"]}\n    holidays: [cn_2099]\n    source: test\n",
			`bad.yaml:4: calendar "office": holidays: no holiday schedule "cn_2099"`},
		{"impossible date", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: V\n    off:\n      - {name: x, from: 2026-02-30}\n",
			`bad.yaml:7: holidays "h" off "x": from: date "2026-02-30": want an existing day`},
		{"reversed run", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: V\n    off:\n      - {name: x, from: 2026-05-05, to: 2026-05-01}\n",
			`bad.yaml:7: holidays "h" off "x": to: 2026-05-01 is before from 2026-05-05`},
		{"long run", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: V\n    off:\n      - {name: x, from: 2026-01-01, to: 2026-12-31}\n",
			`to: a run of 365 days; one entry may span at most 31`},
		{"bad make-up date", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: V\n    off: []\n    work: [2026-01-04, tomorrow]\n",
			`bad.yaml:7: holidays "h": work: date "tomorrow"`},
		{"far year", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: V\n    off: []\n    work: [2030-01-04]\n",
			`work: 2030-01-04 is far from the schedule's year 2026`},
		{"bad confidence", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: sure\n    off: []\n",
			`bad.yaml:5: holidays "h": confidence: "sure": want V`},
		{"holiday and make-up", "holidays:\n  - id: h\n    year: 2026\n    source: s\n    confidence: V\n    off: [{name: x, from: 2026-05-01}]\n    work: [2026-05-01]\n" +
			"calendars:\n  - name: office\n    hours: {mon: [\"09:00-12:00\"]}\n    holidays: [h]\n    source: test\n",
			`2026-05-01 is both a holiday and a make-up working day`},
		{"category group", "categories:\n  - {id: fire, name_zh: 火, name_en: Fire, group: hot}\n",
			`bad.yaml:2: category "fire": group: "hot": want one of`},
		{"category id", "categories:\n  - {id: Fire-1, name_zh: 火, name_en: Fire, group: other}\n",
			`bad.yaml:2: category "Fire-1": id: "Fire-1": want lower-case`},
		{"code without source", "categories:\n  - {id: fire, name_zh: 火, name_en: Fire, group: other, code: \"0601\"}\n",
			`category "fire": code_source: missing`},
		{"duplicate category", "categories:\n  - {id: fire, name_zh: 火, name_en: Fire, group: other}\n  - {id: fire, name_zh: 火, name_en: Fire, group: other}\n",
			`bad.yaml:3: category "fire": id: duplicate category "fire"`},
		{"unknown section", "rulez: []\n", `bad.yaml:1: policy: rulez: unknown field`},
		{"missing sections", "{}\n", `bad.yaml:1: policy: calendars: missing`},
		{"rules not a list", ruleHead + "  oops: 1\n", `bad.yaml:11: policy: rules: expected a list`},
		{"syntax", "rules: [\n", `bad.yaml: yaml: line`},
		{"not a mapping", "- a\n", `bad.yaml: expected a mapping`},
		{"defaults", "defaults: {near: 0, second_level: -1}\n", `bad.yaml:1: defaults: near: 0: want a fraction`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy("bad.yaml", []byte(tc.doc))
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant EINVALID containing %q", err, tc.want)
			}
		})
	}
}

func TestParsePolicyLimits(t *testing.T) {
	var many strings.Builder
	many.WriteString(ruleHead)
	for range 30 {
		many.WriteString("  - {category: fire, level: red, dispose: soon, calendar: 24x7}\n")
	}
	_, err := ParsePolicy("many.yaml", []byte(many.String()))
	if n := len(regexp.MustCompile(`many\.yaml:\d+:`).FindAllString(err.Error(), -1)); n != maxProblems || !strings.Contains(err.Error(), "too many problems") {
		t.Errorf("%d problems reported, want %d and a note: %v", n, maxProblems, err)
	}
	huge := make([]byte, maxPolicySize+1)
	if _, err := ParsePolicy("huge.yaml", huge); model.ErrorCode(err) != model.ETOOLARGE {
		t.Errorf("huge file: err = %v, want ETOOLARGE", err)
	}
}

func TestRuleDays(t *testing.T) {
	p, err := ParsePolicy("ok.yaml", []byte(ruleHead+"  - {category: fire, level: \"*\", respond: 1d, dispose: 2d, calendar: office}\n"+
		"  - {category: \"*\", level: 1, dispose: 2d, calendar: 24x7}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Match("fire", LevelRed)
	if r.Respond != 8*time.Hour || r.Dispose != 16*time.Hour || r.ID != "fire/*" {
		t.Errorf("office days: %+v", r)
	}
	r, err = p.Match("fire", LevelBlue)
	if err != nil || r.ID != "fire/*" {
		t.Errorf("category before level: %+v, %v", r, err)
	}
	if len(p.Rules()) != 2 || p.Rules()[1].Dispose != 48*time.Hour || p.Rules()[1].Respond != 0 {
		t.Errorf("24x7 days, no respond limit: %+v", p.Rules()[1])
	}
}
