package api

import (
	"context"
	"net/http"
	"time"

	"cityvitals/alert"
	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// AlertService is what the API asks of the alert lifecycle.
type AlertService interface {
	Ack(ctx context.Context, fingerprint, by string) (model.Alert, error)
	Assign(ctx context.Context, fingerprint, assignee, by string) (model.Alert, error)
}

// alertInScope hides alerts about units outside the caller's area.
func (s *Server) alertInScope(p auth.Principal, a model.Alert) bool {
	unit := a.Labels["unit"]
	if unit == "" {
		return scopeOf(p) == ""
	}
	return s.checkScope(p, unit) == nil
}

// listAlerts pages through alerts: ?state, ?unit, ?rule, ?min_level.
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	minLevel, err := queryInt(r, "min_level", 0, 0, 4)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := store.AlertFilter{State: model.AlertState(q.Get("state")), Unit: q.Get("unit"), Rule: q.Get("rule"), MinLevel: int8(minLevel)}
	items, next, err := s.AlertStore.Alerts(r.Context(), f, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]alertJSON, 0, len(items))
	now := time.Now()
	for _, a := range items {
		if s.alertInScope(p, a) {
			out = append(out, s.alertOut(a, now))
		}
	}
	writeJSON(w, s.log, http.StatusOK, listing[alertJSON]{Items: out, Next: next})
}

// alertJSON is an alert with, while it is open, why its notifications
// are held back.
type alertJSON struct {
	model.Alert
	MutedBy *alert.MuteReason `json:"muted_by,omitempty"`
}

func (s *Server) alertOut(a model.Alert, now time.Time) alertJSON {
	out := alertJSON{Alert: a}
	if a.State != model.AlertResolved && s.AlertMutes != nil {
		out.MutedBy = s.AlertMutes(a, now)
	}
	return out
}

func (s *Server) alertFor(r *http.Request, p auth.Principal) (model.Alert, error) {
	a, err := s.AlertStore.Alert(r.Context(), r.PathValue("fp"))
	if err == nil && !s.alertInScope(p, a) {
		err = model.Errorf(model.EFORBIDDEN, "alert %s is outside %s's area", a.Fingerprint, p.Name())
	}
	return a, err
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	a, err := s.alertFor(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, s.alertOut(a, time.Now()))
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if _, err := s.alertFor(r, p); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Alerts.Ack(r.Context(), r.PathValue("fp"), p.Name())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, a)
}

type assignRequest struct {
	Assignee string `json:"assignee"`
}

func (s *Server) assignAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req assignRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.alertFor(r, p); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Alerts.Assign(r.Context(), r.PathValue("fp"), req.Assignee, p.Name())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, a)
}

// streamAlerts is a server-sent-event stream of alert events (firing,
// updated, resolved, acknowledged, assigned). It keeps no backlog: load
// GET /alerts first, then follow.
func (s *Server) streamAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	events, cancel := s.AlertHub.Subscribe()
	defer cancel()
	follow(s, w, r, events, func(e alert.Event) bool { return s.alertInScope(p, e.Alert) },
		func(e alert.Event) string { return string(e.Kind) })
}
