package bench

import (
	"context"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/detect/predict"
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
	if !reflect.DeepEqual(first, second) {
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

// TestForecastGateFitsOnTrainOnly fits the PM2.5 gates for a 6 h and
// the 24 h window on one station's training years and checks each has a
// weight per feature and learnt its own window (a crossing within 6 h is
// less likely than within 24 h), that the held-out years are untouched
// by the fit (a second fit after removing them gives the same gates),
// that the gates change the warnings, and that every warning states one
// of the two windows and is counted under it.
func TestForecastGateFitsOnTrainOnly(t *testing.T) {
	opts := DefaultForecastOptions()
	series := oneStationSeries(t, opts)
	opts.Half = TrainHalf()
	fit := GateFit{Windows: []time.Duration{6 * time.Hour}, Raise: 0.65}
	ws, err := FitForecastWindows(series, opts, fit)
	if err != nil {
		t.Fatal(err)
	}
	features := len(predict.FeatureNames(opts.Target.Context))
	if len(ws) != 2 || ws[0].Within != 6*time.Hour || ws[1].Within != opts.Horizon {
		t.Fatalf("fitted windows %v; want 6h and the horizon %s", windowList(ws), opts.Horizon)
	}
	for _, w := range ws {
		if err := w.Gate.Validate(features); err != nil || w.Gate.Raise != 0.65 {
			t.Fatalf("%s gate: %v, raise %g", w.Within, err, w.Gate.Raise)
		}
	}
	checkWindowRows(t, series, opts, ws)
	again, err := FitForecastWindows(trainYearsOnly(series), opts, fit)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ws, again) {
		t.Fatal("the fit changed when the held-out years were removed")
	}
	opts.Target.SetWindows(ws)
	gated, err := EvaluateForecast(series, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Target.Gate, opts.Target.Windows = nil, nil
	plain, err := EvaluateForecast(series, opts)
	if err != nil {
		t.Fatal(err)
	}
	if gated.Episodes != plain.Episodes || gated.Warnings == plain.Warnings || gated.Readings != plain.Readings {
		t.Fatalf("gated %+v\nplain %+v: want the same episodes and readings, different warnings", gated, plain)
	}
	checkByWindow(t, gated, 360, 1440)
	t.Logf("train half of one station: gated %+v\nplain %+v", gated, plain)
}

// checkWindowRows checks that each window's gate learnt its own window:
// the training rows of the 6 h window have fewer crossings than those of
// the 24 h one, and each gate's mean probability over its rows is about
// its rows' share of crossings (a logistic fit's calibration in the
// large), so a gate fitted to another window's outcomes would fail.
func checkWindowRows(t *testing.T, series []Series, opts ForecastOptions, ws []predict.Window) {
	t.Helper()
	rows, err := windowRows(series, opts, []time.Duration{ws[0].Within, ws[1].Within}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var shares []float64
	for _, w := range ws {
		rs := rows[w.Within]
		var crossed, p float64
		for i, x := range rs.X {
			crossed += rs.y[i]
			p += w.Gate.Probability(x)
		}
		share, meanP := crossed/float64(len(rs.y)), p/float64(len(rs.y))
		if math.Abs(share-meanP) > 0.02 {
			t.Errorf("%s gate: mean probability %.3f over its rows, whose share of crossings is %.3f", w.Within, meanP, share)
		}
		shares = append(shares, share)
	}
	if shares[0] >= shares[1] {
		t.Errorf("share of rows with a crossing within 6h %.3f ≥ within 24h %.3f", shares[0], shares[1])
	}
}

// checkByWindow checks that the breakdown by stated window covers every
// warning once, in the windows allowed.
func checkByWindow(t *testing.T, rep ForecastReport, allowed ...float64) {
	t.Helper()
	var warnings, falses int
	for _, w := range rep.ByWindow {
		if !slices.Contains(allowed, w.WithinMinutes) {
			t.Errorf("warnings stated %.0f min; allowed %v", w.WithinMinutes, allowed)
		}
		warnings, falses = warnings+w.Warnings, falses+w.FalseWarnings
	}
	if warnings != rep.Warnings || falses != rep.FalseWarnings {
		t.Errorf("by window: %d warnings, %d false; in all %d, %d", warnings, falses, rep.Warnings, rep.FalseWarnings)
	}
	// A warning false over its window is false over half of it, and
	// false while it was up.
	if rep.WhileUpFalseShare < rep.FalseWarningShare {
		t.Errorf("false share %.3f over the stated windows but %.3f while up", rep.FalseWarningShare, rep.WhileUpFalseShare)
	}
	if rep.HalfWindowFalseShare < rep.FalseWarningShare {
		t.Errorf("false share %.3f over the stated windows but %.3f over half of them", rep.FalseWarningShare, rep.HalfWindowFalseShare)
	}
	if longest := slices.Max(allowed); rep.FalseWarnings < rep.Warnings && (rep.MedianTrueAfterMinutes <= 0 || rep.MedianTrueAfterMinutes > longest) {
		t.Errorf("true warnings came true a median %.0f min after their raise; want within (0, %.0f]", rep.MedianTrueAfterMinutes, longest)
	}
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
	opts := DefaultForecastOptions()
	series := oneStationSeries(t, opts)
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
	s := stallingBuildUp()
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
		checkByWindow(t, rep, tc.horizon.Minutes())
	}
}

// TestWithdrawnWarningsAreFalseWhileUp replays the stalling build-up of
// TestWarningsAreJudgedByTheirStatedHorizon twice with a 12 h window: a
// held warning is still up at the crossing; one withdrawn during the
// stall, when the forecast stopped crossing, is true by its stated window
// but false by the time it was up.
func TestWithdrawnWarningsAreFalseWhileUp(t *testing.T) {
	s := stallingBuildUp()
	opts := DefaultForecastOptions()
	opts.Target.Gate, opts.Target.Context, opts.Horizon = nil, nil, 12*time.Hour
	for _, hold := range []bool{true, false} {
		opts.Target.Hold = hold
		rep, err := EvaluateForecast([]Series{s}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Warnings == 0 || rep.FalseWarnings != 0 {
			t.Fatalf("hold %v: %d of %d warnings false by their window; want warnings, none false", hold, rep.FalseWarnings, rep.Warnings)
		}
		if withdrawnFirst := rep.WhileUpFalseShare > 0; withdrawnFirst == hold {
			t.Errorf("hold %v: false share while up %.2f", hold, rep.WhileUpFalseShare)
		}
	}
}

// stallingBuildUp is hourly PM2.5 that rises to 140, stalls there for six
// hours and crosses 150 at hour 33.
func stallingBuildUp() Series {
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
	return s
}

// TestHalvesPartitionTheData checks that train, held-out, other
// stations and later years hold every station and time exactly once, so
// that the two partial transfers add up to the held-out one.
func TestHalvesPartitionTheData(t *testing.T) {
	halves := []Half{TrainHalf(), HeldOutHalf(), OtherStations(), LaterYears()}
	for station := range 12 {
		for _, at := range []int64{0, yearSplit, splitAt - 1, splitAt, splitAt + 1e12} {
			n := 0
			for _, h := range halves {
				if h.holds(station, at) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("station %d at %d is in %d halves; want 1", station, at, n)
			}
		}
	}
}

// oneStationSeries loads the four years of one Beijing station, as the
// forecast benchmark reads them.
func oneStationSeries(t *testing.T, opts ForecastOptions) []Series {
	t.Helper()
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"../../shared/data/airquality/beijing_prsa/PRSA_Data_Aotizhongxin_20130301-20170228.csv"}
	series, err := loadForecastSeries(context.Background(), m, paths, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return series
}
