package engine

import (
	"math"
	"testing"

	"cityvitals/indicator"
	"cityvitals/model"
)

func TestRollupRules(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	// g1 has two sensors, the other grids one each; g4 has none.
	streams := fakeStreams{
		1: {Property: "gas_lel", Unit: "g1"},
		2: {Property: "gas_lel", Unit: "g1"},
		3: {Property: "gas_lel", Unit: "g2"},
		4: {Property: "gas_lel", Unit: "g3", AssetType: "manhole_cover"},
	}
	values := map[int64]float64{1: 30, 2: 10, 3: 22, 4: 4}
	e, _ := newTestEngine(t, Config{}, cat, gridTree(), streams)
	var batch []model.Observation
	for id, v := range values {
		batch = append(batch, obs(id, minute(0), v))
	}
	e.Observe(batch)
	e.Flush()

	g1Avg := (30.0 + 10) / 2
	tests := []struct {
		name      string
		indicator string
		unit      string
		value     float64
		level     indicator.Level
	}{
		{"worst takes the worst child", "gas.leak", "s1", 30, indicator.LevelOrange},
		{"worst reaches the top", "gas.leak", "d1", 30, indicator.LevelOrange},
		{"max", "gas.leak.max", "s1", 30, indicator.LevelOrange},
		{"min", "gas.leak.min", "s1", 4, indicator.LevelNone},
		{"avg weighted by streams", "gas.leak.avg", "s1", (2*g1Avg + 22 + 4) / 4, indicator.LevelBlue},
		{"sum", "gas.sensors", "s1", 4, indicator.LevelNone},
		{"share at or above yellow", "gas.leak.share", "s1", 2.0 / 3, indicator.LevelRed},
		{"virtual root rolls up the city", "gas.leak.max", "", 30, indicator.LevelOrange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sign(t, e, tt.unit, tt.indicator)
			if !s.HasValue || math.Abs(s.Value-tt.value) > 1e-9 || s.Level != tt.level {
				t.Errorf("%s in %q: value %v level %v, want %v %v", tt.indicator, tt.unit, s.Value, s.Level, tt.value, tt.level)
			}
		})
	}
	t.Run("none is not rolled up", func(t *testing.T) {
		us, _ := e.Signs("s1")
		for _, s := range us.Signs {
			if s.Indicator == "gas.leak.manholes" {
				t.Errorf("gas.leak.manholes rolled up to s1: %+v", s)
			}
		}
		if s := sign(t, e, "g3", "gas.leak.manholes"); s.Value != 4 {
			t.Errorf("manholes in g3: %+v, want 4", s)
		}
	})
}

// notComputed marks an indicator that no unit computes.
const notComputed = "-"

func TestEvaluationLevel(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	tests := []struct {
		name     string
		topo     *fakeTopology
		unit     string // where the stream is
		leakUnit string // where grid-level gas.leak is computed
		fallUnit string // where street-level gas.pressure_fall is computed
	}{
		{"empty tree: virtual root", newTopology(), "", "", ""},
		{"unplaced stream in a tree: not computed", gridTree(), "", notComputed, notComputed},
		{
			name: "no street level: nearest level above",
			topo: newTopology(treeUnit{"d1", "", "district"}, treeUnit{"g1", "d1", "grid"}),
			unit: "g1", leakUnit: "g1", fallUnit: "d1",
		},
		{"full tree", gridTree(), "g1", "g1", "s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams := fakeStreams{
				1: {Property: "gas_lel", Unit: tt.unit},
				2: {Property: "gas_pressure", Unit: tt.unit},
			}
			e, rec := newTestEngine(t, Config{}, cat, tt.topo, streams)
			e.Observe([]model.Observation{obs(1, minute(0), 60), obs(2, minute(0), 300), obs(2, minute(1), 290)})
			e.Flush()
			first := map[string]string{}
			for _, c := range rec.all() {
				if _, seen := first[c.Indicator]; !seen {
					first[c.Indicator] = c.Unit
				}
			}
			if tt.fallUnit == notComputed {
				if len(rec.all()) != 0 {
					t.Errorf("changes %+v, want none", rec.all())
				}
				return
			}
			if got := first["gas.leak"]; got != tt.leakUnit {
				t.Errorf("gas.leak computed in %q, want %q", got, tt.leakUnit)
			}
			if got := first["gas.pressure_fall"]; got != tt.fallUnit {
				t.Errorf("gas.pressure_fall computed in %q, want %q", got, tt.fallUnit)
			}
			if s := sign(t, e, tt.fallUnit, "gas.pressure_fall"); s.Value != 10 || s.Level != indicator.LevelRed {
				t.Errorf("pressure fall %+v, want 10 kPa/min, red", s)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	lv := func(domain string, l indicator.Level) domainLevel { return domainLevel{domain: domain, level: l} }
	tests := []struct {
		name    string
		levels  []domainLevel
		domains map[string]float64
		overall float64
	}{
		{"no data", []domainLevel{lv("gas", indicator.LevelNoData)}, map[string]float64{}, 100},
		{"all normal", []domainLevel{lv("gas", indicator.LevelNone), lv("water", indicator.LevelNone)}, map[string]float64{"gas": 100, "water": 100}, 100},
		{
			name:    "one red among normals",
			levels:  []domainLevel{lv("gas", indicator.LevelRed), lv("gas", indicator.LevelNone), lv("gas", indicator.LevelNoData), lv("water", indicator.LevelBlue)},
			domains: map[string]float64{"gas": 100 - (0.6*100 + 0.4*50), "water": 100 - (0.6*10 + 0.4*10)},
			overall: 0.5*20 + 0.5*(20+90)/2,
		},
		{"orange and yellow", []domainLevel{lv("env", indicator.LevelOrange), lv("env", indicator.LevelYellow)}, map[string]float64{"env": 100 - (0.6*60 + 0.4*45)}, 46},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			domains, overall := health(tt.levels)
			if len(domains) != len(tt.domains) {
				t.Fatalf("domains %v, want %v", domains, tt.domains)
			}
			for d, want := range tt.domains {
				if math.Abs(domains[d]-want) > 1e-9 {
					t.Errorf("domain %s: %v, want %v", d, domains[d], want)
				}
			}
			if math.Abs(overall-tt.overall) > 1e-9 {
				t.Errorf("overall %v, want %v", overall, tt.overall)
			}
		})
	}
}

func TestSignsReportHealthAndWorst(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	e, _ := newTestEngine(t, Config{}, cat, gridTree(), fakeStreams{1: {Property: "gas_lel", Unit: "g1"}})
	e.Observe([]model.Observation{obs(1, minute(0), 60)})
	e.Flush()
	us, ok := e.Signs("g1")
	if !ok {
		t.Fatal("g1 unknown")
	}
	if us.Worst != indicator.LevelRed || us.Time != minute(0) {
		t.Errorf("worst %v time %d, want red at %d", us.Worst, us.Time, minute(0))
	}
	// gas.leak, .max, .min, .avg, .share red; .manholes no data;
	// gas.sensors (1) none; gas.reporting (1.0) none.
	wantGas := 100 - (0.6*100 + 0.4*(5*100.0)/7)
	if math.Abs(us.Health["gas"]-wantGas) > 1e-9 || math.Abs(us.Overall-wantGas) > 1e-9 {
		t.Errorf("health %v overall %v, want gas %v", us.Health, us.Overall, wantGas)
	}
	if _, ok := e.Signs("nowhere"); ok {
		t.Error("unknown unit reported")
	}
}
