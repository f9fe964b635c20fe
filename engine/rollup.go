package engine

import (
	"slices"

	"cityvitals/indicator"
)

// rollUp computes, for every unit above an evaluated one, the indicators
// evaluated below it from its children's current signs.
func (p *processor) rollUp(tick int64, order *programOrder, rollups map[*unitState][]bool, changes []LevelChange) []LevelChange {
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
			changes = p.rollUpAt(u, pp, tick, changes)
		}
	}
	return changes
}

// childSign is a child's state of one indicator.
type childSign struct {
	value  float64
	level  indicator.Level
	weight int
}

func (p *processor) rollUpAt(u *unitState, pp *programPlan, tick int64, changes []LevelChange) []LevelChange {
	var graded, withValue []childSign
	weight := 0
	for _, c := range u.children {
		s := c.signs[pp.ind.ID]
		if s == nil {
			continue
		}
		weight += s.weight
		if s.level != indicator.LevelNoData {
			graded = append(graded, childSign{value: s.value, level: s.level, weight: s.weight})
		}
		if s.hasValue {
			withValue = append(withValue, childSign{value: s.value, level: s.level, weight: s.weight})
		}
	}
	sg := signOf(u, pp.ind.ID)
	value, level, ok := rollupOf(pp, graded, withValue, sg.level)
	share := pp.ind.Rollup == indicator.RollupShareAbove
	return p.update(u, pp, sg, tick, value, ok, level, weight, share, changes)
}

// rollupOf applies the indicator's rule to the children's signs: graded
// are the children with a level, withValue those with a value.
func rollupOf(pp *programPlan, graded, withValue []childSign, prev indicator.Level) (float64, indicator.Level, bool) {
	ind := pp.ind
	switch ind.Rollup {
	case indicator.RollupShareAbove:
		if len(graded) == 0 {
			return 0, indicator.LevelNoData, false
		}
		above := 0
		for _, c := range graded {
			if c.level >= ind.RollupLevel {
				above++
			}
		}
		share := float64(above) / float64(len(graded))
		return share, pp.prog.GradeRollup(share, prev), true
	case indicator.RollupMax, indicator.RollupMin, indicator.RollupSum, indicator.RollupAvg:
		if len(withValue) == 0 {
			return 0, indicator.LevelNoData, false
		}
		v := combine(ind.Rollup, withValue)
		return v, pp.prog.Grade(v, prev), true
	default: // worst, and the parser's default
		if len(graded) == 0 {
			return 0, indicator.LevelNoData, false
		}
		worst := graded[0]
		for _, c := range graded[1:] {
			if c.level > worst.level {
				worst = c
			}
		}
		return worst.value, worst.level, true
	}
}

// combine reduces children's values by a numeric rule. Averages are
// weighted by the streams behind each child, at least one each.
func combine(rule indicator.RollupRule, children []childSign) float64 {
	v := children[0].value
	var sum, weights float64
	for i, c := range children {
		switch rule {
		case indicator.RollupMax:
			v = max(v, c.value)
		case indicator.RollupMin:
			v = min(v, c.value)
		case indicator.RollupSum:
			if i == 0 {
				v = 0
			}
			v += c.value
		case indicator.RollupAvg:
			w := float64(max(1, c.weight))
			sum += w * c.value
			weights += w
		}
	}
	if rule == indicator.RollupAvg {
		return sum / weights
	}
	return v
}
