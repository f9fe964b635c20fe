package asset

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestRepresentativePoint(t *testing.T) {
	t.Parallel()
	// A U-shaped site whose centroid lies in the empty notch.
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	square := orb.Polygon{{{10, 10}, {11, 10}, {11, 11}, {10, 11}, {10, 10}}}
	tests := []struct {
		name   string
		g      orb.Geometry
		want   orb.Point
		inside orb.Polygon // when set, the point must lie in it instead of equal want
	}{
		{name: "point", g: orb.Point{1, 2}, want: orb.Point{1, 2}},
		{name: "multipoint", g: orb.MultiPoint{{3, 4}, {5, 6}}, want: orb.Point{3, 4}},
		{name: "line middle vertex", g: orb.LineString{{0, 0}, {1, 1}, {5, 0}}, want: orb.Point{1, 1}},
		{name: "multiline first line", g: orb.MultiLineString{{{0, 0}, {2, 2}}, {{9, 9}, {8, 8}}}, want: orb.Point{2, 2}},
		{name: "convex polygon centroid", g: square, want: orb.Point{10.5, 10.5}},
		{name: "concave polygon", g: u, inside: u},
		{name: "multipolygon picks the largest", g: orb.MultiPolygon{square, u}, inside: u},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RepresentativePoint(tt.g)
			if tt.inside != nil {
				if !planar.PolygonContains(tt.inside, got) {
					t.Errorf("RepresentativePoint = %v, not inside %v", got, tt.inside)
				}
				return
			}
			if got != tt.want {
				t.Errorf("RepresentativePoint = %v, want %v", got, tt.want)
			}
		})
	}
}
