package bench

import (
	"context"
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
