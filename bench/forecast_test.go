package bench

import (
	"context"
	"reflect"
	"slices"
	"testing"

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
	gate, err := FitForecastGate(series, opts, nil, 0.65, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if len(gate.Weights) != len(opts.Target.Gate.Weights) {
		t.Fatalf("%d weights, want %d", len(gate.Weights), len(opts.Target.Gate.Weights))
	}
	var trainOnly []Series
	for _, s := range series {
		cut := s
		n, _ := slices.BinarySearch(s.Times, splitAt)
		cut.Times, cut.Values = s.Times[:n], s.Values[:n]
		trainOnly = append(trainOnly, cut)
	}
	again, err := FitForecastGate(trainOnly, opts, nil, 0.65, 0.5)
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
