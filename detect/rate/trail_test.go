package rate

import (
	"math"
	"testing"
	"time"
)

// TestSlopeOfALineIsExact: whatever the cadence (one reading a bin or
// many), the slope of readings on a line is the line's slope, and the
// readings counted are those in the window.
func TestSlopeOfALineIsExact(t *testing.T) {
	const window = int64(15 * 60_000)
	tests := []struct {
		name     string
		bins     int
		step     int64 // ms between readings
		readings int   // expected in the window at the end
	}{
		{"5-minute cadence, bin each", 8, 5 * 60_000, 4},
		{"1-minute cadence, bins shared", 8, 60_000, 16},
		{"1-second cadence", 8, 1000, 901},
		{"3 bins, 20-second cadence", 3, 20_000, 46},
		{"64 bins, 7-second cadence", 64, 7_000, 129},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newTrail(tc.bins)
			var now int64
			for now = 0; now <= 2*window; now += tc.step {
				w.add(now, 50-0.25*float64(now)/60_000, window, window/int64(tc.bins))
			}
			now -= tc.step
			e := w.slope(now, float64(time.Minute.Milliseconds()))
			if math.Abs(e.rate+0.25) > 1e-9 {
				t.Fatalf("rate %g, want -0.25", e.rate)
			}
			// bins may keep up to one bin width beyond the window
			width := window / int64(tc.bins)
			if lo, hi := tc.readings, tc.readings+int(width/tc.step)+1; e.readings < lo || e.readings > hi {
				t.Fatalf("%d readings in the window, want %d..%d", e.readings, lo, hi)
			}
			if e.span < window-tc.step || e.span > window+width {
				t.Fatalf("span %d ms, want about the window %d", e.span, window)
			}
		})
	}
}

// TestWindowForgetsOldReadings: a crash followed by a flat stretch longer
// than the window leaves a slope of zero.
func TestWindowForgetsOldReadings(t *testing.T) {
	const window = int64(15 * 60_000)
	w := newTrail(8)
	w.add(0, 1000, window, window/8)
	w.add(60_000, 0, window, window/8)
	for now := int64(120_000); now <= 120_000+window+window/8; now += 30_000 {
		w.add(now, 0, window, window/8)
	}
	if e := w.slope(120_000+window+window/8, 60_000); e.rate != 0 {
		t.Fatalf("rate %g, want 0 once the crash left the window", e.rate)
	}
}

func TestSlopeNeedsTwoBins(t *testing.T) {
	w := newTrail(8)
	if e := w.slope(0, 60_000); !math.IsNaN(e.rate) {
		t.Fatalf("empty window rate %g, want NaN", e.rate)
	}
	w.add(0, 1, 60_000, 60_000)
	w.add(10, 2, 60_000, 60_000) // same bin
	if e := w.slope(10, 60_000); !math.IsNaN(e.rate) || e.readings != 2 {
		t.Fatalf("one bin: %+v, want NaN from 2 readings", e)
	}
}

func TestGrade(t *testing.T) {
	c := compile(Spec{Direction: Drop, Thresholds: [4]float64{2, 5, 10, 20}, Hysteresis: 0.5, Window: time.Minute, Per: time.Minute, MinReadings: 3})
	tests := []struct {
		rate    float64
		current int8
		want    int8
	}{
		{0, 0, 0},
		{-1.99, 0, 0},
		{-2, 0, 1},
		{-25, 0, 4},
		{-12, 1, 3},
		{2, 1, 0},     // rising, watched direction is drop
		{-1.6, 1, 1},  // within the hysteresis
		{-1.49, 1, 0}, // below it
		{-4.6, 2, 2},  // kept
		{-4.4, 2, 1},  // down a level, still above blue
		{-19.6, 4, 4}, // red kept
		{-9.6, 4, 3},  // orange kept with its hysteresis
		{-1.4, 4, 0},  // straight to clear
		{-4.9, 1, 1},  // yellow is entered exactly at its threshold only
		{math.NaN(), 2, 0},
	}
	for _, tc := range tests {
		if got := c.grade(tc.rate, tc.current); got != tc.want {
			t.Errorf("grade(%g, %d) = %d, want %d", tc.rate, tc.current, got, tc.want)
		}
	}
	either := compile(Spec{Direction: Either, Thresholds: [4]float64{2, 0, 0, 0}, Window: time.Minute, Per: time.Minute, MinReadings: 3})
	if either.grade(3, 0) != 1 || either.grade(-3, 0) != 1 {
		t.Error("either: a fast change either way is level 1")
	}
}
