package simulate

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/property"
)

type discard struct{}

func (discard) Send(context.Context, []Reading) error { return nil }

var t0 = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

// cities are generated once per seed: the grid makes generation the
// slowest part of these tests under -race. Simulators never change a city.
var (
	citiesMu sync.Mutex
	cities   = map[int64]*City{}
)

func newSim(t *testing.T, seed int64) *Simulator {
	t.Helper()
	citiesMu.Lock()
	city, ok := cities[seed]
	if !ok {
		var err error
		if city, err = GenerateCity(seed, ScaleSmall); err != nil {
			citiesMu.Unlock()
			t.Fatal(err)
		}
		cities[seed] = city
	}
	citiesMu.Unlock()
	sim, err := New(Config{City: city, Sink: discard{}, Start: t0, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// platformWritten are properties the platform computes itself (from the
// hazard register), not ones a sensor reports.
var platformWritten = map[string]bool{"gas_hazards_major_open": true}

func TestCityInvariants(t *testing.T) {
	c, err := GenerateCity(1, ScaleSmall)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Districts) < 4 || len(c.Streets) < 30 || len(c.Assets) < 1000 || len(c.Streams) < 3000 {
		t.Fatalf("districts %d, streets %d, assets %d, streams %d: too small", len(c.Districts), len(c.Streets), len(c.Assets), len(c.Streams))
	}
	parent := map[string]string{}
	for _, u := range c.Units {
		parent[u.Code] = u.Parent
	}
	for _, u := range c.Units {
		code := u.Code
		for hops := 0; code != CityCode; hops++ {
			p, ok := parent[code]
			if !ok || p == "" || hops > 5 {
				t.Fatalf("unit %s does not reach the city (stuck at %q)", u.Code, code)
			}
			code = p
		}
	}
	// Grid cells cover each street: their areas add up to the street's.
	area := map[string]float64{}
	for _, u := range c.Units {
		if u.Level == model.LevelGrid {
			area[u.Parent] += planar.Area(u.Geometry)
		}
	}
	for _, s := range c.Streets {
		want := planar.Area(c.unit(s).Geometry)
		if got := area[s]; got < want*0.999 || got > want*1.001 {
			t.Errorf("street %s: grid cells cover %g of %g", s, got, want)
		}
	}
	// Every property an indicator of the default catalog reads has streams.
	have := map[string]bool{}
	for _, st := range c.Streams {
		have[st.Property] = true
		if st.Lon < cityWest || st.Lon > cityEast || st.Lat < citySouth || st.Lat > cityNorth {
			t.Fatalf("stream %s at (%g, %g) lies outside the city", st.Key, st.Lon, st.Lat)
		}
	}
	cat, err := indicator.Default(property.Default(), asset.DefaultTypes())
	if err != nil {
		t.Fatal(err)
	}
	domains := map[string]bool{}
	for _, p := range cat.Programs() {
		for _, n := range p.Needs() {
			if !have[n.Property] && !platformWritten[n.Property] {
				t.Errorf("indicator %s reads %s, which no demo stream measures", p.Indicator().ID, n.Property)
			}
			domains[p.Indicator().Domain] = true
		}
	}
	if len(domains) != len(cat.Domains()) {
		t.Errorf("streams feed %d of the %d catalog domains", len(domains), len(cat.Domains()))
	}
	if _, err := GenerateCity(1, "huge"); model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("scale huge: err = %v, want EINVALID", err)
	}
}

func TestSameSeedSameReadings(t *testing.T) {
	a, b, other := newSim(t, 42), newSim(t, 42), newSim(t, 43)
	ra, rb := a.Generate(t0, t0.Add(2*time.Minute)), b.Generate(t0, t0.Add(2*time.Minute))
	if len(ra) < 1000 || !slices.Equal(ra, rb) {
		t.Fatalf("same seed: %d and %d readings, equal %v", len(ra), len(rb), slices.Equal(ra, rb))
	}
	if slices.Equal(ra, other.Generate(t0, t0.Add(2*time.Minute))) {
		t.Fatal("seeds 42 and 43 gave the same readings")
	}
	// Pieces generated separately join into the whole.
	joined := append(a.Generate(t0, t0.Add(time.Minute)), a.Generate(t0.Add(time.Minute), t0.Add(2*time.Minute))...)
	if !slices.Equal(joined, ra) {
		t.Fatal("generating in two halves differs from generating at once")
	}
}

func TestGasLeakRaisesThreeNearbyDetectors(t *testing.T) {
	sim := newSim(t, 1)
	inj, err := sim.Inject(context.Background(), "gas_leak", InjectOptions{Unit: "310102003", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	centre := orb.Point{inj.Lon, inj.Lat}
	high := map[int]bool{}
	pressure := map[int][]float64{}
	for _, r := range sim.Generate(t0, t0.Add(10*time.Minute)) {
		st := sim.city.Streams[r.Stream]
		switch {
		case st.Property == "gas_lel" && r.Value > 25 && distanceM(centre, orb.Point{st.Lon, st.Lat}) <= 200:
			high[r.Stream] = true
		case st.Property == "gas_pressure" && st.Place == PlaceGasMain && st.Street == "310102003":
			pressure[r.Stream] = append(pressure[r.Stream], r.Value)
		}
	}
	if len(high) < 3 {
		t.Fatalf("%d gas detectors within 200 m exceed 25 %%LEL, want ≥ 3", len(high))
	}
	for i, p := range pressure {
		if drop := p[0] - p[len(p)-1]; drop < 30 {
			t.Errorf("gas main %s fell %g kPa, want ≥ 30", sim.city.Streams[i].Key, drop)
		}
	}
	if len(pressure) == 0 {
		t.Fatal("no gas main pressure readings")
	}
}

// TestScenarioShapes checks each scenario moves its headline property
// where its indicator grades it.
func TestScenarioShapes(t *testing.T) {
	cases := []struct {
		scenario, unit, prop string
		after                time.Duration
		check                func(v float64) bool
		want                 string
	}{
		{"rainstorm", "310101", "rainfall_rate", 30 * time.Minute, func(v float64) bool { return v >= 50 }, "≥ 50 mm/h"},
		{"rainstorm", "310101", "ponding_depth", 80 * time.Minute, func(v float64) bool { return v >= 0.3 }, "≥ 0.3 m"},
		{"rainstorm", "310101", "flood_stage_index", 100 * time.Minute, func(v float64) bool { return v > 0 }, "> 0"},
		{"crowd_surge", "310101002", "crowd_density", 15 * time.Minute, func(v float64) bool { return v >= 4 }, "≥ 4 persons/m²"},
		{"power_cut", "310101002", "power_supply_state", 5 * time.Minute, func(v float64) bool { return v == 1 }, "= 1 (outage)"},
		{"heat_wave", "", "air_temperature", 2 * time.Hour, func(v float64) bool { return v >= 35 }, "≥ 35 °C"},
		{"cold_wave", "", "air_temperature", 6 * time.Hour, func(v float64) bool { return v <= 0 }, "≤ 0 °C"},
		{"cold_wave", "", "water_pressure", 3 * time.Hour, func(v float64) bool { return v < 0.16 }, "< 0.16 MPa"},
		{"water_main_burst", "310101002", "water_pressure", 3 * time.Minute, func(v float64) bool { return v <= 0.1 }, "≤ 0.1 MPa"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario+"/"+tc.prop, func(t *testing.T) {
			sim := newSim(t, 1)
			inj, err := sim.Inject(context.Background(), tc.scenario, InjectOptions{Unit: tc.unit, At: t0})
			if err != nil {
				t.Fatal(err)
			}
			at := t0.Add(tc.after)
			hits := 0
			for _, r := range sim.Generate(at, at.Add(time.Minute)) {
				st := sim.city.Streams[r.Stream]
				if st.Property == tc.prop && sim.city.within(st, inj.Unit) && tc.check(r.Value) {
					hits++
				}
			}
			if hits == 0 {
				t.Fatalf("no %s reading in %s is %s %s into %s", tc.prop, inj.Unit, tc.want, tc.after, tc.scenario)
			}
		})
	}
}

func TestPowerCutSilencesMainsDevices(t *testing.T) {
	sim := newSim(t, 1)
	if _, err := sim.Inject(context.Background(), "power_cut", InjectOptions{Unit: "310101002", At: t0}); err != nil {
		t.Fatal(err)
	}
	for _, r := range sim.Generate(t0, t0.Add(5*time.Minute)) {
		if st := sim.city.Streams[r.Stream]; st.Street == "310101002" && st.MainsPowered {
			t.Fatalf("mains-powered %s reported during the power cut", st.Key)
		}
	}
}

func TestInjectRejects(t *testing.T) {
	sim := newSim(t, 1)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts InjectOptions
		code string
		says string
	}{
		{"meteor", InjectOptions{}, model.ENOTFOUND, "unknown"},
		{"gas_leak", InjectOptions{Unit: "310101"}, model.EINVALID, "is a district"},
		{"gas_leak", InjectOptions{Unit: "999999<script>"}, model.EINVALID, "not a street"},
		{"gas_leak", InjectOptions{At: t0.Add(-7 * time.Hour)}, model.EINVALID, "at:"},
	} {
		_, err := sim.Inject(ctx, tc.name, tc.opts)
		if model.ErrorCode(err) != tc.code || !strings.Contains(model.ErrorMessage(err), tc.says) {
			t.Errorf("%s %+v: err = %v, want %s saying %q", tc.name, tc.opts, err, tc.code, tc.says)
		}
	}
	if _, err := New(Config{City: sim.city, Sink: discard{}, Rate: -1}); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("rate -1: err = %v, want EINVALID", err)
	}
}
