package rate_test

import (
	"runtime"
	"testing"
	"time"

	"cityvitals/detect/rate"
	"cityvitals/model"
)

const benchStreams = 100_000

func registerAll(b *testing.B, d *rate.Detector, n int) {
	b.Helper()
	streams := make([]rate.Stream, n)
	for i := range streams {
		streams[i] = rate.Stream{ID: int64(i), Property: "gas_pressure", Unit: "310115"}
	}
	d.Register(streams...)
}

// BenchmarkObserveBatch is the ingest-path cost: 100,000 gas pressure
// streams registered, batches of 1,000 readings, every stream past its
// warm-up (a full window of 1-minute readings). Reported per reading.
func BenchmarkObserveBatch(b *testing.B) {
	d := newDetector(b)
	registerAll(b, d, benchStreams)
	const batchSize = 1000
	batch := make([]model.Observation, batchSize)
	minute := time.Minute.Milliseconds()
	next := 0 // readings fed so far
	feed := func() {
		for i := range batch {
			id := (next + i) % benchStreams
			round := int64((next + i) / benchStreams)
			batch[i] = model.Observation{Stream: int64(id), Time: start + round*minute, Value: 300 + float64(id%7)*0.01*float64(round%3)}
		}
		next += batchSize
		d.ObserveBatch(batch)
	}
	for next < 16*benchStreams {
		feed()
	}
	d.Drain()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		feed()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchSize), "ns/reading")
	if fs := d.Drain(); len(fs) != 0 {
		b.Fatalf("%d findings on steady readings", len(fs))
	}
}

// BenchmarkRegister reports the memory a watched stream costs with the
// default 8 bins, map entry included.
func BenchmarkRegister(b *testing.B) {
	var perStream float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := newDetector(b)
		registerAll(b, d, benchStreams)
		runtime.GC()
		runtime.ReadMemStats(&after)
		perStream = float64(after.HeapAlloc-before.HeapAlloc) / benchStreams
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perStream, "B/stream")
}
