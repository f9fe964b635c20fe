package inventory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"cityvitals/model"
	"cityvitals/property"
)

// Limits on registration input; longer values are refused, not truncated.
const (
	maxKeyLen     = 256
	maxNameLen    = 256
	maxBulk       = 100_000
	maxIntervalMs = int64(31 * 24 * time.Hour / time.Millisecond)
)

// CreateDatastreams validates and registers streams in one transaction:
// the property must be in the catalog and the unit of measurement its
// canonical one (values are stored in canonical units so that thresholds
// and roll-ups compare like with like; convert on the device or with an
// import mapping's scale), the location valid, the asset known. The unit is
// resolved from the stream's point, or from its asset's point when it has
// none. Every problem is an EINVALID naming the item and field; nothing is
// stored then. ECONFLICT if a key is taken.
func (s *Service) CreateDatastreams(ctx context.Context, actor string, ds []model.Datastream) ([]model.Datastream, error) {
	if len(ds) == 0 {
		return nil, model.Errorf(model.EINVALID, "no datastreams to register")
	}
	if len(ds) > maxBulk {
		return nil, model.Errorf(model.ETOOLARGE, "%d datastreams in one request; the limit is %d", len(ds), maxBulk)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	prepared := make([]model.Datastream, len(ds))
	var problems []error
	for i, d := range ds {
		p, err := s.prepare(ctx, i, d)
		if err != nil {
			if problems = append(problems, err); len(problems) == 20 {
				break
			}
		}
		prepared[i] = p
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	created, err := s.stores.Datastreams.CreateDatastreams(ctx, prepared)
	if err != nil {
		return nil, fmt.Errorf("store datastreams: %w", err)
	}
	s.place(created)
	s.sink.Put(created...)
	s.changed()
	s.streamsCreated(created)
	target := fmt.Sprintf("datastream %d", created[0].ID)
	if len(created) > 1 {
		target = fmt.Sprintf("datastreams %d..%d", created[0].ID, created[len(created)-1].ID)
	}
	return created, s.record(ctx, actor, "datastream.create", target, map[string]any{"count": len(created)})
}

func (s *Service) place(ds []model.Datastream) {
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	for _, d := range ds {
		if d.Unit != "" {
			s.byUnit[d.Unit] = append(s.byUnit[d.Unit], d.ID)
		}
	}
}

func (s *Service) prepare(ctx context.Context, i int, d model.Datastream) (model.Datastream, error) {
	bad := func(field, format string, args ...any) error {
		return model.Errorf(model.EINVALID, "datastreams[%d].%s: %s", i, field, fmt.Sprintf(format, args...))
	}
	if err := checkText(d.Key, maxKeyLen); err != nil {
		return d, bad("key", "%v", err)
	}
	if err := checkText(d.Name, maxNameLen); err != nil {
		return d, bad("name", "%v", err)
	}
	p, ok := s.properties.Lookup(d.Property)
	if !ok {
		return d, bad("property", "unknown observed property %q", clip(d.Property))
	}
	uom, err := canonicalUoM(p, d.UoM)
	if err != nil {
		return d, bad("uom", "%v", err)
	}
	d.UoM = uom
	if d.Interval == 0 {
		d.Interval = p.DefaultInterval
	}
	if d.Interval < 0 || d.Interval.Milliseconds() > maxIntervalMs {
		return d, bad("interval", "must be between 0 and 31 days, got %s", d.Interval)
	}
	if d.Asset != "" && !d.HasPoint {
		a, err := s.stores.Assets.Asset(ctx, d.Asset)
		if err != nil {
			return d, bad("asset", "%v", model.ErrorMessage(err))
		}
		if a.Geometry != nil {
			pt := assetPoint(a)
			d.Lon, d.Lat, d.HasPoint = pt.Lon(), pt.Lat(), true
		}
	}
	if d.HasPoint {
		if !validLonLat(d.Lon, d.Lat) {
			return d, bad("location", "(%v, %v) is not a WGS84 longitude/latitude", d.Lon, d.Lat)
		}
		d.Unit, _ = s.Locate(d.Lon, d.Lat)
	}
	d.Created = s.now().UTC()
	return d, nil
}

// canonicalUoM accepts the property's canonical unit in any spelling and
// returns its canonical form.
func canonicalUoM(p property.Property, uom string) (string, error) {
	if strings.TrimSpace(uom) == "" {
		return p.UoM, nil
	}
	got, ok := property.CanonicalUoM(uom)
	want, _ := property.CanonicalUoM(p.UoM)
	if ok && got == want || uom == p.UoM {
		return p.UoM, nil
	}
	return "", fmt.Errorf("%q is not the canonical unit %q of property %q (convert on the device or with an import mapping's scale)", clip(uom), p.UoM, p.ID)
}

func validLonLat(lon, lat float64) bool {
	return !math.IsNaN(lon) && !math.IsNaN(lat) && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}

func checkText(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return errors.New("contains control characters")
	}
	return nil
}

// clip keeps hostile input from being echoed back at length.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// EnsureDatastream returns the stream registered under d.Key, creating it
// from d if there is none. It is how imports and device auto-provisioning
// find their streams again on every run.
func (s *Service) EnsureDatastream(ctx context.Context, actor string, d model.Datastream) (model.Datastream, error) {
	if d.Key == "" {
		return model.Datastream{}, model.Errorf(model.EINVALID, "datastream key: missing")
	}
	if got, ok := s.sink.ByKey(d.Key); ok {
		return got, nil
	}
	created, err := s.CreateDatastreams(ctx, actor, []model.Datastream{d})
	if model.ErrorCode(err) == model.ECONFLICT {
		// Another caller registered the key in between.
		if got, ok := s.sink.ByKey(d.Key); ok {
			return got, nil
		}
	}
	if err != nil {
		return model.Datastream{}, err
	}
	return created[0], nil
}
