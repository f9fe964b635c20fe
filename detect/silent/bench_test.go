package silent_test

import (
	"fmt"
	"testing"
	"time"

	"cityvitals/detect/silent"
)

// BenchmarkSeen is the ingest-path cost per observation, 1,000,000
// streams registered.
func BenchmarkSeen(b *testing.B) {
	d := newDetector(b, silent.Config{})
	const streams = 1_000_000
	for id := range int64(streams) {
		d.Register(silent.Stream{ID: id, Unit: fmt.Sprint(id % 50_000), Interval: time.Minute})
	}
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		d.Seen(i%streams, i)
		i++
	}
}

// BenchmarkSeenParallel is Seen from every core at once.
func BenchmarkSeenParallel(b *testing.B) {
	d := newDetector(b, silent.Config{})
	const streams = 1_000_000
	for id := range int64(streams) {
		d.Register(silent.Stream{ID: id, Unit: fmt.Sprint(id % 50_000), Interval: time.Minute})
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int64(0)
		for pb.Next() {
			d.Seen(i*7919%streams, i)
			i++
		}
	})
}

// BenchmarkStorm: 1,000,000 streams in 50,000 units; 100,000 of them, in
// 20 units of 5,200 streams, stop at once. One op is the Scan, three
// intervals later, that finds them: it also re-arms the 900,000 streams
// that kept reporting, since Seen leaves the wheel alone. The other
// streams' observations and the Scan that clears the storm again are
// outside the timing.
func BenchmarkStorm(b *testing.B) {
	const (
		streams    = 1_000_000
		units      = 50_000
		stormUnits = 20
		stormSize  = 5_200
		stormQuiet = 5_000
	)
	d := newDetector(b, silent.Config{})
	quiet := make([]bool, streams)
	for id := range int64(streams) {
		unit := fmt.Sprintf("u%05d", stormUnits+id%(units-stormUnits))
		if id < stormUnits*stormSize {
			unit = fmt.Sprintf("u%05d", id/stormSize)
			quiet[id] = id%stormSize < stormQuiet
		}
		d.Register(silent.Stream{ID: id, Unit: unit, Interval: time.Minute})
	}
	d.Scan(0)
	everyone := func(t int64, skipQuiet bool) {
		for id := range int64(streams) {
			if !skipQuiet || !quiet[id] {
				d.Seen(id, t)
			}
		}
	}
	var groups int
	for i := range b.N {
		b.StopTimer()
		base := int64(i+1) * 10 * minute
		everyone(base, false)
		d.Scan(base + 1) // the previous storm clears
		everyone(base+2*minute, true)
		b.StartTimer()
		groups = len(d.Scan(base + 3*minute + 1))
	}
	b.StopTimer()
	if groups != stormUnits {
		b.Fatalf("%d findings, want %d group findings", groups, stormUnits)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/storm")
}
