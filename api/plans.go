package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/plan"
	"cityvitals/store"
)

// PlanService is what the API asks of contingency plans.
type PlanService interface {
	Plans(ctx context.Context) ([]model.Plan, error)
	Plan(ctx context.Context, id string) (model.Plan, error)
	PlanHistory(ctx context.Context, id string) ([]model.Plan, error)
	PlanVersion(ctx context.Context, id string, version int) (model.Plan, error)
	Put(ctx context.Context, by string, p model.Plan) (model.Plan, error)
	Activate(ctx context.Context, by, planID, unit, reason, alertFP string) (model.Activation, error)
	Activations(ctx context.Context, f store.ActivationFilter, p store.Page) ([]model.Activation, string, error)
	Activation(ctx context.Context, id int64) (model.Activation, error)
	Progress(ctx context.Context, id int64) (plan.Progress, error)
	RetryTasks(ctx context.Context, by string, id int64) (model.Activation, error)
	End(ctx context.Context, by string, id int64) (model.Activation, error)
	Vocabulary() plan.Vocabulary
}

func (s *Server) listPlans(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	plans, err := s.PlanSvc.Plans(r.Context())
	s.answer(w, r, http.StatusOK, listing[model.Plan]{Items: nonNilSlice(plans)}, err)
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, err := s.PlanSvc.Plan(r.Context(), r.PathValue("id"))
	s.answer(w, r, http.StatusOK, p, err)
}

func (s *Server) listPlanVersions(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	plans, err := s.PlanSvc.PlanHistory(r.Context(), r.PathValue("id"))
	s.answer(w, r, http.StatusOK, listing[model.Plan]{Items: nonNilSlice(plans)}, err)
}

func (s *Server) getPlanVersion(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	v, err := strconv.Atoi(r.PathValue("v"))
	if err != nil || v <= 0 {
		s.fail(w, r, model.Errorf(model.EINVALID, "version: %q is not a positive integer", clipText(r.PathValue("v"))))
		return
	}
	p, err := s.PlanSvc.PlanVersion(r.Context(), r.PathValue("id"), v)
	s.answer(w, r, http.StatusOK, p, err)
}

// putPlan stores a new version; the body's version is the one edited.
func (s *Server) putPlan(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var pl model.Plan
	if err := decodeJSON(r, &pl); err != nil {
		s.fail(w, r, err)
		return
	}
	if pl.ID != "" && pl.ID != r.PathValue("id") {
		s.fail(w, r, model.Errorf(model.EINVALID, "id: body says %q, path says %q", clipText(pl.ID), clipText(r.PathValue("id"))))
		return
	}
	pl.ID = r.PathValue("id")
	stored, err := s.PlanSvc.Put(r.Context(), p.Name(), pl)
	s.answer(w, r, http.StatusOK, stored, err)
}

type activateRequest struct {
	Unit   string `json:"unit"`
	Reason string `json:"reason"`
}

// activatePlan creates the plan's incidents at once. An activation whose
// some incidents failed exists all the same: it is answered 201 with the
// failed tasks carrying their error, to be retried.
func (s *Server) activatePlan(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req activateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkScope(p, req.Unit); err != nil {
		s.fail(w, r, err)
		return
	}
	act, err := s.PlanSvc.Activate(r.Context(), p.Name(), r.PathValue("id"), req.Unit, req.Reason, "")
	var partial *plan.PartialError
	if errors.As(err, &partial) {
		err = nil
	}
	s.answer(w, r, http.StatusCreated, act, err)
}

func (s *Server) listActivations(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.ActivationFilter{Status: store.ActivationStatus(q.Get("status")), PlanID: q.Get("plan"), Unit: q.Get("unit")}
	items, next, err := s.PlanSvc.Activations(r.Context(), f, pg)
	s.answer(w, r, http.StatusOK, listing[model.Activation]{Items: nonNilSlice(items), Next: next}, err)
}

func (s *Server) getActivation(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if id, ok := s.idParam(w, r, "id"); ok {
		act, err := s.PlanSvc.Activation(r.Context(), id)
		s.answer(w, r, http.StatusOK, act, err)
	}
}

func (s *Server) activationProgress(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if id, ok := s.idParam(w, r, "id"); ok {
		pr, err := s.PlanSvc.Progress(r.Context(), id)
		s.answer(w, r, http.StatusOK, pr, err)
	}
}

func (s *Server) retryActivation(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if id, ok := s.idParam(w, r, "id"); ok {
		act, err := s.PlanSvc.RetryTasks(r.Context(), p.Name(), id)
		var partial *plan.PartialError
		if errors.As(err, &partial) {
			err = nil
		}
		s.answer(w, r, http.StatusOK, act, err)
	}
}

func (s *Server) endActivation(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if id, ok := s.idParam(w, r, "id"); ok {
		act, err := s.PlanSvc.End(r.Context(), p.Name(), id)
		s.answer(w, r, http.StatusOK, act, err)
	}
}

func (s *Server) planVocabulary(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, s.log, http.StatusOK, s.PlanSvc.Vocabulary())
}

// answer writes v with status, or the error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, status, v)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
