package engine

import (
	"testing"

	"cityvitals/indicator"
	"cityvitals/model"
)

func TestLevelChangesWithHysteresis(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	streams := fakeStreams{1: {Property: "gas_lel", AssetType: "manhole_cover", Unit: "g1"}}
	e, rec := newTestEngine(t, Config{}, cat, gridTree(), streams)

	// gas.leak: blue 10, yellow 20, orange 25, red 50, hysteresis 2.
	steps := []struct {
		name  string
		value float64
		want  indicator.Level
	}{
		{"normal", 5, indicator.LevelNone},
		{"blue", 12, indicator.LevelBlue},
		{"yellow", 22, indicator.LevelYellow},
		{"orange", 26, indicator.LevelOrange},
		{"red", 55, indicator.LevelRed},
		{"red held by hysteresis", 49, indicator.LevelRed},
		{"orange after leaving red band", 47, indicator.LevelOrange},
		{"orange held by hysteresis", 24, indicator.LevelOrange},
		{"yellow held by hysteresis", 19, indicator.LevelYellow},
		{"normal again", 5, indicator.LevelNone},
	}
	for i, s := range steps {
		e.Observe([]model.Observation{obs(1, minute(i), s.value)})
	}
	e.Flush()

	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			// Quiet moves (no data ↔ normal) are not level changes, so
			// before any change the level reads as normal.
			var got indicator.Level = indicator.LevelNone
			for _, c := range rec.of("g1", "gas.leak") {
				if c.Time <= minute(i) {
					got = c.To
				}
			}
			if got != s.want {
				t.Errorf("minute %d value %v: level %v, want %v", i, s.value, got, s.want)
			}
		})
	}
	changes := rec.of("g1", "gas.leak")
	if len(changes) != 7 {
		t.Fatalf("got %d level changes, want 7: %+v", len(changes), changes)
	}
	toRed, redToOrange := changes[3], changes[4]
	if toRed.Threshold != 50 || toRed.From != indicator.LevelOrange || toRed.Value != 55 {
		t.Errorf("rise to red: %+v, want threshold 50 from orange at 55", toRed)
	}
	if redToOrange.Threshold != 50 || redToOrange.Time != minute(6) {
		t.Errorf("fall from red: %+v, want threshold 50 (the old level's) at minute 6", redToOrange)
	}
	if toRed.Window != cat.Programs()[0].Indicator().Window {
		t.Errorf("window %v, want the indicator's", toRed.Window)
	}
}

func TestWindowExpiryWithoutFurtherData(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	streams := fakeStreams{
		1: {Property: "gas_lel", Unit: "g1"},
		2: {Property: "gas_lel", Unit: "g1"},
		3: {Property: "gas_lel", Unit: "g2"}, // advances event time only
	}
	e, rec := newTestEngine(t, Config{}, cat, gridTree(), streams)
	e.Observe([]model.Observation{obs(1, minute(0), 3), obs(2, minute(0), 4)})
	e.Observe([]model.Observation{obs(1, minute(2), 3)})
	for m := 1; m <= 20; m++ {
		e.Observe([]model.Observation{obs(3, minute(m), 1)})
	}
	e.Flush()

	// Stream 2's only point leaves the 10-minute window (t−10m, t] at
	// minute 10, stream 1's at minute 12.
	tests := []struct {
		name      string
		indicator string
		time      int64
		to        indicator.Level
	}{
		{"one of two silent", "gas.reporting", minute(10), indicator.LevelYellow},
		{"both silent", "gas.reporting", minute(12), indicator.LevelRed},
		{"none counted", "gas.sensors", minute(12), indicator.LevelRed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range rec.of("g1", tt.indicator) {
				if c.Time == tt.time && c.To == tt.to {
					return
				}
			}
			t.Errorf("no change of %s to %v at %d; changes %+v", tt.indicator, tt.to, tt.time, rec.of("g1", tt.indicator))
		})
	}
	if s := sign(t, e, "g1", "gas.reporting"); !s.HasValue || s.Value != 0 {
		t.Errorf("final reporting %+v, want 0", s)
	}
	if s := sign(t, e, "g1", "gas.leak"); s.HasValue || s.Level != indicator.LevelNoData {
		t.Errorf("final gas.leak %+v, want no data once every point left the window", s)
	}
}

func TestLatenessAndDuplicates(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	streams := fakeStreams{1: {Property: "gas_lel", Unit: "g1"}, 2: {Property: "gas_lel", Unit: "g2"}}
	sorted := []model.Observation{obs(1, minute(0), 5), obs(2, minute(0), 6), obs(1, minute(1), 30), obs(2, minute(1), 12), obs(1, minute(2), 7)}
	tests := []struct {
		name           string
		batches        [][]model.Observation
		late, dup      int64
		wantLeakLevels []indicator.Level // g1's gas.leak changes, in order
	}{
		{
			name:           "sorted",
			batches:        [][]model.Observation{sorted},
			wantLeakLevels: []indicator.Level{indicator.LevelOrange, indicator.LevelNone},
		},
		{
			name:           "out of order within lateness",
			batches:        [][]model.Observation{{sorted[3], sorted[1]}, {sorted[4], sorted[0], sorted[2]}},
			wantLeakLevels: []indicator.Level{indicator.LevelOrange, indicator.LevelNone},
		},
		{
			name:           "buffered duplicate: last received wins",
			batches:        [][]model.Observation{{obs(1, minute(1), 99)}, sorted},
			wantLeakLevels: []indicator.Level{indicator.LevelOrange, indicator.LevelNone},
		},
		{
			name: "late and applied duplicate",
			batches: [][]model.Observation{sorted, {obs(2, minute(10), 1)},
				{obs(1, minute(2), 60), obs(1, minute(7)+1, 60)}},
			late: 1, dup: 1,
			wantLeakLevels: []indicator.Level{indicator.LevelOrange, indicator.LevelNone},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newTestEngine(t, Config{}, cat, gridTree(), streams)
			for _, b := range tt.batches {
				e.Observe(b)
				e.drain()
			}
			e.Flush()
			var levels []indicator.Level
			for _, c := range rec.of("g1", "gas.leak") {
				levels = append(levels, c.To)
			}
			if !equalLevels(levels, tt.wantLeakLevels) {
				t.Errorf("gas.leak levels %v, want %v", levels, tt.wantLeakLevels)
			}
			st := e.Stats()
			if st.Late != tt.late || st.Duplicates != tt.dup {
				t.Errorf("late %d duplicates %d, want %d and %d", st.Late, st.Duplicates, tt.late, tt.dup)
			}
		})
	}
}

func equalLevels(a, b []indicator.Level) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
