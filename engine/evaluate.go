package engine

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"cityvitals/indicator"
)

// trendLength is how many evaluation values a sign remembers.
const trendLength = 30

// signState is one indicator's current state in one unit.
type signState struct {
	value    float64
	hasValue bool
	level    indicator.Level
	updated  int64 // tick of the last evaluation
	weight   int   // streams behind the value, for weighted roll-ups
	trend    [trendLength]float64
	trendLen int
	trendEnd int // index after the newest value
}

func (s *signState) pushTrend(v float64) {
	s.trend[s.trendEnd] = v
	s.trendEnd = (s.trendEnd + 1) % trendLength
	s.trendLen = min(s.trendLen+1, trendLength)
}

func (s *signState) trendValues() []float64 {
	out := make([]float64, 0, s.trendLen)
	for i := s.trendLen; i > 0; i-- {
		out = append(out, s.trend[(s.trendEnd-i+trendLength)%trendLength])
	}
	return out
}

// signOf returns u's state of pp's indicator, creating it.
func (p *processor) signOf(u *unitState, pp *programPlan) *signState {
	if s := u.sign(pp.sign); s != nil {
		return s
	}
	if pp.sign >= len(u.signs) {
		u.signs = slices.Grow(u.signs, len(p.signIDs)-len(u.signs))[:max(pp.sign+1, len(p.signIDs))]
	}
	s := p.slab.alloc()
	u.signs[pp.sign] = s
	return s
}

// signSlab allocates sign states in blocks: there is one per unit and
// indicator, millions in a large city, and as they hold no pointers a
// block costs the garbage collector nothing to scan.
type signSlab struct{ free []signState }

const signSlabSize = 512

func (s *signSlab) alloc() *signState {
	if len(s.free) == 0 {
		s.free = make([]signState, signSlabSize)
	}
	sg := &s.free[0]
	s.free = s.free[1:]
	sg.level = indicator.LevelNoData
	return sg
}

// evaluate runs one tick: the dirty units' indicators that read a flagged
// property or depend on one evaluated, then the roll-ups of every
// ancestor, deepest first. Level changes are emitted after the signs lock
// is released, in the order they happened.
func (p *processor) evaluate(tick int64, dirty map[*unitState]*bitset) {
	var changes []LevelChange
	p.e.signsMu.Lock()
	order := p.orderAt(tick)
	units := make([]*unitState, 0, len(dirty))
	for u := range dirty {
		if !u.removed {
			units = append(units, u)
		}
	}
	slices.SortFunc(units, func(a, b *unitState) int { return strings.Compare(a.code, b.code) })
	rollups := make(map[*unitState][]bool)
	evaluated := make([]bool, len(order.programs))
	for _, u := range units {
		clear(evaluated)
		rolled := false
		for i, pp := range order.programs {
			if pp.evalLevel != u.level || !p.needsEvaluation(pp, dirty[u], order, evaluated) {
				continue
			}
			evaluated[i] = true
			changes = p.evaluateAt(u, pp, tick, changes)
			rolled = rolled || pp.ind.Rollup != indicator.RollupNone
		}
		if rolled {
			markAncestors(rollups, u, order, evaluated)
		}
	}
	changes = p.rollUp(tick, order, rollups, changes)
	p.e.signsMu.Unlock()
	if !p.silent {
		for _, c := range changes {
			p.e.emit(c)
		}
	}
}

func (p *processor) needsEvaluation(pp *programPlan, props *bitset, order *programOrder, evaluated []bool) bool {
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

// evaluateAt evaluates and grades one indicator in one unit.
func (p *processor) evaluateAt(u *unitState, pp *programPlan, tick int64, changes []LevelChange) []LevelChange {
	p.scope.reset(u, tick, pp.window)
	value, ok, err := pp.prog.Eval(&p.scope)
	if err != nil {
		p.e.counters.evalErrors.Add(1)
		ok = false
	}
	ok = ok && !math.IsNaN(value) && !math.IsInf(value, 0)
	sg := p.signOf(u, pp)
	level := indicator.LevelNoData
	if ok {
		level = pp.prog.Grade(value, sg.level)
	}
	return p.update(u, pp, sg, tick, value, ok, level, p.scope.registered, false, changes)
}

// update stores a new state of a sign and records a level change.
func (p *processor) update(u *unitState, pp *programPlan, sg *signState, tick int64, value float64, ok bool, level indicator.Level, weight int, share bool, changes []LevelChange) []LevelChange {
	p.e.counters.evaluations.Add(1)
	p.e.metrics.evaluations.Inc()
	from := sg.level
	if !ok {
		value = 0
	}
	sg.value, sg.hasValue, sg.level, sg.updated, sg.weight = value, ok, level, tick, weight
	if ok {
		sg.pushTrend(value)
	}
	if !isWarningChange(from, level) {
		return changes
	}
	return append(changes, LevelChange{
		Time:      tick,
		Unit:      u.code,
		Indicator: pp.ind.ID,
		From:      from,
		To:        level,
		Value:     value,
		Threshold: crossedThreshold(pp.ind, share, max(from, level), value),
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
