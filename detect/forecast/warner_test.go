package forecast_test

import (
	"strings"
	"testing"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/model"
)

// answer is one Crossing result fed to a Warner: ok with the given ETA
// in minutes, or no crossing.
type answer struct {
	ok  bool
	eta int
}

func TestWarnerRaiseAndWithdraw(t *testing.T) {
	yes := func(eta int) answer { return answer{true, eta} }
	no := answer{}
	tests := []struct {
		name    string
		cfg     forecast.WarnerConfig
		answers []answer
		want    []forecast.EventKind // one per answer
	}{
		{
			name:    "raise at once, withdraw after two misses",
			cfg:     forecast.WarnerConfig{},
			answers: []answer{no, yes(90), yes(60), no, no, no},
			want:    []forecast.EventKind{forecast.NoChange, forecast.Raise, forecast.NoChange, forecast.NoChange, forecast.Withdraw, forecast.NoChange},
		},
		{
			name:    "one miss between crossings does not flap",
			cfg:     forecast.WarnerConfig{},
			answers: []answer{yes(90), no, yes(30), no, yes(10)},
			want:    []forecast.EventKind{forecast.Raise, forecast.NoChange, forecast.NoChange, forecast.NoChange, forecast.NoChange},
		},
		{
			name:    "raise after two crossings in a row",
			cfg:     forecast.WarnerConfig{RaiseAfter: 2, ClearAfter: 1},
			answers: []answer{yes(90), no, yes(80), yes(70), no},
			want:    []forecast.EventKind{forecast.NoChange, forecast.NoChange, forecast.NoChange, forecast.Raise, forecast.Withdraw},
		},
		{
			name:    "already beyond never raises",
			cfg:     forecast.WarnerConfig{},
			answers: []answer{yes(0), yes(0), no},
			want:    []forecast.EventKind{forecast.NoChange, forecast.NoChange, forecast.NoChange},
		},
		{
			name:    "stays up while beyond",
			cfg:     forecast.WarnerConfig{ClearAfter: 1},
			answers: []answer{yes(30), yes(0), yes(0), no},
			want:    []forecast.EventKind{forecast.Raise, forecast.NoChange, forecast.NoChange, forecast.Withdraw},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Threshold, tc.cfg.Above, tc.cfg.Horizon = 150, true, 6*time.Hour
			w, err := forecast.NewWarner(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range tc.answers {
				at := t0 + int64(i)*hour
				eta := time.Duration(a.eta) * time.Minute
				ev := w.Update(at, forecast.Warning{ETA: eta, At: at + eta.Milliseconds()}, a.ok)
				if ev.Kind != tc.want[i] {
					t.Fatalf("answer %d (%+v): event %s; want %s", i, a, ev.Kind, tc.want[i])
				}
				if ev.Kind == forecast.Raise {
					if since, _, up := w.Raised(); !up || since != at {
						t.Fatalf("after a raise at %d: Raised() = %d, %v", at, since, up)
					}
				}
			}
		})
	}
}

// TestWarnerWindows follows warnings through their stated windows: a
// claim expires when its window passes with no crossing, is renewed as a
// new claim when the forecast still crosses then, ends when the series
// is back from beyond, and with Hold is not withdrawn inside its window.
func TestWarnerWindows(t *testing.T) {
	type step struct {
		hour   int    // event time in hours after t0
		answer answer // eta 0 with ok: the reading is beyond
		want   forecast.EventKind
	}
	yes := func(eta int) answer { return answer{true, eta} }
	no := answer{}
	tests := []struct {
		name  string
		cfg   forecast.WarnerConfig
		steps []step
	}{
		{
			name: "expires after its window, withdrawn",
			cfg:  forecast.WarnerConfig{Horizon: 3 * time.Hour, Hold: true},
			steps: []step{
				{0, yes(60), forecast.Raise}, {1, no, forecast.NoChange}, {2, no, forecast.NoChange},
				{3, no, forecast.Withdraw}, {4, no, forecast.NoChange},
			},
		},
		{
			name: "expires after its window, renewed while the forecast crosses",
			cfg:  forecast.WarnerConfig{Horizon: 3 * time.Hour},
			steps: []step{
				{0, yes(60), forecast.Raise}, {1, yes(60), forecast.NoChange}, {2, yes(60), forecast.NoChange},
				{3, yes(60), forecast.Raise}, {5, yes(60), forecast.NoChange}, {6, yes(60), forecast.Raise},
			},
		},
		{
			name: "fulfilled, kept while beyond, ends when back below",
			cfg:  forecast.WarnerConfig{Horizon: 3 * time.Hour, ClearAfter: 3},
			steps: []step{
				{0, yes(120), forecast.Raise}, {2, yes(0), forecast.NoChange}, {3, yes(0), forecast.NoChange},
				{9, yes(0), forecast.NoChange}, {10, no, forecast.Withdraw},
			},
		},
		{
			name: "fulfilled, renewed when the forecast crosses again below",
			cfg:  forecast.WarnerConfig{Horizon: 3 * time.Hour},
			steps: []step{
				{0, yes(120), forecast.Raise}, {1, yes(0), forecast.NoChange}, {2, yes(30), forecast.Raise},
				{3, no, forecast.NoChange}, {4, no, forecast.Withdraw},
			},
		},
		{
			name: "hold keeps a warning the forecast dropped",
			cfg:  forecast.WarnerConfig{Horizon: 6 * time.Hour, Hold: true},
			steps: []step{
				{0, yes(60), forecast.Raise}, {1, no, forecast.NoChange}, {2, no, forecast.NoChange},
				{3, no, forecast.NoChange}, {4, yes(0), forecast.NoChange}, {5, no, forecast.Withdraw},
			},
		},
		{
			name: "without hold the dropped forecast withdraws it",
			cfg:  forecast.WarnerConfig{Horizon: 6 * time.Hour},
			steps: []step{
				{0, yes(60), forecast.Raise}, {1, no, forecast.NoChange}, {2, no, forecast.Withdraw},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Threshold, tc.cfg.Above = 150, true
			w, err := forecast.NewWarner(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.steps {
				at := t0 + int64(s.hour)*hour
				eta := time.Duration(s.answer.eta) * time.Minute
				ev := w.Update(at, forecast.Warning{ETA: eta, At: at + eta.Milliseconds()}, s.answer.ok)
				if ev.Kind != s.want {
					t.Fatalf("hour %d (%+v): event %s; want %s", s.hour, s.answer, ev.Kind, s.want)
				}
				if ev.Kind == forecast.Raise {
					if ev.Warning.Within != tc.cfg.Horizon {
						t.Fatalf("hour %d: raised claiming %s; want the horizon %s", s.hour, ev.Warning.Within, tc.cfg.Horizon)
					}
					if !w.Open(at) || w.Open(at+tc.cfg.Horizon.Milliseconds()) {
						t.Fatalf("hour %d: a fresh warning must be open for its window and no longer", s.hour)
					}
				}
			}
		})
	}
}

// TestWarnerStatedWindow checks that a warning lives by the window it
// states, not by the warner's horizon.
func TestWarnerStatedWindow(t *testing.T) {
	w, err := forecast.NewWarner(forecast.WarnerConfig{Threshold: 150, Above: true, Horizon: 12 * time.Hour, Hold: true})
	if err != nil {
		t.Fatal(err)
	}
	if ev := w.Update(t0, forecast.Warning{ETA: time.Hour, Within: 2 * time.Hour}, true); ev.Kind != forecast.Raise || ev.Warning.Within != 2*time.Hour {
		t.Fatalf("raise = %+v; want a raise claiming 2h", ev)
	}
	if ev := w.Update(t0+2*hour, forecast.Warning{}, false); ev.Kind != forecast.Withdraw {
		t.Fatalf("after the 2h window: %s; want withdraw", ev.Kind)
	}
}

// TestWarnerOnForecaster drives a Warner from a Forecaster through a
// build-up that crosses and a decay that clears, and checks the warning
// came before the crossing reading and went after the decay.
func TestWarnerOnForecaster(t *testing.T) {
	f := forecast.New(forecast.DefaultConfig())
	w, err := forecast.NewWarner(forecast.WarnerConfig{Threshold: 150, Above: true, Horizon: 6 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	values := []float64{40, 42, 41, 43, 40, 42, 60, 85, 110, 135, 160, 180, 170, 140, 100, 70, 50, 45, 44, 43}
	var raisedAt, withdrawnAt, crossedAt int64 = -1, -1, -1
	for i, v := range values {
		at := t0 + int64(i)*hour
		if v >= 150 && crossedAt < 0 {
			crossedAt = at
		}
		f.Observe(at, v)
		switch ev := w.Check(f); ev.Kind {
		case forecast.Raise:
			raisedAt = ev.Time
			if ev.Warning.ETA <= 0 || ev.Warning.ETA > 6*time.Hour {
				t.Errorf("raise at %.0f with ETA %s; want within the horizon", v, ev.Warning.ETA)
			}
		case forecast.Withdraw:
			withdrawnAt = ev.Time
		}
	}
	if raisedAt < 0 || raisedAt >= crossedAt {
		t.Fatalf("raised at %d, crossing at %d; want a raise before the crossing", raisedAt, crossedAt)
	}
	if withdrawnAt <= crossedAt {
		t.Fatalf("withdrawn at %d; want a withdrawal after the decay", withdrawnAt)
	}
}

func TestWarnerConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   forecast.WarnerConfig
		field string
	}{
		{"no horizon", forecast.WarnerConfig{}, "horizon"},
		{"negative raise_after", forecast.WarnerConfig{Horizon: time.Hour, RaiseAfter: -1}, "raise_after"},
		{"negative clear_after", forecast.WarnerConfig{Horizon: time.Hour, ClearAfter: -1}, "clear_after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := forecast.NewWarner(tc.cfg)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(model.ErrorMessage(err), tc.field) {
				t.Fatalf("NewWarner(%+v) = %v; want EINVALID naming %s", tc.cfg, err, tc.field)
			}
		})
	}
}
