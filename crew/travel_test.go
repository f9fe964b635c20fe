package crew_test

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"cityvitals/crew"
	"cityvitals/model"
)

func TestTravelSecondsGreatCircle(t *testing.T) {
	t.Parallel()
	// One degree of latitude along a meridian is π × 6378137 / 180 m on
	// the sphere orb uses: 111319.49 m.
	const degree = math.Pi * 6378137 / 180
	tr := crew.DefaultTravel()
	from, to := orb.Point{121.47, 31.0}, orb.Point{121.47, 32.0}
	tests := []struct {
		mode          model.TravelMode
		kmh, detour   float64
		wantRoundSecs int64
	}{
		{model.ModeWalk, 4.5, 1.3, 115772},
		{model.ModeBike, 12, 1.3, 43415},
		{model.ModeCar, 25, 1.4, 22442},
		{model.ModeVan, 22, 1.4, 25502},
	}
	for _, tc := range tests {
		got, err := tr.Seconds(tc.mode, from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := degree * tc.detour / (tc.kmh / 3.6)
		if math.Abs(got-want) > 1e-6*want || int64(math.Round(got)) != tc.wantRoundSecs {
			t.Errorf("%s over one degree: %.3f s, want %.3f (≈ %d)", tc.mode, got, want, tc.wantRoundSecs)
		}
	}
	if s, err := tr.Seconds(model.ModeCar, from, from); s != 0 || err != nil {
		t.Errorf("no distance took %v s, %v", s, err)
	}
	if _, err := tr.Seconds("boat", from, to); model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), `"boat"`) {
		t.Errorf("unknown mode: %v, want EINVALID naming it", err)
	}
}

// roads is a road graph that knows cars on one street, and answers
// with whatever Seconds says.
type roads struct{ seconds float64 }

func (r roads) TravelSeconds(mode model.TravelMode, from, to orb.Point) (float64, bool) {
	return r.seconds, mode == model.ModeCar && from[1] == 31.23 && to[1] == 31.23
}

func TestTravelUsesRoadGraph(t *testing.T) {
	t.Parallel()
	tr := crew.DefaultTravel()
	tr.Roads = roads{seconds: 777}
	onStreet, offStreet := orb.Point{121.50, 31.23}, orb.Point{121.50, 31.30}
	start := orb.Point{121.47, 31.23}
	if s, err := tr.Seconds(model.ModeCar, start, onStreet); s != 777 || err != nil {
		t.Errorf("routed trip: %v s, %v; want the graph's 777", s, err)
	}
	plain := crew.DefaultTravel()
	for _, c := range []struct {
		mode model.TravelMode
		to   orb.Point
	}{{model.ModeCar, offStreet}, {model.ModeWalk, onStreet}} {
		got, err := tr.Seconds(c.mode, start, c.to)
		want, _ := plain.Seconds(c.mode, start, c.to)
		if got != want || err != nil {
			t.Errorf("%s to %v, which the graph cannot route: %v s, %v; want the great-circle %v", c.mode, c.to, got, err, want)
		}
	}
	for _, bad := range []float64{math.NaN(), -1, math.Inf(1)} {
		tr.Roads = roads{seconds: bad}
		if _, err := tr.Seconds(model.ModeCar, start, onStreet); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("graph answering %v s: %v, want EINVALID", bad, err)
		}
	}
}

func TestTravelValidate(t *testing.T) {
	t.Parallel()
	if err := crew.DefaultTravel().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tr := crew.DefaultTravel()
	delete(tr.Profiles, model.ModeBike)
	if err := tr.Validate(); model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), `"bike"`) {
		t.Errorf("missing bike profile: %v", err)
	}
	tr = crew.DefaultTravel()
	tr.Profiles[model.ModeVan] = crew.ModeProfile{SpeedKMH: math.Inf(1), Detour: 1.4}
	if err := tr.Validate(); model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), `"van" speed +Inf`) {
		t.Errorf("infinite van speed: %v", err)
	}
}

// The planner plans on the road graph's times when it has one.
func TestPlanUsesRoadGraph(t *testing.T) {
	t.Parallel()
	p := crew.NewPlanner()
	p.Travel.Roads = roads{seconds: 12345}
	st := crew.State{
		Teams: []crew.TeamState{{ID: 1, Lon: 121.47, Lat: 31.23, Mode: model.ModeCar, FreeCapacity: 1, OnShift: true}},
		Jobs:  []crew.Job{{ID: 1, Lon: 121.48, Lat: 31.23, Priority: 2}},
	}
	plan := mustPlan(t, p, st)
	if len(plan.Assignments) != 1 || plan.Assignments[0].TravelSeconds != 12345 || plan.TotalCost != 2*12345 {
		t.Errorf("plan %+v: want travel 12345 s from the road graph, cost 24690", plan)
	}
}
