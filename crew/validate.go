package crew

import (
	"slices"
	"time"

	"cityvitals/model"
)

// validate checks the planner's settings and every job and team, and
// returns the first problem as EINVALID (ETOOLARGE for size) naming the
// job or team and the field.
func (p *Planner) validate(st State) error {
	if err := p.Travel.Validate(); err != nil {
		return err
	}
	if p.Churn < 0 || p.Churn > 24*time.Hour {
		return model.Errorf(model.EINVALID, "planner: churn %s is outside [0, 24h]", p.Churn)
	}
	switch {
	case len(st.Jobs) > MaxJobs:
		return model.Errorf(model.ETOOLARGE, "plan: %d jobs, at most %d in one call", len(st.Jobs), MaxJobs)
	case len(st.Teams) > MaxTeams:
		return model.Errorf(model.ETOOLARGE, "plan: %d teams, at most %d in one call", len(st.Teams), MaxTeams)
	case len(st.Jobs)*len(st.Teams) > MaxPairs:
		return model.Errorf(model.ETOOLARGE, "plan: %d jobs × %d teams, at most %d pairs in one call",
			len(st.Jobs), len(st.Teams), MaxPairs)
	}
	teams := make(map[int64]bool, len(st.Teams))
	for _, t := range st.Teams {
		if err := validateTeam(t, teams); err != nil {
			return err
		}
		teams[t.ID] = true
	}
	jobs := make(map[int64]bool, len(st.Jobs))
	for _, j := range st.Jobs {
		if err := validateJob(j, jobs, teams); err != nil {
			return err
		}
		jobs[j.ID] = true
	}
	return nil
}

func validateTeam(t TeamState, seen map[int64]bool) error {
	invalid := func(format string, args ...any) error {
		return model.Errorf(model.EINVALID, "team %d: "+format, append([]any{t.ID}, args...)...)
	}
	switch {
	case t.ID <= 0:
		return invalid("id must be positive")
	case seen[t.ID]:
		return invalid("listed twice")
	case !slices.Contains(model.TravelModes, t.Mode):
		return invalid("mode %q is not one of %v", t.Mode, model.TravelModes)
	case t.FreeCapacity < 0 || t.FreeCapacity > model.MaxTeamCapacity:
		return invalid("free_capacity %d is outside [0, %d]", t.FreeCapacity, model.MaxTeamCapacity)
	}
	if err := model.CheckPosition(t.Lon, t.Lat); err != nil {
		return invalid("%s", model.ErrorMessage(err))
	}
	if err := model.CheckSkills(t.Skills); err != nil {
		return invalid("%s", model.ErrorMessage(err))
	}
	return nil
}

func validateJob(j Job, seen, teams map[int64]bool) error {
	invalid := func(format string, args ...any) error {
		return model.Errorf(model.EINVALID, "job %d: "+format, append([]any{j.ID}, args...)...)
	}
	switch {
	case j.ID <= 0:
		return invalid("id must be positive")
	case seen[j.ID]:
		return invalid("listed twice")
	case j.Priority < 1 || j.Priority > MaxPriority:
		return invalid("priority %d is outside [1, %d]", j.Priority, MaxPriority)
	case j.PinnedTeam != 0 && !teams[j.PinnedTeam]:
		return invalid("pinned_team %d is not among the teams", j.PinnedTeam)
	}
	if err := model.CheckPosition(j.Lon, j.Lat); err != nil {
		return invalid("%s", model.ErrorMessage(err))
	}
	if err := model.CheckSkills(j.Skills); err != nil {
		return invalid("%s", model.ErrorMessage(err))
	}
	return nil
}
