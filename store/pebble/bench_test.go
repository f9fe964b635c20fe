package pebblestore_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"cityvitals/model"
	pebblestore "cityvitals/store/pebble"
)

const benchBase = int64(1_735_689_600_000) // 2025-01-01T00:00:00Z in Unix ms

func openBench(b *testing.B, dir string) *pebblestore.History {
	b.Helper()
	h, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// fillBatch fills batch with observation numbers n, n+1, ... of a feed
// that visits streams round-robin, each stream advancing one second per
// round: the shape of many sensors reporting in order.
func fillBatch(batch []model.Observation, n int64, streams int64) {
	for i := range batch {
		k := n + int64(i)
		batch[i] = model.Observation{Stream: 1 + k%streams, Time: benchBase + (k/streams)*1000, Value: float64(k % 1000)}
	}
}

// BenchmarkWrite measures synced batches of 1,000 observations over
// 100,000 streams, from one writer and from several (whose commits share
// fsyncs in Pebble's pipeline).
func BenchmarkWrite(b *testing.B) {
	const batchSize, streams = 1000, 100_000
	b.Run("serial", func(b *testing.B) {
		h := openBench(b, b.TempDir())
		defer h.Close()
		batch := make([]model.Observation, batchSize)
		var n int64
		b.ReportAllocs()
		for b.Loop() {
			fillBatch(batch, n, streams)
			n += batchSize
			if err := h.Write(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "obs/s")
	})
	b.Run("parallel", func(b *testing.B) {
		h := openBench(b, b.TempDir())
		defer h.Close()
		var next atomic.Int64
		b.SetParallelism(4) // 4 writers per CPU
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			batch := make([]model.Observation, batchSize)
			for pb.Next() {
				fillBatch(batch, next.Add(batchSize)-batchSize, streams)
				if err := h.Write(context.Background(), batch); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "obs/s")
	})
}

// BenchmarkAggregateYear aggregates a year of one-minute data of one
// stream into daily buckets: "warm" with roll-ups in place, "cold" with
// every roll-up dropped before each query (which then builds them).
func BenchmarkAggregateYear(b *testing.B) {
	const minute, day, year = int64(60_000), int64(86_400_000), int64(365 * 86_400_000)
	h := openBench(b, b.TempDir())
	defer h.Close()
	ctx := context.Background()
	batch := make([]model.Observation, 0, 10_000)
	rng := rand.New(rand.NewPCG(1, 1))
	for t := benchBase; t < benchBase+year; t += minute {
		batch = append(batch, model.Observation{Stream: 1, Time: t, Value: rng.NormFloat64()})
		if len(batch) == cap(batch) {
			if err := h.Write(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := h.Write(ctx, batch); err != nil {
		b.Fatal(err)
	}
	aggregate := func(b *testing.B) {
		buckets, err := h.Aggregate(ctx, 1, benchBase, benchBase+year, day)
		if err != nil {
			b.Fatal(err)
		}
		if len(buckets) != 365 {
			b.Fatalf("%d daily buckets, want 365", len(buckets))
		}
	}
	b.Run("warm", func(b *testing.B) {
		aggregate(b) // build the roll-ups
		for b.Loop() {
			aggregate(b)
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := h.DropRollups(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			aggregate(b)
		}
	})
}

// BenchmarkLatest reads the latest observation of 100 streams out of
// 100,000, concurrently.
func BenchmarkLatest(b *testing.B) {
	const streams, ask = 100_000, 100
	h := openBench(b, b.TempDir())
	defer h.Close()
	batch := make([]model.Observation, 10_000)
	for n := int64(0); n < streams; n += int64(len(batch)) {
		fillBatch(batch, n, streams)
		if err := h.Write(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ids := make([]int64, ask)
		rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
		for pb.Next() {
			for i := range ids {
				ids[i] = 1 + rng.Int64N(streams)
			}
			got, err := h.Latest(context.Background(), ids)
			if err != nil || len(got) == 0 {
				b.Errorf("Latest: %d results, error %v", len(got), err)
				return
			}
		}
	})
}

// BenchmarkOpenMillionStreams opens a store holding the latest of
// 1,000,000 streams and reports the Go heap that the open store holds per
// stream (in-memory latest index plus Pebble's caches), against the goal
// of well under 1 GiB for a million streams.
func BenchmarkOpenMillionStreams(b *testing.B) {
	const streams = 1_000_000
	dir := b.TempDir()
	h := openBench(b, dir)
	batch := make([]model.Observation, 10_000)
	for n := int64(0); n < streams; n += int64(len(batch)) {
		fillBatch(batch, n, streams)
		if err := h.Write(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		b.Fatal(err)
	}
	var perStream float64
	for b.Loop() {
		before := heapInUse()
		h := openBench(b, dir)
		if got := h.Stats().Streams; got != streams {
			b.Fatalf("%d streams with latest after open, want %d", got, streams)
		}
		perStream = float64(heapInUse()-before) / streams
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(perStream, "heap-B/stream")
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
