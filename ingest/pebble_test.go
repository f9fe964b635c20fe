package ingest

import (
	"context"
	"fmt"
	"math"
	"testing"

	pebblestore "cityvitals/store/pebble"
)

// TestIngestIntoPebbleSurvivesReopen ingests real air-quality data into the
// real Pebble history store, closes it, reopens it, and finds every
// acknowledged observation.
func TestIngestIntoPebbleSurvivesReopen(t *testing.T) {
	t.Parallel()
	const rows = 3000
	body, numeric := airQualityBatch(t, rows)
	dir := t.TempDir()
	hist, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatalf("open pebble: %v", err)
	}
	s, err := NewService(hist, airQualityRegistry(), Config{Clock: fixedClock(airQualityEnd), MaxCommitObservations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Run(context.Background()) }()
	res, err := s.Ingest(context.Background(), Source{Transport: "file"}, body)
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if res.Accepted != numeric {
		t.Fatalf("accepted %d, want %d", res.Accepted, numeric)
	}
	s.Stop()
	if err := hist.Close(); err != nil {
		t.Fatalf("close pebble: %v", err)
	}

	reopened, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatalf("reopen pebble: %v", err)
	}
	defer reopened.Close()
	stored := 0
	for _, stream := range []int64{1, 2} {
		obs, err := reopened.Range(context.Background(), stream, math.MinInt64, math.MaxInt64, 0)
		if err != nil {
			t.Fatalf("Range(%d): %v", stream, err)
		}
		stored += len(obs)
	}
	if stored != numeric {
		t.Errorf("after reopen the store holds %d observations, want the %d acknowledged", stored, numeric)
	}
}

// BenchmarkIngestPebble measures Ingest end to end into the real Pebble
// store (fsync per group commit) with one and two commit workers.
func BenchmarkIngestPebble(b *testing.B) {
	const items, senders = 1_000, 8
	body := benchBody(items)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			hist, err := pebblestore.Open(b.TempDir(), pebblestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer hist.Close()
			reg := NewRegistry()
			reg.Put(syntheticStreams(1000)...)
			s := startService(b, hist, reg, Config{Clock: fixedClock(testNow), CommitWorkers: workers})
			b.SetParallelism(senders)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if res, err := s.Ingest(context.Background(), Source{Transport: "http"}, body); err != nil || res.Accepted != items {
						b.Errorf("Ingest: accepted %d, %v", res.Accepted, err)
						return
					}
				}
			})
			b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "obs/s")
			s.Stop()
		})
	}
}
