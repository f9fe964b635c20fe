package forecast_test

import (
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"cityvitals/detect/forecast"
	"cityvitals/model"
)

const hour = int64(time.Hour / time.Millisecond)

// t0 is an arbitrary event-time origin (2024-01-01T00:00Z).
const t0 = int64(1704067200000)

// feed observes v(i) at t0 + i*step for i in [from, to).
func feed(f *forecast.Forecaster, from, to int, step int64, v func(i int) float64) {
	for i := from; i < to; i++ {
		f.Observe(t0+int64(i)*step, v(i))
	}
}

func ramp(base, perStep float64) func(int) float64 {
	return func(i int) float64 { return base + perStep*float64(i) }
}

func TestRampIsWarnedWithSensibleETA(t *testing.T) {
	tests := []struct {
		name   string
		cfg    forecast.Config
		step   int64
		perHr  float64 // the ramp's slope per hour
		minETA time.Duration
		maxETA time.Duration
	}{
		// Undamped trend: the projection is the ramp itself, so at 100
		// rising 10/h the crossing of 150 is 5 h away.
		{"undamped hourly", forecast.Config{Phi: 1, Beta: 0.5}, hour, 10, 4*time.Hour + 30*time.Minute, 5*time.Hour + 30*time.Minute},
		// Damped trend: the projection flattens, so it warns of steep
		// rises only and its ETA is never earlier than the truth (50 min
		// at 100 rising 60/h).
		{"default hourly", forecast.DefaultConfig(), hour, 60, 50 * time.Minute, 6 * time.Hour},
		// Per-minute readings with an hourly Step: the same model, the
		// weights scaled to the elapsed time.
		{"default per minute", forecast.DefaultConfig(), hour / 60, 60, 50 * time.Minute, 6 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := forecast.New(tc.cfg)
			perStep := tc.perHr * float64(tc.step) / float64(hour)
			// A day of the ramp, ending at 100.
			n := int(24 * hour / tc.step)
			feed(f, 0, n, tc.step, ramp(100-perStep*float64(n-1), perStep))
			_, last, _ := f.Last()
			w, ok := f.Crossing(150, true, 6*time.Hour)
			if !ok {
				t.Fatalf("at %.0f rising %.0f/h: no warning of 150 within 6h", last, tc.perHr)
			}
			if w.ETA < tc.minETA || w.ETA > tc.maxETA {
				t.Errorf("ETA = %s at %.0f rising %.0f/h; want %s..%s", w.ETA, last, tc.perHr, tc.minETA, tc.maxETA)
			}
			if w.Probability < 0.4 || w.Probability > 1 {
				t.Errorf("probability at the crossing = %.2f; want about one half or more", w.Probability)
			}
		})
	}
}

func TestFlatSeriesIsNotWarned(t *testing.T) {
	f := forecast.New(forecast.DefaultConfig())
	feed(f, 0, 48, hour, func(i int) float64 { return 100 + 5*math.Sin(float64(i)) })
	if w, ok := f.Crossing(150, true, 6*time.Hour); ok {
		t.Fatalf("noisy flat series at 100 warned of 150: %+v", w)
	}
	if _, ok := f.Crossing(50, false, 6*time.Hour); ok {
		t.Fatal("noisy flat series at 100 warned of falling to 50")
	}
}

func TestFallingSeriesWarnsBelow(t *testing.T) {
	f := forecast.New(forecast.DefaultConfig())
	feed(f, 0, 10, hour, ramp(100, -10))
	w, ok := f.Crossing(0, false, 6*time.Hour)
	if !ok || w.ETA <= 0 {
		t.Fatalf("series at 10 falling 10/h: Crossing(0, below) = %+v, %v; want a warning ahead", w, ok)
	}
}

// TestCausality checks that answers depend only on readings up to the
// last accepted one: late readings change nothing, and a replay of the
// same readings gives the same answers whatever follows them.
func TestCausality(t *testing.T) {
	prefix := func() *forecast.Forecaster {
		f := forecast.New(forecast.DefaultConfig())
		feed(f, 0, 20, hour, ramp(0, 6))
		return f
	}
	want, _ := prefix().Crossing(150, true, 6*time.Hour)
	wantPath := prefix().Path(6*time.Hour, nil)

	tests := []struct {
		name string
		late func(f *forecast.Forecaster)
	}{
		{"late reading", func(f *forecast.Forecaster) { f.Observe(t0+5*hour, 1000) }},
		{"duplicate time", func(f *forecast.Forecaster) { f.Observe(t0+19*hour, 1000) }},
		{"NaN", func(f *forecast.Forecaster) { f.Observe(t0+20*hour, math.NaN()) }},
		{"infinity", func(f *forecast.Forecaster) { f.Observe(t0+20*hour, math.Inf(1)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := prefix()
			tc.late(f)
			got, _ := f.Crossing(150, true, 6*time.Hour)
			if got != want {
				t.Errorf("Crossing after %s = %+v; want %+v", tc.name, got, want)
			}
			path := f.Path(6*time.Hour, nil)
			for i := range wantPath {
				if path[i] != wantPath[i] {
					t.Fatalf("Path[%d] after %s = %+v; want %+v", i, tc.name, path[i], wantPath[i])
				}
			}
		})
	}
}

func TestGapsAndIrregularIntervals(t *testing.T) {
	cfg := forecast.DefaultConfig()
	tests := []struct {
		name     string
		observe  func(f *forecast.Forecaster)
		wantWarn bool
	}{
		{
			// Rising steeply, then silent for longer than MaxGap, then a
			// reading at the same level: the old trend must not carry
			// across the gap.
			name: "trend forgotten after a long gap",
			observe: func(f *forecast.Forecaster) {
				feed(f, 0, 10, hour, ramp(0, 12))
				f.Observe(t0+9*hour+cfg.MaxGap.Milliseconds()+hour, 110)
			},
			wantWarn: false,
		},
		{
			// The same rise with a short gap keeps its trend.
			name: "trend kept over a short gap",
			observe: func(f *forecast.Forecaster) {
				feed(f, 0, 10, hour, ramp(0, 12))
				f.Observe(t0+12*hour, 144)
			},
			wantWarn: true,
		},
		{
			// Irregular spacing (20 min to 2 h) of a 12/h ramp: the
			// elapsed time, not the reading count, sets the slope.
			name: "irregular spacing",
			observe: func(f *forecast.Forecaster) {
				at := int64(0)
				for i := range 14 {
					at += []int64{hour / 3, hour, 2 * hour}[i%3]
					f.Observe(t0+at, 12*float64(at)/float64(hour))
				}
			},
			wantWarn: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := forecast.New(cfg)
			tc.observe(f)
			w, ok := f.Crossing(150, true, 6*time.Hour)
			if ok != tc.wantWarn {
				_, last, _ := f.Last()
				t.Fatalf("at %.0f: Crossing(150) = %+v, %v; want warned %v", last, w, ok, tc.wantWarn)
			}
		})
	}
}

func TestNotReadyUntilMinObs(t *testing.T) {
	f := forecast.New(forecast.Config{MinObs: 4})
	feed(f, 0, 3, hour, ramp(140, 100))
	if _, ok := f.Crossing(150, true, 6*time.Hour); ok || f.Ready() || len(f.Path(6*time.Hour, nil)) != 0 {
		t.Fatal("answered before MinObs readings")
	}
	feed(f, 3, 4, hour, ramp(140, 100))
	if !f.Ready() {
		t.Fatal("not ready after MinObs readings")
	}
	if w, ok := f.Crossing(150, true, 6*time.Hour); !ok || w.ETA != 0 {
		t.Fatalf("last reading beyond the threshold: Crossing = %+v, %v; want ETA 0", w, ok)
	}
}

func TestPathBand(t *testing.T) {
	f := forecast.New(forecast.Config{Quantile: 0.9})
	feed(f, 0, 24, hour, func(i int) float64 { return 50 + float64(i%3) })
	path := f.Path(6*time.Hour, nil)
	if len(path) != 6 {
		t.Fatalf("Path over 6h of hourly steps has %d points; want 6", len(path))
	}
	for i, p := range path {
		if !(p.Low < p.Mean && p.Mean < p.High) {
			t.Errorf("point %d: band %.2f < %.2f < %.2f out of order", i, p.Low, p.Mean, p.High)
		}
		if i > 0 && p.High-p.Low <= path[i-1].High-path[i-1].Low {
			t.Errorf("point %d: band does not widen with the horizon", i)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   forecast.Config
		field string // "" when valid
	}{
		{"defaults", forecast.Config{}, ""},
		{"default config", forecast.DefaultConfig(), ""},
		{"alpha above one", forecast.Config{Alpha: 1.5}, "alpha"},
		{"negative phi", forecast.Config{Phi: -0.1}, "phi"},
		{"gamma one", forecast.Config{Gamma: 1}, "gamma"},
		{"quantile one", forecast.Config{Quantile: 1}, "quantile"},
		{"gap shorter than step", forecast.Config{Step: time.Hour, MaxGap: time.Minute}, "max_gap"},
		{"one observation", forecast.Config{MinObs: 1}, "min_obs"},
		{"sub-millisecond step", forecast.Config{Step: time.Microsecond}, "step"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("Validate() = %v; want EINVALID", err)
			}
			if msg := model.ErrorMessage(err); !strings.Contains(msg, tc.field) {
				t.Errorf("message %q does not name %s", msg, tc.field)
			}
		})
	}
}

func TestStateSize(t *testing.T) {
	if got := unsafe.Sizeof(forecast.Forecaster{}); got != 80 {
		t.Errorf("Forecaster is %d bytes; the doc comment says 80", got)
	}
}

func BenchmarkObserve(b *testing.B) {
	f := forecast.New(forecast.DefaultConfig())
	b.ReportAllocs()
	for i := range b.N {
		f.Observe(t0+int64(i)*hour, 80+40*math.Sin(float64(i)/7))
	}
}

func BenchmarkObserveAndCheck(b *testing.B) {
	f := forecast.New(forecast.DefaultConfig())
	w, err := forecast.NewWarner(forecast.WarnerConfig{Threshold: 150, Above: true, Horizon: 6 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := range b.N {
		f.Observe(t0+int64(i)*hour, 80+80*math.Sin(float64(i)/7))
		w.Check(f)
	}
}
