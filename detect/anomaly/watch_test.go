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

// TestScoreBatchIsWhatTheWatchActsOn replays a real NAB file through two
// watches, one with ObserveBatch and one with ScoreBatch in uneven
// batches interleaved with an unwatched stream: the scores equal a lone
// Detector's, unwatched readings score NaN, and both watches raise the
// same findings.
func TestScoreBatchIsWhatTheWatchActsOn(t *testing.T) {
	t.Parallel()
	pts := loadNAB(t, nabFile)
	names := func(string) (string, string) { return "", "" }
	live, err := NewWatch(Config{}, []string{"calls"}, names)
	if err != nil {
		t.Fatal(err)
	}
	scored, err := NewWatch(Config{}, []string{"calls"}, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Watch{live, scored} {
		w.Register(WatchStream{ID: 7, Property: "calls", Unit: "u"}, WatchStream{ID: 8, Property: "noise", Unit: "u"})
	}
	want := scoreAll(New(Config{}), pts)
	var batch []model.Observation
	var scores []float64
	for i, p := range pts {
		batch = append(batch, model.Observation{Stream: 7, Time: p.t, Value: p.v}, model.Observation{Stream: 8, Time: p.t, Value: 1})
		if len(batch) >= 2*(1+i%97) || i == len(pts)-1 {
			live.ObserveBatch(batch)
			scores = scored.ScoreBatch(batch, scores)
			batch = batch[:0]
		}
	}
	if len(scores) != 2*len(pts) {
		t.Fatalf("got %d scores, want %d", len(scores), 2*len(pts))
	}
	for i, w := range want {
		if scores[2*i] != w || !math.IsNaN(scores[2*i+1]) {
			t.Fatalf("row %d: scores %v and %v, want %v and NaN for the unwatched stream", i, scores[2*i], scores[2*i+1], w)
		}
	}
	a, b := live.Drain(), scored.Drain()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("ObserveBatch raised %d findings, ScoreBatch %d; want the same, at least one", len(a), len(b))
	}
	for i := range a {
		if a[i].At != b[i].At || a[i].Level != b[i].Level {
			t.Fatalf("finding %d: %+v vs %+v", i, a[i], b[i])
		}
	}
}

// TestStateFitsTheBudget guards the cost limit the live platform plans
// with: at most 4 KiB of state per watched stream.
func TestStateFitsTheBudget(t *testing.T) {
	if StateSize() > 4096 {
		t.Fatalf("state is %d bytes per stream, budget 4096", StateSize())
	}
}

// BenchmarkWatchObserveBatch is the ingest path: batches of 1,000
// readings spread over 10,000 watched streams; ns/op is per reading.
func BenchmarkWatchObserveBatch(b *testing.B) {
	const streams, batchSize = 10_000, 1000
	pts := loadNAB(b, nabFile)
	w, err := NewWatch(Config{}, []string{"calls"}, func(string) (string, string) { return "", "" })
	if err != nil {
		b.Fatal(err)
	}
	for id := range int64(streams) {
		w.Register(WatchStream{ID: id, Property: "calls", Unit: "u"})
	}
	batch := make([]model.Observation, batchSize)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for j := range batch {
			p := pts[(n/streams)%len(pts)]
			batch[j] = model.Observation{Stream: int64(n % streams), Time: p.t, Value: p.v}
			n++
		}
		w.ObserveBatch(batch)
		w.Drain()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/reading")
}
