package indicator

import (
	"math"
	"strings"
	"testing"

	"cityvitals/asset"
	"cityvitals/property"
)

// fakeStreams is a StreamSet with fixed contents.
type fakeStreams struct {
	registered int
	latest     []float64
	totals     []float64
	changes    []Change
}

func (f fakeStreams) Registered() int   { return f.registered }
func (f fakeStreams) Latest() []float64 { return f.latest }
func (f fakeStreams) Totals() []float64 { return f.totals }
func (f fakeStreams) Changes() []Change { return f.changes }

// fakeScope serves streams by "property/assetType" and indicator values by id.
type fakeScope struct {
	streams    map[string]fakeStreams
	indicators map[string]float64
}

func (s fakeScope) Streams(prop, assetType string) StreamSet { return s.streams[prop+"/"+assetType] }
func (s fakeScope) Indicator(id string) (float64, bool) {
	v, ok := s.indicators[id]
	return v, ok
}

func testScope() fakeScope {
	return fakeScope{
		streams: map[string]fakeStreams{
			"gas_lel/":              {registered: 4, latest: []float64{3, 12, 7}},
			"gas_lel/manhole_cover": {registered: 2, latest: []float64{30}},
			"water_level/":          {registered: 4, latest: []float64{1.5, 2.5}},
			"rainfall/":             {registered: 2, latest: []float64{1, 2}, totals: []float64{40, 55.5}},
			"gas_pressure/":         {registered: 3, latest: []float64{1, 2, 3}, changes: []Change{{First: 10, Last: 4, Minutes: 3}, {First: 5, Last: 9, Minutes: 2}, {First: 1, Last: 2, Minutes: 0}}},
			"pm25/":                 {registered: 3},
			"noise/":                {registered: 20, latest: []float64{50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 90}},
		},
		indicators: map[string]float64{"env.aqi.pm25": 80, "env.aqi.pm10": 120},
	}
}

func testCompiler(t testing.TB) *compiler {
	t.Helper()
	c, err := newCompiler(property.Default(), asset.DefaultTypes())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func compileProgram(t testing.TB, c *compiler, expr string) *Program {
	t.Helper()
	comp, err := c.compile(expr)
	if err != nil {
		t.Fatalf("compile %q: %v", expr, err)
	}
	return newProgram(c, &entry{Indicator: Indicator{ID: "test", Expr: expr}, compiled: comp})
}

func TestEval(t *testing.T) {
	t.Parallel()
	c := testCompiler(t)
	tests := []struct {
		name   string
		expr   string
		want   float64
		wantOK bool
	}{
		{"avg", "avg(gas_lel)", 22.0 / 3, true},
		{"min", "min(gas_lel)", 3, true},
		{"max", "max(gas_lel)", 12, true},
		{"sum", "sum(gas_lel)", 22, true},
		{"p95 nearest rank", "p95(noise)", 68, true},
		{"count", "count(gas_lel)", 3, true},
		{"count of registered silent streams is zero", "count(pm25)", 0, true},
		{"reporting", "reporting(water_level)", 0.5, true},
		{"above with int literal", "above(gas_lel, 5)", 2, true},
		{"below with double", "below(gas_lel, 7.5)", 2, true},
		{"accum", "accum(rainfall)", 55.5, true},
		{"rise", "rise(gas_pressure)", 2, true},
		{"fall", "fall(gas_pressure)", 2, true},
		{"drop is first to last, not a rate", "drop(gas_pressure)", 6, true},
		{"gain", "gain(gas_pressure)", 4, true},
		{"on narrows", `max(gas_lel.on("manhole_cover"))`, 30, true},
		{"int arithmetic with doubles", "1 - reporting(water_level)", 0.5, true},
		{"ind", `ind("env.aqi.pm25")`, 80, true},
		{"math.greatest", `math.greatest(ind("env.aqi.pm25"), ind("env.aqi.pm10"))`, 120, true},
		{"conditional", "max(gas_lel) > 10 ? 1 : 0", 1, true},
		{"int result accepted", "int(max(gas_lel))", 12, true},
		{"no stream reported is no data", "max(pm25)", 0, false},
		{"no registered stream is no data", `count(gas_lel.on("bridge"))`, 0, false},
		{"reporting of nothing is no data", "reporting(so2)", 0, false},
		{"above of nothing is no data", "above(pm25, 1)", 0, false},
		{"accum without totals is no data", "accum(pm25)", 0, false},
		{"rise without changes is no data", "rise(pm25)", 0, false},
		{"missing ind is no data", `ind("gas.leak")`, 0, false},
		{"division by zero is no data", "max(gas_lel) / 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := compileProgram(t, c, tt.expr).Eval(testScope())
			if err != nil {
				t.Fatalf("Eval(%q): %v", tt.expr, err)
			}
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Eval(%q) = %v, %v; want %v, %v", tt.expr, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestEvalRuntimeErrorIsError(t *testing.T) {
	t.Parallel()
	c := testCompiler(t)
	p := compileProgram(t, c, `dyn("x") + max(gas_lel)`)
	_, ok, err := p.Eval(testScope())
	if err == nil || ok {
		t.Fatalf("Eval of a runtime type error = ok %v, err %v; want an error", ok, err)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	c := testCompiler(t)
	tests := []struct{ name, expr, want string }{
		{"unknown property", "max(gas_leak)", "undeclared reference to 'gas_leak'"},
		{"unknown asset type", `max(gas_lel.on("spaceship"))`, `unknown asset type "spaceship"`},
		{"asset type not literal", `max(gas_lel.on("manhole" + "_cover"))`, "takes a quoted asset type"},
		{"ind not literal", `ind("gas" + ".leak")`, "ind() takes a quoted indicator id"},
		{"not a number", "max(gas_lel) > 3", "not a number"},
		{"syntax", "max(gas_lel", "column"},
		{"wrong argument", "max(3)", "no matching overload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.compile(tt.expr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("compile(%q) = %v; want an error containing %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestNeeds(t *testing.T) {
	t.Parallel()
	c := testCompiler(t)
	tests := []struct {
		name     string
		expr     string
		want     []Need
		wantDeps []string
	}{
		{"plain", "max(gas_lel)", []Need{{Property: "gas_lel"}}, nil},
		{"on", `max(gas_lel.on("manhole_cover"))`, []Need{{Property: "gas_lel", AssetType: "manhole_cover"}}, nil},
		{"history", "accum(rainfall) + rise(water_level)", []Need{{Property: "rainfall", History: true}, {Property: "water_level", History: true}}, nil},
		{"history wins over latest", "fall(gas_pressure) + avg(gas_pressure)", []Need{{Property: "gas_pressure", History: true}}, nil},
		{"history through a conditional", "rise(true ? water_level : rainfall)", []Need{{Property: "rainfall", History: true}, {Property: "water_level", History: true}}, nil},
		{"deps only", `ind("b") + ind("a") + ind("a")`, []Need{}, []string{"a", "b"}},
		{"mixed", `above(gas_lel.on("manhole_cover"), 20) + max(gas_lel) + ind("x")`,
			[]Need{{Property: "gas_lel"}, {Property: "gas_lel", AssetType: "manhole_cover"}}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compileProgram(t, c, tt.expr)
			if !equalNeeds(p.Needs(), tt.want) {
				t.Errorf("Needs(%q) = %v; want %v", tt.expr, p.Needs(), tt.want)
			}
			if !equalStrings(p.Deps(), tt.wantDeps) {
				t.Errorf("Deps(%q) = %v; want %v", tt.expr, p.Deps(), tt.wantDeps)
			}
		})
	}
}

func equalNeeds(a, b []Need) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func BenchmarkEval(b *testing.B) {
	c := testCompiler(b)
	scope := testScope()
	for _, expr := range []string{"max(gas_lel)", `max(gas_lel.on("manhole_cover"))`, "1 - reporting(water_level)", `math.greatest(ind("env.aqi.pm25"), ind("env.aqi.pm10"))`} {
		p := compileProgram(b, c, expr)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, err := p.Eval(scope); !ok || err != nil {
					b.Fatalf("Eval(%q) = %v, %v", expr, ok, err)
				}
			}
		})
	}
}
