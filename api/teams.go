package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"cityvitals/auth"
	"cityvitals/crew"
	"cityvitals/fieldops"
	"cityvitals/model"
	"cityvitals/store"
)

// TeamPlanner plans open incidents onto field teams and applies plans.
type TeamPlanner interface {
	Propose(ctx context.Context, p auth.Principal) (fieldops.Proposal, error)
	Apply(ctx context.Context, p auth.Principal, plan crew.Plan) ([]model.Incident, error)
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	items, next, err := s.Teams.ListTeams(r.Context(), store.TeamFilter{Dept: q.Get("dept"), Skill: q.Get("skill")}, pg)
	s.answer(w, r, http.StatusOK, listing[model.Team]{Items: nonNilSlice(items), Next: next}, err)
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Teams.Team(r.Context(), id)
	s.answer(w, r, http.StatusOK, t, err)
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var t model.Team
	if err := decodeJSON(r, &t); err != nil {
		s.fail(w, r, err)
		return
	}
	t.ID = 0
	created, err := s.Teams.CreateTeam(r.Context(), t)
	if err == nil {
		err = s.Auditor.Record(r.Context(), p.Name(), "team.create", "team/"+strconv.FormatInt(created.ID, 10), created)
	}
	s.answer(w, r, http.StatusCreated, created, err)
}

// updateTeam replaces a team; the body's version is the one edited.
func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var t model.Team
	if err := decodeJSON(r, &t); err != nil {
		s.fail(w, r, err)
		return
	}
	t.ID = id
	updated, err := s.Teams.UpdateTeam(r.Context(), t)
	if err == nil {
		err = s.Auditor.Record(r.Context(), p.Name(), "team.update", "team/"+strconv.FormatInt(id, 10), updated)
	}
	s.answer(w, r, http.StatusOK, updated, err)
}

type positionRequest struct {
	Lon float64   `json:"lon"`
	Lat float64   `json:"lat"`
	At  time.Time `json:"at"`
}

// setTeamPosition records where a team is (a GPS report); older reports
// than the stored one are ignored.
func (s *Server) setTeamPosition(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req positionRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.At.IsZero() {
		req.At = time.Now()
	}
	if err := s.Teams.SetPosition(r.Context(), id, req.Lon, req.Lat, req.At); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) proposeTeamPlan(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	prop, err := s.TeamPlans.Propose(r.Context(), p)
	s.answer(w, r, http.StatusOK, prop, err)
}

// applyTeamPlan carries out a plan the dispatcher has seen (and may have
// edited: any assignment may be changed or dropped before applying).
func (s *Server) applyTeamPlan(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var plan crew.Plan
	if err := decodeJSON(r, &plan); err != nil {
		s.fail(w, r, err)
		return
	}
	done, err := s.TeamPlans.Apply(r.Context(), p, plan)
	s.answer(w, r, http.StatusOK, listing[model.Incident]{Items: nonNilSlice(done)}, err)
}
