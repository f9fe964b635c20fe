package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
)

// benchBody returns n NDJSON items spread over 1,000 keyed streams, in the
// shape gateways send: key, RFC 3339 time, value, sometimes quality.
func benchBody(n int) []byte {
	var b strings.Builder
	start := testNow.Add(-time.Hour)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
		fmt.Fprintf(&b, `{"datastream":"gw-%06d/ch-%d","time":%q,"value":%d.%d`, (i%1000)/4, i%4, at, i%97, i%10)
		if i%10 == 0 {
			b.WriteString(`,"quality":"suspect"`)
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

func benchmarkDecode(b *testing.B, body []byte, items int) {
	d := &decoder{maxBodyBytes: DefaultMaxBodyBytes, maxItems: DefaultMaxBatchItems}
	var bt batch
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		bt.reset()
		if err := d.decode(body, &bt); err != nil {
			b.Fatal(err)
		}
		if len(bt.items) != items {
			b.Fatalf("decoded %d items, want %d", len(bt.items), items)
		}
	}
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "obs/s")
}

func BenchmarkDecodeNDJSON(b *testing.B) {
	const items = 10_000
	benchmarkDecode(b, benchBody(items), items)
}

func BenchmarkDecodeArray(b *testing.B) {
	const items = 10_000
	benchmarkDecode(b, ndjsonToArray(benchBody(items)), items)
}

// BenchmarkIngestEndToEnd measures Ingest (decode, resolve, validate,
// group commit, acknowledgement) from several concurrent senders, with the
// in-memory history store, against a registry of 1,000 keyed streams.
func BenchmarkIngestEndToEnd(b *testing.B) {
	const items, senders = 1_000, 8
	body := benchBody(items)
	reg := NewRegistry()
	reg.Put(syntheticStreams(1000)...)
	s := startService(b, discardHistory{}, reg, Config{Clock: fixedClock(testNow), Range: gasRange})
	src := Source{Transport: "http"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(senders)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := s.Ingest(context.Background(), src, body)
			if err != nil || res.Accepted != items {
				b.Errorf("Ingest: accepted %d, %v", res.Accepted, err)
				return
			}
		}
	})
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkSubmit measures the group commit alone.
func BenchmarkSubmit(b *testing.B) {
	const items = 1_000
	obs := make([]model.Observation, items)
	for i := range obs {
		obs[i] = model.Observation{Stream: int64(i%1000 + 1), Time: int64(i), Value: float64(i)}
	}
	s := startService(b, discardHistory{}, NewRegistry(), Config{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Submit(context.Background(), obs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "obs/s")
}

// millionStreams is built once: generating it takes longer than the
// benchmark that uses it.
var millionStreams = sync.OnceValues(func() ([]model.Datastream, *Registry) {
	streams := syntheticStreams(1_000_000)
	reg := NewRegistry()
	reg.Put(streams...)
	return streams, reg
})

// BenchmarkRegistryResolve resolves keys in a registry of a million
// streams from concurrent readers, one read lock per 1,000 lookups as the
// ingest path takes one per batch. Keys are visited in a scattered order,
// so most lookups miss the CPU cache.
func BenchmarkRegistryResolve(b *testing.B) {
	const perLock = 1000
	streams, reg := millionStreams()
	var mu sync.Mutex
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rv := reg.acquire()
			for range perLock {
				if _, ok := rv.byKey(streams[i%len(streams)].Key); !ok {
					mu.Lock()
					b.Error("key not found")
					mu.Unlock()
				}
				i += 7919
			}
			rv.release()
		}
	})
	b.ReportMetric(float64(b.N*perLock)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkRegistryHeap reports the registry's heap per stream.
func BenchmarkRegistryHeap(b *testing.B) {
	for b.Loop() {
		b.ReportMetric(registryHeapPerStream(100_000), "heap-B/stream")
	}
}

// discardHistory accepts every write, so benchmarks measure ingest alone.
type discardHistory struct{}

func (discardHistory) Write(context.Context, []model.Observation) error { return nil }
