package rate_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/rate"
	"cityvitals/model"
)

// start is the event time the series begin at.
var start = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC).UnixMilli()

func names(unit string) (string, string) {
	if unit == "310115" {
		return "浦东新区", "Pudong"
	}
	return "黄浦区", "Huangpu"
}

func specFor(t testing.TB, property string) rate.Spec {
	t.Helper()
	for _, s := range rate.DefaultSpecs() {
		if s.Property == property {
			return s
		}
	}
	t.Fatalf("no default spec for %s", property)
	return rate.Spec{}
}

func newDetector(t testing.TB, specs ...rate.Spec) *rate.Detector {
	t.Helper()
	if len(specs) == 0 {
		specs = rate.DefaultSpecs()
	}
	d, err := rate.New(specs, names)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// series feeds n readings of stream id, every step from start, one batch
// each, and returns the findings in order.
func series(d *rate.Detector, id int64, step time.Duration, n int, value func(i int) float64) []alert.Finding {
	var out []alert.Finding
	for i := range n {
		at := start + int64(i)*step.Milliseconds()
		d.ObserveBatch([]model.Observation{{Stream: id, Time: at, Value: value(i)}})
		out = append(out, d.Drain()...)
	}
	return out
}

func levels(fs []alert.Finding) []int8 {
	out := make([]int8, len(fs))
	for i, f := range fs {
		out[i] = f.Level
	}
	return out
}

// piecewise is a series made of straight stretches: each stretch holds its
// rate (units per step) for its number of readings.
func piecewise(from float64, stretches ...[2]float64) func(i int) float64 {
	var values []float64
	v := from
	for _, s := range stretches {
		for range int(s[1]) {
			values = append(values, v)
			v += s[0]
		}
	}
	return func(i int) float64 { return values[min(i, len(values)-1)] }
}

func TestSteadySeriesFindsNothing(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 1, Property: "gas_pressure", Unit: "310115"})
	if fs := series(d, 1, time.Minute, 24*60, func(int) float64 { return 300 }); len(fs) != 0 {
		t.Fatalf("a steady day gave %d findings, first %+v", len(fs), fs[0])
	}
	if st := d.Stats(); st.Streams != 1 || st.OutOfOrder+st.Bad+st.Invalid != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestFasterDropRaisesEachLevelInOrder steps a gas main's fall through
// 3, 6, 12 and 25 kPa/min, each held longer than the window, then holds
// the pressure: blue, yellow, orange, red, cleared.
func TestFasterDropRaisesEachLevelInOrder(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 12, Property: "gas_pressure", Unit: "310115"})
	value := piecewise(2500, [2]float64{0, 30}, [2]float64{-3, 20}, [2]float64{-6, 20}, [2]float64{-12, 20}, [2]float64{-25, 20}, [2]float64{0, 40})
	fs := series(d, 12, time.Minute, 150, value)
	got := levels(fs)
	if len(got) < 5 || !slices.Equal(got[:4], []int8{1, 2, 3, 4}) || got[len(got)-1] != 0 {
		t.Fatalf("levels %v, want 1, 2, 3, 4, then down to 0", got)
	}
	for i := 4; i < len(got); i++ {
		if got[i] >= got[i-1] {
			t.Fatalf("levels %v: not falling back once the pressure holds", got)
		}
	}
	onsets := []int{30, 50, 70, 90, 110} // minute at which each rate begins
	for i, f := range fs[:4] {
		lo, hi := start+int64(onsets[i])*60_000, start+int64(onsets[i]+15)*60_000
		if f.At <= lo || f.At > hi {
			t.Errorf("level %d at minute %d, want within the window after minute %d", f.Level, (f.At-start)/60_000, onsets[i])
		}
	}
	if last := fs[len(fs)-1]; last.At <= start+110*60_000 || last.At > start+125*60_000 {
		t.Errorf("cleared at minute %d, want within the window after minute 110", (last.At-start)/60_000)
	}
	if r := fs[3].Evidence["rate"].(float64); r > -20 {
		t.Errorf("red raised at rate %g, want ≤ -20", r)
	}
}

// TestLineIsMeasuredExactly feeds a straight fall of 7 kPa/min at
// irregular times, up to several readings per bin: the rate in the
// finding is the line's slope.
func TestLineIsMeasuredExactly(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 3, Property: "gas_pressure", Unit: "310115"})
	rng := rand.New(rand.NewPCG(1, 2))
	at := start
	var fs []alert.Finding
	for at < start+30*60_000 {
		at += 1000 + rng.Int64N(40_000)
		v := 1000 - 7*float64(at-start)/60_000
		d.ObserveBatch([]model.Observation{{Stream: 3, Time: at, Value: v}})
		fs = append(fs, d.Drain()...)
	}
	if len(fs) != 1 || fs[0].Level != 2 {
		t.Fatalf("findings %v, want one yellow", levels(fs))
	}
	if r := fs[0].Evidence["rate"].(float64); math.Abs(r+7) > 1e-9 {
		t.Fatalf("rate %g, want -7", r)
	}
}

// TestNoiseAroundAFlatLineNeverFires feeds every default property 10,000
// readings of Gaussian noise around a flat line at its catalog cadence.
// The noise is strong enough that rates from two-point differences would
// pass the blue threshold about once in a hundred readings; the slope
// over the window never does.
func TestNoiseAroundAFlatLineNeverFires(t *testing.T) {
	cadence := map[string]time.Duration{"transformer_load_rate": 15 * time.Minute}
	for i, spec := range rate.DefaultSpecs() {
		t.Run(spec.Property, func(t *testing.T) {
			step := cadence[spec.Property]
			if step == 0 {
				step = 5 * time.Minute
			}
			perSteps := float64(spec.Per) / float64(step)
			// two-point rate sigma = sigma·√2·perSteps; put blue at 2.33 of it
			sigma := spec.Thresholds[0] / 2.33 / math.Sqrt2 / perSteps
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			values := make([]float64, 10_000)
			for j := range values {
				values[j] = 100 + sigma*rng.NormFloat64()
			}
			twoPoint := 0
			for j := 1; j < len(values); j++ {
				r := (values[j] - values[j-1]) * perSteps
				if spec.Direction == rate.Drop {
					r = -r
				}
				if r >= spec.Thresholds[0] {
					twoPoint++
				}
			}
			if twoPoint < 50 {
				t.Fatalf("the noise is too weak to test anything: two-point rates passed blue %d times", twoPoint)
			}
			d := newDetector(t, spec)
			d.Register(rate.Stream{ID: 5, Property: spec.Property, Unit: "310115"})
			if fs := series(d, 5, step, len(values), func(j int) float64 { return values[j] }); len(fs) != 0 {
				t.Fatalf("%d findings on noise (two-point differences: %d), first %s", len(fs), twoPoint, fs[0].SummaryEN)
			}
		})
	}
}

func TestRecoveryClears(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 8, Property: "water_pressure", Unit: "310101"})
	value := piecewise(0.35, [2]float64{0, 10}, [2]float64{-0.06, 4}, [2]float64{0, 25})
	fs := series(d, 8, time.Minute, 39, value)
	if len(fs) < 2 || fs[0].Level == 0 || fs[len(fs)-1].Level != 0 {
		t.Fatalf("levels %v, want raised then cleared", levels(fs))
	}
	clear := fs[len(fs)-1]
	if !strings.Contains(clear.SummaryZH, "恢复正常") || !strings.Contains(clear.SummaryEN, "back to normal") {
		t.Fatalf("clear summaries %q / %q", clear.SummaryZH, clear.SummaryEN)
	}
	if clear.Evidence["threshold"] != 0.005 || clear.Evidence["from"] == 0 {
		t.Fatalf("clear evidence %v", clear.Evidence)
	}
}

// TestHysteresisPreventsFlapping holds a fall at exactly the blue
// threshold with a slow wobble of ±0.15 kPa/min: with the default
// hysteresis it is raised once; without, it flaps with the wobble.
func TestHysteresisPreventsFlapping(t *testing.T) {
	wobble := func(i int) float64 { // minutes
		return 3000 - 2*float64(i) + math.Sin(2*math.Pi*float64(i)/40)
	}
	spec := specFor(t, "gas_pressure")
	d := newDetector(t, spec)
	d.Register(rate.Stream{ID: 1, Property: "gas_pressure", Unit: "310115"})
	if fs := series(d, 1, time.Minute, 6*60, wobble); !slices.Equal(levels(fs), []int8{1}) {
		t.Fatalf("with hysteresis %g: levels %v, want [1]", spec.Hysteresis, levels(fs))
	}
	spec.Hysteresis = 0
	d = newDetector(t, spec)
	d.Register(rate.Stream{ID: 1, Property: "gas_pressure", Unit: "310115"})
	if fs := series(d, 1, time.Minute, 6*60, wobble); len(fs) < 10 {
		t.Fatalf("without hysteresis: levels %v, want it to flap (the test would prove nothing)", levels(fs))
	}
}

func TestOutOfOrderAndDuplicateReadingsAreIgnored(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 4, Property: "gas_pressure", Unit: "310115"})
	series(d, 4, time.Minute, 20, func(int) float64 { return 300 })
	last := start + 19*60_000
	d.ObserveBatch([]model.Observation{
		{Stream: 4, Time: last, Value: 10},             // duplicate time
		{Stream: 4, Time: last - 30*60_000, Value: 10}, // late, and a crash if believed
		{Stream: 4, Time: last + 60_000, Value: 300},
		{Stream: 4, Time: last + 30_000, Value: 10}, // behind the reading just before it
	})
	if fs := d.Drain(); len(fs) != 0 {
		t.Fatalf("findings %v from ignored readings", levels(fs))
	}
	if st := d.Stats(); st.OutOfOrder != 3 {
		t.Fatalf("out of order %d, want 3", st.OutOfOrder)
	}
}

func TestBadAndInvalidReadingsAreIgnored(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 4, Property: "gas_pressure", Unit: "310115"})
	series(d, 4, time.Minute, 20, func(int) float64 { return 300 })
	next := start + 20*60_000
	d.ObserveBatch([]model.Observation{
		{Stream: 4, Time: next, Value: math.NaN()},
		{Stream: 4, Time: next + 1, Value: math.Inf(-1)},
		{Stream: 4, Time: -1, Value: 0},
		{Stream: 4, Time: math.MaxInt64, Value: 0},
		{Stream: 4, Time: next + 2, Value: -1e6, Quality: model.QualityBad},
		{Stream: 4, Time: next + 3, Value: 299.9, Quality: model.QualitySuspect},
	})
	if fs := d.Drain(); len(fs) != 0 {
		t.Fatalf("findings %v from ignored readings", levels(fs))
	}
	if st := d.Stats(); st.Invalid != 4 || st.Bad != 1 || st.OutOfOrder != 0 {
		t.Fatalf("stats %+v, want 4 invalid, 1 bad", st)
	}
}

func TestUnregisteredAndUnwatchedStreamsAreIgnored(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 2, Property: "noise", Unit: "310115"}, rate.Stream{ID: 3, Property: "gas_pressure", Unit: "310115"})
	crash := func(i int) float64 { return 3000 - 100*float64(i) }
	fs := series(d, 1, time.Minute, 30, crash)
	fs = append(fs, series(d, 2, time.Minute, 30, crash)...)
	if len(fs) != 0 {
		t.Fatalf("findings %v for streams not watched", levels(fs))
	}
	if st := d.Stats(); st.Streams != 1 {
		t.Fatalf("watching %d streams, want only the gas one", st.Streams)
	}
}

// TestReRegisterMovesTheFinding: the unit is part of a finding's identity,
// so a stream moved while active clears under the old unit and raises
// under the new one, keeping its window.
func TestReRegisterMovesTheFinding(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 6, Property: "gas_pressure", Unit: "310101"})
	fall := func(i int) float64 { return 3000 - 7*float64(i) }
	if fs := series(d, 6, time.Minute, 20, fall); !slices.Equal(levels(fs), []int8{2}) {
		t.Fatalf("levels %v, want [2]", levels(fs))
	}
	d.Register(rate.Stream{ID: 6, Property: "gas_pressure", Unit: "310101"})
	if fs := d.Drain(); len(fs) != 0 {
		t.Fatalf("re-registering unchanged gave %v", levels(fs))
	}
	d.Register(rate.Stream{ID: 6, Property: "gas_pressure", Unit: "310115"})
	fs := d.Drain()
	if len(fs) != 2 || fs[0].Level != 0 || fs[0].Labels["unit"] != "310101" || fs[1].Level != 2 || fs[1].Labels["unit"] != "310115" {
		t.Fatalf("move gave %+v", fs)
	}
	if fs[1].At != start+19*60_000 || !strings.HasPrefix(fs[1].SummaryZH, "浦东新区") {
		t.Fatalf("moved finding at %d, %q", fs[1].At, fs[1].SummaryZH)
	}
	d.ObserveBatch([]model.Observation{{Stream: 6, Time: start + 20*60_000, Value: fall(20)}})
	if fs := d.Drain(); len(fs) != 0 {
		t.Fatalf("the window was lost in the move: %v", levels(fs))
	}
}

func TestPropertyChangeAndForgetClear(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 6, Property: "gas_pressure", Unit: "310101"}, rate.Stream{ID: 7, Property: "gas_pressure", Unit: "310101"})
	fall := func(i int) float64 { return 3000 - 7*float64(i) }
	series(d, 6, time.Minute, 20, fall)
	series(d, 7, time.Minute, 20, fall)
	d.Register(rate.Stream{ID: 6, Property: "water_pressure", Unit: "310101"})
	d.Forget(7, 99)
	fs := d.Drain()
	if len(fs) != 2 || fs[0].Level != 0 || fs[0].Labels["stream"] != "6" || fs[0].Labels["property"] != "gas_pressure" ||
		fs[1].Level != 0 || fs[1].Labels["stream"] != "7" {
		t.Fatalf("findings %+v, want clears of 6 and 7", fs)
	}
	if st := d.Stats(); st.Streams != 1 {
		t.Fatalf("watching %d, want stream 6 as water_pressure", st.Streams)
	}
	d.Register(rate.Stream{ID: 6, Property: "noise", Unit: "310101"})
	if st := d.Stats(); st.Streams != 0 {
		t.Fatalf("a stream whose property lost its spec is still watched")
	}
}

func TestFindingShape(t *testing.T) {
	d := newDetector(t)
	d.Register(rate.Stream{ID: 12, Property: "gas_pressure", Unit: "310115"})
	fs := series(d, 12, 5*time.Minute, 6, func(i int) float64 { return 400 - 35*float64(i) })
	if len(fs) != 1 {
		t.Fatalf("levels %v, want one finding", levels(fs))
	}
	f := fs[0]
	if f.Rule != rate.Rule || f.Level != 2 || f.At != start+10*60_000 {
		t.Fatalf("finding %+v", f)
	}
	wantLabels := map[string]string{"unit": "310115", "stream": "12", "property": "gas_pressure"}
	if len(f.Labels) != len(wantLabels) {
		t.Fatalf("labels %v, want %v", f.Labels, wantLabels)
	}
	for k, v := range wantLabels {
		if f.Labels[k] != v {
			t.Fatalf("labels %v, want %v", f.Labels, wantLabels)
		}
	}
	ev := f.Evidence
	if ev["unit_per"] != "kPa/min" || ev["window"] != "15m0s" || ev["readings"] != 3 || ev["threshold"] != 5.0 || ev["value"] != 330.0 || ev["direction"] != "drop" {
		t.Fatalf("evidence %v", ev)
	}
	if want := "浦东新区 监测点 12 燃气管道压力每分钟下降 7 kPa（黄色预警，阈值 5 kPa/min）"; f.SummaryZH != want {
		t.Errorf("SummaryZH %q, want %q", f.SummaryZH, want)
	}
	if want := "Pudong: stream 12 gas pipe pressure falling 7 kPa/min (yellow warning, threshold 5 kPa/min)"; f.SummaryEN != want {
		t.Errorf("SummaryEN %q, want %q", f.SummaryEN, want)
	}
}

func TestDirections(t *testing.T) {
	either := specFor(t, "water_level")
	either.Direction = rate.Either
	tests := []struct {
		name   string
		spec   rate.Spec
		slope  float64 // m per 5 minutes
		levels []int8
		verb   string
	}{
		{"rise watched, rising", specFor(t, "water_level"), 0.1, []int8{3}, "上升"},
		{"rise watched, falling", specFor(t, "water_level"), -0.2, nil, ""},
		{"either, falling", either, -0.1, []int8{3}, "下降"},
		{"either, rising", either, 0.1, []int8{3}, "上升"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDetector(t, tc.spec)
			d.Register(rate.Stream{ID: 1, Property: "water_level", Unit: "310101"})
			fs := series(d, 1, 5*time.Minute, 20, func(i int) float64 { return 3 + tc.slope*float64(i) })
			if !slices.Equal(levels(fs), tc.levels) {
				t.Fatalf("levels %v, want %v", levels(fs), tc.levels)
			}
			if len(fs) > 0 && (!strings.Contains(fs[0].SummaryZH, "每小时"+tc.verb+" 1.2 m") || !strings.Contains(fs[0].SummaryEN, " m/h")) {
				t.Fatalf("summaries %q / %q", fs[0].SummaryZH, fs[0].SummaryEN)
			}
		})
	}
}

// TestConcurrentUse runs batches, registrations, drains and stats from
// several goroutines: every stream's fall is raised exactly once.
func TestConcurrentUse(t *testing.T) {
	d := newDetector(t)
	const workers, perWorker = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	var got []alert.Finding
	for w := range workers {
		wg.Go(func() {
			for s := range perWorker {
				d.Register(rate.Stream{ID: int64(w*perWorker + s), Property: "gas_pressure", Unit: "310115"})
			}
			for i := range 20 {
				batch := make([]model.Observation, perWorker)
				for s := range batch {
					batch[s] = model.Observation{Stream: int64(w*perWorker + s), Time: start + int64(i)*60_000, Value: 300 - 3*float64(i)}
				}
				d.ObserveBatch(batch)
				fs := d.Drain()
				mu.Lock()
				got = append(got, fs...)
				mu.Unlock()
				_ = d.Stats()
			}
		})
	}
	wg.Wait()
	got = append(got, d.Drain()...)
	if len(got) != workers*perWorker {
		t.Fatalf("%d findings, want one per stream (%d)", len(got), workers*perWorker)
	}
	seen := map[string]bool{}
	for _, f := range got {
		if f.Level != 1 || seen[f.Labels["stream"]] {
			t.Fatalf("finding %+v (level or repeat)", f)
		}
		seen[f.Labels["stream"]] = true
	}
}
