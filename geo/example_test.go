package geo_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"cityvitals/geo"
	"cityvitals/model"
)

// A district 1 km square is tiled with 250 m cells; a point then resolves
// to its cell, and the cell's parent is the district.
func ExampleGenerateGrid() {
	district := model.Unit{
		Code:  "D1",
		Level: model.LevelDistrict,
		Geometry: orb.MultiPolygon{{{
			{121.470, 31.230}, {121.4805, 31.230}, {121.4805, 31.239}, {121.470, 31.239}, {121.470, 31.230},
		}}},
	}
	cells, err := geo.GenerateGrid(district, 250, geo.GridSquare)
	if err != nil {
		fmt.Println(err)
		return
	}
	idx, err := geo.NewIndex(append([]model.Unit{district}, cells...))
	if err != nil {
		fmt.Println(err)
		return
	}
	code, _ := idx.Locate(121.4702, 31.2388) // near the north-west corner
	cell, _ := idx.Unit(code)
	fmt.Println(len(cells) >= 16, cell.Code, cell.NameEN, cell.Parent)
	// Output: true D1-r0c0 Grid r0c0 D1
}
