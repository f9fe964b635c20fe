package sla

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"cityvitals/internal/yamlnode"
	"cityvitals/model"
)

const (
	// maxProblems caps how many problems one load reports, so that a wrong
	// file yields a readable error rather than hundreds of lines.
	maxProblems = 20
	// maxPolicySize refuses files no sane policy reaches before parsing them.
	maxPolicySize = 4 << 20
	// maxLimit is the longest time limit a rule may give.
	maxLimit = 365 * 24 * time.Hour
	// maxHolidayRun is the longest run of days one holiday entry may span.
	maxHolidayRun = 31
)

var idPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// Groups a category may belong to: the risk groups of 安委办函〔2021〕45号
// plus city management and other.
var categoryGroups = []string{"lifeline", "public_safety", "production_safety", "natural_disaster", "city_management", "other"}

var confidences = []string{"V", "P", "R"}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// Fields each kind of entry may have; anything else is a typo that would
// otherwise be silently ignored.
var (
	policyFields   = []string{"defaults", "holidays", "calendars", "categories", "rules"}
	defaultsFields = []string{"near", "second_level", "supervisor", "supervisor2", "source"}
	scheduleFields = []string{"id", "year", "source", "confidence", "off", "work"}
	offFields      = []string{"name", "from", "to"}
	calendarFields = []string{"name", "always", "zone", "hours", "makeup_hours", "holidays", "source"}
	categoryFields = []string{"id", "name_zh", "name_en", "group", "code", "code_source"}
	ruleFields     = []string{"category", "level", "respond", "dispose", "calendar", "near", "second_level",
		"supervisor", "supervisor2", "source"}
)

// ParsePolicy reads and checks a policy; name is used in messages only.
// Problems (up to 20) come back together as EINVALID *model.Error values
// "name:line: what: field: reason", joined; a file over 4 MiB is ETOOLARGE.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	if len(data) > maxPolicySize {
		return nil, model.Errorf(model.ETOOLARGE, "%s: %d bytes, an SLA policy may have at most %d", name, len(data), maxPolicySize)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, model.Errorf(model.EINVALID, "%s: expected a mapping with holidays, calendars, categories and rules", name)
	}
	ps := &parser{file: name, schedules: map[string]schedule{}, policy: &Policy{
		calendars: map[string]*Calendar{}, holidays: map[string][]int{},
		byCategory: map[string]int{}, byKey: map[ruleKey]int{},
	}}
	root := ps.item(doc.Content[0], "policy")
	root.checkFields(policyFields, []string{"calendars", "categories", "rules"})
	ps.readDefaults(yamlnode.Value(root.node, "defaults"))
	for _, n := range root.list("holidays") {
		ps.readSchedule(n)
	}
	for _, n := range root.list("calendars") {
		ps.readCalendar(n)
	}
	for _, n := range root.list("categories") {
		ps.readCategory(n)
	}
	for _, n := range root.list("rules") {
		ps.readRule(n)
	}
	if err := ps.probs.err(); err != nil {
		return nil, err
	}
	return ps.policy, nil
}

// problems collects the problems of a load up to maxProblems.
type problems struct{ errs []error }

func (p *problems) add(err error) {
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, err)
	}
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	if len(p.errs) >= maxProblems {
		return errors.Join(append(p.errs, model.Errorf(model.EINVALID, "too many problems, stopped at %d", maxProblems))...)
	}
	return errors.Join(p.errs...)
}

// parser holds what the file has declared so far.
type parser struct {
	file      string
	probs     problems
	defaults  ruleDefaults
	schedules map[string]schedule
	policy    *Policy
}

// ruleDefaults are the fields rules inherit.
type ruleDefaults struct {
	near, second                    float64
	supervisor, supervisor2, source string
}

// schedule is one year's public holidays and make-up working days.
type schedule struct {
	year      int
	off, work []Date
}

// item reads the fields of one mapping, reporting each problem with the
// line of the field and what the mapping is (`rule "dirty_road/*"`).
type item struct {
	ps   *parser
	node *yaml.Node
	what string
	bad  bool
}

func (ps *parser) item(n *yaml.Node, what string) *item { return &item{ps: ps, node: n, what: what} }

func (it *item) fail(field, format string, args ...any) {
	it.bad = true
	it.ps.probs.add(model.Errorf(model.EINVALID, "%s:%d: %s: %s: %s",
		it.ps.file, yamlnode.Line(it.node, field), it.what, field, fmt.Sprintf(format, args...)))
}

// isMapping reports a node that should be a mapping and is not.
func (it *item) isMapping() bool {
	if it.node.Kind == yaml.MappingNode {
		return true
	}
	it.bad = true
	it.ps.probs.add(model.Errorf(model.EINVALID, "%s:%d: %s: expected a mapping", it.ps.file, it.node.Line, it.what))
	return false
}

// checkFields reports unknown and missing fields.
func (it *item) checkFields(allowed, required []string) {
	for i := 0; i+1 < len(it.node.Content); i += 2 {
		if k := it.node.Content[i].Value; !slices.Contains(allowed, k) {
			it.fail(k, "unknown field, want one of %s", strings.Join(allowed, ", "))
		}
	}
	for _, f := range required {
		if yamlnode.Value(it.node, f) == nil {
			it.fail(f, "missing")
		}
	}
}

// text returns a scalar field, which must not be blank when present.
func (it *item) text(field string) string {
	v := yamlnode.Value(it.node, field)
	if v == nil {
		return ""
	}
	if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
		it.fail(field, "must be non-empty text")
		return ""
	}
	return v.Value
}

// id returns a field that must be a snake_case identifier.
func (it *item) id(field string) string {
	s := it.text(field)
	if s != "" && !idPattern.MatchString(s) {
		it.fail(field, "%q: want lower-case letters, digits and _", s)
		return ""
	}
	return s
}

// list returns the items of a sequence field; absent is empty.
func (it *item) list(field string) []*yaml.Node {
	v := yamlnode.Value(it.node, field)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		it.fail(field, "expected a list")
		return nil
	}
	return v.Content
}

// number reads a number field: ok is false if absent or wrong (reported).
func (it *item) number(field string) (float64, bool) {
	v := yamlnode.Value(it.node, field)
	if v == nil {
		return 0, false
	}
	var f float64
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		it.fail(field, "not a number: %q", v.Value)
		return 0, false
	}
	return f, true
}

// date reads a date field.
func (it *item) date(field string) (Date, bool) {
	v := yamlnode.Value(it.node, field)
	if v == nil {
		return Date{}, false
	}
	d, err := ParseDate(v.Value)
	if err != nil {
		it.fail(field, "%s", model.ErrorMessage(err))
		return Date{}, false
	}
	return d, true
}

// dates reads a list of dates; a wrong one is reported at its own line.
func (it *item) dates(field string) []Date {
	var out []Date
	for _, n := range it.list(field) {
		d, err := ParseDate(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode {
			it.bad = true
			it.ps.probs.add(model.Errorf(model.EINVALID, "%s:%d: %s: %s: %s", it.ps.file, n.Line, it.what, field, model.ErrorMessage(err)))
			continue
		}
		out = append(out, d)
	}
	return out
}

func (ps *parser) readDefaults(n *yaml.Node) {
	ps.defaults = ruleDefaults{near: 0.8, second: 1.0}
	if n == nil {
		return
	}
	it := ps.item(n, "defaults")
	if !it.isMapping() {
		return
	}
	it.checkFields(defaultsFields, nil)
	if f, ok := it.number("near"); ok && it.checkNear(f) {
		ps.defaults.near = f
	}
	if f, ok := it.number("second_level"); ok && it.checkSecond(f) {
		ps.defaults.second = f
	}
	ps.defaults.supervisor = it.id("supervisor")
	ps.defaults.supervisor2 = it.id("supervisor2")
	ps.defaults.source = it.text("source")
}

func (it *item) checkNear(f float64) bool {
	if f <= 0 || f >= 1 {
		it.fail("near", "%g: want a fraction of the allowed time between 0 and 1, e.g. 0.8", f)
		return false
	}
	return true
}

func (it *item) checkSecond(f float64) bool {
	if f <= 0 || f > 100 {
		it.fail("second_level", "%g: want how far overdue, as a fraction of the allowed time, above 0 (1.0 = twice the time in all)", f)
		return false
	}
	return true
}

func (ps *parser) readSchedule(n *yaml.Node) {
	it := ps.item(n, fmt.Sprintf("holidays %q", yamlnode.Scalar(n, "id")))
	if !it.isMapping() {
		return
	}
	it.checkFields(scheduleFields, []string{"id", "year", "source", "confidence", "off"})
	id := it.id("id")
	it.text("source") // required for the record; the calculation does not use it
	if c := it.text("confidence"); c != "" && !slices.Contains(confidences, c) {
		it.fail("confidence", "%q: want V (read in a public source), P (third-party only) or R (recollection)", c)
	}
	year, ok := it.number("year")
	s := schedule{year: int(year)}
	if ok && (year != math.Trunc(year) || year < 1970 || year > 2200) {
		it.fail("year", "%g: want a year such as 2026", year)
	}
	for _, o := range it.list("off") {
		s.off = append(s.off, ps.readOffRun(o, it.what, s.year)...)
	}
	s.work = it.dates("work")
	for _, d := range s.work {
		if d.Year < s.year-1 || d.Year > s.year+1 {
			it.fail("work", "%s is far from the schedule's year %d", d, s.year)
		}
	}
	if _, dup := ps.schedules[id]; dup {
		it.fail("id", "duplicate holiday schedule %q", id)
	}
	if id != "" && !it.bad {
		ps.schedules[id] = s
	}
}

// readOffRun reads one holiday entry {name, from, to} into its dates.
func (ps *parser) readOffRun(n *yaml.Node, schedule string, year int) []Date {
	it := ps.item(n, schedule+" off "+strconv.Quote(yamlnode.Scalar(n, "name")))
	if !it.isMapping() {
		return nil
	}
	it.checkFields(offFields, []string{"name", "from"})
	it.text("name")
	from, ok := it.date("from")
	if !ok {
		return nil
	}
	to := from
	if d, ok := it.date("to"); ok {
		to = d
	}
	first, last := from.num(), to.num()
	switch {
	case last < first:
		it.fail("to", "%s is before from %s", to, from)
		return nil
	case last-first >= maxHolidayRun:
		it.fail("to", "a run of %d days; one entry may span at most %d", last-first+1, maxHolidayRun)
		return nil
	case from.Year < year-1 || to.Year > year+1:
		it.fail("from", "%s is far from the schedule's year %d", from, year)
		return nil
	}
	var out []Date
	for d := first; d <= last; d++ {
		out = append(out, d.date())
	}
	return out
}

func (ps *parser) readCalendar(n *yaml.Node) {
	name := yamlnode.Scalar(n, "name")
	it := ps.item(n, fmt.Sprintf("calendar %q", name))
	if !it.isMapping() {
		return
	}
	it.checkFields(calendarFields, []string{"name", "source"})
	name = it.id("name")
	it.text("source")
	var always bool
	if v := yamlnode.Value(n, "always"); v != nil && (v.Tag != "!!bool" || v.Decode(&always) != nil) {
		it.fail("always", "want true or false, got %q", v.Value)
		return
	}
	var cal *Calendar
	if always {
		for _, f := range []string{"zone", "hours", "makeup_hours", "holidays"} {
			if yamlnode.Value(n, f) != nil {
				it.fail(f, "not for a round-the-clock calendar (always: true)")
			}
		}
		cal = RoundTheClock(name)
	} else {
		cal = ps.workingHours(it, name)
	}
	if _, dup := ps.policy.calendars[name]; dup {
		it.fail("name", "duplicate calendar %q", name)
	}
	if name != "" && cal != nil && !it.bad {
		ps.policy.calendars[name] = cal
	}
}

// workingHours reads the fields of a working-hours calendar.
func (ps *parser) workingHours(it *item, name string) *Calendar {
	h := Hours{Name: name}
	zone := DefaultZone
	if z := it.text("zone"); z != "" {
		zone = z
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" { // Local would change with the host
		it.fail("zone", "unknown time zone %q, want an IANA name such as Asia/Shanghai", zone)
	}
	h.Location = loc
	h.Week = it.week()
	if yamlnode.Value(it.node, "makeup_hours") != nil {
		h.MakeUp = it.spans("makeup_hours", yamlnode.Value(it.node, "makeup_hours"))
		if h.MakeUp == nil {
			h.MakeUp = []Span{}
		}
	}
	var years []int
	for _, ref := range it.list("holidays") {
		s, ok := ps.schedules[ref.Value]
		if !ok {
			it.fail("holidays", "no holiday schedule %q (declare it under holidays:)", ref.Value)
			continue
		}
		h.Off, h.Work = append(h.Off, s.off...), append(h.Work, s.work...)
		years = append(years, s.year)
	}
	if it.bad {
		return nil
	}
	cal, err := NewCalendar(h)
	if err != nil {
		it.fail("hours", "%s", model.ErrorMessage(err))
		return nil
	}
	if len(years) > 0 {
		ps.policy.holidays[name] = years
	}
	return cal
}

// week reads hours: a mapping from days ("mon", "mon-fri", "sat,sun") to
// lists of "HH:MM-HH:MM" spans.
func (it *item) week() [7][]Span {
	var w [7][]Span
	v := yamlnode.Value(it.node, "hours")
	if v == nil {
		it.fail("hours", "missing: give working hours, or always: true for a round-the-clock calendar")
		return w
	}
	if v.Kind != yaml.MappingNode {
		it.fail("hours", "expected a mapping such as mon-fri: [\"08:30-12:00\", \"13:30-17:30\"]")
		return w
	}
	var seen [7]bool
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, spans := v.Content[i], v.Content[i+1]
		days, err := parseDays(key.Value)
		if err != nil {
			it.failAt(key.Line, "hours", "%v", err)
			continue
		}
		parsed := it.spans("hours", spans)
		for _, d := range days {
			if seen[d] {
				it.failAt(key.Line, "hours", "%s given twice", strings.ToLower(d.String()[:3]))
			}
			seen[d], w[d] = true, parsed
		}
	}
	return w
}

func (it *item) failAt(line int, field, format string, args ...any) {
	it.bad = true
	it.ps.probs.add(model.Errorf(model.EINVALID, "%s:%d: %s: %s: %s", it.ps.file, line, it.what, field, fmt.Sprintf(format, args...)))
}

// spans reads a list of "HH:MM-HH:MM" and checks it as NewCalendar will.
func (it *item) spans(field string, n *yaml.Node) []Span {
	if n.Kind != yaml.SequenceNode {
		it.failAt(n.Line, field, "expected a list such as [\"08:30-12:00\", \"13:30-17:30\"]")
		return nil
	}
	var out []Span
	for _, s := range n.Content {
		sp, err := parseSpan(s.Value)
		if err != nil {
			it.failAt(s.Line, field, "%v", err)
			return nil
		}
		out = append(out, sp)
	}
	if _, err := toSpans(out); err != nil {
		it.failAt(n.Line, field, "%v", err)
		return nil
	}
	return out
}

// parseDays reads "mon", "mon-fri" or "sat,sun" (and combinations).
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		first, ok1 := weekdays[strings.TrimSpace(lo)]
		last, ok2 := first, true
		if isRange {
			last, ok2 = weekdays[strings.TrimSpace(hi)]
		}
		if !ok1 || !ok2 || last < first {
			return nil, fmt.Errorf("%q: want days such as mon, mon-fri or sat,sun (sun-sat order)", s)
		}
		for d := first; d <= last; d++ {
			out = append(out, d)
		}
	}
	return out, nil
}

// parseSpan reads "08:30-12:00"; the end may be 24:00.
func parseSpan(s string) (Span, error) {
	a, b, ok := strings.Cut(s, "-")
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if !ok || err1 != nil || err2 != nil {
		return Span{}, fmt.Errorf("%q: want HH:MM-HH:MM such as 08:30-12:00", s)
	}
	return Span{start, end}, nil
}

func parseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad clock time %q", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

func (ps *parser) readCategory(n *yaml.Node) {
	it := ps.item(n, fmt.Sprintf("category %q", yamlnode.Scalar(n, "id")))
	if !it.isMapping() {
		return
	}
	it.checkFields(categoryFields, []string{"id", "name_zh", "name_en", "group"})
	c := Category{ID: it.id("id"), NameZH: it.text("name_zh"), NameEN: it.text("name_en"),
		Group: it.text("group"), Code: it.text("code"), CodeSource: it.text("code_source")}
	if c.Group != "" && !slices.Contains(categoryGroups, c.Group) {
		it.fail("group", "%q: want one of %s", c.Group, strings.Join(categoryGroups, ", "))
	}
	if c.Code != "" && c.CodeSource == "" {
		it.fail("code_source", "missing: say where code %s comes from", c.Code)
	}
	if _, dup := ps.policy.byCategory[c.ID]; dup {
		it.fail("id", "duplicate category %q", c.ID)
	}
	if !it.bad {
		ps.policy.byCategory[c.ID] = len(ps.policy.categories)
		ps.policy.categories = append(ps.policy.categories, c)
	}
}

func (ps *parser) readRule(n *yaml.Node) {
	it := ps.item(n, fmt.Sprintf("rule %s/%s", yamlnode.Scalar(n, "category"), yamlnode.Scalar(n, "level")))
	if !it.isMapping() {
		return
	}
	it.checkFields(ruleFields, []string{"category", "level", "dispose", "calendar"})
	r := Rule{Category: it.ruleCategory(), Level: it.ruleLevel(), File: ps.file, Line: n.Line}
	r.ID = r.Category + "/" + levelName(r.Level)
	if name := it.text("calendar"); name != "" {
		if r.Calendar = ps.policy.calendars[name]; r.Calendar == nil {
			it.fail("calendar", "no calendar %q (declare it under calendars:)", name)
		}
	}
	it.readLimits(&r)
	ps.inherit(it, &r)
	key := ruleKey{r.Category, r.Level}
	if i, dup := ps.policy.byKey[key]; dup {
		it.fail("level", "rule %s is also given at line %d", r.ID, ps.policy.rules[i].Line)
	}
	if !it.bad {
		ps.policy.byKey[key] = len(ps.policy.rules)
		ps.policy.rules = append(ps.policy.rules, r)
	}
}

func (it *item) ruleCategory() string {
	c := it.text("category")
	if c != "" && c != AnyCategory {
		if _, ok := it.ps.policy.byCategory[c]; !ok {
			it.fail("category", "unknown category %q (declare it under categories:, or use \"*\")", c)
		}
	}
	return c
}

func (it *item) ruleLevel() int8 {
	v := yamlnode.Value(it.node, "level")
	if v == nil {
		return LevelAny
	}
	for l := LevelAny; l <= LevelRed; l++ {
		if v.Value == levelName(l) || (l > LevelAny && v.Value == strconv.Itoa(int(l))) {
			return l
		}
	}
	it.fail("level", "%q: want blue, yellow, orange, red, 1–4 or \"*\"", v.Value)
	return LevelAny
}

// readLimits reads respond and dispose, which need the calendar for days.
func (it *item) readLimits(r *Rule) {
	r.Respond = it.limit("respond", r.Calendar)
	r.Dispose = it.limit("dispose", r.Calendar)
	if yamlnode.Value(it.node, "dispose") != nil && r.Dispose == 0 && !it.bad {
		it.fail("dispose", "must be positive")
	}
	if r.Respond > r.Dispose && r.Dispose > 0 {
		it.fail("respond", "%s is longer than dispose %s", r.Respond, r.Dispose)
	}
}

// limit reads a time limit: a Go duration or whole working days ("15d").
func (it *item) limit(field string, cal *Calendar) time.Duration {
	s := it.text(field)
	if s == "" {
		return 0
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			it.fail(field, "%q: want whole working days such as 15d, or a duration such as 5h", s)
			return 0
		}
		if cal == nil {
			return 0 // the calendar's problem is reported already
		}
		d = time.Duration(n) * cal.DayLength()
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			it.fail(field, "%q: want a duration such as 15m, 5h or 1h30m, or working days such as 15d", s)
			return 0
		}
	}
	switch {
	case d > maxLimit:
		it.fail(field, "%s is longer than the %s a rule may give", s, maxLimit)
		return 0
	case d%time.Second != 0:
		it.fail(field, "%s: want whole seconds", s)
		return 0
	}
	return d
}

// inherit fills the fields a rule may leave to the defaults.
func (ps *parser) inherit(it *item, r *Rule) {
	d := ps.defaults
	r.Near, r.SecondLevel = d.near, d.second
	if f, ok := it.number("near"); ok && it.checkNear(f) {
		r.Near = f
	}
	if f, ok := it.number("second_level"); ok && it.checkSecond(f) {
		r.SecondLevel = f
	}
	r.Supervisor = cmp.Or(it.id("supervisor"), d.supervisor)
	r.Supervisor2 = cmp.Or(it.id("supervisor2"), d.supervisor2, r.Supervisor)
	r.Source = cmp.Or(it.text("source"), d.source)
	if r.Supervisor == "" {
		it.fail("supervisor", "missing: name the supervising department here or under defaults")
	}
	if r.Source == "" {
		it.fail("source", "missing: say where the limits come from, here or under defaults")
	}
}
