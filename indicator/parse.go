package indicator

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"cityvitals/asset"
	"cityvitals/internal/yamlnode"
	"cityvitals/model"
	"cityvitals/property"
)

// maxProblems caps how many problems one load reports, so that a wrong
// file yields a readable error rather than hundreds of lines.
const maxProblems = 20

// maxWindow is the longest window: the engine keeps no more history.
const maxWindow = 31 * 24 * time.Hour

var idPattern = regexp.MustCompile(`^[a-z0-9_.]+$`)

// indicatorFields are the keys an indicator may have; anything else is a
// typo that would otherwise be silently ignored.
var indicatorFields = []string{"id", "parent", "name_zh", "name_en", "unit", "dept", "level",
	"window", "expr", "direction", "thresholds", "hysteresis", "rollup", "rollup_level",
	"rollup_thresholds", "rollup_hysteresis", "why_zh", "why_en", "sources", "effective"}

// requiredFields must be present in every indicator (unit may be "").
var requiredFields = []string{"id", "name_zh", "name_en", "unit", "dept", "level", "window",
	"expr", "direction", "thresholds", "why_zh", "why_en", "sources"}

var levelNames = map[string]Level{"blue": LevelBlue, "yellow": LevelYellow, "orange": LevelOrange, "red": LevelRed}

var rollupRules = []RollupRule{RollupWorst, RollupMax, RollupMin, RollupSum, RollupAvg, RollupShareAbove, RollupNone}

// DomainInfo names a domain of the catalog, as its files declare it.
type DomainInfo struct {
	ID     string
	NameZH string
	NameEN string
}

// file is one parsed catalog file.
type file struct {
	domain     DomainInfo
	indicators []entry
}

// entry is an indicator with what the catalog needs to check it against
// the others: its compiled expression and the lines of its fields.
type entry struct {
	Indicator
	compiled *compiled
	lines    map[string]int
}

// fieldLine returns the line of field, or the indicator's own line.
func (e *entry) fieldLine(field string) int {
	if l, ok := e.lines[field]; ok {
		return l
	}
	return e.Line
}

// Parse reads and checks one catalog file; name is used in messages only.
// It checks everything a file can show by itself; references between
// indicators (parent, ind()) are checked by Load. Problems (up to 20) come
// back together as EINVALID *model.Error values "name:line: indicator
// "id": field: reason", joined.
func Parse(name string, data []byte, props *property.Catalog, assets *asset.TypeCatalog) ([]Indicator, error) {
	c, err := newCompiler(props, assets)
	if err != nil {
		return nil, err
	}
	f, err := c.parseFile(name, data)
	if err != nil {
		return nil, err
	}
	out := make([]Indicator, len(f.indicators))
	for i, e := range f.indicators {
		out[i] = e.Indicator
	}
	return out, nil
}

// problems collects the problems of a load up to maxProblems.
type problems struct{ errs []error }

func (p *problems) add(name string, line int, id, field, reason string) {
	p.addErr(model.Errorf(model.EINVALID, "%s:%d: indicator %q: %s: %s", name, line, id, field, reason))
}

func (p *problems) addErr(err error) {
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, err)
	}
}

func (p *problems) full() bool { return len(p.errs) >= maxProblems }

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	if p.full() {
		return errors.Join(append(p.errs, model.Errorf(model.EINVALID, "too many problems, stopped at %d", maxProblems))...)
	}
	return errors.Join(p.errs...)
}

func (c *compiler) parseFile(name string, data []byte) (*file, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, model.Errorf(model.EINVALID, "%s: expected a mapping with domain, name_zh, name_en and indicators", name)
	}
	root := doc.Content[0]
	f := &file{domain: DomainInfo{
		ID:     yamlnode.Scalar(root, "domain"),
		NameZH: yamlnode.Scalar(root, "name_zh"),
		NameEN: yamlnode.Scalar(root, "name_en"),
	}}
	var probs problems
	if !idPattern.MatchString(f.domain.ID) {
		probs.addErr(model.Errorf(model.EINVALID, "%s:%d: domain: must be [a-z0-9_.]+, got %q", name, yamlnode.Line(root, "domain"), f.domain.ID))
	}
	items := yamlnode.Value(root, "indicators")
	if items == nil || items.Kind != yaml.SequenceNode {
		probs.addErr(model.Errorf(model.EINVALID, "%s:%d: indicators: expected a list of indicators", name, yamlnode.Line(root, "indicators")))
		return nil, probs.err()
	}
	for _, item := range items.Content {
		if e, ok := c.parseIndicator(name, f.domain.ID, item, &probs); ok {
			f.indicators = append(f.indicators, e)
		}
		if probs.full() {
			break
		}
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// itemReader reads the fields of one indicator, reporting each problem
// with its line.
type itemReader struct {
	name  string
	node  *yaml.Node
	id    string
	probs *problems
	bad   bool
}

func (r *itemReader) fail(field, format string, args ...any) {
	r.bad = true
	r.probs.add(r.name, yamlnode.Line(r.node, field), r.id, field, fmt.Sprintf(format, args...))
}

func (c *compiler) parseIndicator(name, domain string, item *yaml.Node, probs *problems) (entry, bool) {
	r := &itemReader{name: name, node: item, id: yamlnode.Scalar(item, "id"), probs: probs}
	if item.Kind != yaml.MappingNode {
		probs.addErr(model.Errorf(model.EINVALID, "%s:%d: expected a mapping for an indicator", name, item.Line))
		return entry{}, false
	}
	e := entry{lines: map[string]int{}}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k := item.Content[i]
		e.lines[k.Value] = item.Content[i+1].Line
		if !slices.Contains(indicatorFields, k.Value) {
			r.fail(k.Value, "unknown field")
		}
	}
	for _, f := range requiredFields {
		if yamlnode.Value(item, f) == nil {
			r.fail(f, "missing")
		}
	}
	ind := &e.Indicator
	*ind = Indicator{
		ID: r.id, Parent: yamlnode.Scalar(item, "parent"), Domain: domain,
		NameZH: r.text("name_zh"), NameEN: r.text("name_en"),
		Unit: yamlnode.Scalar(item, "unit"), Dept: r.text("dept"),
		Expr: r.text("expr"), WhyZH: r.text("why_zh"), WhyEN: r.text("why_en"),
		File: name, Line: item.Line,
	}
	if ind.ID != "" && !idPattern.MatchString(ind.ID) {
		r.fail("id", "must be [a-z0-9_.]+")
	}
	r.readShape(ind)
	ind.Sources = r.sources()
	ind.Effective = r.effective()
	if ind.Expr != "" {
		comp, err := c.compile(ind.Expr)
		if err != nil {
			r.fail("expr", "%v", err)
		}
		e.compiled = comp
	}
	return e, !r.bad
}

// readShape reads how the indicator is computed and graded.
func (r *itemReader) readShape(ind *Indicator) {
	ind.Level = yamlnode.Scalar(r.node, "level")
	if yamlnode.Value(r.node, "level") != nil && model.UnitLevel(ind.Level).Depth() < 0 {
		r.fail("level", "unknown level %q, want grid, community, street, district or city", ind.Level)
	}
	ind.Window = r.window()
	ind.Direction = Direction(yamlnode.Scalar(r.node, "direction"))
	switch ind.Direction {
	case HighIsBad, LowIsBad, OutsideBand:
		ind.Thresholds = r.thresholds("thresholds", ind.Direction)
	default:
		if yamlnode.Value(r.node, "direction") != nil {
			r.fail("direction", "unknown direction %q, want high, low or band", ind.Direction)
		}
	}
	ind.Hysteresis = r.number("hysteresis")
	if ind.Hysteresis < 0 {
		r.fail("hysteresis", "must not be negative")
	}
	r.readRollup(ind)
}

func (r *itemReader) readRollup(ind *Indicator) {
	ind.Rollup = RollupWorst
	if v := yamlnode.Value(r.node, "rollup"); v != nil {
		ind.Rollup = RollupRule(v.Value)
		if !slices.Contains(rollupRules, ind.Rollup) {
			r.fail("rollup", "unknown rollup %q, want worst, max, min, sum, avg, share_above or none", v.Value)
		}
	}
	ind.RollupHysteresis = r.number("rollup_hysteresis")
	if ind.Rollup != RollupShareAbove {
		for _, f := range []string{"rollup_level", "rollup_thresholds", "rollup_hysteresis"} {
			if yamlnode.Value(r.node, f) != nil {
				r.fail(f, "only with rollup: share_above")
			}
		}
		return
	}
	lv := yamlnode.Value(r.node, "rollup_level")
	if lv == nil {
		r.fail("rollup_level", "missing: share_above needs the level whose share is graded")
	} else if ind.RollupLevel = levelNames[lv.Value]; ind.RollupLevel == 0 {
		r.fail("rollup_level", "unknown level %q, want blue, yellow, orange or red", lv.Value)
	}
	if yamlnode.Value(r.node, "rollup_thresholds") == nil {
		r.fail("rollup_thresholds", "missing: share_above needs thresholds on the share")
		return
	}
	ind.RollupThresholds = r.thresholds("rollup_thresholds", HighIsBad)
}

// text returns a required text field, which must not be blank.
func (r *itemReader) text(field string) string {
	v := yamlnode.Value(r.node, field)
	if v == nil {
		return "" // reported as missing
	}
	if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
		r.fail(field, "must be non-empty text")
		return ""
	}
	return v.Value
}

func (r *itemReader) window() time.Duration {
	v := yamlnode.Value(r.node, "window")
	if v == nil {
		return 0
	}
	d, err := time.ParseDuration(v.Value)
	switch {
	case err != nil:
		r.fail("window", "not a duration such as 10m or 3h: %q", v.Value)
	case d <= 0:
		r.fail("window", "must be positive")
	case d > maxWindow:
		r.fail("window", "%s is longer than the 31 days of history kept", v.Value)
	}
	return d
}

// number reads an optional number field; absent is 0.
func (r *itemReader) number(field string) float64 {
	v := yamlnode.Value(r.node, field)
	if v == nil {
		return 0
	}
	f, ok := toNumber(v)
	if !ok {
		r.fail(field, "not a number: %q", v.Value)
	}
	return f
}

func (r *itemReader) sources() map[string]string {
	v := yamlnode.Value(r.node, "sources")
	if v == nil {
		return nil
	}
	var m map[string]string
	if err := v.Decode(&m); err != nil || len(m) == 0 {
		r.fail("sources", "must map what each threshold or formula comes from to its source")
		return nil
	}
	return m
}

func (r *itemReader) effective() time.Time {
	v := yamlnode.Value(r.node, "effective")
	if v == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v.Value)
	if err != nil {
		r.fail("effective", "not an RFC 3339 time such as 2025-01-01T00:00:00+08:00: %q", v.Value)
	}
	return t
}

// thresholds reads a thresholds mapping: {blue…red} for high and low,
// {low: {blue…red}, high: {blue…red}} for band.
func (r *itemReader) thresholds(field string, dir Direction) Thresholds {
	node := yamlnode.Value(r.node, field)
	if node == nil {
		return Thresholds{}
	}
	if dir != OutsideBand {
		levels := r.levelMap(field, node)
		if !r.monotonic(field, levels, dir == HighIsBad) {
			return Thresholds{}
		}
		return Thresholds{Blue: levels[0], Yellow: levels[1], Orange: levels[2], Red: levels[3]}
	}
	if node.Kind != yaml.MappingNode || len(node.Content) == 0 {
		r.fail(field, "a band needs {low: {blue…red}, high: {blue…red}}")
		return Thresholds{}
	}
	var low, high [4]*float64
	for i := 0; i+1 < len(node.Content); i += 2 {
		switch k := node.Content[i].Value; k {
		case "low":
			low = r.levelMap(field+".low", node.Content[i+1])
		case "high":
			high = r.levelMap(field+".high", node.Content[i+1])
		default:
			r.fail(field, "unknown side %q of a band, want low or high", k)
		}
	}
	ok := r.monotonic(field+".low", low, false) && r.monotonic(field+".high", high, true)
	if ok && low[0] != nil && high[0] != nil && *low[0] >= *high[0] {
		r.fail(field, "the low side's blue (%g) must be below the high side's (%g)", *low[0], *high[0])
	}
	return Thresholds{Blue: high[0], Yellow: high[1], Orange: high[2], Red: high[3],
		LowBlue: low[0], LowYellow: low[1], LowOrange: low[2], LowRed: low[3]}
}

// levelMap reads {blue, yellow, orange, red} into that order; at least
// one must be given.
func (r *itemReader) levelMap(field string, node *yaml.Node) [4]*float64 {
	var out [4]*float64
	if node.Kind != yaml.MappingNode || len(node.Content) == 0 {
		r.fail(field, "expected {blue, yellow, orange, red} with at least one number")
		return out
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i].Value, node.Content[i+1]
		l, known := levelNames[k]
		f, isNum := toNumber(v)
		switch {
		case !known:
			r.fail(field, "unknown level %q, want blue, yellow, orange or red", k)
		case !isNum:
			r.fail(field, "%s: not a number: %q", k, v.Value)
		default:
			out[l-LevelBlue] = &f
		}
	}
	return out
}

// monotonic checks that the given thresholds grow more severe in the bad
// direction: increasing for high, decreasing for low.
func (r *itemReader) monotonic(field string, t [4]*float64, increasing bool) bool {
	var prev *float64
	prevName := ""
	for i, name := range []string{"blue", "yellow", "orange", "red"} {
		if t[i] == nil {
			continue
		}
		if prev != nil && (increasing && *t[i] <= *prev || !increasing && *t[i] >= *prev) {
			want := "above"
			if !increasing {
				want = "below"
			}
			r.fail(field, "%s (%g) must be %s %s (%g)", name, *t[i], want, prevName, *prev)
			return false
		}
		prev, prevName = t[i], name
	}
	return true
}

// toNumber reads a YAML number; quoted strings are not numbers.
func toNumber(v *yaml.Node) (float64, bool) {
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		return 0, false
	}
	var f float64
	if err := v.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
