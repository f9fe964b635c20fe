package indicator

import (
	"math"
	"testing"
)

func f(v float64) *float64 { return &v }

func TestGrade(t *testing.T) {
	t.Parallel()
	high := Indicator{Direction: HighIsBad, Hysteresis: 2, Thresholds: Thresholds{Blue: f(10), Yellow: f(20), Orange: f(25), Red: f(50)}}
	low := Indicator{Direction: LowIsBad, Hysteresis: 0.5, Thresholds: Thresholds{Blue: f(3), Red: f(1)}}
	band := Indicator{Direction: OutsideBand, Hysteresis: 1, Thresholds: Thresholds{Blue: f(30), Red: f(40), LowBlue: f(10), LowRed: f(0)}}
	tests := []struct {
		name  string
		ind   Indicator
		value float64
		prev  Level
		want  Level
	}{
		{"high below blue", high, 9.9, LevelNone, LevelNone},
		{"high at blue enters", high, 10, LevelNone, LevelBlue},
		{"high at red enters", high, 50, LevelBlue, LevelRed},
		{"high jumps levels", high, 26, LevelNone, LevelOrange},
		{"high red kept within hysteresis", high, 48.5, LevelRed, LevelRed},
		{"high red left past hysteresis", high, 47.9, LevelRed, LevelOrange},
		{"high lower level also kept within hysteresis", high, 23.5, LevelRed, LevelOrange},
		{"high no hysteresis to enter", high, 48.5, LevelOrange, LevelOrange},
		{"high back to normal", high, 7.9, LevelBlue, LevelNone},
		{"high blue kept within hysteresis", high, 8, LevelBlue, LevelBlue},
		{"high after no data", high, 49, LevelNoData, LevelOrange},
		{"high NaN", high, math.NaN(), LevelRed, LevelNoData},
		{"low above blue", low, 3.1, LevelNone, LevelNone},
		{"low at blue", low, 3, LevelNone, LevelBlue},
		{"low unused grades skipped", low, 2, LevelNone, LevelBlue},
		{"low at red", low, 1, LevelBlue, LevelRed},
		{"low red kept within hysteresis", low, 1.4, LevelRed, LevelRed},
		{"low red left past hysteresis", low, 1.6, LevelRed, LevelBlue},
		{"low NaN", low, math.NaN(), LevelNone, LevelNoData},
		{"band inside", band, 20, LevelNone, LevelNone},
		{"band high side", band, 30, LevelNone, LevelBlue},
		{"band high red", band, 41, LevelNone, LevelRed},
		{"band low side", band, 10, LevelNone, LevelBlue},
		{"band low red", band, -0.5, LevelBlue, LevelRed},
		{"band low red kept within hysteresis", band, 0.5, LevelRed, LevelRed},
		{"band low red left", band, 1.5, LevelRed, LevelBlue},
		{"band high blue kept within hysteresis", band, 29.5, LevelBlue, LevelBlue},
		{"band NaN", band, math.NaN(), LevelNone, LevelNoData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &Program{ind: tt.ind}
			if got := p.Grade(tt.value, tt.prev); got != tt.want {
				t.Errorf("Grade(%v, prev %d) = %d; want %d", tt.value, tt.prev, got, tt.want)
			}
		})
	}
}

func TestGradeRollup(t *testing.T) {
	t.Parallel()
	share := Indicator{Rollup: RollupShareAbove, RollupLevel: LevelOrange, RollupHysteresis: 0.05,
		RollupThresholds: Thresholds{Yellow: f(0.2), Red: f(0.5)}}
	worst := Indicator{Rollup: RollupWorst, Thresholds: Thresholds{Red: f(1)}}
	tests := []struct {
		name  string
		ind   Indicator
		share float64
		prev  Level
		want  Level
	}{
		{"none", share, 0.1, LevelNone, LevelNone},
		{"yellow", share, 0.2, LevelNone, LevelYellow},
		{"red", share, 0.6, LevelYellow, LevelRed},
		{"red kept within hysteresis", share, 0.46, LevelRed, LevelRed},
		{"red left", share, 0.44, LevelRed, LevelYellow},
		{"NaN", share, math.NaN(), LevelNone, LevelNoData},
		{"not share_above", worst, 0.9, LevelNone, LevelNoData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &Program{ind: tt.ind}
			if got := p.GradeRollup(tt.share, tt.prev); got != tt.want {
				t.Errorf("GradeRollup(%v, prev %d) = %d; want %d", tt.share, tt.prev, got, tt.want)
			}
		})
	}
}
