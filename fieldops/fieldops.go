// Package fieldops decides which field team takes which open incident
// (指挥调度): it turns the dispatched incidents and the teams of the city
// into the planner's problem (package crew), and carries a plan out as
// `assign` steps of the incident loop, so each assignment is checked,
// stored, audited and announced like any other step.
//
// A job may only go to a team of the incident's own department: that is
// a required skill "dept:<id>" every team of the department has. Team
// skills listed on the team (e.g. gas_leak, confined_space) are matched
// against the incident category when some team of the department offers
// that category as a skill; otherwise the category asks for nothing more.
// An incident already with a team is pinned there (the dispatcher's
// decision stands); red incidents are urgent.
package fieldops

import (
	"context"
	"fmt"
	"slices"
	"time"

	"cityvitals/auth"
	"cityvitals/crew"
	"cityvitals/incident"
	"cityvitals/model"
	"cityvitals/store"
)

// Units gives a place to incidents that have only a unit.
type Units interface {
	Unit(code string) (model.Unit, bool)
}

// Planner plans and applies team assignments.
type Planner struct {
	incidents store.Incidents
	teams     store.Teams
	loop      *incident.Service
	units     Units
	planner   *crew.Planner
	now       func() time.Time
}

// New builds a planner over the stores and the incident loop.
func New(incidents store.Incidents, teams store.Teams, loop *incident.Service, units Units, now func() time.Time) *Planner {
	return &Planner{incidents: incidents, teams: teams, loop: loop, units: units, planner: crew.NewPlanner(), now: now}
}

// Proposal is a plan with what it was made of.
type Proposal struct {
	crew.Plan
	// Unplaced are incidents left out of planning because they have no
	// position (no point and no unit with an extent).
	Unplaced []int64 `json:"unplaced"`
	// Incidents are the planned incidents' titles, for the dispatcher.
	Incidents map[int64]string `json:"incidents"`
}

// Propose plans every dispatched or in-disposal incident in the
// principal's area onto the enabled teams.
func (p *Planner) Propose(ctx context.Context, pr auth.Principal) (Proposal, error) {
	open, _, err := p.loop.List(ctx, pr, store.IncidentFilter{States: []model.IncidentState{model.IncidentDispatched, model.IncidentDisposing}}, store.Page{Limit: 1000})
	if err != nil {
		return Proposal{}, err
	}
	teams, err := p.allTeams(ctx)
	if err != nil {
		return Proposal{}, err
	}
	st, prop, err := p.state(open, teams)
	if err != nil {
		return Proposal{}, err
	}
	plan, err := p.planner.Plan(ctx, st)
	if err != nil {
		return Proposal{}, fmt.Errorf("plan field teams: %w", err)
	}
	prop.Plan = plan
	return prop, nil
}

// Apply carries out a proposal's assignments of incidents that have no
// team yet, as the principal. It returns the incidents it assigned.
func (p *Planner) Apply(ctx context.Context, pr auth.Principal, plan crew.Plan) ([]model.Incident, error) {
	var done []model.Incident
	for _, a := range plan.Assignments {
		if a.Pinned {
			continue
		}
		inc, err := p.loop.Act(ctx, pr, a.Job, incident.Command{Action: "assign", Team: a.Team, Note: "按调度方案派往队伍 / per the team plan"})
		if err != nil {
			return done, fmt.Errorf("assign incident %d to team %d: %w", a.Job, a.Team, err)
		}
		done = append(done, inc)
	}
	return done, nil
}

// PlaceUrgent re-plans when an urgent incident arrives and assigns it to
// its team at once (the others keep theirs: they are pinned). It returns
// the assignment, or ok=false when no team can take it.
func (p *Planner) PlaceUrgent(ctx context.Context, pr auth.Principal, id int64) (crew.Assignment, bool, error) {
	prop, err := p.Propose(ctx, pr)
	if err != nil {
		return crew.Assignment{}, false, err
	}
	i := slices.IndexFunc(prop.Assignments, func(a crew.Assignment) bool { return a.Job == id && !a.Pinned })
	if i < 0 {
		return crew.Assignment{}, false, nil
	}
	a := prop.Assignments[i]
	_, err = p.loop.Act(ctx, pr, id, incident.Command{Action: "assign", Team: a.Team, Note: "紧急案卷自动调度 / urgent incident placed by the team plan"})
	return a, err == nil, err
}

func (p *Planner) allTeams(ctx context.Context) ([]model.Team, error) {
	var out []model.Team
	for page := (store.Page{Limit: 1000}); ; {
		items, next, err := p.teams.ListTeams(ctx, store.TeamFilter{EnabledOnly: true}, page)
		if err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}

// state builds the planner's problem: jobs from incidents, team states
// with their load (incidents they already hold) and department skill.
func (p *Planner) state(open []model.Incident, teams []model.Team) (crew.State, Proposal, error) {
	prop := Proposal{Incidents: map[int64]string{}, Unplaced: []int64{}}
	load := map[int64]int{}
	offered := map[string]bool{} // dept + "/" + skill
	for _, t := range teams {
		for _, s := range t.Skills {
			offered[t.Dept+"/"+s] = true
		}
	}
	var st crew.State
	for _, inc := range open {
		if inc.Team != 0 {
			load[inc.Team]++
		}
		lon, lat, ok := p.position(inc)
		if !ok {
			prop.Unplaced = append(prop.Unplaced, inc.ID)
			continue
		}
		weight, ok := crew.LevelWeight(inc.Level)
		if !ok {
			weight = 1
		}
		job := crew.Job{ID: inc.ID, Lon: lon, Lat: lat, Priority: weight, Urgent: inc.Level >= 4, PinnedTeam: inc.Team,
			Skills: []string{"dept:" + inc.Dept}}
		if offered[inc.Dept+"/"+inc.Category] {
			job.Skills = append(job.Skills, inc.Category)
		}
		st.Jobs = append(st.Jobs, job)
		prop.Incidents[inc.ID] = inc.Title
	}
	states, err := crew.States(teams, load, p.now())
	if err != nil {
		return st, prop, err
	}
	for i := range states {
		states[i].Skills = append(slices.Clone(states[i].Skills), "dept:"+teams[i].Dept)
		if load[states[i].ID] > 0 {
			// A pinned job uses a slot itself; States counted it as load
			// already, so give the slot back for the planner to take.
			states[i].FreeCapacity += load[states[i].ID]
		}
	}
	st.Teams = states
	return st, prop, nil
}

// position is the incident's point, or the centre of its unit's extent.
func (p *Planner) position(inc model.Incident) (float64, float64, bool) {
	if inc.HasPoint {
		return inc.Lon, inc.Lat, true
	}
	u, ok := p.units.Unit(inc.Unit)
	if !ok || u.Geometry == nil {
		return 0, 0, false
	}
	b := u.Geometry.Bound()
	c := b.Center()
	return c.Lon(), c.Lat(), true
}
