package api

import (
	"context"
	"net/http"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/simulate"
)

// Drills plays the simulator's scenarios (演练) on a running platform:
// the demo city attaches its simulator; a production platform has none
// and answers not_found.
type Drills interface {
	Scenarios(ctx context.Context) ([]simulate.ScenarioInfo, []simulate.Injection, error)
	Inject(ctx context.Context, name string, opts simulate.InjectOptions) (simulate.Injection, error)
}

type scenarioListing struct {
	Scenarios  []simulate.ScenarioInfo `json:"scenarios"`
	Injections []simulate.Injection    `json:"injections"`
}

// ErrNoDrills answers on a platform without a simulator.
var ErrNoDrills = model.Errorf(model.ENOTFOUND, "no simulator runs here: drill scenarios are played in the demo city (cityvitals demo)")

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if s.Drills == nil {
		s.fail(w, r, ErrNoDrills)
		return
	}
	scenarios, injections, err := s.Drills.Scenarios(r.Context())
	s.answer(w, r, http.StatusOK, scenarioListing{Scenarios: nonNilSlice(scenarios), Injections: nonNilSlice(injections)}, err)
}

// injectScenario plays a scenario in a unit of the caller's area. A
// caller limited to an area must name the unit: the simulator's own
// choice could fall outside it.
func (s *Server) injectScenario(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if s.Drills == nil {
		s.fail(w, r, ErrNoDrills)
		return
	}
	var opts simulate.InjectOptions
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &opts); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if opts.Unit == "" && scopeOf(p) != "" {
		s.fail(w, r, model.Errorf(model.EINVALID, "unit: required, %s is limited to unit %s", p.Name(), scopeOf(p)))
		return
	}
	if err := s.checkScope(p, opts.Unit); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	inj, err := s.Drills.Inject(r.Context(), name, opts)
	if err == nil {
		err = s.Auditor.Record(r.Context(), p.Name(), "scenario.inject", "scenario/"+name, inj)
	}
	s.answer(w, r, http.StatusCreated, inj, err)
}
