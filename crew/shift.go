package crew

import (
	"time"

	"cityvitals/model"
)

// OnShift reports whether team is on duty at at, reading its shifts in
// its time zone. A team without shifts is always on duty; a disabled
// team never is. EINVALID for a bad shift or time zone.
func OnShift(team model.Team, at time.Time) (bool, error) {
	loc, err := team.Location()
	if err != nil {
		return false, err
	}
	return onShiftIn(team, at, loc)
}

func onShiftIn(team model.Team, at time.Time, loc *time.Location) (bool, error) {
	if team.Disabled {
		return false, nil
	}
	if len(team.Shifts) == 0 {
		return true, nil
	}
	local := at.In(loc)
	day, minute := local.Weekday(), local.Hour()*60+local.Minute()
	for i, s := range team.Shifts {
		shift, err := model.ParseShift(s)
		if err != nil {
			return false, model.Errorf(model.EINVALID, "team %d %q: shifts[%d]: %s", team.ID, team.Name, i, model.ErrorMessage(err))
		}
		if shift.Covers(day, minute) {
			return true, nil
		}
	}
	return false, nil
}

// States turns stored teams into the planner's view of them at at: free
// capacity is Capacity minus the incidents each already handles (load,
// by team ID; never below zero), and a team is on shift when OnShift says
// so. Disabled teams are kept, off shift, so a job only they could take
// is reported as "no team on shift" rather than "no skill match".
func States(teams []model.Team, load map[int64]int, at time.Time) ([]TeamState, error) {
	zones := make(map[string]*time.Location)
	states := make([]TeamState, 0, len(teams))
	for _, t := range teams {
		loc, ok := zones[t.TimeZone]
		if !ok {
			var err error
			if loc, err = t.Location(); err != nil {
				return nil, err
			}
			zones[t.TimeZone] = loc
		}
		on, err := onShiftIn(t, at, loc)
		if err != nil {
			return nil, err
		}
		states = append(states, TeamState{
			ID: t.ID, Lon: t.Lon, Lat: t.Lat, Mode: t.Mode, Skills: t.Skills,
			FreeCapacity: max(0, t.Capacity-load[t.ID]), OnShift: on,
		})
	}
	return states, nil
}
