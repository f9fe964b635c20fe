package crew_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/crew"
	"cityvitals/model"
)

// Shanghai's built-up area, where the random instances live.
const (
	minLon, maxLon = 121.2, 121.8
	minLat, maxLat = 30.9, 31.4
)

var skillKinds = []string{"gas", "water", "power", "road", "drain"}

// instance describes a random State.
type instance struct {
	jobs, teams int
	skills      int // how many of skillKinds are in play
	minCapacity int // free capacity is uniform in [minCapacity, maxCapacity]
	maxCapacity int
	offShift    float64 // share of teams off duty
	urgent      float64 // share of urgent jobs
	pinned      float64 // share of jobs pinned to a random team
	spread      float64 // degrees around the centre; 0 = all of Shanghai
}

func randomState(rng *rand.Rand, in instance) crew.State {
	place := func() (float64, float64) {
		if in.spread > 0 {
			return 121.47 + (rng.Float64()-0.5)*in.spread, 31.23 + (rng.Float64()-0.5)*in.spread
		}
		return minLon + rng.Float64()*(maxLon-minLon), minLat + rng.Float64()*(maxLat-minLat)
	}
	kinds := skillKinds[:in.skills]
	var st crew.State
	for k := range in.teams {
		lon, lat := place()
		var skills []string
		for _, s := range kinds {
			if rng.IntN(2) == 0 {
				skills = append(skills, s)
			}
		}
		st.Teams = append(st.Teams, crew.TeamState{
			ID: int64(100 + k), Lon: lon, Lat: lat, Mode: model.TravelModes[rng.IntN(len(model.TravelModes))],
			Skills: skills, FreeCapacity: in.minCapacity + rng.IntN(in.maxCapacity-in.minCapacity+1), OnShift: rng.Float64() >= in.offShift,
		})
	}
	for i := range in.jobs {
		lon, lat := place()
		j := crew.Job{ID: int64(1 + i), Lon: lon, Lat: lat, Priority: 1 << rng.IntN(4), Urgent: rng.Float64() < in.urgent}
		if len(kinds) > 0 && rng.IntN(4) > 0 {
			j.Skills = []string{kinds[rng.IntN(len(kinds))]}
		}
		if in.teams > 0 && rng.Float64() < in.pinned {
			j.PinnedTeam = st.Teams[rng.IntN(in.teams)].ID
		}
		st.Jobs = append(st.Jobs, j)
	}
	return st
}

// score is the planner's objective as a tuple, compared in order:
// more urgent jobs placed, more priority served, then less cost.
type score struct {
	urgent, priority int
	cost             int64
}

func (s score) betterThan(o score) bool {
	if s.urgent != o.urgent {
		return s.urgent > o.urgent
	}
	if s.priority != o.priority {
		return s.priority > o.priority
	}
	return s.cost < o.cost
}

// oracle computes costs and feasibility straight from the definition,
// independently of the planner's internals.
type oracle struct {
	st     crew.State
	travel crew.Travel
	churn  int64           // seconds
	before map[int64]int64 // job → team in the previous plan
}

func (o oracle) team(id int64) crew.TeamState {
	k := slices.IndexFunc(o.st.Teams, func(t crew.TeamState) bool { return t.ID == id })
	return o.st.Teams[k]
}

func (o oracle) seconds(tb testing.TB, t crew.TeamState, j crew.Job) int64 {
	s, err := o.travel.Seconds(t.Mode, orb.Point{t.Lon, t.Lat}, orb.Point{j.Lon, j.Lat})
	if err != nil {
		tb.Fatal(err)
	}
	return int64(math.Round(s))
}

// cost is what sending j to t adds to the objective, churn included.
func (o oracle) cost(tb testing.TB, t crew.TeamState, j crew.Job) int64 {
	c := int64(j.Priority) * o.seconds(tb, t, j)
	if prev, had := o.before[j.ID]; had && prev != t.ID {
		c += int64(j.Priority) * o.churn
	}
	return c
}

func (o oracle) canTake(t crew.TeamState, j crew.Job) bool {
	if !t.OnShift {
		return false
	}
	for _, s := range j.Skills {
		if !slices.Contains(t.Skills, s) {
			return false
		}
	}
	return true
}

// check verifies that plan is feasible (pins kept, skills, shifts and
// capacity honoured, every job listed exactly once, costs right) and
// returns its score.
func (o oracle) check(tb testing.TB, plan crew.Plan) score {
	tb.Helper()
	seen := make(map[int64]bool)
	used := make(map[int64]int) // by jobs the planner placed
	var s score
	var total int64
	for _, a := range plan.Assignments {
		j := o.job(tb, a.Job, seen)
		t := o.team(a.Team)
		if !a.Pinned {
			used[t.ID]++
		}
		switch {
		case j.PinnedTeam != 0 && (a.Team != j.PinnedTeam || !a.Pinned):
			tb.Fatalf("job %d pinned to team %d went to %d (pinned %v)", j.ID, j.PinnedTeam, a.Team, a.Pinned)
		case j.PinnedTeam == 0 && !o.canTake(t, j):
			tb.Fatalf("job %d went to team %d which lacks its skills %v or is off shift: %+v", j.ID, t.ID, j.Skills, t)
		case a.TravelSeconds != o.seconds(tb, t, j) || a.Cost != int64(j.Priority)*a.TravelSeconds:
			tb.Fatalf("assignment %+v: want travel %d s, cost priority %d × travel", a, o.seconds(tb, t, j), j.Priority)
		}
		total += a.Cost
		if j.PinnedTeam == 0 {
			s.cost += o.cost(tb, t, j)
		}
		if j.Urgent {
			s.urgent++
		}
		s.priority += j.Priority
	}
	for _, u := range plan.Unassigned {
		o.job(tb, u.Job, seen)
	}
	if len(seen) != len(o.st.Jobs) {
		tb.Fatalf("plan lists %d jobs, state has %d", len(seen), len(o.st.Jobs))
	}
	for _, t := range o.st.Teams {
		if used[t.ID] > max(0, t.FreeCapacity-o.pins(t.ID)) {
			tb.Fatalf("team %d got %d jobs besides %d pinned, free capacity %d", t.ID, used[t.ID], o.pins(t.ID), t.FreeCapacity)
		}
	}
	if total != plan.TotalCost {
		tb.Fatalf("TotalCost %d, assignments add up to %d", plan.TotalCost, total)
	}
	return s
}

func (o oracle) job(tb testing.TB, id int64, seen map[int64]bool) crew.Job {
	tb.Helper()
	if seen[id] {
		tb.Fatalf("job %d listed twice in the plan", id)
	}
	seen[id] = true
	k := slices.IndexFunc(o.st.Jobs, func(j crew.Job) bool { return j.ID == id })
	if k < 0 {
		tb.Fatalf("plan lists unknown job %d", id)
	}
	return o.st.Jobs[k]
}

func (o oracle) pins(team int64) int {
	n := 0
	for _, j := range o.st.Jobs {
		if j.PinnedTeam == team {
			n++
		}
	}
	return n
}

// bruteForce tries every way to place the jobs that are not pinned (each
// to a team that can take it, or nowhere) and returns the best score.
func (o oracle) bruteForce(tb testing.TB) score {
	slots := make(map[int64]int)
	for _, t := range o.st.Teams {
		slots[t.ID] = t.FreeCapacity - o.pins(t.ID)
	}
	var free []crew.Job
	var pinned score
	for _, j := range o.st.Jobs {
		if j.PinnedTeam == 0 {
			free = append(free, j)
			continue
		}
		pinned.priority += j.Priority
		if j.Urgent {
			pinned.urgent++
		}
	}
	best := score{urgent: -1}
	var try func(i int, s score)
	try = func(i int, s score) {
		if i == len(free) {
			if s.betterThan(best) {
				best = s
			}
			return
		}
		j := free[i]
		try(i+1, s) // j left unassigned
		for _, t := range o.st.Teams {
			if slots[t.ID] <= 0 || !o.canTake(t, j) {
				continue
			}
			slots[t.ID]--
			next := s
			next.cost += o.cost(tb, t, j)
			next.priority += j.Priority
			if j.Urgent {
				next.urgent++
			}
			try(i+1, next)
			slots[t.ID]++
		}
	}
	try(0, pinned)
	return best
}

func mustPlan(tb testing.TB, p *crew.Planner, st crew.State) crew.Plan {
	tb.Helper()
	plan, err := p.Plan(tb.Context(), st)
	if err != nil {
		tb.Fatalf("plan: %v", err)
	}
	return plan
}

func reasonOf(plan crew.Plan, job int64) crew.Reason {
	for _, u := range plan.Unassigned {
		if u.Job == job {
			return u.Reason
		}
	}
	return ""
}

func teamOf(plan crew.Plan, job int64) int64 {
	for _, a := range plan.Assignments {
		if a.Job == job {
			return a.Team
		}
	}
	return 0
}

func describe(st crew.State) string {
	return fmt.Sprintf("%d jobs %+v\n%d teams %+v", len(st.Jobs), st.Jobs, len(st.Teams), st.Teams)
}
