package anomaly

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"cityvitals/model"
)

// nabFile is a real NAB series, read relative to this package directory.
const nabFile = "../../../shared/data/nab/data/realTweets/Twitter_volume_AAPL.csv"

type point struct {
	t int64
	v float64
}

func loadNAB(tb testing.TB, path string) []point {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	pts := make([]point, 0, len(rows)-1)
	for _, r := range rows[1:] {
		t, err := time.Parse("2006-01-02 15:04:05", r[0])
		if err != nil {
			tb.Fatal(err)
		}
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			tb.Fatal(err)
		}
		pts = append(pts, point{t.UnixMilli(), v})
	}
	return pts
}

func scoreAll(d *Detector, pts []point) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = d.Observe(p.t, p.v)
	}
	return out
}

func TestObserveIsDeterministic(t *testing.T) {
	t.Parallel()
	pts := loadNAB(t, nabFile)
	first := scoreAll(New(Config{}), pts)
	second := scoreAll(New(Config{}), pts)
	var reported int
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("row %d: first run %v, second run %v", i, first[i], second[i])
		}
		if first[i] > 0 {
			reported++
		}
	}
	if reported == 0 {
		t.Fatal("no row of a real series got a score above 0")
	}
}

func TestSnapshotRoundTripContinuesIdentically(t *testing.T) {
	t.Parallel()
	pts := loadNAB(t, nabFile)
	want := scoreAll(New(Config{}), pts)
	half := len(pts) / 2
	before := New(Config{})
	scoreAll(before, pts[:half])
	snap, err := before.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap) != 1+StateSize() {
		t.Fatalf("snapshot is %d bytes, StateSize()+1 is %d", len(snap), 1+StateSize())
	}
	after := New(Config{})
	if err := after.UnmarshalBinary(snap); err != nil {
		t.Fatal(err)
	}
	got := scoreAll(after, pts[half:])
	for i := range got {
		if got[i] != want[half+i] {
			t.Fatalf("row %d after restore: got %v, uninterrupted run %v", half+i, got[i], want[half+i])
		}
	}
}

func TestUnmarshalBinaryRejectsForeignSnapshot(t *testing.T) {
	t.Parallel()
	good, err := New(Config{}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	wrongVersion := bytes.Clone(good)
	wrongVersion[0] = snapshotVersion + 1
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"wrong version", wrongVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(Config{}).UnmarshalBinary(tt.data)
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
		})
	}
}

func TestObserveScoresStayInRangeOnHostileInput(t *testing.T) {
	t.Parallel()
	const minute = int64(time.Minute / time.Millisecond)
	tests := []struct {
		name  string
		value func(i int) float64
		time  func(i int) int64
	}{
		{"constant", func(int) float64 { return 7 }, func(i int) int64 { return int64(i) * minute }},
		{"zeros", func(int) float64 { return 0 }, func(i int) int64 { return int64(i) * minute }},
		{"extremes alternating", func(i int) float64 { return float64(1-2*(i%2)) * math.MaxFloat64 }, func(i int) int64 { return int64(i) * minute }},
		{"denormals", func(i int) float64 { return float64(i%3) * math.SmallestNonzeroFloat64 }, func(i int) int64 { return int64(i) * minute }},
		{"NaN every third", func(i int) float64 {
			if i%3 == 0 {
				return math.NaN()
			}
			return float64(i % 17)
		}, func(i int) int64 { return int64(i) * minute }},
		{"infinities", func(i int) float64 { return math.Inf(1 - 2*(i%2)) }, func(i int) int64 { return int64(i) * minute }},
		{"time going backwards and negative", func(i int) float64 { return float64(i % 5) }, func(i int) int64 { return -int64(i) * 7919 * minute }},
		{"extreme timestamps", func(i int) float64 { return float64(i % 5) }, func(i int) int64 {
			return []int64{math.MinInt64, math.MaxInt64, 0}[i%3]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := New(Config{Warmup: 1})
			for i := range 3000 {
				s := d.Observe(tt.time(i), tt.value(i))
				if !(s >= 0 && s <= 1) {
					t.Fatalf("row %d: score %v outside [0, 1]", i, s)
				}
			}
		})
	}
}

func TestObserveIgnoresNonFiniteValues(t *testing.T) {
	t.Parallel()
	pts := loadNAB(t, nabFile)[:2000]
	clean := New(Config{})
	want := scoreAll(clean, pts)
	dirty := New(Config{})
	for i, p := range pts {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			if s := dirty.Observe(p.t, bad); s != 0 {
				t.Fatalf("row %d: non-finite value %v scored %v, want 0", i, bad, s)
			}
		}
		if got := dirty.Observe(p.t, p.v); got != want[i] {
			t.Fatalf("row %d: with non-finite values interleaved got %v, clean run %v", i, got, want[i])
		}
	}
}

func TestObserveIsCausal(t *testing.T) {
	t.Parallel()
	pts := loadNAB(t, nabFile)
	want := scoreAll(New(Config{}), pts)
	tests := []struct {
		name string
		cut  int // rows before cut keep their values; rows from cut on are changed
	}{
		{"inside warm-up", 50},
		{"early", 1500},
		{"middle", len(pts) / 2},
		{"last row only", len(pts) - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tt.cut), 1))
			changed := make([]point, len(pts))
			copy(changed, pts)
			for i := tt.cut; i < len(changed); i++ {
				changed[i].v = rng.NormFloat64() * 1e4
			}
			got := scoreAll(New(Config{}), changed)
			for i := range tt.cut {
				if got[i] != want[i] {
					t.Fatalf("row %d before the change at %d: score %v, unchanged series %v", i, tt.cut, got[i], want[i])
				}
			}
		})
	}
}

// seasonalSeries is a daily cycle with noise, one point every 5 minutes
// for two weeks; it is deterministic for a seed.
func seasonalSeries(seed uint64) []point {
	rng := rand.New(rand.NewPCG(seed, 2))
	const step = 5 * 60 * 1000
	pts := make([]point, 14*288)
	for i := range pts {
		hour := float64(i%288) / 12
		pts[i] = point{int64(i) * step, 50 + 20*math.Sin(2*math.Pi*hour/24) + rng.NormFloat64()}
	}
	return pts
}

func TestObserveFindsInjectedAnomalies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		at     int
		inject func(pts []point, at int)
	}{
		{"spike", 3000, func(pts []point, at int) { pts[at].v += 15 }},
		{"level shift", 3000, func(pts []point, at int) {
			for i := at; i < len(pts); i++ {
				pts[i].v += 12
			}
		}},
		{"missing daily peak", 2*288 + 9*288 + 60, func(pts []point, at int) {
			for i := at; i < at+48; i++ {
				pts[i].v = 50
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pts := seasonalSeries(7)
			tt.inject(pts, tt.at)
			scores := scoreAll(New(Config{}), pts)
			found := slicesMax(scores[tt.at : tt.at+48])
			if found < 0.1 {
				t.Errorf("best score within 4 hours of the anomaly at row %d is %.3f, want ≥ 0.1", tt.at, found)
			}
			quiet := slicesMax(scores[600:tt.at])
			if quiet >= found/2 {
				t.Errorf("score before the anomaly reaches %.3f, want below half of %.3f found at the anomaly", quiet, found)
			}
		})
	}
}

// TestObserveSilencesEchoesOfAFinding checks the two things that keep a
// finding from being reported again: the refractory period after it, and
// the memory of surprises of its size (a spike no bigger than one already
// seen is no news), while a bigger break is still reported.
func TestObserveSilencesEchoesOfAFinding(t *testing.T) {
	t.Parallel()
	const refractory = 50
	type spike struct{ at, size int }
	tests := []struct {
		name   string
		spikes []spike
		want   []int // rows whose score reaches ReportLevel
	}{
		{"echo inside the refractory period is silenced", []spike{{3000, 60}, {3000 + refractory/2, 60}}, []int{3000}},
		{"bigger spike after the refractory period is reported", []spike{{3000, 60}, {3000 + 2*refractory, 600}}, []int{3000, 3000 + 2*refractory}},
		{"spike of a size seen before is no news", []spike{{3000, 60}, {3000 + 2*refractory, 60}}, []int{3000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pts := seasonalSeries(11)
			for _, s := range tt.spikes {
				pts[s.at].v += float64(s.size)
			}
			cfg := Config{Refractory: refractory}
			scores := scoreAll(New(cfg), pts)
			var got []int
			for i, s := range scores {
				if s >= DefaultConfig().ReportLevel {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("rows reaching the report level: got %v, want %v", got, tt.want)
			}
			for i := tt.want[0] + 1; i <= tt.want[0]+refractory; i++ {
				if scores[i] != 0 {
					t.Fatalf("row %d inside the refractory period scored %v, want 0", i, scores[i])
				}
			}
		})
	}
}

// TestRefractoryEndsAfterRefractoryTime checks that the refractory period
// is bounded in event time too: an hourly stream is not deaf for
// Refractory hours after a finding.
func TestRefractoryEndsAfterRefractoryTime(t *testing.T) {
	t.Parallel()
	const hour = 3600 * 1000
	const first = 1000
	tests := []struct {
		name  string
		later int // hours after the first spike
		want  []int
	}{
		{"within RefractoryTime: silenced", 24, []int{first}},
		{"after RefractoryTime, within Refractory readings: reported", 60, []int{first, first + 60}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, 4))
			pts := make([]point, 1500)
			for i := range pts {
				pts[i] = point{int64(i) * hour, 50 + rng.NormFloat64()}
			}
			pts[first].v += 60
			pts[first+tt.later].v += 600
			var got []int
			for i, s := range scoreAll(New(Config{}), pts) {
				if s >= DefaultConfig().ReportLevel {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("rows reaching the report level: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWarmupEndsAfterWarmupTime checks that warm-up ends after Warmup
// readings or WarmupTime of event time, whichever comes first, but never
// before a third of Warmup readings: a spike on day 5 of an hourly stream
// (reading 120) is reported, one at reading 120 of a 5-minute stream (10
// hours) is not, nor one on day 5 of a stream read every 6 hours (reading
// 20, under the floor of 100).
func TestWarmupEndsAfterWarmupTime(t *testing.T) {
	t.Parallel()
	const spikeAt = 120
	tests := []struct {
		name     string
		step     time.Duration
		spikeAt  int
		reported bool
	}{
		{"hourly, day 5: past WarmupTime", time.Hour, spikeAt, true},
		{"5-minute, hour 10: within both", 5 * time.Minute, spikeAt, false},
		{"6-hourly, day 5: under the reading floor", 6 * time.Hour, 20, false},
		{"6-hourly, day 30: past the floor", 6 * time.Hour, 120, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(5, 6))
			d := New(Config{})
			var got float64
			for i := range tt.spikeAt + 1 {
				v := 50 + rng.NormFloat64()
				if i == tt.spikeAt {
					v += 60
				}
				got = d.Observe(int64(i)*tt.step.Milliseconds(), v)
			}
			if reported := got >= DefaultConfig().ReportLevel; reported != tt.reported {
				t.Fatalf("spike at reading %d scored %.3f, want reported %v", tt.spikeAt, got, tt.reported)
			}
		})
	}
}

// TestSpikeSeenLongAgoIsNewsAgain checks how the memory of surprises
// discounts a spike: one like a spike seen a day ago is no finding, one
// like a spike seen six weeks ago (mostly forgotten) is, even though the
// stream has seen tens of thousands of ordinary readings since.
func TestSpikeSeenLongAgoIsNewsAgain(t *testing.T) {
	t.Parallel()
	const first = 1000
	tests := []struct {
		name     string
		later    int
		reported bool
	}{
		{"a day later", 288 + 100, false},
		{"six weeks later", 6 * 7 * 288, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(5, 6))
			const step = 5 * 60 * 1000
			pts := make([]point, first+tt.later+10)
			for i := range pts {
				pts[i] = point{int64(i) * step, 20 + rng.NormFloat64()}
			}
			pts[first].v += 60
			pts[first+tt.later].v += 60
			scores := scoreAll(New(Config{}), pts)
			if got := scores[first+tt.later] >= DefaultConfig().ReportLevel; got != tt.reported {
				t.Fatalf("second spike scored %.3f: reported %v, want %v", scores[first+tt.later], got, tt.reported)
			}
		})
	}
}

// TestBurstInAYoungSlotIsForgotten checks that a burst in a slot's first
// readings does not stay in the slot's baseline: the same hour on later
// days, back to normal, reports nothing.
func TestBurstInAYoungSlotIsForgotten(t *testing.T) {
	t.Parallel()
	pts := seasonalSeries(13)
	const burst = 96 // the first readings of hour 8 on the first day
	for i := burst; i < burst+3; i++ {
		pts[i].v *= 8
	}
	scores := scoreAll(New(Config{}), pts)
	for i := burst + 3; i < len(pts); i++ {
		if scores[i] >= DefaultConfig().ReportLevel {
			t.Fatalf("row %d (hour %d of day %d) scored %.3f after the burst; want no finding", i, i%288/12, i/288, scores[i])
		}
	}
}

// TestSaturatedSlotsStayFinite checks a stream old enough that its slot
// counts saturate (a 1 Hz stream fills an hour-of-day slot's count in 18
// days): its baselines must stay finite and its scores in [0, 1].
func TestSaturatedSlotsStayFinite(t *testing.T) {
	t.Parallel()
	pts := seasonalSeries(17)
	d := New(Config{})
	for _, p := range pts[:1000] {
		d.Observe(p.t, p.v)
	}
	for i := range d.state.WeeklyN {
		d.state.WeeklyN[i] = math.MaxUint16 - 1
	}
	for i := range d.state.DailyN {
		d.state.DailyN[i] = math.MaxUint16 - 1
	}
	for i, p := range pts[1000:] {
		if s := d.Observe(p.t, p.v); !(s >= 0 && s <= 1) {
			t.Fatalf("row %d after saturation: score %v outside [0, 1]", 1000+i, s)
		}
	}
	for i, m := range append(d.state.Weekly[:], d.state.Daily[:]...) {
		if math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
			t.Fatalf("slot %d baseline %v after saturation, want finite", i, m)
		}
	}
}

// TestNoiseRaisesNoFinding checks that noise alone, however long, reports
// nothing: fresh streams of white noise past their warm-up (where a young
// yardstick is most easily fooled), fresh hourly streams with a daily
// rhythm, and a long seasonal stream with noise.
func TestNoiseRaisesNoFinding(t *testing.T) {
	t.Parallel()
	const step = 5 * 60 * 1000
	report := DefaultConfig().ReportLevel
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 77))
		d := New(Config{})
		for i := range 3000 {
			if s := d.Observe(int64(i)*step, 50+rng.NormFloat64()); s >= report {
				t.Fatalf("white-noise stream %d: row %d scored %.3f, want no finding", seed, i, s)
			}
		}
	}
	// Hourly streams end their warm-up on WarmupTime, after only 100
	// readings: the youngest yardsticks the detector judges by.
	const hour = 60 * 60 * 1000
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 78))
		d := New(Config{})
		for i := range 1500 {
			v := 50 + 10*math.Sin(2*math.Pi*float64(i%24)/24) + rng.NormFloat64()
			if s := d.Observe(int64(i)*hour, v); s >= report {
				t.Fatalf("hourly seasonal noise stream %d: row %d scored %.3f, want no finding", seed, i, s)
			}
		}
	}
	rng := rand.New(rand.NewPCG(2, 9))
	d := New(Config{})
	for i := range 50000 {
		v := 50 + 20*math.Sin(2*math.Pi*float64(i%288)/288) + rng.NormFloat64()
		if s := d.Observe(int64(i)*step, v); s >= report {
			t.Fatalf("seasonal stream with noise: row %d scored %.3f, want no finding", i, s)
		}
	}
}

// TestShapeMemoryFindsGrowingNoise checks the shape score on its own: the
// normalised residual turns from unit noise to noise three times as wide,
// each reading still unremarkable, and the shape score reports it soon
// after; without the change it stays below the report level.
func TestShapeMemoryFindsGrowingNoise(t *testing.T) {
	t.Parallel()
	const change = 3000
	for _, grows := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(21, 22))
		var m shapeMemory
		found := -1
		for i := range change + 500 {
			u := rng.NormFloat64()
			if grows && i >= change {
				u *= 3
			}
			if s := m.observe(u, true); s >= DefaultConfig().ReportLevel && found < 0 {
				found = i
			}
		}
		switch {
		case !grows && found >= 0:
			t.Errorf("unchanged noise: shape scored at the report level at row %d", found)
		case grows && (found < change || found > change+200):
			t.Errorf("noise grown at row %d: first report at row %d, want within 200 readings after", change, found)
		}
	}
}

// nabRoot is the NAB corpus, relative to this package directory.
const nabRoot = "../../../shared/data/nab"

// TestFindingsOnNABArtificialFiles replays NAB's artificial files and
// checks the scores against NAB's own labelled windows: in files without
// anomalies no score reaches ReportLevel, and in files with one the highest
// score of the file lies inside the labelled window.
func TestFindingsOnNABArtificialFiles(t *testing.T) {
	t.Parallel()
	windows := loadNABWindows(t)
	tests := []struct {
		name string
		file string
	}{
		{"daily, no noise", "artificialNoAnomaly/art_daily_no_noise.csv"},
		{"daily, small noise", "artificialNoAnomaly/art_daily_small_noise.csv"},
		{"square wave", "artificialNoAnomaly/art_daily_perfect_square_wave.csv"},
		{"flat line", "artificialNoAnomaly/art_flatline.csv"},
		{"flat middle", "artificialWithAnomaly/art_daily_flatmiddle.csv"},
		{"jumps down", "artificialWithAnomaly/art_daily_jumpsdown.csv"},
		{"jumps up", "artificialWithAnomaly/art_daily_jumpsup.csv"},
		{"no jump", "artificialWithAnomaly/art_daily_nojump.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pts := loadNAB(t, nabRoot+"/data/"+tt.file)
			scores := scoreAll(New(Config{}), pts)
			top := 0
			for i, s := range scores {
				if s > scores[top] {
					top = i
				}
			}
			at := time.UnixMilli(pts[top].t).UTC()
			want, ok := windows[tt.file]
			switch {
			case !ok:
				t.Fatalf("%s has no entry in the NAB labels", tt.file)
			case len(want) == 0:
				if scores[top] >= DefaultConfig().ReportLevel {
					t.Fatalf("file without anomalies: score %.3f at %s reaches the report level", scores[top], at)
				}
			case pts[top].t < want[0][0] || pts[top].t > want[0][1]:
				t.Fatalf("highest score %.3f at %s, outside the labelled window %s..%s", scores[top], at,
					time.UnixMilli(want[0][0]).UTC(), time.UnixMilli(want[0][1]).UTC())
			}
		})
	}
}

// loadNABWindows reads NAB's labelled anomaly windows as Unix ms bounds per
// file.
func loadNABWindows(tb testing.TB) map[string][][2]int64 {
	tb.Helper()
	raw, err := os.ReadFile(nabRoot + "/labels/combined_windows.json")
	if err != nil {
		tb.Fatal(err)
	}
	var labels map[string][][2]string
	if err := json.Unmarshal(raw, &labels); err != nil {
		tb.Fatal(err)
	}
	out := make(map[string][][2]int64, len(labels))
	for file, wins := range labels {
		out[file] = make([][2]int64, 0, len(wins))
		for _, w := range wins {
			var bounds [2]int64
			for i, s := range w {
				ts, err := time.Parse("2006-01-02 15:04:05.000000", s)
				if err != nil {
					tb.Fatalf("%s window %v: %v", file, w, err)
				}
				bounds[i] = ts.UnixMilli()
			}
			out[file] = append(out[file], bounds)
		}
	}
	return out
}

func slicesMax(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"zero value takes defaults", Config{}, false},
		{"defaults", DefaultConfig(), false},
		{"negative long horizon", Config{LongHorizon: -1}, true},
		{"negative huber k", Config{HuberK: -1}, true},
		{"negative warmup", Config{Warmup: -5}, true},
		{"negative refractory", Config{Refractory: -5}, true},
		{"negative warmup time", Config{WarmupTime: -time.Hour}, true},
		{"negative season samples", Config{SeasonMinSamples: -1}, true},
		{"negative report level", Config{ReportLevel: -0.1}, true},
		{"report level above 1", Config{ReportLevel: 1.5}, true},
		{"report level NaN", Config{ReportLevel: math.NaN()}, true},
		{"report level 1", Config{ReportLevel: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var me *model.Error
			if tt.wantErr != (err != nil) || (err != nil && (!errors.As(err, &me) || me.Code != model.EINVALID)) {
				t.Fatalf("Validate() = %v, want error %v (EINVALID)", err, tt.wantErr)
			}
		})
	}
}

func BenchmarkObserve(b *testing.B) {
	pts := loadNAB(b, nabFile)
	d := New(Config{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		d.Observe(p.t, p.v)
		i++
	}
	b.ReportMetric(float64(StateSize()), "state-bytes")
}

// TestLikelihoodCatchesALastingModestShift: a shift of about three
// residual spreads (noise plus what hourly slots miss of the sine) is no
// finding as one reading, but lasting, the anomaly likelihood reports it
// within a few short horizons.
func TestLikelihoodCatchesALastingModestShift(t *testing.T) {
	t.Parallel()
	const at = 3000
	tests := []struct {
		name    string
		lasting int // readings shifted from row at
		report  bool
	}{
		{"one shifted reading", 1, false},
		{"shift that lasts", 14*288 - at, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pts := seasonalSeries(5)
			for i := at; i < at+tt.lasting; i++ {
				pts[i].v += 10
			}
			scores := scoreAll(New(Config{}), pts)
			if quiet := slicesMax(scores[600:at]); quiet >= DefaultConfig().ReportLevel {
				t.Fatalf("score before the shift reaches %.3f, at or above the report level", quiet)
			}
			found := slicesMax(scores[at : at+3*DefaultConfig().ShortHorizon])
			if got := found >= DefaultConfig().ReportLevel; got != tt.report {
				t.Fatalf("best score within 3 short horizons of the shift is %.3f: reported %v, want %v", found, got, tt.report)
			}
		})
	}
}

func TestSurpriseHistoryAtLeast(t *testing.T) {
	t.Parallel()
	var h surpriseHistory
	if got := h.atLeast(50); got != 0 {
		t.Fatalf("empty history: atLeast %v, want 0", got)
	}
	for _, z := range []float64{0.5, 0.5, 1, 2, 40} {
		h.add(z)
	}
	tests := []struct {
		z    float64
		want float64
	}{
		{0, 5},
		{1, 3},     // 1, 2 and 40
		{40, 1},    // 40 only
		{41, 1},    // same bin as 40: seen before
		{128, 0},   // never seen
		{1e300, 0}, // beyond the cap, still never seen
	}
	for _, tt := range tests {
		if got := h.atLeast(tt.z); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("atLeast(%g) = %v, want %v", tt.z, got, tt.want)
		}
	}
	h.forget(0.5)
	if got := h.atLeast(1); math.Abs(got-1.5) > 1e-6 {
		t.Errorf("after forgetting half: atLeast(1) = %v, want 1.5", got)
	}
}
