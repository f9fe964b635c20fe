package crew_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"cityvitals/crew"
	"cityvitals/model"
)

// TestPlanMatchesBruteForce compares the planner with exhaustive
// enumeration on many small random instances, tight on capacity so that
// jobs compete, with urgent jobs, pins and teams off shift.
func TestPlanMatchesBruteForce(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 1))
		st := randomState(rng, instance{
			jobs: 1 + rng.IntN(6), teams: 1 + rng.IntN(4), skills: 3, maxCapacity: 2,
			offShift: 0.2, urgent: 0.15, pinned: 0.1, spread: 0.2,
		})
		o := oracle{st: st, travel: p.Travel}
		got := o.check(t, mustPlan(t, p, st))
		if want := o.bruteForce(t); got != want {
			t.Fatalf("seed %d: planner scored %+v, exhaustive best %+v\n%s", seed, got, want, describe(st))
		}
	}
}

// TestPlanMatchesFlowOracle checks optimality where enumeration is out
// of reach, against a textbook min-cost flow with lexicographic costs.
func TestPlanMatchesFlowOracle(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	sizes := []instance{
		{jobs: 40, teams: 8, skills: 3, maxCapacity: 4, offShift: 0.1, urgent: 0.1, pinned: 0.05},
		{jobs: 30, teams: 12, skills: 5, maxCapacity: 3, offShift: 0.2, urgent: 0.05},
		{jobs: 120, teams: 25, skills: 5, maxCapacity: 5, offShift: 0.1, urgent: 0.02},
	}
	for seed := range uint64(30) {
		in := sizes[seed%uint64(len(sizes))]
		st := randomState(rand.New(rand.NewPCG(seed, 2)), in)
		o := oracle{st: st, travel: p.Travel}
		got := o.check(t, mustPlan(t, p, st))
		if want := flowOracle(t, o); got != want {
			t.Fatalf("seed %d (%d jobs × %d teams): planner scored %+v, oracle %+v", seed, in.jobs, in.teams, got, want)
		}
	}
}

func TestPlanPrefersPriorityThenTravel(t *testing.T) {
	t.Parallel()
	near, far := crew.TeamState{ID: 1, Lon: 121.47, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true},
		crew.TeamState{ID: 2, Lon: 121.60, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true}
	st := crew.State{
		Teams: []crew.TeamState{near, far},
		Jobs: []crew.Job{
			{ID: 1, Lon: 121.471, Lat: 31.23, Priority: 1}, // blue, next to the near team
			{ID: 2, Lon: 121.472, Lat: 31.23, Priority: 8}, // red, next to it too
			{ID: 3, Lon: 121.473, Lat: 31.23, Priority: 2}, // yellow
		},
	}
	plan := mustPlan(t, crew.NewPlanner(), st)
	// Two slots, three jobs: blue waits; red goes to the near team because
	// its travel weighs eight times yellow's.
	if teamOf(plan, 2) != 1 || teamOf(plan, 3) != 2 || reasonOf(plan, 1) != crew.ReasonCapacity {
		t.Errorf("plan %+v: want red → near team, yellow → far team, blue waiting for capacity", plan)
	}
	if plan.UnservedPriority != 1 || plan.Method != crew.Method {
		t.Errorf("UnservedPriority %d, Method %q", plan.UnservedPriority, plan.Method)
	}
}

func TestPlanHonoursPins(t *testing.T) {
	t.Parallel()
	st := crew.State{
		Teams: []crew.TeamState{
			{ID: 1, Lon: 121.47, Lat: 31.23, Mode: model.ModeCar, Skills: []string{"gas"}, FreeCapacity: 1, OnShift: true},
			{ID: 2, Lon: 121.70, Lat: 31.10, Mode: model.ModeWalk, FreeCapacity: 0, OnShift: false},
		},
		Jobs: []crew.Job{
			// The dispatcher sends the gas job to team 1 and a water job to
			// team 2, which is off shift, full and has no water skill.
			{ID: 1, Lon: 121.70, Lat: 31.10, Priority: 1, Skills: []string{"gas"}, PinnedTeam: 1},
			{ID: 2, Lon: 121.47, Lat: 31.23, Priority: 8, Skills: []string{"water"}, PinnedTeam: 2},
			{ID: 3, Lon: 121.471, Lat: 31.23, Priority: 8, Skills: []string{"gas"}},
		},
	}
	p := crew.NewPlanner()
	plan := mustPlan(t, p, st)
	(oracle{st: st, travel: p.Travel}).check(t, plan)
	if teamOf(plan, 1) != 1 || teamOf(plan, 2) != 2 {
		t.Errorf("pins not kept: %+v", plan.Assignments)
	}
	// The pin used team 1's only slot, so the red gas job waits.
	if reasonOf(plan, 3) != crew.ReasonCapacity {
		t.Errorf("job 3: reason %q, want %q (the pin took the slot)", reasonOf(plan, 3), crew.ReasonCapacity)
	}
}

func TestUnassignedReasons(t *testing.T) {
	t.Parallel()
	team := func(id int64, skills []string, free int, on bool) crew.TeamState {
		return crew.TeamState{ID: id, Lon: 121.47, Lat: 31.23, Mode: model.ModeBike, Skills: skills, FreeCapacity: free, OnShift: on}
	}
	st := crew.State{
		Teams: []crew.TeamState{
			team(1, []string{"gas"}, 1, true),
			team(2, []string{"water"}, 3, false),
			team(3, []string{"road"}, 0, true),
		},
		Jobs: []crew.Job{
			{ID: 1, Lon: 121.48, Lat: 31.23, Priority: 4, Skills: []string{"gas"}},
			{ID: 2, Lon: 121.48, Lat: 31.23, Priority: 1, Skills: []string{"gas"}},          // team 1 is taken by job 1
			{ID: 3, Lon: 121.48, Lat: 31.23, Priority: 8, Skills: []string{"water"}},        // the water team is off duty
			{ID: 4, Lon: 121.48, Lat: 31.23, Priority: 8, Skills: []string{"power"}},        // nobody does power
			{ID: 5, Lon: 121.48, Lat: 31.23, Priority: 8, Skills: []string{"gas", "water"}}, // nobody has both
			{ID: 6, Lon: 121.48, Lat: 31.23, Priority: 2, Skills: []string{"road"}},         // the road team is full
		},
	}
	plan := mustPlan(t, crew.NewPlanner(), st)
	want := map[int64]crew.Reason{2: crew.ReasonCapacity, 3: crew.ReasonOffShift, 4: crew.ReasonNoSkill,
		5: crew.ReasonNoSkill, 6: crew.ReasonCapacity}
	if teamOf(plan, 1) != 1 || len(plan.Unassigned) != len(want) {
		t.Fatalf("plan %+v: want job 1 on team 1 and %d jobs waiting", plan, len(want))
	}
	for job, reason := range want {
		if got := reasonOf(plan, job); got != reason {
			t.Errorf("job %d: reason %q, want %q", job, got, reason)
		}
	}
}

func TestPlanEmptyAndDegenerate(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	if plan := mustPlan(t, p, crew.State{}); len(plan.Assignments)+len(plan.Unassigned) != 0 || plan.TotalCost != 0 {
		t.Errorf("empty state planned %+v", plan)
	}
	noTeams := crew.State{Jobs: []crew.Job{{ID: 1, Lon: 121.5, Lat: 31.2, Priority: 1}}}
	if plan := mustPlan(t, p, noTeams); reasonOf(plan, 1) != crew.ReasonNoSkill {
		t.Errorf("a job with no teams at all: %+v, want reason %q", plan, crew.ReasonNoSkill)
	}
}

func TestPlanRejectsBadInput(t *testing.T) {
	t.Parallel()
	good := func() crew.State {
		return crew.State{
			Teams: []crew.TeamState{{ID: 7, Lon: 121.5, Lat: 31.2, Mode: model.ModeCar, Skills: []string{"gas"}, FreeCapacity: 2, OnShift: true}},
			Jobs:  []crew.Job{{ID: 3, Lon: 121.4, Lat: 31.1, Priority: 8, Skills: []string{"gas"}}},
		}
	}
	tests := []struct {
		name, code, mention string
		edit                func(*crew.State, *crew.Planner)
	}{
		{"job NaN lon", model.EINVALID, "job 3: lon NaN", func(s *crew.State, _ *crew.Planner) { s.Jobs[0].Lon = math.NaN() }},
		{"job infinite lat", model.EINVALID, "job 3: lat +Inf", func(s *crew.State, _ *crew.Planner) { s.Jobs[0].Lat = math.Inf(1) }},
		{"team NaN lat", model.EINVALID, "team 7: lat NaN", func(s *crew.State, _ *crew.Planner) { s.Teams[0].Lat = math.NaN() }},
		{"team lon out of range", model.EINVALID, "team 7: lon 200", func(s *crew.State, _ *crew.Planner) { s.Teams[0].Lon = 200 }},
		{"negative capacity", model.EINVALID, "team 7: free_capacity -1", func(s *crew.State, _ *crew.Planner) { s.Teams[0].FreeCapacity = -1 }},
		{"unknown mode", model.EINVALID, `team 7: mode "helicopter"`, func(s *crew.State, _ *crew.Planner) { s.Teams[0].Mode = "helicopter" }},
		{"duplicate team", model.EINVALID, "team 7: listed twice", func(s *crew.State, _ *crew.Planner) { s.Teams = append(s.Teams, s.Teams[0]) }},
		{"team id zero", model.EINVALID, "team 0: id", func(s *crew.State, _ *crew.Planner) { s.Teams[0].ID = 0 }},
		{"duplicate job", model.EINVALID, "job 3: listed twice", func(s *crew.State, _ *crew.Planner) { s.Jobs = append(s.Jobs, s.Jobs[0]) }},
		{"priority zero", model.EINVALID, "job 3: priority 0", func(s *crew.State, _ *crew.Planner) { s.Jobs[0].Priority = 0 }},
		{"priority huge", model.EINVALID, "job 3: priority 1000000", func(s *crew.State, _ *crew.Planner) { s.Jobs[0].Priority = 1e6 }},
		{"pin to unknown team", model.EINVALID, "job 3: pinned_team 99", func(s *crew.State, _ *crew.Planner) { s.Jobs[0].PinnedTeam = 99 }},
		{"blank skill", model.EINVALID, "job 3: skills[0]", func(s *crew.State, _ *crew.Planner) { s.Jobs[0].Skills = []string{" "} }},
		{"hostile skill", model.EINVALID, "team 7: skills[0] is 10000 bytes", func(s *crew.State, _ *crew.Planner) {
			s.Teams[0].Skills = []string{strings.Repeat("x", 10_000)}
		}},
		{"zero speed", model.EINVALID, `mode "car" speed 0`, func(_ *crew.State, p *crew.Planner) {
			p.Travel.Profiles[model.ModeCar] = crew.ModeProfile{SpeedKMH: 0, Detour: 1.4}
		}},
		{"detour below one", model.EINVALID, `mode "walk" detour factor 0.5`, func(_ *crew.State, p *crew.Planner) {
			p.Travel.Profiles[model.ModeWalk] = crew.ModeProfile{SpeedKMH: 4.5, Detour: 0.5}
		}},
		{"negative churn", model.EINVALID, "churn -1m0s", func(_ *crew.State, p *crew.Planner) { p.Churn = -time.Minute }},
		{"too many pairs", model.ETOOLARGE, "pairs", func(s *crew.State, _ *crew.Planner) {
			s.Jobs = make([]crew.Job, 4000)
			s.Teams = make([]crew.TeamState, 1001)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, p := good(), crew.NewPlanner()
			tc.edit(&st, p)
			_, err := p.Plan(t.Context(), st)
			if got := model.ErrorCode(err); got != tc.code || !strings.Contains(model.ErrorMessage(err), tc.mention) {
				t.Errorf("got %v (code %q), want code %q mentioning %q", err, got, tc.code, tc.mention)
			}
		})
	}
}

func TestPlanStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	st := randomState(rand.New(rand.NewPCG(1, 1)), instance{jobs: 50, teams: 10, skills: 2, maxCapacity: 3})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := crew.NewPlanner().Plan(ctx, st); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("plan with a cancelled context: %v, want context canceled", err)
	}
}

func TestLevelWeight(t *testing.T) {
	t.Parallel()
	for level, want := range map[int8]int{1: 1, 2: 2, 3: 4, 4: 8} {
		if got, ok := crew.LevelWeight(level); got != want || !ok {
			t.Errorf("LevelWeight(%d) = %d, %v; want %d", level, got, ok, want)
		}
	}
	for _, level := range []int8{0, 5, -1} {
		if _, ok := crew.LevelWeight(level); ok {
			t.Errorf("LevelWeight(%d) claims to know the level", level)
		}
	}
}
