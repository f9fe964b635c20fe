package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"cityvitals/alert/silence"
	"cityvitals/auth"
)

// Silences is what the API asks of the silence service.
type Silences interface {
	Create(ctx context.Context, in silence.Silence) (silence.Silence, error)
	Extend(ctx context.Context, by string, id int64, endsAt time.Time) (silence.Silence, error)
	Expire(ctx context.Context, by string, id int64) error
}

// SilenceStore lists silences.
type SilenceStore interface {
	Silences(ctx context.Context, includeExpired bool) ([]silence.Silence, error)
}

// silenceRequest creates a silence: matchers in the text form
// `{unit="310101",indicator=~"gas\\..*"}`, times RFC 3339.
type silenceRequest struct {
	Matchers string    `json:"matchers"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Comment  string    `json:"comment"`
}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	items, err := s.SilenceStore.Silences(r.Context(), r.URL.Query().Get("expired") == "true")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []silence.Silence{}
	}
	writeJSON(w, s.log, http.StatusOK, listing[silence.Silence]{Items: items})
}

func (s *Server) createSilence(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req silenceRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	matchers, err := silence.ParseMatchers(req.Matchers)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.StartsAt.IsZero() {
		req.StartsAt = time.Now()
	}
	created, err := s.Silences.Create(r.Context(), silence.Silence{
		Matchers: matchers, StartsAt: req.StartsAt, EndsAt: req.EndsAt, Comment: req.Comment, CreatedBy: p.Name(),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusCreated, created)
}

type extendRequest struct {
	EndsAt time.Time `json:"ends_at"`
}

func (s *Server) extendSilence(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req extendRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.Silences.Extend(r.Context(), p.Name(), id, req.EndsAt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, out)
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Silences.Expire(r.Context(), p.Name(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"expired": strconv.FormatInt(id, 10)})
}
