package indicator

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cityvitals/asset"
	"cityvitals/model"
	"cityvitals/property"
)

// defaultFiles holds the default catalog. The directory is embedded
// whole, because a *.yaml pattern would fail to build while it is empty.
//
//go:embed catalog
var defaultFiles embed.FS

// Catalog is a validated, immutable set of compiled indicators, with
// every version of each. It is safe for concurrent use. A catalog is never
// changed: Load and With build a new one, so callers swap pointers and a
// catalog that fails to load leaves the previous one in force.
type Catalog struct {
	compiler *compiler
	domains  []DomainInfo
	entries  []entry               // every version, as loaded: With rebuilds from them
	versions map[string][]*Program // by id, oldest Effective first
	order    []string              // ids, dependencies first
}

// Default returns the catalog embedded in the binary
// (indicator/catalog/*.yaml). Errors are as for Load.
func Default(props *property.Catalog, assets *asset.TypeCatalog) (*Catalog, error) {
	names, err := fs.Glob(defaultFiles, "catalog/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list default indicator catalog: %w", err)
	}
	return load(props, assets, names, func(name string) ([]byte, error) {
		return defaultFiles.ReadFile(name)
	})
}

// Load reads catalog files; a path that is a directory contributes its
// *.yaml files. All files are checked together: every problem (up to 20)
// comes back as an EINVALID *model.Error naming file, line, indicator and
// field, joined, and no catalog is returned.
func Load(props *property.Catalog, assets *asset.TypeCatalog, paths ...string) (*Catalog, error) {
	var names []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load indicator catalog: %w", err)
		}
		if !info.IsDir() {
			names = append(names, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.yaml"))
		if err != nil {
			return nil, fmt.Errorf("list indicator catalog %s: %w", p, err)
		}
		names = append(names, matches...)
	}
	return load(props, assets, names, os.ReadFile)
}

func load(props *property.Catalog, assets *asset.TypeCatalog, names []string, read func(string) ([]byte, error)) (*Catalog, error) {
	c, err := newCompiler(props, assets)
	if err != nil {
		return nil, err
	}
	var entries []entry
	var domains []DomainInfo
	var probs problems
	for _, name := range names {
		data, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("read indicator catalog: %w", err)
		}
		f, err := c.parseFile(name, data)
		if err != nil {
			probs.addErr(err)
			continue
		}
		entries = append(entries, f.indicators...)
		domains = addDomain(domains, f.domain)
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return build(c, domains, entries)
}

// addDomain records d unless a file named it already.
func addDomain(domains []DomainInfo, d DomainInfo) []DomainInfo {
	if slices.ContainsFunc(domains, func(x DomainInfo) bool { return x.ID == d.ID }) {
		return domains
	}
	return append(domains, d)
}

// build checks the indicators against each other and assembles the
// catalog.
func build(c *compiler, domains []DomainInfo, entries []entry) (*Catalog, error) {
	var probs problems
	byID := checkDuplicates(entries, &probs)
	checkReferences(entries, byID, &probs)
	order := dependencyOrder(byID, &probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	cat := &Catalog{compiler: c, entries: entries, order: order, versions: make(map[string][]*Program, len(byID))}
	for id, versions := range byID {
		for _, e := range versions {
			cat.versions[id] = append(cat.versions[id], newProgram(c, e))
		}
	}
	for _, e := range entries {
		domains = addDomain(domains, DomainInfo{ID: e.Domain})
	}
	slices.SortFunc(domains, func(a, b DomainInfo) int { return strings.Compare(a.ID, b.ID) })
	cat.domains = domains
	return cat, nil
}

func newProgram(c *compiler, e *entry) *Program {
	return &Program{ind: e.Indicator, program: e.compiled.program, direct: e.compiled.direct, properties: c.properties,
		needs: e.compiled.needs, deps: e.compiled.deps}
}

// checkDuplicates groups the entries by id, oldest Effective first. Two
// versions of an id with the same Effective are duplicates, and all
// versions must agree on domain and parent.
func checkDuplicates(entries []entry, probs *problems) map[string][]*entry {
	byID := make(map[string][]*entry)
	for i := range entries {
		e := &entries[i]
		for _, other := range byID[e.ID] {
			switch {
			case other.Effective.Equal(e.Effective):
				probs.add(e.File, e.fieldLine("id"), e.ID, "id", fmt.Sprintf("duplicate of the indicator at %s:%d", other.File, other.Line))
			case other.Domain != e.Domain || other.Parent != e.Parent:
				probs.add(e.File, e.fieldLine("parent"), e.ID, "parent", fmt.Sprintf("versions must share domain and parent; %s:%d has %s under %q", other.File, other.Line, other.Domain, other.Parent))
			}
		}
		byID[e.ID] = append(byID[e.ID], e)
	}
	for _, versions := range byID {
		slices.SortStableFunc(versions, func(a, b *entry) int { return a.Effective.Compare(b.Effective) })
	}
	return byID
}

// checkReferences checks parents and ind() references.
func checkReferences(entries []entry, byID map[string][]*entry, probs *problems) {
	for i := range entries {
		e := &entries[i]
		if e.Parent != "" {
			checkParent(e, byID, probs)
		}
		for _, dep := range e.compiled.deps {
			if _, ok := byID[dep]; !ok {
				probs.add(e.File, e.fieldLine("expr"), e.ID, "expr", fmt.Sprintf("ind(%q): no such indicator", dep))
			}
		}
	}
}

// checkParent checks that e's parent exists in the same domain and that
// following parents from e never comes back to it.
func checkParent(e *entry, byID map[string][]*entry, probs *problems) {
	parents, ok := byID[e.Parent]
	switch {
	case !ok:
		probs.add(e.File, e.fieldLine("parent"), e.ID, "parent", fmt.Sprintf("no such indicator %q", e.Parent))
		return
	case parents[0].Domain != e.Domain:
		probs.add(e.File, e.fieldLine("parent"), e.ID, "parent", fmt.Sprintf("%q is in domain %s, not %s", e.Parent, parents[0].Domain, e.Domain))
		return
	}
	chain := []string{e.ID}
	for id := e.Parent; id != ""; id = byID[id][0].Parent {
		chain = append(chain, id)
		if id == e.ID {
			probs.add(e.File, e.fieldLine("parent"), e.ID, "parent", "cycle: "+strings.Join(chain, " › "))
			return
		}
		if _, ok := byID[id]; !ok || len(chain) > len(byID) {
			return // reported at the indicator whose parent is missing, or a cycle not through e
		}
	}
}

// dependencyOrder sorts the ids so that every indicator comes after those
// it reads with ind() (in any version), and by id otherwise. A cycle is
// reported with its path at each indicator on it.
func dependencyOrder(byID map[string][]*entry, probs *problems) []string {
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(ids))
	order := make([]string, 0, len(ids))
	var visit func(id string, path []string)
	visit = func(id string, path []string) {
		switch state[id] {
		case done:
			return
		case visiting:
			cycle := append(path[slices.Index(path, id):], id)
			for _, e := range byID[id] {
				probs.add(e.File, e.fieldLine("expr"), e.ID, "expr", "cycle through ind(): "+strings.Join(cycle, " → "))
			}
			return
		}
		state[id] = visiting
		for _, dep := range depsOf(byID[id]) {
			if _, ok := byID[dep]; ok {
				visit(dep, append(path, id))
			}
		}
		state[id] = done
		order = append(order, id)
	}
	for _, id := range ids {
		visit(id, nil)
	}
	return order
}

// depsOf is the sorted union of the deps of every version.
func depsOf(versions []*entry) []string {
	var out []string
	for _, e := range versions {
		out = append(out, e.compiled.deps...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Programs returns the newest version of every indicator, dependencies
// first (an indicator after every indicator it reads with ind()), by id
// otherwise.
func (c *Catalog) Programs() []*Program {
	out := make([]*Program, 0, len(c.order))
	for _, id := range c.order {
		v := c.versions[id]
		out = append(out, v[len(v)-1])
	}
	return out
}

// ProgramsAt returns, in the order of Programs, the version of every
// indicator in force at event time t: the one with the latest Effective
// not after t. Indicators with no version in force yet are left out.
func (c *Catalog) ProgramsAt(t time.Time) []*Program {
	out := make([]*Program, 0, len(c.order))
	for _, id := range c.order {
		if p := c.versionAt(id, t); p != nil {
			out = append(out, p)
		}
	}
	return out
}

func (c *Catalog) versionAt(id string, t time.Time) *Program {
	v := c.versions[id]
	for i := len(v) - 1; i >= 0; i-- {
		if !v[i].ind.Effective.After(t) {
			return v[i]
		}
	}
	return nil
}

// Program returns the newest version of the indicator with the id.
func (c *Catalog) Program(id string) (*Program, bool) {
	v, ok := c.versions[id]
	if !ok {
		return nil, false
	}
	return v[len(v)-1], true
}

// Versions returns every version of the indicator with the id, oldest
// Effective first, or nil.
func (c *Catalog) Versions(id string) []*Program { return slices.Clone(c.versions[id]) }

// Domains returns the ids of the catalog's domains, sorted.
func (c *Catalog) Domains() []string {
	out := make([]string, len(c.domains))
	for i, d := range c.domains {
		out[i] = d.ID
	}
	return out
}

// DomainInfos returns the catalog's domains with their names, sorted by id.
func (c *Catalog) DomainInfos() []DomainInfo { return slices.Clone(c.domains) }

// Node is an indicator in the catalog tree with its sub-indicators.
type Node struct {
	Indicator *Indicator
	Subs      []Node
}

// DomainTree is one domain's core indicators with their subs.
type DomainTree struct {
	DomainInfo
	Core []Node
}

// Tree returns, per domain, the core indicators (newest versions) and
// their sub-indicators at any depth, each level sorted by id.
func (c *Catalog) Tree() []DomainTree {
	children := make(map[string][]*Indicator)
	for _, p := range c.Programs() {
		children[p.ind.Parent] = append(children[p.ind.Parent], &p.ind)
	}
	for _, kids := range children {
		slices.SortFunc(kids, func(a, b *Indicator) int { return cmp.Compare(a.ID, b.ID) })
	}
	var nodes func(parent, domain string) []Node
	nodes = func(parent, domain string) []Node {
		var out []Node
		for _, ind := range children[parent] {
			if ind.Domain == domain {
				out = append(out, Node{Indicator: ind, Subs: nodes(ind.ID, domain)})
			}
		}
		return out
	}
	out := make([]DomainTree, 0, len(c.domains))
	for _, d := range c.domains {
		out = append(out, DomainTree{DomainInfo: d, Core: nodes("", d.ID)})
	}
	return out
}

// With returns a new catalog in which each of updated replaces the
// version with the same id and Effective, or is added as a new indicator
// or version. The result is checked as a whole, as Load does; on error
// (EINVALID *model.Error values naming indicator and field) no catalog is
// returned and c is untouched either way.
func (c *Catalog) With(updated ...Indicator) (*Catalog, error) {
	entries := slices.Clone(c.entries)
	var probs problems
	for _, ind := range updated {
		e, ok := c.compiler.checkIndicator(ind, &probs)
		if !ok {
			continue
		}
		i := slices.IndexFunc(entries, func(x entry) bool { return x.ID == ind.ID && x.Effective.Equal(ind.Effective) })
		if i < 0 {
			entries = append(entries, e)
		} else {
			entries[i] = e
		}
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return build(c.compiler, slices.Clone(c.domains), entries)
}

// checkIndicator checks an indicator given as a struct (from the API, not
// from a file) and compiles its expression.
func (c *compiler) checkIndicator(ind Indicator, probs *problems) (entry, bool) {
	if ind.File == "" {
		ind.File = "update"
	}
	n := len(probs.errs)
	fail := func(field, format string, args ...any) {
		probs.add(ind.File, ind.Line, ind.ID, field, fmt.Sprintf(format, args...))
	}
	checkStructFields(ind, fail)
	e := entry{Indicator: ind}
	if ind.Expr != "" {
		comp, err := c.compile(ind.Expr)
		if err != nil {
			fail("expr", "%v", err)
		}
		e.compiled = comp
	}
	return e, len(probs.errs) == n
}

// checkStructFields applies the field checks of a catalog file to an
// Indicator value.
func checkStructFields(ind Indicator, fail func(field, format string, args ...any)) {
	texts := map[string]string{"id": ind.ID, "domain": ind.Domain, "name_zh": ind.NameZH, "name_en": ind.NameEN,
		"dept": ind.Dept, "expr": ind.Expr, "why_zh": ind.WhyZH, "why_en": ind.WhyEN}
	for _, field := range slices.Sorted(maps.Keys(texts)) {
		if strings.TrimSpace(texts[field]) == "" {
			fail(field, "missing")
		}
	}
	if ind.ID != "" && !idPattern.MatchString(ind.ID) {
		fail("id", "must be [a-z0-9_.]+")
	}
	if model.UnitLevel(ind.Level).Depth() < 0 {
		fail("level", "unknown level %q, want grid, community, street, district or city", ind.Level)
	}
	if ind.Window <= 0 || ind.Window > maxWindow {
		fail("window", "must be positive and at most 31 days, got %s", ind.Window)
	}
	if len(ind.Sources) == 0 {
		fail("sources", "missing")
	}
	if ind.Hysteresis < 0 || ind.RollupHysteresis < 0 {
		fail("hysteresis", "must not be negative")
	}
	if !slices.Contains(rollupRules, ind.Rollup) {
		fail("rollup", "unknown rollup %q", ind.Rollup)
	}
	if reason := thresholdsProblem(ind.Direction, ind.Thresholds); reason != "" {
		fail("thresholds", "%s", reason)
	}
	if ind.Rollup == RollupShareAbove {
		if ind.RollupLevel < LevelBlue || ind.RollupLevel > LevelRed {
			fail("rollup_level", "share_above needs blue, yellow, orange or red")
		}
		if reason := thresholdsProblem(HighIsBad, ind.RollupThresholds); reason != "" {
			fail("rollup_thresholds", "%s", reason)
		}
	}
}

// thresholdsProblem says what is wrong with t for dir, or "".
func thresholdsProblem(dir Direction, t Thresholds) string {
	high := [4]*float64{t.Blue, t.Yellow, t.Orange, t.Red}
	low := [4]*float64{t.LowBlue, t.LowYellow, t.LowOrange, t.LowRed}
	given := func(side [4]*float64) bool {
		return slices.ContainsFunc(side[:], func(p *float64) bool { return p != nil })
	}
	switch dir {
	case HighIsBad, LowIsBad:
		if !given(high) {
			return "at least one of blue, yellow, orange, red is needed"
		}
		if !ordered(high, dir == HighIsBad) {
			return "not monotonic in the bad direction"
		}
	case OutsideBand:
		if !given(high) && !given(low) {
			return "a band needs thresholds on at least one side"
		}
		if !ordered(high, true) || !ordered(low, false) {
			return "not monotonic in the bad direction"
		}
	default:
		return fmt.Sprintf("unknown direction %q", dir)
	}
	return ""
}

func ordered(t [4]*float64, increasing bool) bool {
	var prev *float64
	for _, v := range t {
		if v == nil {
			continue
		}
		if prev != nil && (increasing && *v <= *prev || !increasing && *v >= *prev) {
			return false
		}
		prev = v
	}
	return true
}
