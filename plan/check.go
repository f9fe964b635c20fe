package plan

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cityvitals/model"
)

// Limits on a plan. They keep a plan readable on one page and keep a
// hostile or mistaken request from opening thousands of incidents.
const (
	maxTasks       = 100
	maxTriggers    = 20
	maxSources     = 20
	maxNameRunes   = 200
	maxSourceRunes = 1000
	maxDeadline    = 30 * 24 * time.Hour
)

var (
	planIDPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	termPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	eventTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	labelPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)
)

// levelNames are the warning colours, index = level.
var levelNames = [...]string{1: "blue", 2: "yellow", 3: "orange", 4: "red"}

var levelNamesZH = [...]string{1: "蓝色", 2: "黄色", 3: "橙色", 4: "红色"}

// fieldProblem is one thing wrong with a plan: the field's path (as in
// the JSON: "tasks[2].deadline") and what is wrong with it.
type fieldProblem struct {
	path   string
	reason string
}

// normalize trims text and fills in what defaults: a trigger's minimum
// level is blue, a task's level is the plan's.
func normalize(p model.Plan) model.Plan {
	p.ID, p.EventType = strings.TrimSpace(p.ID), strings.TrimSpace(p.EventType)
	p.NameZH, p.NameEN = strings.TrimSpace(p.NameZH), strings.TrimSpace(p.NameEN)
	p.Triggers = append([]model.PlanTrigger(nil), p.Triggers...)
	for i := range p.Triggers {
		if p.Triggers[i].MinLevel == 0 {
			p.Triggers[i].MinLevel = 1
		}
	}
	p.Tasks = append([]model.PlanTask(nil), p.Tasks...)
	for i := range p.Tasks {
		t := &p.Tasks[i]
		t.ID, t.Dept, t.Category = strings.TrimSpace(t.ID), strings.TrimSpace(t.Dept), strings.TrimSpace(t.Category)
		t.TitleZH, t.TitleEN = strings.TrimSpace(t.TitleZH), strings.TrimSpace(t.TitleEN)
		if t.Level == 0 {
			t.Level = p.Level
		}
	}
	return p
}

// check returns everything wrong with a normalized plan.
func check(p model.Plan, v Vocabulary) []fieldProblem {
	var out []fieldProblem
	bad := func(path, format string, args ...any) {
		out = append(out, fieldProblem{path, fmt.Sprintf(format, args...)})
	}
	if !planIDPattern.MatchString(p.ID) {
		bad("id", "must match %s, got %q", planIDPattern, p.ID)
	}
	if !eventTypePattern.MatchString(p.EventType) {
		bad("event_type", "must match %s, got %q", eventTypePattern, p.EventType)
	}
	if !validLevel(p.Level) {
		bad("level", "must be 1–4 (blue, yellow, orange, red), got %d", p.Level)
	}
	checkText(bad, "name_zh", p.NameZH, maxNameRunes)
	checkText(bad, "name_en", p.NameEN, maxNameRunes)
	if len(p.Sources) > maxSources {
		bad("sources", "at most %d, got %d", maxSources, len(p.Sources))
	}
	for i, s := range p.Sources {
		checkText(bad, fmt.Sprintf("sources[%d]", i), s, maxSourceRunes)
	}
	checkTriggers(bad, p.Triggers)
	checkTasks(bad, p, v)
	return out
}

func checkTriggers(bad func(path, format string, args ...any), triggers []model.PlanTrigger) {
	if len(triggers) > maxTriggers {
		bad("triggers", "at most %d, got %d", maxTriggers, len(triggers))
		return
	}
	for i, tr := range triggers {
		at := fmt.Sprintf("triggers[%d]", i)
		if tr.Domain == "" && tr.Indicator == "" && tr.Rule == "" {
			bad(at, "set at least one of domain, indicator and rule, or the plan would answer every alert")
		}
		for _, f := range [...]struct{ name, value string }{{"domain", tr.Domain}, {"indicator", tr.Indicator}, {"rule", tr.Rule}} {
			if f.value != "" && !labelPattern.MatchString(f.value) {
				bad(at+"."+f.name, "must match %s, got %q", labelPattern, f.value)
			}
		}
		if !validLevel(tr.MinLevel) {
			bad(at+".min_level", "must be 1–4 (blue, yellow, orange, red), got %d", tr.MinLevel)
		}
		if tr.UnitLevel != "" && tr.UnitLevel.Depth() < 0 {
			bad(at+".unit_level", "unknown level %q, want city, district, street, community or grid", tr.UnitLevel)
		}
	}
}

func checkTasks(bad func(path, format string, args ...any), p model.Plan, v Vocabulary) {
	tasks := p.Tasks
	switch {
	case len(tasks) == 0:
		bad("tasks", "a plan needs at least one task")
		return
	case len(tasks) > maxTasks:
		bad("tasks", "at most %d, got %d", maxTasks, len(tasks))
		return
	}
	seen := make(map[string]int, len(tasks))
	for i, t := range tasks {
		at := fmt.Sprintf("tasks[%d]", i)
		if !termPattern.MatchString(t.ID) {
			bad(at+".id", "must match %s, got %q", termPattern, t.ID)
		} else if first, dup := seen[t.ID]; dup {
			bad(at+".id", "%q is already the id of tasks[%d]", t.ID, first)
		} else {
			seen[t.ID] = i
		}
		if t.Dept == "" {
			bad(at+".dept", "required")
		} else if _, ok := v.Department(t.Dept); !ok {
			bad(at+".dept", "unknown department %q", t.Dept)
		}
		if t.Category == "" {
			bad(at+".category", "required")
		} else if _, ok := v.Category(t.Category); !ok {
			bad(at+".category", "unknown incident category %q", t.Category)
		}
		checkText(bad, at+".title_zh", t.TitleZH, maxNameRunes)
		checkText(bad, at+".title_en", t.TitleEN, maxNameRunes)
		if t.Deadline <= 0 || t.Deadline > maxDeadline {
			bad(at+".deadline", "must be more than 0 and at most %s after activation, got %s", maxDeadline, t.Deadline)
		}
		// A task without a level of its own has the plan's, whose problem
		// is reported once, at the plan.
		if !validLevel(t.Level) && (t.Level != 0 || validLevel(p.Level)) {
			bad(at+".level", "must be 1–4 (blue, yellow, orange, red), got %d", t.Level)
		}
	}
}

func validLevel(l int8) bool { return l >= 1 && l <= 4 }

func checkText(bad func(path, format string, args ...any), path, s string, maxRunes int) {
	if reason := badText(s, maxRunes); reason != "" {
		bad(path, "%s", reason)
	}
}

// badText says what is wrong with a one-line text field, or "".
func badText(s string, maxRunes int) string {
	switch {
	case s == "":
		return "required"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case utf8.RuneCountInString(s) > maxRunes:
		return fmt.Sprintf("at most %d characters, got %d", maxRunes, utf8.RuneCountInString(s))
	case strings.ContainsFunc(s, unicode.IsControl):
		return "must be one line without control characters"
	}
	return ""
}

// validate returns nil or one EINVALID error naming every problem of p,
// for a plan that came through the API.
func validate(p model.Plan, v Vocabulary) error {
	probs := check(p, v)
	if len(probs) == 0 {
		return nil
	}
	parts := make([]string, len(probs))
	for i, pr := range probs {
		parts[i] = pr.path + ": " + pr.reason
	}
	return model.Errorf(model.EINVALID, "plan %q: %s", p.ID, strings.Join(parts, "; "))
}

// maxProblems caps how many problems one load reports, so that a wrong
// file yields a readable error rather than hundreds of lines.
const maxProblems = 20

// problems collects the EINVALID problems of a file load.
type problems struct{ errs []error }

func (p *problems) add(format string, args ...any) {
	p.addErr(model.Errorf(model.EINVALID, format, args...))
}

func (p *problems) addErr(err error) {
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, err)
	}
}

func (p *problems) full() bool { return len(p.errs) >= maxProblems }

func (p *problems) err() error {
	if p.full() {
		return errors.Join(append(p.errs, model.Errorf(model.EINVALID, "too many problems, stopped at %d", maxProblems))...)
	}
	return errors.Join(p.errs...)
}
