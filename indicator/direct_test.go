package indicator

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"

	"cityvitals/asset"
	"cityvitals/property"
)

// hashedScope gives every selection streams drawn from a generator seeded
// by the selection and the scope's seed, so both evaluation paths see the
// same data without a table of it.
type hashedScope struct{ seed uint64 }

func (s hashedScope) Streams(prop, assetType string) StreamSet {
	h := fnv.New64a()
	h.Write([]byte(prop + "/" + assetType))
	rng := rand.New(rand.NewPCG(h.Sum64(), s.seed))
	n := rng.IntN(6) // 0 reporting happens: the no-data path
	f := fakeStreams{registered: n + rng.IntN(3)}
	for range n {
		v := rng.NormFloat64() * 50
		f.latest = append(f.latest, v)
		f.totals = append(f.totals, math.Abs(v)*3)
		f.changes = append(f.changes, Change{First: v, Last: v + rng.NormFloat64()*5, Minutes: float64(rng.IntN(30))})
	}
	return f
}

func (s hashedScope) Indicator(string) (float64, bool) { return float64(s.seed % 7), s.seed%3 != 0 }

// TestDirectEqualsCEL evaluates every indicator of the default catalog
// that takes the direct path both ways, over many scopes, and wants the
// same value, presence and error.
func TestDirectEqualsCEL(t *testing.T) {
	t.Parallel()
	cat, err := Default(property.Default(), asset.DefaultTypes())
	if err != nil {
		t.Fatal(err)
	}
	direct := 0
	for _, p := range cat.Programs() {
		if p.direct == nil {
			continue
		}
		direct++
		viaCEL := *p
		viaCEL.direct = nil
		for seed := range uint64(200) {
			scope := hashedScope{seed: seed}
			v1, ok1, err1 := p.Eval(scope)
			v2, ok2, err2 := viaCEL.Eval(scope)
			if v1 != v2 || ok1 != ok2 || (err1 == nil) != (err2 == nil) {
				t.Fatalf("%s (%s), seed %d: direct (%v, %v, %v), CEL (%v, %v, %v)",
					p.ind.ID, p.ind.Expr, seed, v1, ok1, err1, v2, ok2, err2)
			}
		}
	}
	t.Logf("%d of %d take the direct path", direct, len(cat.Programs()))
	if direct < len(cat.Programs())/3 {
		t.Fatalf("only %d of %d default indicators take the direct path", direct, len(cat.Programs()))
	}
}

func TestDirectOnlyForOneReducerOverOneSelection(t *testing.T) {
	t.Parallel()
	c := testCompiler(t)
	for expr, want := range map[string]bool{
		"max(gas_lel)":                     true,
		`max(gas_lel.on("manhole_cover"))`: true,
		"reporting(rainfall)":              true,
		"rise(water_level) * 60.0":         false,
		"above(noise, 70)":                 false,
		"math.greatest(max(noise), 1)":     false,
		`ind("env.aqi.pm25")`:              false,
	} {
		if got := compileProgram(t, c, expr).direct != nil; got != want {
			t.Errorf("%s: direct path %v, want %v", expr, got, want)
		}
	}
}
