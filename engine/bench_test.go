package engine

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/property"
)

// BenchmarkReplayHourly replays four years of hourly data of 144 streams
// (12 stations × 12 properties, the Beijing data set's shape) at a
// 1-minute step through the default catalog; one iteration is the whole
// replay.
func BenchmarkReplayHourly(b *testing.B) {
	cat, err := indicator.Default(property.Default(), asset.DefaultTypes())
	if err != nil {
		b.Fatalf("default catalog: %v", err)
	}
	props := []string{"pm25", "pm10", "so2", "no2", "co", "o3", "air_temperature", "air_pressure", "dew_point", "rainfall", "wind_speed", "relative_humidity"}
	units := []treeUnit{{"310000", "", "city"}}
	streams := fakeStreams{}
	const stations = 12
	for s := range stations {
		district := fmt.Sprintf("3101%02d", s+1)
		units = append(units, treeUnit{district, "310000", "district"})
		for p, prop := range props {
			streams[int64(s*len(props)+p+1)] = StreamMeta{Property: prop, Unit: district}
		}
	}
	topo := newTopology(units...)
	start := time.Date(2013, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	const hours = 4 * 365 * 24
	b.ResetTimer()
	for b.Loop() {
		e, err := New(Config{Step: time.Minute}, cat, topo, streams)
		if err != nil {
			b.Fatalf("new engine: %v", err)
		}
		batch := make([]model.Observation, 0, len(streams))
		for h := range hours {
			t := start + int64(h)*time.Hour.Milliseconds()
			batch = batch[:0]
			for id := int64(1); id <= int64(len(streams)); id++ {
				batch = append(batch, model.Observation{Stream: id, Time: t, Value: syntheticValue(id, h)})
			}
			e.Observe(batch)
			e.drain()
		}
		e.Flush()
		st := e.Stats()
		b.ReportMetric(float64(st.Applied), "obs/replay")
		b.ReportMetric(float64(st.Evaluations), "evals/replay")
	}
}

// syntheticValue is a plausible daily cycle with a slow seasonal swing,
// positive and below every property's range limit.
func syntheticValue(id int64, hour int) float64 {
	day := 2 * math.Pi * float64(hour%24) / 24
	season := 2 * math.Pi * float64(hour) / (365 * 24)
	return 40 + 30*math.Sin(day+float64(id)) + 25*math.Sin(season)
}

// BenchmarkObserve measures observations applied and indicators evaluated
// per second with a 200-indicator catalog over 1,000,000 streams in
// 50,000 units: every stream reports once a minute.
func BenchmarkObserve(b *testing.B) {
	fx := newCityFixture(b)
	e, err := New(Config{Step: time.Minute}, fx.catalog, fx.topology, fx.streams)
	if err != nil {
		b.Fatalf("new engine: %v", err)
	}
	const batchSize = 1000
	next := fx.feeder()
	batch := make([]model.Observation, batchSize)
	feed := func(n int) {
		for n > 0 {
			k := min(n, batchSize)
			for i := range k {
				batch[i] = next()
			}
			e.Observe(batch[:k])
			e.drain()
			n -= k
		}
	}
	feed(len(fx.streams)) // register every stream before timing
	e.Flush()
	before := e.Stats()
	b.ResetTimer()
	start := time.Now()
	feed(b.N)
	e.Flush()
	elapsed := time.Since(start).Seconds()
	after := e.Stats()
	b.ReportMetric(float64(after.Applied-before.Applied)/elapsed, "obs/s")
	b.ReportMetric(float64(after.Evaluations-before.Evaluations)/elapsed, "evals/s")
}

// cityFixture is a synthetic city: 16 districts › 224 streets › 1,120
// communities › 49,280 grids, 1,000,000 streams of 10 properties spread
// over the grids, and 200 indicators.
type cityFixture struct {
	catalog  *indicator.Catalog
	topology *fakeTopology
	streams  fakeStreams
	start    int64
}

var cityProperties = []string{"gas_lel", "gas_pressure", "water_pressure", "water_level", "ponding_depth", "pm25", "noise", "traffic_speed", "power_load", "manhole_tilt"}

func newCityFixture(tb testing.TB) *cityFixture {
	tb.Helper()
	fx := &cityFixture{streams: make(fakeStreams, 1_000_000), start: minute(0)}
	var units []treeUnit
	var grids []string
	for d := range 16 {
		dc := fmt.Sprintf("d%02d", d)
		units = append(units, treeUnit{dc, "", "district"})
		for s := range 14 {
			sc := fmt.Sprintf("%s.s%02d", dc, s)
			units = append(units, treeUnit{sc, dc, "street"})
			for c := range 5 {
				cc := fmt.Sprintf("%s.c%d", sc, c)
				units = append(units, treeUnit{cc, sc, "community"})
				for g := range 44 {
					gc := fmt.Sprintf("%s.g%02d", cc, g)
					units = append(units, treeUnit{gc, cc, "grid"})
					grids = append(grids, gc)
				}
			}
		}
	}
	fx.topology = newTopology(units...)
	for id := int64(1); id <= 1_000_000; id++ {
		fx.streams[id] = StreamMeta{
			Property: cityProperties[id%int64(len(cityProperties))],
			Unit:     grids[id%int64(len(grids))],
		}
	}
	fx.catalog = cityCatalog(tb)
	return fx
}

// cityCatalog writes and loads 200 indicators: for each of the 10
// properties, 20 variants over functions, levels and windows.
func cityCatalog(tb testing.TB) *indicator.Catalog {
	tb.Helper()
	functions := []string{"max(%s)", "avg(%s)", "min(%s)", "count(%s)", "reporting(%s)"}
	levels := []string{"grid", "community", "street", "district"}
	windows := []string{"10m", "30m"}
	rollups := []string{"worst", "max", "avg", "share_above"}
	var y strings.Builder
	y.WriteString("domain: bench\nname_zh: 基准\nname_en: Benchmark\nindicators:\n")
	n := 0
	for _, prop := range cityProperties {
		for i := range 20 {
			fn, level := functions[i%len(functions)], levels[i/len(functions)]
			rollup := rollups[i%len(rollups)]
			fmt.Fprintf(&y, "  - id: bench.%s.v%02d\n    name_zh: 基准\n    name_en: Benchmark\n    unit: \"\"\n    dept: test\n", prop, i)
			fmt.Fprintf(&y, "    level: %s\n    window: %s\n    expr: %s\n", level, windows[i%len(windows)], fmt.Sprintf(fn, prop))
			y.WriteString("    direction: high\n    thresholds: {blue: 50, yellow: 70, orange: 85, red: 95}\n")
			fmt.Fprintf(&y, "    rollup: %s\n", rollup)
			if rollup == "share_above" {
				y.WriteString("    rollup_level: yellow\n    rollup_thresholds: {yellow: 0.2, red: 0.5}\n")
			}
			y.WriteString("    why_zh: 基准。\n    why_en: Benchmark.\n    sources: {thresholds: benchmark}\n")
			n++
		}
	}
	path := filepath.Join(tb.TempDir(), "bench.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o600); err != nil {
		tb.Fatalf("write catalog: %v", err)
	}
	cat, err := indicator.Load(property.Default(), asset.DefaultTypes(), path)
	if err != nil {
		tb.Fatalf("load %d-indicator catalog: %v", n, err)
	}
	return cat
}

// feeder returns observations in time order: every stream once a
// minute, spread evenly over the minute.
func (fx *cityFixture) feeder() func() model.Observation {
	n := int64(len(fx.streams))
	var i int64
	return func() model.Observation {
		round, k := i/n, i%n
		i++
		t := fx.start + round*60_000 + k*60_000/n
		return model.Observation{Stream: k + 1, Time: t, Value: float64((k*7 + round*13) % 100)}
	}
}
