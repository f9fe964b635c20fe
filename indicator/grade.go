package indicator

import "math"

// levels lists the grades from least to most severe.
var levels = [...]Level{LevelBlue, LevelYellow, LevelOrange, LevelRed}

// bound returns the threshold of level l on the upper side.
func (t Thresholds) bound(l Level) *float64 {
	return [...]*float64{t.Blue, t.Yellow, t.Orange, t.Red}[l-LevelBlue]
}

// lowBound returns the threshold of level l on the lower side of a band.
func (t Thresholds) lowBound(l Level) *float64 {
	return [...]*float64{t.LowBlue, t.LowYellow, t.LowOrange, t.LowRed}[l-LevelBlue]
}

// Grade returns the level of value, given the level prev of the previous
// evaluation (LevelNone or LevelNoData when there was none).
//
// A level is entered when the value reaches its threshold: for direction
// high, value ≥ threshold; for low, value ≤ threshold; for band, either
// side's rule. A level at or below prev is kept until the value has gone
// back past its threshold by Hysteresis, so a value hovering at a
// threshold does not flap: with red at 50 and hysteresis 2, a red value of
// 49 stays red and 47.9 drops to the next level whose own threshold (less
// the hysteresis) it still reaches. For band, hysteresis applies on both
// sides against prev. NaN is LevelNoData.
func (p *Program) Grade(value float64, prev Level) Level {
	t, h := p.ind.Thresholds, p.ind.Hysteresis
	switch p.ind.Direction {
	case LowIsBad:
		return gradeSide(value, prev, h, t.bound, below)
	case OutsideBand:
		return max(gradeSide(value, prev, h, t.bound, above), gradeSide(value, prev, h, t.lowBound, below))
	default:
		return gradeSide(value, prev, h, t.bound, above)
	}
}

// GradeRollup grades the share (0..1) of a parent unit's children at or
// above RollupLevel by RollupThresholds, direction high, with
// RollupHysteresis. It is LevelNoData for indicators whose roll-up is not
// share_above, and for NaN.
func (p *Program) GradeRollup(share float64, prev Level) Level {
	if p.ind.Rollup != RollupShareAbove {
		return LevelNoData
	}
	return gradeSide(share, prev, p.ind.RollupHysteresis, p.ind.RollupThresholds.bound, above)
}

// side says whether value reaches threshold, allowing slack in the value's
// favour (the hysteresis).
type side func(value, threshold, slack float64) bool

func above(value, threshold, slack float64) bool { return value >= threshold-slack }
func below(value, threshold, slack float64) bool { return value <= threshold+slack }

// gradeSide returns the most severe level whose threshold the value
// reaches: exactly for levels above prev, with hysteresis for prev and the
// levels below it.
func gradeSide(value float64, prev Level, hysteresis float64, bound func(Level) *float64, reaches side) Level {
	if math.IsNaN(value) {
		return LevelNoData
	}
	for i := len(levels) - 1; i >= 0; i-- {
		l := levels[i]
		t := bound(l)
		if t == nil {
			continue
		}
		slack := 0.0
		if l <= prev {
			slack = hysteresis
		}
		if reaches(value, *t, slack) {
			return l
		}
	}
	return LevelNone
}
