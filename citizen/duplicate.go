package citizen

import (
	"context"
	"math"

	"cityvitals/model"
	"cityvitals/store"
)

// earthRadius is the mean Earth radius in metres (IUGG).
const earthRadius = 6_371_008.8

// findOriginal returns the report r repeats, or nil: among the open
// reports of the same service requested at most the window before r,
// the nearest within the radius (for a report with a point) or the
// earliest with the same address id (for one without). A duplicate found
// this way leads to its own original, so every duplicate points at the
// report that opened the incident.
func (s *Service) findOriginal(ctx context.Context, tx store.ReportsTx, r model.Report) (*model.Report, error) {
	q := store.DuplicateQuery{ServiceCode: r.ServiceCode, From: r.RequestedAt.Add(-s.window), To: r.RequestedAt}
	switch {
	case r.HasPoint:
		box := boxAround(r.Lon, r.Lat, s.radius)
		q.Box = &box
	case r.AddressID != "":
		q.AddressID = r.AddressID
	default:
		return nil, nil // an address in words alone is not compared
	}
	candidates, err := tx.DuplicateCandidates(ctx, q)
	if err != nil {
		return nil, err
	}
	best, bestDistance := -1, math.Inf(1)
	for i, c := range candidates {
		d := 0.0
		if r.HasPoint {
			d = distance(r.Lon, r.Lat, c.Lon, c.Lat)
		}
		if d <= s.radius && d < bestDistance { // strict: the earlier of two equally near wins
			best, bestDistance = i, d
		}
	}
	if best < 0 {
		return nil, nil
	}
	original := candidates[best]
	if original.DuplicateOf == 0 {
		return &original, nil
	}
	root, err := tx.Report(ctx, original.DuplicateOf)
	if err != nil {
		return nil, err
	}
	return &root, nil
}

// distance is the great-circle distance in metres between two WGS84
// points (haversine; the error against the ellipsoid, under 0.5 %, does
// not matter at a radius of a few hundred metres).
func distance(lon1, lat1, lon2, lat2 float64) float64 {
	φ1, φ2 := lat1*math.Pi/180, lat2*math.Pi/180
	dφ, dλ := φ2-φ1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// boxAround returns a box holding every point within radius metres of
// (lon, lat), for the index to narrow candidates before distance decides.
func boxAround(lon, lat, radius float64) store.Box {
	dLat := radius / earthRadius * 180 / math.Pi
	// Longitude degrees shrink with the cosine of the latitude, taken at
	// the box's edge nearer the pole so no point within radius falls
	// outside; near the poles the box simply spans every longitude.
	cos := math.Cos(math.Min(90, math.Abs(lat)+dLat) * math.Pi / 180)
	dLon := 180.0
	if cos > 1e-6 {
		dLon = math.Min(180, dLat/cos)
	}
	return store.Box{MinLon: lon - dLon, MinLat: lat - dLat, MaxLon: lon + dLon, MaxLat: lat + dLat}
}
