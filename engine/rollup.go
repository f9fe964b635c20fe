package engine

import (
	"slices"

	"cityvitals/indicator"
)

// rollUp computes, for every unit above an evaluated one, the indicators
// evaluated below it from its children's current signs.
// ev is the processing goroutine's evaluator.
func (p *processor) rollUp(tick int64, order *programOrder, rollups map[*unitState][]bool, ev *evaluator, changes []LevelChange) []LevelChange {
	units := make([]*unitState, 0, len(rollups))
	for u := range rollups {
		units = append(units, u)
	}
	slices.SortFunc(units, byDepthThenCode)
	for _, u := range units {
		for i, flagged := range rollups[u] {
			pp := order.programs[i]
			if !flagged || u.rank >= pp.evalRank {
				continue
			}
			changes = ev.rollUpAt(u, pp, tick, changes)
		}
	}
	return changes
}

// childAggregate reduces a parent's children's signs of one indicator in
// one pass, in child order, without keeping them: graded are children
// with a level, withValue those with a value.
type childAggregate struct {
	rule          indicator.RollupRule
	rollupLevel   indicator.Level
	weight        int // streams behind every child with a sign
	graded, above int // above: graded at or above rollupLevel
	worst         *signState
	withValue     int
	combined      float64 // max, min or sum of the values so far
	sum, weights  float64 // weighted average terms
}

func (a *childAggregate) add(s *signState) {
	a.weight += s.weight
	if s.level != indicator.LevelNoData {
		a.graded++
		if s.level >= a.rollupLevel {
			a.above++
		}
		if a.worst == nil || s.level > a.worst.level {
			a.worst = s
		}
	}
	if !s.hasValue {
		return
	}
	a.withValue++
	switch a.rule {
	case indicator.RollupMax:
		a.combined = a.first(s.value, max(a.combined, s.value))
	case indicator.RollupMin:
		a.combined = a.first(s.value, min(a.combined, s.value))
	case indicator.RollupSum:
		a.combined += s.value
	case indicator.RollupAvg:
		w := float64(max(1, s.weight)) // at least one each
		a.sum += w * s.value
		a.weights += w
	}
}

// first returns v for the first child with a value, else next.
func (a *childAggregate) first(v, next float64) float64 {
	if a.withValue == 1 {
		return v
	}
	return next
}

func (ev *evaluator) rollUpAt(u *unitState, pp *programPlan, tick int64, changes []LevelChange) []LevelChange {
	agg := childAggregate{rule: pp.ind.Rollup, rollupLevel: pp.ind.RollupLevel}
	for _, c := range u.children {
		if s := c.sign(pp.sign); s != nil {
			agg.add(s)
		}
	}
	sg := ev.signOf(u, pp)
	value, level, ok := rollupOf(pp, &agg, sg.level)
	share := pp.ind.Rollup == indicator.RollupShareAbove
	return ev.update(u, pp, sg, signUpdate{tick: tick, value: value, ok: ok, level: level, weight: agg.weight, share: share}, changes)
}

// rollupOf applies the indicator's rule to the children's aggregate.
func rollupOf(pp *programPlan, agg *childAggregate, prev indicator.Level) (float64, indicator.Level, bool) {
	switch pp.ind.Rollup {
	case indicator.RollupShareAbove:
		if agg.graded == 0 {
			return 0, indicator.LevelNoData, false
		}
		share := float64(agg.above) / float64(agg.graded)
		return share, pp.prog.GradeRollup(share, prev), true
	case indicator.RollupMax, indicator.RollupMin, indicator.RollupSum, indicator.RollupAvg:
		if agg.withValue == 0 {
			return 0, indicator.LevelNoData, false
		}
		v := agg.combined
		if pp.ind.Rollup == indicator.RollupAvg {
			v = agg.sum / agg.weights
		}
		return v, pp.prog.Grade(v, prev), true
	default: // worst, and the parser's default
		if agg.graded == 0 {
			return 0, indicator.LevelNoData, false
		}
		return agg.worst.value, agg.worst.level, true
	}
}
