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
