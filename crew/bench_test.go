package crew_test

import (
	"math/rand/v2"
	"testing"

	"cityvitals/crew"
)

// benchInstance is issue #5's target: 1,000 open incidents, 200 teams
// anywhere in Shanghai, capacity 1-5 (about 600 slots, so 400 jobs must
// wait and every slot is contested), 5 skill kinds, 1 % urgent.
var benchInstance = instance{jobs: 1000, teams: 200, skills: 5, minCapacity: 1, maxCapacity: 5, urgent: 0.01}

func BenchmarkPlan1000x200(b *testing.B) {
	st := randomState(rand.New(rand.NewPCG(42, 42)), benchInstance)
	p := crew.NewPlanner()
	b.ReportAllocs()
	var plan crew.Plan
	for b.Loop() {
		plan = mustPlan(b, p, st)
	}
	b.ReportMetric(float64(len(plan.Assignments)), "assigned")
}

// BenchmarkPlan1000x200Slack has room for every job (capacity 5-10).
func BenchmarkPlan1000x200Slack(b *testing.B) {
	in := benchInstance
	in.minCapacity, in.maxCapacity = 5, 10
	st := randomState(rand.New(rand.NewPCG(42, 42)), in)
	p := crew.NewPlanner()
	b.ReportAllocs()
	for b.Loop() {
		mustPlan(b, p, st)
	}
}

func BenchmarkReplan1000x200(b *testing.B) {
	st := randomState(rand.New(rand.NewPCG(42, 42)), benchInstance)
	p := crew.NewPlanner()
	prev := mustPlan(b, p, st)
	urgent := crew.Job{ID: 5000, Lon: 121.47, Lat: 31.23, Priority: 8, Skills: []string{"gas"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Replan(b.Context(), prev, st, urgent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlan1000x200AnySkill is the hardest shape: every team can take
// every job, so each search has the most arcs to scan.
func BenchmarkPlan1000x200AnySkill(b *testing.B) {
	in := benchInstance
	in.skills = 0
	st := randomState(rand.New(rand.NewPCG(42, 42)), in)
	p := crew.NewPlanner()
	b.ReportAllocs()
	for b.Loop() {
		mustPlan(b, p, st)
	}
}

// BenchmarkPlan4000x1000 is the limit of one call (MaxPairs), city-wide.
func BenchmarkPlan4000x1000(b *testing.B) {
	in := benchInstance
	in.jobs, in.teams = 4000, 1000
	st := randomState(rand.New(rand.NewPCG(42, 42)), in)
	p := crew.NewPlanner()
	b.ReportAllocs()
	for b.Loop() {
		mustPlan(b, p, st)
	}
}
