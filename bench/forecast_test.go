package bench

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/obsimport"
)

// TestForecastOneStation replays one real station file twice and checks
// the figures are the same both times and hang together.
func TestForecastOneStation(t *testing.T) {
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"../../shared/data/airquality/beijing_prsa/PRSA_Data_Dongsi_20130301-20170228.csv"}
	first, err := RunForecast(context.Background(), m, paths, DefaultForecastOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := RunForecast(context.Background(), m, paths, DefaultForecastOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	first.ObserveSeconds, second.ObserveSeconds = 0, 0
	if first != second {
		t.Fatalf("two replays of the same file differ:\n%+v\n%+v", first, second)
	}
	r := first
	switch {
	case r.Streams != 1 || r.Readings < 30000:
		t.Errorf("read %d streams, %d readings; want 1 stream of four years of hours", r.Streams, r.Readings)
	case r.Episodes < 100:
		t.Errorf("%d episodes over four Beijing years; want the hundreds of heavy-pollution onsets", r.Episodes)
	case r.WarnedEpisodes == 0 || r.WarnedEpisodes > r.Episodes:
		t.Errorf("%d of %d episodes warned", r.WarnedEpisodes, r.Episodes)
	case r.FalseWarnings > r.Warnings || r.Warnings == 0:
		t.Errorf("%d false of %d warnings", r.FalseWarnings, r.Warnings)
	case r.MedianLeadMinutes > r.MedianWarnedLeadMinutes:
		t.Errorf("median lead %.0f min exceeds the median over warned episodes %.0f", r.MedianLeadMinutes, r.MedianWarnedLeadMinutes)
	}
	t.Logf("Dongsi: %+v", r)
}

func TestForecastRejectsBadConfig(t *testing.T) {
	opts := DefaultForecastOptions()
	opts.Model.Alpha = 2
	if _, err := EvaluateForecast([]Series{{Key: "s"}}, opts); err == nil {
		t.Fatal("EvaluateForecast accepted alpha = 2")
	}
}

// TestForecastGateFitsOnTrainOnly fits the PM2.5 gate on one station's
// training years and checks it has a weight per feature, that the
// held-out years are untouched by the fit (a second fit after removing
// them gives the same gate), and that the gate changes the warnings.
func TestForecastGateFitsOnTrainOnly(t *testing.T) {
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultForecastOptions()
	paths := []string{"../../shared/data/airquality/beijing_prsa/PRSA_Data_Aotizhongxin_20130301-20170228.csv"}
	series, err := loadForecastSeries(context.Background(), m, paths, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts.Half = TrainHalf()
	gate, err := FitForecastGate(series, opts, GateFit{Raise: 0.65, Clear: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(gate.Weights) != len(opts.Target.Gate.Weights) {
		t.Fatalf("%d weights, want %d", len(gate.Weights), len(opts.Target.Gate.Weights))
	}
	again, err := FitForecastGate(trainYearsOnly(series), opts, GateFit{Raise: 0.65, Clear: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gate, again) {
		t.Fatal("the fit changed when the held-out years were removed")
	}
	opts.Target.Gate = gate
	gated, err := EvaluateForecast(series, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Target.Gate = nil
	plain, err := EvaluateForecast(series, opts)
	if err != nil {
		t.Fatal(err)
	}
	if gated.Episodes != plain.Episodes || gated.Warnings == plain.Warnings || gated.Readings != plain.Readings {
		t.Fatalf("gated %+v\nplain %+v: want the same episodes and readings, different warnings", gated, plain)
	}
	t.Logf("train half of one station: gated %+v\nplain %+v", gated, plain)
}

// TestChooseRaiseIgnoresHeldOut chooses a boosted gate's raise
// probability on one station's training years and checks that the
// choice is one of the probabilities tried, that it follows the rule
// (the lowest false share among those with the hit rate wanted), and
// that removing the held-out years changes nothing.
func TestChooseRaiseIgnoresHeldOut(t *testing.T) {
	if testing.Short() {
		t.Skip("fits eight gates on four years of one station")
	}
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultForecastOptions()
	paths := []string{"../../shared/data/airquality/beijing_prsa/PRSA_Data_Aotizhongxin_20130301-20170228.csv"}
	series, err := loadForecastSeries(context.Background(), m, paths, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	boost := forecast.DefaultBoostConfig()
	boost.Trees = 20
	fit := GateFit{Boost: &boost}
	choice, err := ChooseRaise(series, opts, fit)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(choice.Curve, choice.RaisePoint) {
		t.Fatalf("chose %+v, not among those tried %+v", choice.RaisePoint, choice.Curve)
	}
	for _, p := range choice.Curve {
		if p.HitRate >= minValidatedHit && (choice.HitRate < minValidatedHit || p.FalseWarningShare < choice.FalseWarningShare) {
			t.Errorf("raise %.3f (hit %.3f, false %.3f) beats the choice %+v", p.Raise, p.HitRate, p.FalseWarningShare, choice.RaisePoint)
		}
	}
	again, err := ChooseRaise(trainYearsOnly(series), opts, fit)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(choice, again) {
		t.Fatalf("the choice changed when the held-out years were removed:\n%+v\n%+v", choice, again)
	}
	t.Logf("chosen %+v", choice.RaisePoint)
}

func trainYearsOnly(series []Series) []Series {
	var out []Series
	for _, s := range series {
		cut := s
		n, _ := slices.BinarySearch(s.Times, splitAt)
		cut.Times, cut.Values = s.Times[:n], s.Values[:n]
		out = append(out, cut)
	}
	return out
}

// TestWarningsAreJudgedByTheirStatedHorizon replays one synthetic
// build-up that stalls just below 150 for six hours before it crosses:
// the forecast warns during the rise; a warning claiming 12 h is true
// and still up at the crossing, one claiming 2 h is false, and no lead
// is longer than the window its warning claimed.
func TestWarningsAreJudgedByTheirStatedHorizon(t *testing.T) {
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	s := Series{Key: "s/pm25", Station: "s", Property: "pm25"}
	for i := range 60 {
		v := 20.0
		switch {
		case i >= 20 && i <= 26:
			v = 20 + 20*float64(i-20) // rising to 140
		case i > 26 && i < 33:
			v = 140 // stalls
		case i >= 33 && i < 37:
			v = 170 // crosses at hour 33
		}
		s.Times, s.Values = append(s.Times, start+int64(i)*time.Hour.Milliseconds()), append(s.Values, v)
	}
	opts := DefaultForecastOptions()
	opts.Target.Gate, opts.Target.Context, opts.Target.Hold = nil, nil, true
	for _, tc := range []struct {
		horizon     time.Duration
		warned      int
		someFalse   bool
		wantMinutes float64
	}{{12 * time.Hour, 1, false, 720}, {2 * time.Hour, 0, true, 120}} {
		opts.Horizon = tc.horizon
		rep, err := EvaluateForecast([]Series{s}, opts)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case rep.Episodes != 1 || rep.Warnings == 0:
			t.Errorf("horizon %s: %+v; want one episode and warnings", tc.horizon, rep)
		case rep.WarnedEpisodes != tc.warned:
			t.Errorf("horizon %s: %d episodes warned; want %d", tc.horizon, rep.WarnedEpisodes, tc.warned)
		case (rep.FalseWarnings > 0) != tc.someFalse:
			t.Errorf("horizon %s: %d of %d warnings false; want some false: %v", tc.horizon, rep.FalseWarnings, rep.Warnings, tc.someFalse)
		case rep.MedianWithinMinutes != tc.wantMinutes:
			t.Errorf("horizon %s: warnings state %.0f min", tc.horizon, rep.MedianWithinMinutes)
		case time.Duration(rep.MedianLeadMinutes)*time.Minute > tc.horizon:
			t.Errorf("horizon %s: lead %.0f min exceeds the window the warning claimed", tc.horizon, rep.MedianLeadMinutes)
		}
	}
}
