package plan

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"cityvitals/internal/yamlnode"
	"cityvitals/model"
)

// defaultFiles holds the default vocabulary and plans.
//
//go:embed defaults
var defaultFiles embed.FS

// The keys each mapping of a plan file may have; anything else is a typo
// that would otherwise be silently ignored.
var (
	planFields    = []string{"id", "event_type", "level", "name_zh", "name_en", "sources", "triggers", "tasks", "retired"}
	triggerFields = []string{"domain", "indicator", "rule", "min_level", "unit_level"}
	taskFields    = []string{"id", "dept", "title_zh", "title_en", "category", "deadline", "level"}
)

// Defaults returns the plans embedded in the binary
// (defaults/plans/*.yaml), checked against v.
func Defaults(v Vocabulary) ([]model.Plan, error) {
	names, err := fs.Glob(defaultFiles, "defaults/plans/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list default plans: %w", err)
	}
	return load(v, names, defaultFiles.ReadFile)
}

// LoadFiles reads plan files; a path that is a directory contributes its
// *.yaml files. All files are checked together: every problem (up to 20)
// comes back as an EINVALID *model.Error "file:line: plan "id": field:
// reason", joined, and no plan is returned. A plan id defined twice is a
// problem too.
func LoadFiles(v Vocabulary, paths ...string) ([]model.Plan, error) {
	var names []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load plans: %w", err)
		}
		if !info.IsDir() {
			names = append(names, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.yaml"))
		if err != nil {
			return nil, fmt.Errorf("list plans in %s: %w", p, err)
		}
		names = append(names, matches...)
	}
	return load(v, names, os.ReadFile)
}

// Parse reads one plan file (name is used in messages only); errors are
// as for LoadFiles.
func Parse(name string, data []byte, v Vocabulary) ([]model.Plan, error) {
	return load(v, []string{name}, func(string) ([]byte, error) { return data, nil })
}

func load(v Vocabulary, names []string, read func(string) ([]byte, error)) ([]model.Plan, error) {
	probs := &problems{}
	definedAt := map[string]string{}
	var plans []model.Plan
	for _, name := range names {
		data, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("read plan file: %w", err)
		}
		for _, lp := range parseFile(name, data, v, probs) {
			where := fmt.Sprintf("%s:%d", name, lp.line)
			if first, dup := definedAt[lp.plan.ID]; dup {
				probs.add("%s: plan %q: id: already defined at %s", where, lp.plan.ID, first)
				continue
			}
			definedAt[lp.plan.ID] = where
			plans = append(plans, lp.plan)
		}
		if probs.full() {
			break
		}
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return plans, nil
}

// locatedPlan is a plan read from a file with the line it starts on.
type locatedPlan struct {
	plan model.Plan
	line int
}

func parseFile(name string, data []byte, v Vocabulary, probs *problems) []locatedPlan {
	root, err := parseRoot(name, data, "plans")
	if err != nil {
		probs.addErr(err)
		return nil
	}
	checkFields(root, []string{"plans"}, func(key string, line int) {
		probs.add("%s:%d: %s: unknown field", name, line, key)
	})
	list := yamlnode.Value(root, "plans")
	if list == nil || list.Kind != yaml.SequenceNode {
		probs.add("%s:%d: plans: expected a list of plans", name, yamlnode.Line(root, "plans"))
		return nil
	}
	var out []locatedPlan
	for i, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			probs.add("%s:%d: plans[%d]: expected a mapping", name, item.Line, i)
			continue
		}
		if p, ok := readPlan(name, item, v, probs); ok {
			out = append(out, locatedPlan{p, item.Line})
		}
		if probs.full() {
			break
		}
	}
	return out
}

// planReader reads one plan's fields, remembering each field's line and
// which fields could not be read, so that checking the plan afterwards
// does not report them a second time.
type planReader struct {
	lines map[string]int // field path → line
	bad   map[string]bool
	found []fieldProblem
}

func (r *planReader) fail(path, format string, args ...any) {
	r.bad[path] = true
	r.found = append(r.found, fieldProblem{path, fmt.Sprintf(format, args...)})
}

// line returns the line of path, or of the closest enclosing field that
// has one (a missing field is reported where its parent starts).
func (r *planReader) line(path string) int {
	for {
		if l, ok := r.lines[path]; ok {
			return l
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut <= 0 {
			return r.lines[""]
		}
		path = path[:cut]
	}
}

func readPlan(name string, item *yaml.Node, v Vocabulary, probs *problems) (model.Plan, bool) {
	r := &planReader{lines: map[string]int{}, bad: map[string]bool{}}
	recordLines(item, "", r.lines)
	r.unknownFields(item, "", planFields)
	p := model.Plan{
		ID:        r.text(item, "", "id"),
		EventType: r.text(item, "", "event_type"),
		Level:     r.level(item, "", "level"),
		NameZH:    r.text(item, "", "name_zh"),
		NameEN:    r.text(item, "", "name_en"),
		Sources:   r.texts(item, "", "sources"),
		Retired:   r.boolean(item, "", "retired"),
	}
	for i, n := range r.list(item, "", "triggers") {
		p.Triggers = append(p.Triggers, r.trigger(n, fmt.Sprintf("triggers[%d]", i)))
	}
	for i, n := range r.list(item, "", "tasks") {
		p.Tasks = append(p.Tasks, r.task(n, fmt.Sprintf("tasks[%d]", i)))
	}
	p = normalize(p)
	for _, fp := range check(p, v) {
		if !r.bad[fp.path] {
			r.found = append(r.found, fp)
		}
	}
	slices.SortStableFunc(r.found, func(a, b fieldProblem) int { return cmp.Compare(r.line(a.path), r.line(b.path)) })
	for _, fp := range r.found {
		probs.add("%s:%d: plan %q: %s: %s", name, r.line(fp.path), p.ID, fp.path, fp.reason)
	}
	return p, len(r.found) == 0
}

func (r *planReader) trigger(n *yaml.Node, path string) model.PlanTrigger {
	if !r.mapping(n, path) {
		return model.PlanTrigger{}
	}
	r.unknownFields(n, path, triggerFields)
	return model.PlanTrigger{
		Domain:    r.text(n, path, "domain"),
		Indicator: r.text(n, path, "indicator"),
		Rule:      r.text(n, path, "rule"),
		MinLevel:  r.level(n, path, "min_level"),
		UnitLevel: model.UnitLevel(r.text(n, path, "unit_level")),
	}
}

func (r *planReader) task(n *yaml.Node, path string) model.PlanTask {
	if !r.mapping(n, path) {
		return model.PlanTask{}
	}
	r.unknownFields(n, path, taskFields)
	return model.PlanTask{
		ID:       r.text(n, path, "id"),
		Dept:     r.text(n, path, "dept"),
		TitleZH:  r.text(n, path, "title_zh"),
		TitleEN:  r.text(n, path, "title_en"),
		Category: r.text(n, path, "category"),
		Deadline: r.duration(n, path, "deadline"),
		Level:    r.level(n, path, "level"),
	}
}

func (r *planReader) mapping(n *yaml.Node, path string) bool {
	if n.Kind != yaml.MappingNode {
		r.fail(path, "expected a mapping")
		return false
	}
	return true
}

func (r *planReader) unknownFields(n *yaml.Node, path string, allowed []string) {
	checkFields(n, allowed, func(key string, _ int) { r.fail(join(path, key), "unknown field") })
}

// scalar returns the scalar at key in n, or nil when absent or not a
// scalar (which it reports).
func (r *planReader) scalar(n *yaml.Node, path, key string) *yaml.Node {
	v := yamlnode.Value(n, key)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		r.fail(join(path, key), "expected a single value")
		return nil
	}
	return v
}

func (r *planReader) text(n *yaml.Node, path, key string) string {
	if v := r.scalar(n, path, key); v != nil {
		return v.Value
	}
	return ""
}

func (r *planReader) texts(n *yaml.Node, path, key string) []string {
	var out []string
	for i, item := range r.list(n, path, key) {
		if item.Kind != yaml.ScalarNode {
			r.fail(fmt.Sprintf("%s[%d]", join(path, key), i), "expected text")
			continue
		}
		out = append(out, item.Value)
	}
	return out
}

func (r *planReader) list(n *yaml.Node, path, key string) []*yaml.Node {
	v := yamlnode.Value(n, key)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		r.fail(join(path, key), "expected a list")
		return nil
	}
	return v.Content
}

// level reads a warning level as a colour or its number.
func (r *planReader) level(n *yaml.Node, path, key string) int8 {
	v := r.scalar(n, path, key)
	if v == nil {
		return 0
	}
	if i := slices.Index(levelNames[:], v.Value); i > 0 {
		return int8(i)
	}
	if l, err := strconv.ParseInt(v.Value, 10, 8); err == nil && validLevel(int8(l)) {
		return int8(l)
	}
	r.fail(join(path, key), "want blue, yellow, orange, red or 1–4, got %q", v.Value)
	return 0
}

func (r *planReader) duration(n *yaml.Node, path, key string) time.Duration {
	v := r.scalar(n, path, key)
	if v == nil {
		return 0
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		r.fail(join(path, key), "want a duration such as 30m, 2h or 1h30m, got %q", v.Value)
	}
	return d
}

func (r *planReader) boolean(n *yaml.Node, path, key string) bool {
	v := r.scalar(n, path, key)
	if v == nil {
		return false
	}
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		r.fail(join(path, key), "want true or false, got %q", v.Value)
	}
	return b
}

// recordLines maps the path of every value under n to its line.
func recordLines(n *yaml.Node, path string, lines map[string]int) {
	lines[path] = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			recordLines(n.Content[i+1], join(path, n.Content[i].Value), lines)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			recordLines(item, fmt.Sprintf("%s[%d]", path, i), lines)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
