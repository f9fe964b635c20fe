package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// benchGridCells is the number of grid cells BenchmarkLocate50k aims for.
const benchGridCells = 50_000

// shanghaiGrid returns the districts plus square grid cells under every
// district, sized so that there are at least target cells in all.
func shanghaiGrid(tb testing.TB, target int) (districts, cells []model.Unit) {
	tb.Helper()
	districts = mustReadDistricts(tb, districtsWGS84, CRSWGS84)
	area := 0.0
	for _, d := range districts {
		area += areaSquareMetres(d.Geometry)
	}
	// 2% smaller than the exact size: boundary effects lose a few cells.
	size := math.Sqrt(area/float64(target)) * 0.98
	for _, d := range districts {
		grid, err := GenerateGrid(d, size, GridSquare)
		if err != nil {
			tb.Fatalf("GenerateGrid(%s): %v", d.Code, err)
		}
		cells = append(cells, grid...)
	}
	if len(cells) < target {
		tb.Fatalf("generated %d cells, want at least %d", len(cells), target)
	}
	return districts, cells
}

// areaSquareMetres is the planar area of mp in a local equirectangular
// projection (holes subtract: they wind the other way in valid input, and
// abs per ring with sign by role keeps it right when they do not).
func areaSquareMetres(mp orb.MultiPolygon) float64 {
	lat0 := (mp.Bound().Min[1] + mp.Bound().Max[1]) / 2
	kx := metresPerDegree * math.Cos(lat0*math.Pi/180)
	total := 0.0
	for _, poly := range mp {
		for ri, ring := range poly {
			a := 0.0
			for i := 0; i+1 < len(ring); i++ {
				a += ring[i][0]*kx*ring[i+1][1]*metresPerDegree - ring[i+1][0]*kx*ring[i][1]*metresPerDegree
			}
			a = math.Abs(a) / 2
			if ri > 0 {
				a = -a
			}
			total += a
		}
	}
	return total
}

// queryPoints returns n points spread uniformly over the bounding box of
// units, a fixed sequence so runs compare.
func queryPoints(units []model.Unit, n int) []orb.Point {
	var b orb.Bound
	for i, u := range units {
		if i == 0 {
			b = u.Geometry.Bound()
		}
		b = b.Union(u.Geometry.Bound())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{
			b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]),
			b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1]),
		}
	}
	return pts
}

// BenchmarkLocate50k looks up points in the 16 Shanghai districts plus
// ~50,000 grid cells under them. Points inside Shanghai and outside it
// are reported separately; the inside case is the one the target is for.
func BenchmarkLocate50k(b *testing.B) {
	districts, cells := shanghaiGrid(b, benchGridCells)
	idx := mustIndex(b, append(districts, cells...))
	var inside, outside []orb.Point
	for _, p := range queryPoints(districts, 20_000) {
		if _, ok := idx.Locate(p[0], p[1]); ok {
			inside = append(inside, p)
		} else {
			outside = append(outside, p)
		}
	}
	b.Logf("%d units (%d grid cells); %d query points inside, %d outside", idx.Len(), len(cells), len(inside), len(outside))
	for _, bc := range []struct {
		name string
		pts  []orb.Point
	}{
		{"inside", inside},
		{"outside", outside},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				p := bc.pts[i%len(bc.pts)]
				idx.Locate(p[0], p[1])
				i++
			}
		})
	}
}

// BenchmarkLocateDistricts measures the big-polygon case alone: 16
// districts with up to a few thousand vertices each and no grid cells.
func BenchmarkLocateDistricts(b *testing.B) {
	districts := mustReadDistricts(b, districtsWGS84, CRSWGS84)
	idx := mustIndex(b, districts)
	pts := queryPoints(districts, 10_000)
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		idx.Locate(p[0], p[1])
		i++
	}
}

// BenchmarkGenerateGrid tiles 浦东新区 (the largest district; its polygon
// takes in ~1,700 km² with the estuary shoals) with 100 m squares: about
// 170,000 cells.
func BenchmarkGenerateGrid(b *testing.B) {
	pudong := mustFindUnit(b, mustReadDistricts(b, districtsWGS84, CRSWGS84), "310115")
	var n int
	for b.Loop() {
		cells, err := GenerateGrid(pudong, 100, GridSquare)
		if err != nil {
			b.Fatal(err)
		}
		n = len(cells)
	}
	b.ReportMetric(float64(n), "cells")
}
