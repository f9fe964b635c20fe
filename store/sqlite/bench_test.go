package sqlitestore_test

import (
	"fmt"
	"testing"
	"time"

	"cityvitals/model"
)

func streams(n, offset int) []model.Datastream {
	ds := make([]model.Datastream, n)
	for i := range ds {
		ds[i] = model.Datastream{
			Key:      fmt.Sprintf("bench/%d/gas_lel", offset+i),
			Property: "gas_lel", UoM: "%LEL", Interval: 30 * time.Second,
			Device: fmt.Sprintf("dev-%d", (offset+i)/4), Lon: 121.47, Lat: 31.23, HasPoint: true,
			Unit: "310101002001-G01",
		}
	}
	return ds
}

// BenchmarkCreateDatastreams100k creates 100,000 streams in one call per
// iteration: one transaction, one prepared statement.
func BenchmarkCreateDatastreams100k(b *testing.B) {
	const n = 100_000
	db, _ := mustOpen(b)
	offset := 0
	for b.Loop() {
		if _, err := db.CreateDatastreams(b.Context(), streams(n, offset)); err != nil {
			b.Fatal(err)
		}
		offset += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/stream")
}

// BenchmarkEachDatastream100k streams 100,000 stored streams per iteration.
func BenchmarkEachDatastream100k(b *testing.B) {
	const n = 100_000
	db, _ := mustOpen(b)
	if _, err := db.CreateDatastreams(b.Context(), streams(n, 0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		if err := db.EachDatastream(b.Context(), func(model.Datastream) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("saw %d streams, want %d", count, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/stream")
}

// BenchmarkAppendAudit appends one record per iteration from parallel
// goroutines; each append is its own fsynced transaction.
func BenchmarkAppendAudit(b *testing.B) {
	db, _ := mustOpen(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := db.AppendAudit(b.Context(), model.AuditRecord{Actor: "admin", Action: "asset.update", Target: "asset:1"})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDatastreamByID reads one stream per iteration from parallel
// goroutines through the reader pool.
func BenchmarkDatastreamByID(b *testing.B) {
	const n = 10_000
	db, _ := mustOpen(b)
	created, err := db.CreateDatastreams(b.Context(), streams(n, 0))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := db.Datastream(b.Context(), created[i%n].ID); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
