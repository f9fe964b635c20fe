package anomaly

import (
	"math"
	"testing"
	"time"

	"cityvitals/model"
)

// TestWatchReportsABreakOnce feeds a watched stream with a daily rhythm
// for a week, then one absurd reading: one finding, cleared at the next
// ordinary reading; an unwatched property gets nothing.
func TestWatchReportsABreakOnce(t *testing.T) {
	w, err := NewWatch(Config{}, DefaultProperties, func(string) (string, string) { return "黄浦区", "Huangpu" })
	if err != nil {
		t.Fatal(err)
	}
	w.Register(WatchStream{ID: 1, Property: "water_pressure", Unit: "310101"}, WatchStream{ID: 2, Property: "noise"})
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	reading := func(i int) float64 {
		return 0.3 + 0.05*math.Sin(2*math.Pi*float64(i%96)/96) + 0.002*float64(i%7)
	}
	var batch []model.Observation
	for i := range 96 * 7 {
		at := start.Add(time.Duration(i) * 15 * time.Minute).UnixMilli()
		batch = append(batch, model.Observation{Stream: 1, Time: at, Value: reading(i)}, model.Observation{Stream: 2, Time: at, Value: 60})
	}
	w.ObserveBatch(batch)
	if got := w.Drain(); len(got) != 0 {
		t.Fatalf("a week of ordinary readings gave findings: %+v", got)
	}
	end := start.Add(96 * 7 * 15 * time.Minute)
	w.ObserveBatch([]model.Observation{{Stream: 1, Time: end.UnixMilli(), Value: 5}})
	w.ObserveBatch([]model.Observation{{Stream: 1, Time: end.Add(15 * time.Minute).UnixMilli(), Value: reading(1)}})
	got := w.Drain()
	if len(got) != 2 || got[0].Level != 1 || got[0].Rule != Rule || got[0].Labels["stream"] != "1" || got[1].Level != 0 {
		t.Fatalf("findings %+v, want one raised and one cleared for stream 1", got)
	}
}
