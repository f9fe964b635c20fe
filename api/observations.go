package api

import (
	"net/http"
	"time"

	"cityvitals/auth"
	"cityvitals/ingest"
	"cityvitals/model"
)

// maxIngestBody bounds what is read before the ingest service applies its
// own (possibly smaller) limit and names it.
const maxIngestBody = 64 << 20

// postObservations accepts a JSON array or NDJSON batch. 200 when at least
// one item (or none at all) was accepted, 422 when every item was rejected;
// the body always lists the rejected items with their reasons.
func (s *Server) postObservations(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	body, err := readBody(r, maxIngestBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	src := ingest.Source{Transport: "http", Device: p.Device, Provision: p.Provision, Actor: p.Name()}
	res, err := s.Ingest.Ingest(r.Context(), src, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Accepted == 0 && len(res.Rejected) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if res.Rejected == nil {
		res.Rejected = []ingest.Rejection{}
	}
	writeJSON(w, s.log, status, res)
}

// observationJSON is an observation on the wire: ISO-8601 UTC time.
type observationJSON struct {
	Datastream int64   `json:"datastream"`
	Time       string  `json:"time"`
	Value      float64 `json:"value"`
	Quality    uint8   `json:"quality,omitempty"`
}

func toJSON(o model.Observation) observationJSON {
	return observationJSON{
		Datastream: o.Stream,
		Time:       time.UnixMilli(o.Time).UTC().Format(time.RFC3339Nano),
		Value:      o.Value,
		Quality:    o.Quality,
	}
}

// streamInScope loads a datastream and checks the caller may see it.
func (s *Server) streamInScope(r *http.Request, p auth.Principal) (model.Datastream, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return model.Datastream{}, err
	}
	ds, err := s.Datastreams.Datastream(r.Context(), id)
	if err != nil {
		return ds, err
	}
	return ds, s.checkScope(p, ds.Unit)
}

func (s *Server) getObservations(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ds, err := s.streamInScope(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now().UnixMilli()
	from, err := queryTime(r, "from", now-24*time.Hour.Milliseconds())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := queryTime(r, "to", now+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 10_000, 1, 100_000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	obs, err := s.History.Range(r.Context(), ds.ID, from, to, int(limit))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]observationJSON, len(obs))
	for i, o := range obs {
		out[i] = toJSON(o)
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"datastream": ds.ID, "uom": ds.UoM, "items": out})
}

// aggregateJSON is one downsampled bucket.
type aggregateJSON struct {
	Start string  `json:"start"`
	Count int64   `json:"count"`
	Avg   float64 `json:"avg"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Sum   float64 `json:"sum"`
}

// maxBuckets keeps one request from asking for millions of buckets.
const maxBuckets = 100_000

func (s *Server) getAggregates(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ds, err := s.streamInScope(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now().UnixMilli()
	from, err1 := queryTime(r, "from", now-7*24*time.Hour.Milliseconds())
	to, err2 := queryTime(r, "to", now+1)
	step, err3 := parseStep(r.URL.Query().Get("step"))
	if err := firstErr(err1, err2, err3); err != nil {
		s.fail(w, r, err)
		return
	}
	if to <= from || (to-from)/step > maxBuckets {
		s.fail(w, r, model.Errorf(model.EINVALID, "from/to/step: need from < to and at most %d buckets", maxBuckets))
		return
	}
	buckets, err := s.History.Aggregate(r.Context(), ds.ID, from, to, step)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]aggregateJSON, len(buckets))
	for i, b := range buckets {
		out[i] = aggregateJSON{
			Start: time.UnixMilli(b.Start).UTC().Format(time.RFC3339), Count: b.Count,
			Avg: b.Avg(), Min: b.Min, Max: b.Max, Sum: b.Sum,
		}
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"datastream": ds.ID, "step_ms": step, "uom": ds.UoM, "items": out})
}

func parseStep(s string) (int64, error) {
	if s == "" {
		return time.Hour.Milliseconds(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, model.Errorf(model.EINVALID, "step: %q is not a duration of at least 1s (e.g. 5m, 1h, 24h)", clipText(s))
	}
	return d.Milliseconds(), nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) getStreamLatest(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ds, err := s.streamInScope(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	latest, err := s.History.Latest(r.Context(), []int64{ds.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, ok := latest[ds.ID]
	if !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "datastream %d has no observations yet", ds.ID))
		return
	}
	writeJSON(w, s.log, http.StatusOK, toJSON(o))
}

// getUnitLatest returns the latest value of every stream in the unit and,
// unless descendants=false, in every unit below it.
func (s *Server) getUnitLatest(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	if _, ok := s.Inventory.Unit(code); !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "unit %q not found", clipText(code)))
		return
	}
	if err := s.checkScope(p, code); err != nil {
		s.fail(w, r, err)
		return
	}
	ids := s.Inventory.UnitStreams(code, r.URL.Query().Get("descendants") != "false")
	latest, err := s.History.Latest(r.Context(), ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]observationJSON, 0, len(latest))
	for _, id := range ids {
		if o, ok := latest[id]; ok {
			out = append(out, toJSON(o))
		}
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"unit": code, "streams": len(ids), "items": out})
}
