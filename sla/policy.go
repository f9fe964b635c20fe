package sla

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"cityvitals/model"
)

//go:embed policy.yaml
var defaultPolicyYAML []byte

// Levels of incidents, as alerts grade them; LevelAny in a rule matches
// every level, including incidents without one.
const (
	LevelAny    int8 = 0
	LevelBlue   int8 = 1 // IV 蓝色
	LevelYellow int8 = 2 // III 黄色
	LevelOrange int8 = 3 // II 橙色
	LevelRed    int8 = 4 // I 红色
)

// AnyCategory in a rule matches every category.
const AnyCategory = "*"

// Category is an incident category (事件类别) as the policy lists it.
type Category struct {
	ID         string `json:"id"` // snake_case, e.g. exposed_garbage
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
	Group      string `json:"group"`                 // lifeline, public_safety, production_safety, natural_disaster, city_management, other
	Code       string `json:"code,omitempty"`        // event item code where one is known
	CodeSource string `json:"code_source,omitempty"` // where Code comes from, with its confidence tag
}

// Rule is one line of the SLA table: how long incidents of a category and
// level may take. Durations are working time on Calendar.
type Rule struct {
	ID          string        // "exposed_garbage/*", "*/red"
	Category    string        // a category id or AnyCategory
	Level       int8          // LevelBlue … LevelRed, or LevelAny
	Respond     time.Duration // 0: no response deadline
	Dispose     time.Duration // > 0
	Calendar    *Calendar
	Near        float64 // a deadline is near once this fraction of its time is used, 0 < Near < 1
	SecondLevel float64 // second-level escalation once overdue by this fraction of the allowed time, > 0
	Supervisor  string  // department told when a deadline is near or passed (督办)
	Supervisor2 string  // department told at the second level (Supervisor unless the policy names another)
	Source      string  // where the limits come from
	File        string  // policy file and line the rule was read from
	Line        int
}

// Policy is a validated, immutable SLA policy: calendars, categories and
// rules. It is safe for concurrent use.
type Policy struct {
	calendars  map[string]*Calendar
	holidays   map[string][]int // calendar name → years its holiday schedules cover
	categories []Category
	byCategory map[string]int // index into categories
	rules      []Rule
	byKey      map[ruleKey]int // index into rules
}

type ruleKey struct {
	category string
	level    int8
}

// DefaultPolicy returns the policy embedded in the binary (policy.yaml). It
// panics if the embedded file is invalid, which the package tests rule out.
func DefaultPolicy() *Policy { return defaultPolicy() }

var defaultPolicy = sync.OnceValue(func() *Policy {
	p, err := ParsePolicy("policy.yaml", defaultPolicyYAML)
	if err != nil {
		panic(fmt.Sprintf("sla: embedded policy: %v", err))
	}
	return p
})

// Categories returns the incident categories of the default policy, in
// file order.
func Categories() []Category { return DefaultPolicy().Categories() }

// LoadPolicyFile reads and validates a policy file; problems come back as
// EINVALID errors naming file, line and field.
func LoadPolicyFile(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read SLA policy: %w", err)
	}
	return ParsePolicy(path, data)
}

// Match returns the rule for an incident of category and level (LevelAny
// for an incident without a level): the most specific, category before
// level. An unknown category or a level outside 0–4 is EINVALID; a policy
// without a matching rule (one without a "*"/"*" rule) answers ENOTFOUND.
func (p *Policy) Match(category string, level int8) (Rule, error) {
	if level < LevelAny || level > LevelRed {
		return Rule{}, model.Errorf(model.EINVALID, "level %d: want 0 (none) or 1 blue … 4 red", level)
	}
	if _, ok := p.byCategory[category]; !ok {
		return Rule{}, model.Errorf(model.EINVALID, "unknown incident category %q", category)
	}
	for _, k := range []ruleKey{{category, level}, {category, LevelAny}, {AnyCategory, level}, {AnyCategory, LevelAny}} {
		if i, ok := p.byKey[k]; ok {
			return p.rules[i], nil
		}
	}
	return Rule{}, model.Errorf(model.ENOTFOUND, "no SLA rule for category %q at level %d", category, level)
}

// Calendar returns the named calendar; ENOTFOUND if there is none.
func (p *Policy) Calendar(name string) (*Calendar, error) {
	if c, ok := p.calendars[name]; ok {
		return c, nil
	}
	return nil, model.Errorf(model.ENOTFOUND, "no SLA calendar %q", name)
}

// Category returns the category with id.
func (p *Policy) Category(id string) (Category, bool) {
	i, ok := p.byCategory[id]
	if !ok {
		return Category{}, false
	}
	return p.categories[i], true
}

// Categories returns the categories in file order.
func (p *Policy) Categories() []Category { return slices.Clone(p.categories) }

// Rules returns the rules in file order.
func (p *Policy) Rules() []Rule { return slices.Clone(p.rules) }

// Warnings returns what an operator should fix soon, e.g. a working-hours
// calendar whose holiday schedules do not cover the year of now or of a
// month later (the State Council publishes each year's schedule in
// November); without one, that year's holidays count as working days.
func (p *Policy) Warnings(now time.Time) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.holidays)) {
		years := p.holidays[name]
		for _, y := range []int{now.Year(), now.AddDate(0, 1, 0).Year()} {
			if !slices.Contains(years, y) {
				out = append(out, fmt.Sprintf("SLA calendar %q has no holiday schedule for %d: its holidays count as working days", name, y))
				break
			}
		}
	}
	return out
}

// levelName is how rule ids and messages write a level.
func levelName(l int8) string {
	switch l {
	case LevelBlue:
		return "blue"
	case LevelYellow:
		return "yellow"
	case LevelOrange:
		return "orange"
	case LevelRed:
		return "red"
	}
	return "*"
}
