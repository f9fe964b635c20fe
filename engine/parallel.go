package engine

import (
	"math"
	"sync"
	"sync/atomic"

	"cityvitals/indicator"
)

// evaluator evaluates indicators in units. Each worker of a tick has its
// own — scope, sign allocator, tallies — so that workers share
// nothing they write except the units they are handed, which are
// independent until roll-up. The processor's first evaluator also does
// the roll-ups, on the processing goroutine.
type evaluator struct {
	p         *processor
	scope     scope
	slab      signSlab
	evaluated []bool                // per program of the order, for the unit at hand
	rollups   map[*unitState][]bool // ancestors to roll up, flags per program
	unplanned []selectionKey        // keys read that no Program declared

	evaluations, errors int64 // since the tally was last taken
}

func newEvaluator(p *processor) *evaluator {
	ev := &evaluator{p: p, rollups: make(map[*unitState][]bool)}
	ev.scope.ev = ev
	return ev
}

// unitsPerChunk is how many units a worker takes at a time: enough that
// handing them out costs little, few enough that the workers finish
// together.
const unitsPerChunk = 32

// evaluateUnits evaluates the dirty indicators of units (sorted by code)
// at tick, in parallel when there is enough work, and returns the level
// changes in the same order a single worker would produce them: units
// in order, indicators in catalog order.
func (p *processor) evaluateUnits(tick int64, order *programOrder, units []*unitState, dirty map[*unitState]*bitset) ([]LevelChange, []*evaluator) {
	chunks := (len(units) + unitsPerChunk - 1) / unitsPerChunk
	workers := p.evaluatorsFor(min(p.maxWorkers, chunks))
	perChunk := make([][]LevelChange, chunks)
	var next atomic.Int64
	work := func(ev *evaluator) {
		ev.prepare(order)
		for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
			lo, hi := c*unitsPerChunk, min((c+1)*unitsPerChunk, len(units))
			var changes []LevelChange
			for _, u := range units[lo:hi] {
				changes = ev.evaluateUnit(u, tick, order, dirty[u], changes)
			}
			perChunk[c] = changes
		}
	}
	var wg sync.WaitGroup
	for _, ev := range workers[1:] {
		wg.Go(func() { work(ev) })
	}
	work(workers[0])
	wg.Wait()
	var changes []LevelChange
	for _, c := range perChunk {
		changes = append(changes, c...)
	}
	return changes, workers
}

// evaluatorsFor returns n evaluators (at least one), creating them on
// first need and keeping them for their buffers.
func (p *processor) evaluatorsFor(n int) []*evaluator {
	n = max(n, 1)
	for len(p.evaluators) < n {
		p.evaluators = append(p.evaluators, newEvaluator(p))
	}
	return p.evaluators[:n]
}

// prepare readies the evaluator for a tick with order.
func (ev *evaluator) prepare(order *programOrder) {
	ev.evaluated = resized(ev.evaluated, len(order.programs))
	clear(ev.rollups)
}

// resized returns b with length n, reusing its array when it can.
func resized(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	return b[:n]
}

// evaluateUnit evaluates u's indicators that read a flagged property or
// depend on one just evaluated, in catalog order, and flags u's ancestors
// for the roll-ups of those evaluated.
func (ev *evaluator) evaluateUnit(u *unitState, tick int64, order *programOrder, props *bitset, changes []LevelChange) []LevelChange {
	clear(ev.evaluated)
	rolled := false
	for i, pp := range order.programs {
		if pp.evalLevel != u.level || !needsEvaluation(pp, props, order, ev.evaluated) {
			continue
		}
		ev.evaluated[i] = true
		changes = ev.evaluateAt(u, pp, tick, changes)
		rolled = rolled || pp.ind.Rollup != indicator.RollupNone
	}
	if rolled {
		markAncestors(ev.rollups, u, order, ev.evaluated)
	}
	return changes
}

// evaluateAt evaluates and grades one indicator in one unit.
func (ev *evaluator) evaluateAt(u *unitState, pp *programPlan, tick int64, changes []LevelChange) []LevelChange {
	ev.scope.reset(u, tick, pp.window)
	value, ok, err := pp.prog.Eval(&ev.scope)
	if err != nil {
		ev.errors++
		ok = false
	}
	ok = ok && !math.IsNaN(value) && !math.IsInf(value, 0)
	sg := ev.signOf(u, pp)
	level := indicator.LevelNoData
	if ok {
		level = pp.prog.Grade(value, sg.level)
	}
	return ev.update(u, pp, sg, signUpdate{tick: tick, value: value, ok: ok, level: level, weight: ev.scope.registered}, changes)
}

func (ev *evaluator) signOf(u *unitState, pp *programPlan) *signState {
	return signOf(u, pp, &ev.slab, len(ev.p.signIDs))
}

// selection returns the streams of key in u's subtree, by id. The index
// is read only, as other workers read it too: a key no Program declared
// in Needs is found by a scan and indexed after the tick
// (processor.indexUnplanned).
func (ev *evaluator) selection(u *unitState, key selectionKey) []*streamState {
	if sel := u.selections[key]; sel != nil {
		return sel.streamsByID() // only planned keys are indexed
	}
	if !ev.p.plan.keys[key] {
		ev.unplanned = append(ev.unplanned, key)
		return ev.p.scanSelection(u, key)
	}
	return nil
}

// scanSelection returns the streams of key in u's subtree, by id, without
// the index.
func (p *processor) scanSelection(u *unitState, key selectionKey) []*streamState {
	var out []*streamState
	for _, st := range p.known.sorted() {
		if st.meta.Property != key.property || key.assetType != "" && key.assetType != st.meta.AssetType {
			continue
		}
		for a := st.unit; a != nil; a = a.parent {
			if a == u {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

// finishTick folds what the workers of a tick found into the processor:
// it indexes the selection keys they read undeclared, and adds their
// tallies to the counters.
func (p *processor) finishTick(workers []*evaluator) {
	for _, ev := range workers {
		for _, key := range ev.unplanned {
			p.indexKey(key)
		}
		ev.unplanned = ev.unplanned[:0]
		c := &p.e.counters
		c.evaluations.Add(ev.evaluations)
		c.evalErrors.Add(ev.errors)
		p.e.metrics.evaluations.Add(float64(ev.evaluations))
		ev.evaluations, ev.errors = 0, 0
	}
}

// mergeRollups ORs the workers' roll-up flags into the first worker's.
func mergeRollups(workers []*evaluator) map[*unitState][]bool {
	into := workers[0].rollups
	for _, ev := range workers[1:] {
		for u, flags := range ev.rollups {
			have := into[u]
			if have == nil {
				into[u] = flags
				continue
			}
			for i, f := range flags {
				have[i] = have[i] || f
			}
		}
	}
	return into
}
