package engine

import (
	"slices"
	"time"

	"cityvitals/indicator"
)

// programPlan is what the engine derives once from a compiled indicator.
type programPlan struct {
	prog      *indicator.Program
	ind       *indicator.Indicator
	evalLevel string // the level it is computed at in the current tree
	evalRank  int
	sign      int   // number of its indicator id in the signIndex
	window    int64 // ms
	props     []int // bits of the properties it reads
}

// propertyPlan is what the engine keeps and schedules for one property.
type propertyPlan struct {
	windows []int64         // distinct windows of the programs reading it, ms
	history int64           // longest window of a program needing its history; 0: latest only
	levels  map[string]bool // levels the programs reading it are computed at
	keys    []selectionKey  // selections indexed for it
	bit     int             // its index in dirty sets
}

// plan is the catalog as the engine schedules it against one tree.
type plan struct {
	byProg     map[*indicator.Program]*programPlan
	props      map[string]*propertyPlan
	keys       map[selectionKey]bool
	longestWin int64
	signIDs    signIndex
}

// signIndex numbers indicator ids so that a unit's signs are a slice.
// Numbers are never reused, so units keep their signs across catalog
// changes.
type signIndex map[string]int

func (x signIndex) of(id string) int {
	i, ok := x[id]
	if !ok {
		i = len(x)
		x[id] = i
	}
	return i
}

// programOrder is the programs in force at a tick, in catalog order
// (dependencies first), with their positions by id.
type programOrder struct {
	programs []*programPlan
	index    map[string]int
}

func newPlan(programs []*indicator.Program, tree *unitTree, signIDs signIndex) *plan {
	pl := &plan{
		byProg:  make(map[*indicator.Program]*programPlan),
		props:   make(map[string]*propertyPlan),
		keys:    make(map[selectionKey]bool),
		signIDs: signIDs,
	}
	for _, p := range programs {
		pl.add(p, tree)
	}
	return pl
}

// add plans p and reports whether it was new.
func (pl *plan) add(p *indicator.Program, tree *unitTree) bool {
	if _, ok := pl.byProg[p]; ok {
		return false
	}
	ind := p.Indicator()
	pp := &programPlan{prog: p, ind: ind, sign: pl.signIDs.of(ind.ID), window: ind.Window.Milliseconds()}
	pp.evalLevel = tree.evalLevel(ind.Level)
	pp.evalRank = levelRank(pp.evalLevel)
	pl.byProg[p] = pp
	pl.longestWin = max(pl.longestWin, pp.window)
	for _, need := range p.Needs() {
		prop := pl.property(need.Property)
		if !slices.Contains(pp.props, prop.bit) {
			pp.props = append(pp.props, prop.bit)
		}
		if !slices.Contains(prop.windows, pp.window) {
			prop.windows = append(prop.windows, pp.window)
			slices.Sort(prop.windows)
		}
		if need.History {
			prop.history = max(prop.history, pp.window)
		}
		prop.levels[pp.evalLevel] = true
		pl.addKey(selectionKey{property: need.Property, assetType: need.AssetType})
	}
	return true
}

func (pl *plan) property(id string) *propertyPlan {
	prop, ok := pl.props[id]
	if !ok {
		prop = &propertyPlan{levels: make(map[string]bool), bit: len(pl.props)}
		pl.props[id] = prop
	}
	return prop
}

// addKey records that selections by key are indexed, reporting whether
// it is new.
func (pl *plan) addKey(key selectionKey) bool {
	if pl.keys[key] {
		return false
	}
	pl.keys[key] = true
	prop := pl.property(key.property)
	prop.keys = append(prop.keys, key)
	return true
}

// allVersions returns every version of every indicator of cat, so that
// the plan covers versions that come into force later.
func allVersions(cat *indicator.Catalog) []*indicator.Program {
	var out []*indicator.Program
	for _, p := range cat.Programs() {
		out = append(out, cat.Versions(p.Indicator().ID)...)
	}
	return out
}

// programsAt returns the catalog's programs in force at tick, so that a
// new version takes effect at its stated event time.
func programsAt(cat *indicator.Catalog, tick int64) []*indicator.Program {
	return cat.ProgramsAt(time.UnixMilli(tick).UTC())
}

// same reports whether programs is the list o was built from.
func (o *programOrder) same(programs []*indicator.Program) bool {
	if o == nil || len(o.programs) != len(programs) {
		return false
	}
	for i, p := range programs {
		if o.programs[i].prog != p {
			return false
		}
	}
	return true
}
