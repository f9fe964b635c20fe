package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/property"
)

// BenchmarkIngestShape replays the shape of `cityvitals bench ingest
// --engine --streams 1000000 --units 50000 --indicators 112`: one
// district covered by 50,000 grid cells, 1,000,000 PM2.5 streams (20 per
// cell), the default catalog plus 112 grid-level PM2.5 indicators, and
// ten seconds of wall-clock-stamped load in which every stream reports
// three times. One iteration is a fresh engine fed the load and flushed,
// which is what the engine costs that run.
func BenchmarkIngestShape(b *testing.B) {
	const (
		cells   = 50_000
		streams = 1_000_000
		rounds  = 3
		batch   = 1000
	)
	cat := ingestShapeCatalog(b, 112)
	units := []treeUnit{{"bench", "", "district"}}
	for c := range cells {
		units = append(units, treeUnit{fmt.Sprintf("bench.g%05d", c), "bench", "grid"})
	}
	topo := newTopology(units...)
	metas := make(fakeStreams, streams)
	for id := int64(1); id <= streams; id++ {
		metas[id] = StreamMeta{Property: "pm25", Unit: units[1+id%cells].code}
	}
	// Half a minute into a minute: the load falls within one tick.
	start := time.Date(2026, 5, 1, 8, 0, 30, 0, time.UTC).UnixMilli()
	const loadMs = 10_000
	buf := make([]model.Observation, batch)
	for b.Loop() {
		e, err := New(Config{}, cat, topo, metas)
		if err != nil {
			b.Fatalf("new engine: %v", err)
		}
		for sent := int64(0); sent < rounds*streams; sent += batch {
			for i := range buf {
				k := sent + int64(i)
				id := k%streams + 1
				buf[i] = model.Observation{Stream: id, Time: start + k*loadMs/(rounds*streams), Value: 10 + float64(id%20) + float64(k%7)/4}
			}
			e.Observe(buf)
			e.drain()
		}
		e.Flush()
		st := e.Stats()
		b.ReportMetric(float64(st.Applied), "obs/op")
		b.ReportMetric(float64(st.Evaluations), "evals/op")
	}
}

// ingestShapeCatalog is the default catalog with n generated grid-level
// PM2.5 indicators, as `bench ingest --indicators n` loads it.
func ingestShapeCatalog(tb testing.TB, n int) *indicator.Catalog {
	tb.Helper()
	props, types := property.Default(), asset.DefaultTypes()
	cat, err := indicator.Default(props, types)
	if err != nil {
		tb.Fatalf("default catalog: %v", err)
	}
	funcs := []string{"max(pm25)", "avg(pm25)", "p95(pm25)", "above(pm25, 75)", "reporting(pm25)"}
	var y strings.Builder
	y.WriteString("domain: bench\nname_zh: 基准\nname_en: Benchmark\nindicators:\n")
	for i := range n {
		fmt.Fprintf(&y, "  - id: bench.pm25_%d\n    name_zh: 基准\n    name_en: Bench\n    unit: \"\"\n    dept: test\n", i)
		fmt.Fprintf(&y, "    level: grid\n    window: %dm\n    expr: %s\n    direction: high\n", 5+i%10, funcs[i%len(funcs)])
		fmt.Fprintf(&y, "    thresholds: {blue: %d, yellow: %d, orange: %d, red: %d}\n", 35+i%7, 75+i%7, 115+i%7, 150+i%7)
		y.WriteString("    rollup: worst\n    why_zh: 基准。\n    why_en: Benchmark.\n    sources: {thresholds: generated}\n")
	}
	extra, err := indicator.Parse("bench.yaml", []byte(y.String()), props, types)
	if err != nil {
		tb.Fatalf("parse %d bench indicators: %v", n, err)
	}
	cat, err = cat.With(extra...)
	if err != nil {
		tb.Fatalf("add %d bench indicators: %v", n, err)
	}
	return cat
}
