package engine

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"cityvitals/indicator"
)

// evaluate runs one tick: the dirty units' indicators that read a flagged
// property or depend on one evaluated, then the roll-ups of every
// ancestor, deepest first. Level changes are emitted after the signs lock
// is released, in the order they happened.
func (p *processor) evaluate(tick int64, dirty map[*unitState]*bitset) {
	p.e.signsMu.Lock()
	order := p.orderAt(tick)
	units := make([]*unitState, 0, len(dirty))
	for u := range dirty {
		if !u.removed {
			units = append(units, u)
		}
	}
	slices.SortFunc(units, func(a, b *unitState) int { return strings.Compare(a.code, b.code) })
	changes, workers := p.evaluateUnits(tick, order, units, dirty)
	changes = p.rollUp(tick, order, mergeRollups(workers), workers[0], changes)
	p.finishTick(workers)
	p.e.signsMu.Unlock()
	if !p.silent {
		for _, c := range changes {
			p.e.emit(c)
		}
	}
}

// needsEvaluation says whether pp reads a property flagged in props or
// depends on an indicator evaluated before it in the same unit.
func needsEvaluation(pp *programPlan, props *bitset, order *programOrder, evaluated []bool) bool {
	for _, prop := range pp.props {
		if props.has(prop) {
			return true
		}
	}
	for _, dep := range pp.prog.Deps() {
		if i, ok := order.index[dep]; ok && evaluated[i] {
			return true
		}
	}
	return false
}

// markAncestors flags, in every ancestor of u, the programs evaluated in
// u that roll up.
func markAncestors(rollups map[*unitState][]bool, u *unitState, order *programOrder, evaluated []bool) {
	for a := u.parent; a != nil; a = a.parent {
		flags := rollups[a]
		if flags == nil {
			flags = make([]bool, len(order.programs))
			rollups[a] = flags
		}
		for i, done := range evaluated {
			if done && order.programs[i].ind.Rollup != indicator.RollupNone {
				flags[i] = true
			}
		}
	}
}

// orderAt returns the programs in force at tick, planning any the plan
// has not seen (a catalog version that starts at tick).
func (p *processor) orderAt(tick int64) *programOrder {
	programs := programsAt(p.cat, tick)
	if p.order.same(programs) {
		return p.order
	}
	o := &programOrder{index: make(map[string]int, len(programs))}
	grew := false
	for i, prog := range programs {
		if p.plan.add(prog, p.tree) {
			grew = true
		}
		o.programs = append(o.programs, p.plan.byProg[prog])
		o.index[prog.Indicator().ID] = i
	}
	if grew {
		p.replanStreams()
	}
	p.order = o
	return o
}

// replanStreams re-places every stream after the plan gained properties
// or selections.
func (p *processor) replanStreams() {
	p.gen++
	for _, u := range p.tree.units {
		u.selections = nil
	}
	for _, st := range p.known.sorted() {
		p.place(st)
	}
}

// signUpdate is a new state of a sign: evaluated or rolled up.
type signUpdate struct {
	tick   int64
	value  float64
	ok     bool // value is a value; else the sign has no data
	level  indicator.Level
	weight int
	share  bool // a share_above roll-up: graded on the roll-up thresholds
}

// update stores a new state of a sign and records a level change.
func (ev *evaluator) update(u *unitState, pp *programPlan, sg *signState, up signUpdate, changes []LevelChange) []LevelChange {
	ev.evaluations++
	from := sg.level
	if !up.ok {
		up.value = 0
	}
	sg.value, sg.hasValue, sg.level, sg.updated, sg.weight = up.value, up.ok, up.level, up.tick, up.weight
	if up.ok {
		sg.pushTrend(u, up.value)
	}
	if !isWarningChange(from, up.level) {
		return changes
	}
	return append(changes, LevelChange{
		Time:      up.tick,
		Unit:      u.code,
		Indicator: pp.ind.ID,
		From:      from,
		To:        up.level,
		Value:     up.value,
		Threshold: crossedThreshold(pp.ind, up.share, max(from, up.level), up.value),
		Window:    time.Duration(pp.window) * time.Millisecond,
	})
}

// isWarningChange says whether a move between levels is news: a warning
// level begins, ends or changes. Coming and going between "no data" and
// "normal" is not — a device reporting less often than a window is long
// would otherwise fill the feed with it.
func isWarningChange(from, to indicator.Level) bool {
	quiet := func(l indicator.Level) bool { return l == indicator.LevelNoData || l == indicator.LevelNone }
	return from != to && !(quiet(from) && quiet(to))
}

// crossedThreshold returns the bound of level — the higher of the two
// levels of a change, so the new level's bound when rising and the old
// one's when falling. For a band the side nearer the value is taken.
func crossedThreshold(ind *indicator.Indicator, share bool, level indicator.Level, value float64) float64 {
	th, dir := ind.Thresholds, ind.Direction
	if share {
		th, dir = ind.RollupThresholds, indicator.HighIsBad
	}
	high := boundOf(level, th.Blue, th.Yellow, th.Orange, th.Red)
	if dir != indicator.OutsideBand {
		return deref(high)
	}
	low := boundOf(level, th.LowBlue, th.LowYellow, th.LowOrange, th.LowRed)
	switch {
	case high == nil:
		return deref(low)
	case low == nil:
		return *high
	case math.Abs(value-*low) < math.Abs(value-*high):
		return *low
	}
	return *high
}

func boundOf(level indicator.Level, blue, yellow, orange, red *float64) *float64 {
	switch level {
	case indicator.LevelBlue:
		return blue
	case indicator.LevelYellow:
		return yellow
	case indicator.LevelOrange:
		return orange
	case indicator.LevelRed:
		return red
	}
	return nil
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// byDepthThenCode orders roll-up units deepest first so that a parent is
// computed from children already rolled up this tick.
func byDepthThenCode(a, b *unitState) int {
	return cmp.Or(cmp.Compare(depth(b), depth(a)), strings.Compare(a.code, b.code))
}

func depth(u *unitState) int {
	d := 0
	for ; u.parent != nil; u = u.parent {
		d++
	}
	return d
}
