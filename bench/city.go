package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"

	"cityvitals/app"
	"cityvitals/geo"
	"cityvitals/model"
)

// The benchmark city: a 0.6° × 0.4° rectangle over Shanghai's latitude,
// its streams on a 1,000 × 1,000 lattice inside it.
const (
	benchWest, benchSouth = 121.2, 31.0
	benchEast, benchNorth = 121.8, 31.4
)

// benchPlace puts stream i on the lattice.
func benchPlace(i int) (lon, lat float64) {
	return benchWest + 0.0006*float64(i%1000) + 0.0003, benchSouth + 0.0004*float64(i/1000%1000) + 0.0002
}

// coverWithGrid imports the benchmark district and about n grid cells
// under it, and returns how many cells there are.
func coverWithGrid(ctx context.Context, a *app.App, n int) (int, error) {
	district := model.Unit{Code: "bench", Level: model.LevelDistrict, NameZH: "基准区", NameEN: "Bench district",
		Geometry: orb.MultiPolygon{{{{benchWest, benchSouth}, {benchEast, benchSouth}, {benchEast, benchNorth}, {benchWest, benchNorth}, {benchWest, benchSouth}}}}}
	if _, err := a.Inventory.ImportUnits(ctx, "bench", []model.Unit{district}); err != nil {
		return 0, err
	}
	const metresPerDegree = 111_195.0
	area := (benchEast - benchWest) * math.Cos((benchSouth+benchNorth)/2*math.Pi/180) * (benchNorth - benchSouth) * metresPerDegree * metresPerDegree
	res, err := a.Inventory.GenerateGrid(ctx, "bench", "bench", math.Sqrt(area/float64(n)), geo.GridSquare)
	return res.Units, err
}

// writeExtraIndicators writes n generated grid-level indicators over PM2.5
// as a catalog file, to reach a realistic catalog size.
func writeExtraIndicators(dir string, n int) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	funcs := []string{"max(pm25)", "avg(pm25)", "p95(pm25)", "above(pm25, 75)", "reporting(pm25)"}
	var b strings.Builder
	b.WriteString("domain: bench\nname_zh: 基准\nname_en: Benchmark\nindicators:\n")
	for i := range n {
		fmt.Fprintf(&b, `  - id: bench.pm25_%d
    name_zh: 基准指标%d
    name_en: Bench indicator %d
    unit: "µg/m³"
    dept: 基准
    level: grid
    window: %dm
    expr: %s
    direction: high
    thresholds: {blue: %d, yellow: %d, orange: %d, red: %d}
    rollup: worst
    why_zh: 基准测试用。
    why_en: For benchmarks.
    sources: {thresholds: generated}
`, i, i, i, 5+i%10, funcs[i%len(funcs)], 35+i%7, 75+i%7, 115+i%7, 150+i%7)
	}
	file := filepath.Join(dir, "bench-indicators.yaml")
	return file, os.WriteFile(file, []byte(b.String()), 0o600)
}
