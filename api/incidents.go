package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cityvitals/auth"
	"cityvitals/incident"
	"cityvitals/model"
	"cityvitals/store"
)

// IncidentService is what the API asks of the closed loop.
type IncidentService interface {
	Open(ctx context.Context, p auth.Principal, n incident.New) (model.Incident, error)
	Get(ctx context.Context, p auth.Principal, id int64) (model.Incident, error)
	History(ctx context.Context, p auth.Principal, id int64) ([]model.IncidentEvent, error)
	List(ctx context.Context, p auth.Principal, f store.IncidentFilter, pg store.Page) ([]model.Incident, string, error)
	Act(ctx context.Context, p auth.Principal, id int64, c incident.Command) (model.Incident, error)
	Attach(ctx context.Context, p auth.Principal, id int64, name string, r io.Reader) (model.Attachment, error)
	Attachment(ctx context.Context, p auth.Principal, id int64, hash string) (model.Attachment, io.ReadSeekCloser, error)
	Board(ctx context.Context, p auth.Principal, under string) (incident.Board, error)
	Evaluate(ctx context.Context, p auth.Principal, from, to time.Time, by string) (incident.Evaluation, error)
}

// incidentFilter reads ?state (comma list), ?under, ?dept, ?category,
// ?source, ?open, ?min_level and ?overdue.
func incidentFilter(r *http.Request) (store.IncidentFilter, error) {
	q := r.URL.Query()
	f := store.IncidentFilter{Under: q.Get("under"), Dept: q.Get("dept"), Category: q.Get("category"), Source: model.IncidentSource(q.Get("source"))}
	if s := q.Get("state"); s != "" {
		for _, st := range strings.Split(s, ",") {
			f.States = append(f.States, model.IncidentState(st))
		}
	}
	minLevel, err := queryInt(r, "min_level", 0, 0, 4)
	if err != nil {
		return f, err
	}
	f.MinLevel = int8(minLevel)
	for name, dst := range map[string]*bool{"open": &f.OpenOnly, "overdue": &f.Overdue} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, model.Errorf(model.EINVALID, "%s: %q is not true or false", name, clipText(v))
			}
			*dst = b
		}
	}
	return f, nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := incidentFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, next, err := s.Incidents.List(r.Context(), p, f, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []model.Incident{}
	}
	writeJSON(w, s.log, http.StatusOK, listing[model.Incident]{Items: items, Next: next})
}

// createIncident is manual entry by operators and field inspection; the
// other sources (alerts, citizen reports, plans) are the platform's own.
func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var n incident.New
	if err := decodeJSON(r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	switch n.Source {
	case "", model.SourceManual, model.SourceInspection:
	default:
		s.fail(w, r, model.Errorf(model.EINVALID, "source: only manual or inspection incidents are entered through the API, not %q", clipText(string(n.Source))))
		return
	}
	if n.Register && !p.Can(auth.IncidentDispatch) {
		s.fail(w, r, model.Errorf(model.EFORBIDDEN, "%s may not register incidents (register: true needs %s)", p.Name(), auth.IncidentDispatch))
		return
	}
	n.Plan = ""
	inc, err := s.Incidents.Open(r.Context(), p, n)
	s.answer(w, r, http.StatusCreated, inc, err)
}

type incidentDetail struct {
	Incident model.Incident        `json:"incident"`
	Events   []model.IncidentEvent `json:"events"`
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	inc, err := s.Incidents.Get(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.Incidents.History(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, incidentDetail{Incident: inc, Events: events})
}

// actOnIncident takes one step of the loop; the incident service decides
// who may take which step (role, department, area, state).
func (s *Server) actOnIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	var c incident.Command
	if err := decodeJSON(r, &c); err != nil {
		s.fail(w, r, err)
		return
	}
	c.Action = r.PathValue("action")
	inc, err := s.Incidents.Act(r.Context(), p, id, c)
	s.answer(w, r, http.StatusOK, inc, err)
}

// attachToIncident takes the raw file as the body and its name as ?name.
func (s *Server) attachToIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, incident.MaxAttachment+1)
	a, err := s.Incidents.Attach(r.Context(), p, id, r.URL.Query().Get("name"), r.Body)
	s.answer(w, r, http.StatusCreated, a, err)
}

func (s *Server) getIncidentAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	a, content, err := s.Incidents.Attachment(r.Context(), p, id, r.PathValue("hash"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer content.Close()
	w.Header().Set("Content-Type", a.Type)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Name))
	http.ServeContent(w, r, "", time.UnixMilli(a.At), content)
}

func (s *Server) incidentBoard(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	b, err := s.Incidents.Board(r.Context(), p, r.URL.Query().Get("under"))
	s.answer(w, r, http.StatusOK, b, err)
}

// evaluateIncidents is the 综合评价 of the incidents created in
// [?from, ?to) (default: the last 30 days), ?by dept (default) or district.
func (s *Server) evaluateIncidents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	now := time.Now()
	to, err := queryTime(r, "to", now.UnixMilli())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := queryTime(r, "from", time.UnixMilli(to).AddDate(0, 0, -30).UnixMilli())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "dept"
	}
	ev, err := s.Incidents.Evaluate(r.Context(), p, time.UnixMilli(from), time.UnixMilli(to), by)
	s.answer(w, r, http.StatusOK, ev, err)
}

// streamIncidents is a server-sent-event stream of incident changes in
// the caller's area. It keeps no backlog: load the board first.
func (s *Server) streamIncidents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	changes, cancel := s.IncidentHub.Subscribe()
	defer cancel()
	visible := func(c incident.Change) bool {
		if c.Incident.Unit == "" {
			return scopeOf(p) == ""
		}
		return s.checkScope(p, c.Incident.Unit) == nil
	}
	follow(s, w, r, changes, visible, func(c incident.Change) string { return c.Event.Action })
}
