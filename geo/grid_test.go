package geo

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

func TestGenerateGrid(t *testing.T) {
	t.Parallel()
	districts := mustReadDistricts(t, districtsWGS84, CRSWGS84)
	tests := []struct {
		name     string
		district string
		size     float64
		shape    GridShape
		cellArea float64 // m² per cell for this shape and size
	}{
		{"xuhui square 300 m", "310104", 300, GridSquare, 300 * 300},
		{"xuhui hex 300 m", "310104", 300, GridHex, math.Sqrt(3) / 2 * 300 * 300},
		{"huangpu square 200 m", "310101", 200, GridSquare, 200 * 200},
		{"chongming islands hex 1 km", "310151", 1000, GridHex, math.Sqrt(3) / 2 * 1000 * 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := mustFindUnit(t, districts, tc.district)
			cells, err := GenerateGrid(parent, tc.size, tc.shape)
			if err != nil {
				t.Fatalf("GenerateGrid: %v", err)
			}
			// At least area / cell area cells; boundary cells are partial,
			// so there are more, but not 50% more at these sizes.
			want := areaSquareMetres(parent.Geometry) / tc.cellArea
			if got := float64(len(cells)); got < want || got > 1.5*want {
				t.Errorf("%d cells, want between %.0f (area / cell area) and %.0f", len(cells), want, 1.5*want)
			}
			checkCells(t, parent, cells, tc.size, tc.cellArea)

			// The cells tile the parent: their areas add up to its area.
			// Compared in square degrees, where area is exactly additive.
			covered, whole := 0.0, areaSquareDegrees(parent.Geometry)
			for _, c := range cells {
				covered += areaSquareDegrees(c.Geometry)
			}
			if math.Abs(covered-whole) > whole*1e-9 {
				t.Errorf("cells cover %.12f deg² of the parent's %.12f deg², want all of it", covered, whole)
			}

			idx := mustIndex(t, append([]model.Unit{parent}, cells...))
			for _, c := range cells {
				centre, _ := InteriorPoint(c.Geometry)
				if got, _ := idx.Locate(centre[0], centre[1]); got != c.Code {
					t.Fatalf("Locate(centre of %s) = %q: the deepest unit must be the cell", c.Code, got)
				}
			}
		})
	}
}

// areaSquareDegrees is the planar area of mp in lon/lat degrees: outer
// rings count, holes subtract.
func areaSquareDegrees(mp orb.MultiPolygon) float64 {
	total := 0.0
	for _, poly := range mp {
		for ri, ring := range poly {
			a := math.Abs(ringArea(ring))
			if ri > 0 {
				a = -a
			}
			total += a
		}
	}
	return total
}

// checkCells verifies the contract of every generated cell.
func checkCells(t *testing.T, parent model.Unit, cells []model.Unit, size, cellArea float64) {
	t.Helper()
	inParent := newRegion(parent.Geometry)
	codes := make(map[string]bool, len(cells))
	for _, c := range cells {
		if codes[c.Code] {
			t.Fatalf("duplicate cell code %q", c.Code)
		}
		codes[c.Code] = true
		if !strings.HasPrefix(c.Code, parent.Code+"-r") || c.Parent != parent.Code || c.Level != model.LevelGrid {
			t.Fatalf("cell %+v: want code %s-r…, parent %s, level grid", c, parent.Code, parent.Code)
		}
		if !strings.HasPrefix(c.NameZH, "网格 r") || !strings.HasPrefix(c.NameEN, "Grid r") {
			t.Fatalf("cell %s names %q / %q", c.Code, c.NameZH, c.NameEN)
		}
		centre := c.Geometry.Bound().Center()
		if a := areaSquareMetres(c.Geometry); a > cellArea*1.01 || a <= 0 {
			t.Fatalf("cell %s area %.0f m², want (0, %.0f] for %g m cells", c.Code, a, cellArea, size)
		} else if a > cellArea*0.99 && !inParent.contains(centre[0], centre[1]) {
			t.Fatalf("whole cell %s has its centre %v outside the parent", c.Code, centre)
		}
		if p, ok := InteriorPoint(c.Geometry); !ok || !inParent.contains(p[0], p[1]) {
			t.Fatalf("cell %s interior point %v is not inside the parent", c.Code, p)
		}
	}
}

// TestGridCellsBelongToTheirDistrict grids four neighbouring districts
// and checks, on points spread over all of them, that every point in a
// district is in a cell and that the cell's parent is that district:
// clipped cells of one district never overhang into the next.
func TestGridCellsBelongToTheirDistrict(t *testing.T) {
	t.Parallel()
	all := mustReadDistricts(t, districtsWGS84, CRSWGS84)
	districtsOnly := mustIndex(t, all)
	var units []model.Unit
	for _, code := range []string{"310101", "310104", "310105", "310106"} {
		d := mustFindUnit(t, all, code)
		cells, err := GenerateGrid(d, 400, GridHex)
		if err != nil {
			t.Fatalf("GenerateGrid(%s): %v", code, err)
		}
		units = append(append(units, d), cells...)
	}
	idx := mustIndex(t, units)
	inCells := 0
	for _, p := range queryPoints(units, 20_000) {
		district, _ := districtsOnly.Locate(p[0], p[1])
		if _, gridded := idx.Unit(district); !gridded {
			continue // in a district this test did not grid
		}
		code, _ := idx.Locate(p[0], p[1])
		u, _ := idx.Unit(code)
		if u.Level != model.LevelGrid || u.Parent != district {
			t.Fatalf("point %v is in district %s but Locate gives %s (level %s, parent %q)", p, district, code, u.Level, u.Parent)
		}
		inCells++
	}
	if inCells < 5_000 {
		t.Fatalf("only %d of 20000 points fell in cells: the test exercised too little", inCells)
	}
}

func TestGenerateGridIsDeterministic(t *testing.T) {
	t.Parallel()
	parent := mustFindUnit(t, mustReadDistricts(t, districtsWGS84, CRSWGS84), "310101")
	a, errA := GenerateGrid(parent, 250, GridHex)
	b, errB := GenerateGrid(parent, 250, GridHex)
	if errA != nil || errB != nil {
		t.Fatalf("GenerateGrid: %v, %v", errA, errB)
	}
	if len(a) != len(b) {
		t.Fatalf("%d cells then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Code != b[i].Code || !a[i].Geometry.Equal(b[i].Geometry) {
			t.Fatalf("cell %d differs: %s vs %s", i, a[i].Code, b[i].Code)
		}
	}
}

func TestGenerateGridRejects(t *testing.T) {
	t.Parallel()
	huangpu := mustFindUnit(t, mustReadDistricts(t, districtsWGS84, CRSWGS84), "310101")
	tests := []struct {
		name   string
		parent model.Unit
		size   float64
		shape  GridShape
		want   string // in the message
	}{
		{"zero size", huangpu, 0, GridSquare, "positive"},
		{"negative size", huangpu, -5, GridSquare, "positive"},
		{"NaN size", huangpu, math.NaN(), GridSquare, "positive"},
		{"infinite size", huangpu, math.Inf(1), GridHex, "positive"},
		{"too many cells", huangpu, 1, GridSquare, "limit"},
		{"unknown shape", huangpu, 100, "triangle", "unknown grid shape"},
		{"parent without geometry", model.Unit{Code: "310000", Level: model.LevelCity}, 100, GridSquare, "no geometry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cells, err := GenerateGrid(tc.parent, tc.size, tc.shape)
			if err == nil {
				t.Fatalf("GenerateGrid returned %d cells and no error", len(cells))
			}
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.parent.Code) {
				t.Errorf("error %q: want EINVALID naming %s and mentioning %q", err, tc.parent.Code, tc.want)
			}
		})
	}
}
