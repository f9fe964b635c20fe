package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/property"
	"cityvitals/store"
)

// datastreamJSON is a datastream on the wire: interval as a Go duration
// string ("1m", "1h"), location as WGS84 lon/lat.
type datastreamJSON struct {
	ID       int64     `json:"id,omitempty"`
	Key      string    `json:"key,omitempty"`
	Name     string    `json:"name,omitempty"`
	Property string    `json:"property"`
	UoM      string    `json:"uom,omitempty"`
	Interval string    `json:"interval,omitempty"`
	Device   string    `json:"device,omitempty"`
	Asset    string    `json:"asset,omitempty"`
	Location *lonLat   `json:"location,omitempty"`
	Unit     string    `json:"unit,omitempty"`
	Created  time.Time `json:"created,omitzero"`
}

type lonLat struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

func datastreamOut(d model.Datastream) datastreamJSON {
	out := datastreamJSON{
		ID: d.ID, Key: d.Key, Name: d.Name, Property: d.Property, UoM: d.UoM,
		Device: d.Device, Asset: d.Asset, Unit: d.Unit, Created: d.Created,
	}
	if d.Interval > 0 {
		out.Interval = d.Interval.String()
	}
	if d.HasPoint {
		out.Location = &lonLat{Lon: d.Lon, Lat: d.Lat}
	}
	return out
}

func (in datastreamJSON) model(i int) (model.Datastream, error) {
	d := model.Datastream{
		Key: in.Key, Name: in.Name, Property: in.Property, UoM: in.UoM,
		Device: in.Device, Asset: in.Asset,
	}
	if in.Interval != "" {
		iv, err := time.ParseDuration(in.Interval)
		if err != nil {
			return d, model.Errorf(model.EINVALID, "datastreams[%d].interval: %q is not a duration like 1m or 1h", i, clipText(in.Interval))
		}
		d.Interval = iv
	}
	if in.Location != nil {
		d.Lon, d.Lat, d.HasPoint = in.Location.Lon, in.Location.Lat, true
	}
	if in.Unit != "" || in.ID != 0 || !in.Created.IsZero() {
		// Output-only fields: silently dropping them would leave a client
		// believing it had placed the stream in a unit.
		return d, model.Errorf(model.EINVALID, "datastreams[%d]: id, unit and created are set by the platform (the unit comes from location or asset)", i)
	}
	return d, nil
}

// createDatastreams registers one stream (a JSON object) or many (an
// array) in one transaction.
func (s *Server) createDatastreams(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	body, err := readBody(r, s.MaxBodyBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in []datastreamJSON
	single := len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{'
	if single {
		in = make([]datastreamJSON, 1)
		err = strictUnmarshal(body, &in[0])
	} else {
		err = strictUnmarshal(body, &in)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ds := make([]model.Datastream, len(in))
	for i, x := range in {
		if ds[i], err = x.model(i); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.checkStreamsScope(r, p, ds); err != nil {
		s.fail(w, r, err)
		return
	}
	created, err := s.Inventory.CreateDatastreams(r.Context(), p.Name(), ds)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if single {
		writeJSON(w, s.log, http.StatusCreated, datastreamOut(created[0]))
		return
	}
	out := make([]datastreamJSON, len(created))
	for i, d := range created {
		out[i] = datastreamOut(d)
	}
	writeJSON(w, s.log, http.StatusCreated, listing[datastreamJSON]{Items: out})
}

func strictUnmarshal(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

func (s *Server) getDatastream(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ds, err := s.streamInScope(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, datastreamOut(ds))
}

func (s *Server) listDatastreams(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.DatastreamFilter{Property: q.Get("property"), Unit: q.Get("unit"), Asset: q.Get("asset"), Device: q.Get("device")}
	if err := s.checkListingScope(p, f.Unit); err != nil {
		s.fail(w, r, err)
		return
	}
	items, next, err := s.Datastreams.Datastreams(r.Context(), f, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]datastreamJSON, len(items))
	for i, d := range items {
		out[i] = datastreamOut(d)
	}
	writeJSON(w, s.log, http.StatusOK, listing[datastreamJSON]{Items: out, Next: next})
}

func (s *Server) listProperties(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	writeJSON(w, s.log, http.StatusOK, listing[property.Property]{Items: s.Inventory.Properties().List()})
}

// checkStreamsScope makes a user limited to part of the city register
// streams only inside it: each must have a location or asset there.
func (s *Server) checkStreamsScope(r *http.Request, p auth.Principal, ds []model.Datastream) error {
	if scopeOf(p) == "" {
		return nil
	}
	for i, d := range ds {
		unit := ""
		switch {
		case d.HasPoint:
			unit, _ = s.Inventory.Locate(d.Lon, d.Lat)
		case d.Asset != "":
			a, err := s.Assets.Asset(r.Context(), d.Asset)
			if err != nil {
				return err
			}
			unit = a.Unit
		}
		if unit == "" || s.checkScope(p, unit) != nil {
			return model.Errorf(model.EFORBIDDEN, "datastreams[%d]: a user limited to %q must place streams inside it", i, scopeOf(p))
		}
	}
	return nil
}
