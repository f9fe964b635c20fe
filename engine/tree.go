package engine

import (
	"slices"
	"strings"

	"cityvitals/model"
)

// rootCode is the virtual root above every unit without a parent: the
// whole city.
const rootCode = ""

// unitState is one node of the unit tree with everything the engine keeps
// for it. The processing goroutine owns it; signs are also read by Signs
// under Engine.signsMu.
type unitState struct {
	code     string
	level    string
	rank     int // levelRank(level): smaller is higher in the tree
	parent   *unitState
	children []*unitState // by code
	// selections lists, per (property, asset type), the streams in this
	// unit's subtree, so that a selection costs what it selects.
	selections map[selectionKey]*selection
	signs      []*signState // by signIndex number; nil where the unit has none
	trends     []trendRing  // older trend values of its signs, see signState
	removed    bool         // dropped by a topology change
	// recent caches the (tick, dirty set) pairs marked, by tick number
	// modulo its length, sparing two map look-ups per mark: a stream
	// marks its data tick and one expiry tick per window of its property,
	// and the many streams of a unit mark the same ticks.
	recent [markCacheSize]recentMark
}

// markCacheSize is a power of two larger than the distinct ticks a
// stream usually marks (its data tick and one per window), so that they
// rarely evict each other.
const markCacheSize = 32

type recentMark struct {
	tick int64
	set  *bitset
}

// marked returns the dirty set of u at tick if it is cached; slot is
// the tick's number (tick / step).
func (u *unitState) marked(tick, slot int64) *bitset {
	m := &u.recent[slot&(markCacheSize-1)]
	if m.set != nil && m.tick == tick {
		return m.set
	}
	return nil
}

func (u *unitState) remember(tick, slot int64, set *bitset) {
	u.recent[slot&(markCacheSize-1)] = recentMark{tick: tick, set: set}
}

// sign returns u's state of the indicator numbered i, nil if it has none.
func (u *unitState) sign(i int) *signState {
	if i < len(u.signs) {
		return u.signs[i]
	}
	return nil
}

// unitTree is the unit tree as the engine indexes it.
type unitTree struct {
	root   *unitState
	units  map[string]*unitState
	levels map[string]bool // levels that have at least one unit
}

// levelRank orders levels from the top: the root is -1, city 0, grid 4; a
// level the model does not know sorts below grid.
func levelRank(level string) int {
	if level == rootCode {
		return -1
	}
	if d := model.UnitLevel(level).Depth(); d >= 0 {
		return d
	}
	return len(model.UnitLevels)
}

// buildTree indexes topo. Units kept from old keep their signs, so a
// topology change does not reset the dashboard; units that disappear are
// marked removed for work already scheduled on them.
func buildTree(topo Topology, old *unitTree) *unitTree {
	t := &unitTree{units: make(map[string]*unitState), levels: make(map[string]bool)}
	t.root = reuseUnit(old, rootCode)
	t.root.level, t.root.rank = rootCode, -1
	t.units[rootCode] = t.root
	for _, code := range topo.Units() {
		if code == rootCode {
			continue
		}
		u := reuseUnit(old, code)
		u.level, _ = topo.Level(code)
		u.rank = levelRank(u.level)
		t.units[code] = u
		t.levels[u.level] = true
	}
	for code, u := range t.units {
		if code == rootCode {
			continue
		}
		u.parent = t.root
		if p, ok := topo.Parent(code); ok && p != code {
			if pu, known := t.units[p]; known {
				u.parent = pu
			}
		}
	}
	t.breakCycles()
	for _, u := range t.units {
		if u.parent != nil {
			u.parent.children = append(u.parent.children, u)
		}
	}
	for _, u := range t.units {
		slices.SortFunc(u.children, func(a, b *unitState) int { return strings.Compare(a.code, b.code) })
	}
	if old != nil {
		for code, u := range old.units {
			if _, kept := t.units[code]; !kept {
				u.removed = true
			}
		}
	}
	return t
}

func reuseUnit(old *unitTree, code string) *unitState {
	if old != nil {
		if u, ok := old.units[code]; ok {
			u.parent, u.children, u.selections = nil, nil, nil
			return u
		}
	}
	return &unitState{code: code}
}

// breakCycles re-hangs below the root any unit whose parent chain loops,
// so that walking up from a unit always ends.
func (t *unitTree) breakCycles() {
	limit := len(t.units)
	codes := make([]string, 0, len(t.units))
	for code := range t.units {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		u := t.units[code]
		steps := 0
		for p := u.parent; p != nil; p = p.parent {
			if steps++; steps > limit {
				u.parent = t.root
				break
			}
		}
	}
}

// evalLevel is the level an indicator declared at level is computed at:
// that level if the tree has it, else the nearest level above that it
// has, else the virtual root.
func (t *unitTree) evalLevel(level string) string {
	if t.levels[level] {
		return level
	}
	for r := min(levelRank(level), len(model.UnitLevels)) - 1; r >= 0; r-- {
		if l := string(model.UnitLevels[r]); t.levels[l] {
			return l
		}
	}
	return rootCode
}

// chain returns u and its ancestors up to the root, bottom first.
func chain(u *unitState) []*unitState {
	var c []*unitState
	for ; u != nil; u = u.parent {
		c = append(c, u)
	}
	return c
}
