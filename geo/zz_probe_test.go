package geo

import (
	"testing"

	"cityvitals/model"
)

func TestZZProbe(t *testing.T) {
	districts := mustReadDistricts(t, districtsGCJ02, CRSGCJ02)
	pd := mustFindUnit(t, districts, "310115")
	mh := mustFindUnit(t, districts, "310112")
	cells, _ := GenerateGrid(pd, 2000, GridHex)
	for _, c := range cells {
		if c.Code == "310115-r19c04" {
			p, _ := InteriorPoint(c.Geometry)
			t.Logf("cell area %.0f m2, polys %d, ip %v in pudong %v in minhang %v", areaSquareMetres(c.Geometry), len(c.Geometry), p,
				newRegion(pd.Geometry).contains(p[0], p[1]), newRegion(mh.Geometry).contains(p[0], p[1]))
			ov, _ := clipToCell(mh.Geometry, c.Geometry[0][0]), 0
			_ = ov
		}
	}
	// overlap of districts overall: sample
	idx := mustIndex(t, districts)
	_ = idx
	n := 0
	for _, p := range queryPoints(districts, 200000) {
		k := 0
		for _, d := range districts {
			if newRegion(d.Geometry).contains(p[0], p[1]) {
				k++
			}
		}
		if k > 1 {
			n++
		}
	}
	t.Logf("points in >1 district: %d of 200000", n)
	_ = model.LevelGrid
}
