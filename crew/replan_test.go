package crew_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"cityvitals/crew"
	"cityvitals/model"
)

// TestReplanMatchesBruteForce plans, lets an urgent job arrive, and
// checks the re-plan against exhaustive enumeration with the churn
// charge in the costs; the urgent job must be placed whenever some team
// could take it.
func TestReplanMatchesBruteForce(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 3))
		st := randomState(rng, instance{
			jobs: 1 + rng.IntN(5), teams: 1 + rng.IntN(4), skills: 2, maxCapacity: 2, offShift: 0.2, spread: 0.1,
		})
		prev := mustPlan(t, p, st)
		urgent := crew.Job{ID: 99, Lon: 121.47, Lat: 31.23, Priority: 1 << rng.IntN(4)}
		if rng.IntN(2) == 0 {
			urgent.Skills = []string{skillKinds[rng.IntN(2)]}
		}
		plan, err := p.Replan(t.Context(), prev, st, urgent)
		if err != nil {
			t.Fatal(err)
		}
		after := crew.State{Jobs: append(slices.Clone(st.Jobs), crew.Job{}), Teams: st.Teams}
		urgent.Urgent = true
		after.Jobs[len(st.Jobs)] = urgent
		o := oracle{st: after, travel: p.Travel, churn: int64(p.Churn / time.Second), before: assignmentsOf(prev)}
		got := o.check(t, plan)
		if want := o.bruteForce(t); got != want {
			t.Fatalf("seed %d: re-plan scored %+v, exhaustive best %+v\n%s", seed, got, want, describe(after))
		}
		if placeable(o, urgent) != (teamOf(plan, 99) != 0) {
			t.Fatalf("seed %d: urgent job placed on team %d, but placeable = %v", seed, teamOf(plan, 99), placeable(o, urgent))
		}
	}
}

func assignmentsOf(plan crew.Plan) map[int64]int64 {
	m := make(map[int64]int64)
	for _, a := range plan.Assignments {
		m[a.Job] = a.Team
	}
	return m
}

// placeable reports whether some team on duty with capacity could take j.
func placeable(o oracle, j crew.Job) bool {
	return slices.ContainsFunc(o.st.Teams, func(t crew.TeamState) bool { return t.FreeCapacity > 0 && o.canTake(t, j) })
}

// Two teams on one street, full with a red and a blue job.
func fullStreet() crew.State {
	return crew.State{
		Teams: []crew.TeamState{
			{ID: 1, Lon: 121.470, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true},
			{ID: 2, Lon: 121.480, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true},
		},
		Jobs: []crew.Job{
			{ID: 1, Lon: 121.471, Lat: 31.23, Priority: 8},
			{ID: 2, Lon: 121.481, Lat: 31.23, Priority: 1},
		},
	}
}

func TestReplanPreemptsTheLeastWork(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	st := fullStreet()
	prev := mustPlan(t, p, st)
	if teamOf(prev, 1) != 1 || teamOf(prev, 2) != 2 {
		t.Fatalf("setup: %+v", prev.Assignments)
	}
	// A yellow urgent job right next to team 1, which holds the red job:
	// the blue job on team 2 gives way, and the red job stays put.
	urgent := crew.Job{ID: 3, Lon: 121.4705, Lat: 31.23, Priority: 2}
	plan, err := p.Replan(t.Context(), prev, st, urgent)
	if err != nil {
		t.Fatal(err)
	}
	if teamOf(plan, 1) != 1 || teamOf(plan, 3) != 2 || reasonOf(plan, 2) != crew.ReasonPreempted {
		t.Errorf("re-plan %+v: want red kept on team 1, urgent on team 2, blue preempted", plan)
	}
	if !slices.Equal(plan.Moved, []int64{2}) {
		t.Errorf("Moved %v, want [2]", plan.Moved)
	}
}

func TestReplanPlacesUrgentOverAnyPriority(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	st := fullStreet()
	st.Jobs[1].Priority = 8 // both teams hold red jobs now
	prev := mustPlan(t, p, st)
	plan, err := p.Replan(t.Context(), prev, st, crew.Job{ID: 3, Lon: 121.4705, Lat: 31.23, Priority: 1})
	if err != nil {
		t.Fatal(err)
	}
	if teamOf(plan, 3) == 0 || len(plan.Unassigned) != 1 || plan.Unassigned[0].Reason != crew.ReasonPreempted {
		t.Errorf("re-plan %+v: want the blue urgent job placed and one red job preempted", plan)
	}
	// An urgent job nobody can take is reported, and nothing is preempted for it.
	plan, err = p.Replan(t.Context(), prev, st, crew.Job{ID: 4, Lon: 121.47, Lat: 31.23, Priority: 8, Skills: []string{"diving"}})
	if err != nil {
		t.Fatal(err)
	}
	if reasonOf(plan, 4) != crew.ReasonNoSkill || len(plan.Moved) != 0 {
		t.Errorf("re-plan %+v: want the diving job unassigned (no skill) and no job moved", plan)
	}
}

// TestReplanChurn checks the churn charge: a job stays with its team
// unless moving it saves more than priority × Churn.
func TestReplanChurn(t *testing.T) {
	t.Parallel()
	// The urgent job (van) forces a choice: team 1 takes the urgent job
	// and job 1 moves to team 2, or team 2 takes the urgent job and
	// nothing moves. Moving job 1 saves travel; whether that beats the
	// churn charge depends on Churn.
	st := crew.State{
		Teams: []crew.TeamState{
			{ID: 1, Lon: 121.470, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true},
			{ID: 2, Lon: 121.500, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true},
		},
		Jobs: []crew.Job{{ID: 1, Lon: 121.485, Lat: 31.23, Priority: 4}},
	}
	urgent := crew.Job{ID: 2, Lon: 121.465, Lat: 31.23, Priority: 4}
	prev := crew.Plan{Assignments: []crew.Assignment{{Job: 1, Team: 1}}}
	// Travel (car, 25 km/h, detour 1.4) of each option, both jobs priority 4.
	o := oracle{travel: crew.DefaultTravel()}
	seconds := func(team int, j crew.Job) time.Duration {
		return time.Duration(o.seconds(t, st.Teams[team], j)) * time.Second
	}
	stay := seconds(0, st.Jobs[0]) + seconds(1, urgent)
	move := seconds(1, st.Jobs[0]) + seconds(0, urgent)
	if move >= stay {
		t.Fatalf("setup: moving (%s) should save travel over staying (%s)", move, stay)
	}
	saving := stay - move
	for _, tc := range []struct {
		churn    time.Duration
		wantMove bool
	}{
		{0, true},
		{saving - time.Second, true},
		{saving + time.Second, false},
		{time.Hour, false},
	} {
		p := crew.NewPlanner()
		p.Churn = tc.churn
		plan, err := p.Replan(t.Context(), prev, st, urgent)
		if err != nil {
			t.Fatal(err)
		}
		moved := teamOf(plan, 1) == 2
		if moved != tc.wantMove || teamOf(plan, 2) == 0 || moved != slices.Contains(plan.Moved, 1) {
			t.Errorf("churn %s (saving %s): plan %+v; want job 1 moved = %v and the urgent job placed",
				tc.churn, saving, plan.Assignments, tc.wantMove)
		}
	}
}

func TestReplanReplacesAJobByID(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	st := fullStreet()
	prev := mustPlan(t, p, st)
	// Job 2 (blue) becomes urgent: it is not added twice, and keeps its team.
	plan, err := p.Replan(t.Context(), prev, st, st.Jobs[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Assignments) != 2 || teamOf(plan, 2) != 2 || len(plan.Moved) != 0 {
		t.Errorf("re-plan %+v: want the same two assignments", plan)
	}
	if len(st.Jobs) != 2 || st.Jobs[1].Urgent {
		t.Errorf("Replan changed the caller's state: %+v", st.Jobs)
	}
}
