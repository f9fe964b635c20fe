package api

import (
	"net/http"
	"net/url"

	"cityvitals/alert/public"
	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/notify/cap"
	"cityvitals/store"
)

// capSender names this platform as the CAP sender.
const capSender = "cityvitals@operations.centre"

// publicAlerts lists the public alerts: firing ones, and resolved ones
// (published as Cancels), at most limit.
func (s *Server) publicAlerts(r *http.Request, limit int) ([]model.Alert, error) {
	var out []model.Alert
	for _, state := range []model.AlertState{model.AlertFiring, model.AlertResolved} {
		page := store.Page{Limit: 1000}
		for len(out) < limit {
			items, next, err := s.AlertStore.Alerts(r.Context(), store.AlertFilter{State: state}, page)
			if err != nil {
				return nil, err
			}
			for _, a := range items {
				if public.IsPublic(a, s.PublicNames) && len(out) < limit {
					out = append(out, a)
				}
			}
			if next == "" {
				break
			}
			page.After = next
		}
	}
	return out, nil
}

// capFeed is the Atom index of the public warnings, one entry per CAP
// document.
func (s *Server) capFeed(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	alerts, err := s.publicAlerts(r, 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := "http://" + r.Host + "/api/v1/cap/alerts/"
	var entries []cap.Entry
	for _, a := range alerts {
		warning, err := public.Warning(a, s.PublicNames, capSender)
		if err != nil {
			continue // a warning without an area cannot be published
		}
		doc, err := cap.Build(warning)
		if err != nil {
			s.log.Warn("CAP document", "alert", a.Fingerprint, "err", err)
			continue
		}
		entry, err := cap.EntryFor(doc, base+url.PathEscape(warning.ID))
		if err != nil {
			continue
		}
		entries = append(entries, entry)
	}
	feed, err := cap.Feed("城市运行预警 City operations warnings", "http://"+r.Host+r.URL.Path, entries)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write(feed)
}

// capDocument is one public warning as a CAP 1.2 document.
func (s *Server) capDocument(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id := r.PathValue("id")
	a, err := s.AlertStore.Alert(r.Context(), public.Fingerprint(id))
	if err == nil && (!public.IsPublic(a, s.PublicNames) || public.Identifier(a) != id) {
		err = model.Errorf(model.ENOTFOUND, "no public warning %q", clipText(id))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	warning, err := public.Warning(a, s.PublicNames, capSender)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc, err := cap.Render(warning)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", cap.MediaType)
	w.Write(doc)
}
