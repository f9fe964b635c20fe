package sqlitestore

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// geomColumns are a geometry's WKB and bounding box as stored; all NULL
// (nil) when there is no geometry.
type geomColumns struct {
	wkb                            []byte
	minLon, minLat, maxLon, maxLat sql.NullFloat64
}

func encodeGeometry(g orb.Geometry) (geomColumns, error) {
	if isEmptyGeometry(g) {
		return geomColumns{}, nil
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return geomColumns{}, fmt.Errorf("encode %s geometry as WKB: %w", g.GeoJSONType(), err)
	}
	box := g.Bound()
	return geomColumns{
		wkb:    b,
		minLon: sql.NullFloat64{Float64: box.Min.Lon(), Valid: true},
		minLat: sql.NullFloat64{Float64: box.Min.Lat(), Valid: true},
		maxLon: sql.NullFloat64{Float64: box.Max.Lon(), Valid: true},
		maxLat: sql.NullFloat64{Float64: box.Max.Lat(), Valid: true},
	}, nil
}

// isEmptyGeometry reports whether g carries no shape, including typed nils
// such as a nil orb.MultiPolygon stored in the interface.
func isEmptyGeometry(g orb.Geometry) bool {
	switch x := g.(type) {
	case nil:
		return true
	case orb.MultiPolygon:
		return len(x) == 0
	case orb.Polygon:
		return len(x) == 0
	case orb.LineString:
		return len(x) == 0
	case orb.MultiLineString:
		return len(x) == 0
	case orb.MultiPoint:
		return len(x) == 0
	case orb.Collection:
		return len(x) == 0
	}
	return false
}

func decodeGeometry(b []byte) (orb.Geometry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB geometry: %w", err)
	}
	return g, nil
}

// decodeMultiPolygon decodes a unit's area; a single polygon is promoted.
func decodeMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, err := decodeGeometry(b)
	switch x := g.(type) {
	case nil:
		return nil, err
	case orb.MultiPolygon:
		return x, nil
	case orb.Polygon:
		return orb.MultiPolygon{x}, nil
	default:
		return nil, fmt.Errorf("unit geometry is a %s, want a MultiPolygon", g.GeoJSONType())
	}
}

// toNanos stores a time as Unix nanoseconds.
func toNanos(t time.Time) int64 { return t.UnixNano() }

// fromNanos is the inverse of toNanos, in UTC.
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// nullNanos stores an optional time: the zero time becomes NULL.
func nullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNullNanos(ns sql.NullInt64) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return fromNanos(ns.Int64)
}
