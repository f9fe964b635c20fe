package forecast_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"cityvitals/detect/forecast"
	"cityvitals/model"
)

// interaction draws rows where the outcome depends on two features
// together ("humid and still"), which no weighted sum can express: each
// feature alone says nothing. A third feature is noise and is missing
// now and then.
func interaction(rng *rand.Rand, n int) (X [][]float64, y []float64) {
	for range n {
		x := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		p := 0.1
		if (x[0] > 0) == (x[1] > 0) {
			p = 0.9
		}
		label := 0.0
		if rng.Float64() < p {
			label = 1
		}
		if rng.IntN(20) == 0 {
			x[2] = math.NaN()
		}
		X, y = append(X, x), append(y, label)
	}
	return X, y
}

// accuracy is the share of rows the gate's probability puts on the
// side of one half their outcome is on.
func accuracy(g *forecast.Gate, X [][]float64, y []float64) float64 {
	right := 0
	for i, x := range X {
		if (g.Probability(x) >= 0.5) == (y[i] == 1) {
			right++
		}
	}
	return float64(right) / float64(len(X))
}

func TestBoostLearnsWhatLogisticCannot(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	X, y := interaction(rng, 20000)
	testX, testY := interaction(rng, 5000)
	g, err := forecast.FitGate(X, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	linear := accuracy(g, testX, testY)
	cfg := forecast.DefaultBoostConfig()
	cfg.Trees = 30
	if err := forecast.Boost(g, X, y, cfg); err != nil {
		t.Fatal(err)
	}
	boosted := accuracy(g, testX, testY)
	// The best possible is 0.9 (the outcome's own noise); a weighted sum
	// is stuck near 0.5.
	if linear > 0.6 || boosted < 0.85 {
		t.Fatalf("held-out accuracy: logistic %.3f, boosted %.3f; want ≤ 0.6 and ≥ 0.85", linear, boosted)
	}
	if len(g.Trees) != cfg.Trees {
		t.Fatalf("%d trees, want %d", len(g.Trees), cfg.Trees)
	}
	g.Raise, g.Clear = 0.5, 0.4
	if err := g.Validate(3); err != nil {
		t.Fatal(err)
	}
	if a, b := g.Probability([]float64{1, 1, math.NaN()}), g.Probability([]float64{1, 1, g.Fill[2]}); a != b {
		t.Errorf("a missing feature gives %g, its fill value %g", a, b)
	}
	t.Logf("held-out accuracy: logistic %.3f, boosted %.3f", linear, boosted)
}

// TestBoostedGateRoundTrips checks a boosted gate survives JSON, the
// form it ships in, with the same probabilities.
func TestBoostedGateRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	X, y := interaction(rng, 3000)
	g, err := forecast.FitGate(X, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := forecast.Boost(g, X, y, forecast.BoostConfig{Trees: 5, Depth: 2, Rate: 0.3, L2: 1, MinHessian: 10, Bins: 16}); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var back forecast.Gate
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, &back) {
		t.Fatal("the gate changed through JSON")
	}
	for _, x := range X[:100] {
		if g.Probability(x) != back.Probability(x) {
			t.Fatalf("probability of %v changed through JSON", x)
		}
	}
}

func TestBoostRefusesBadInput(t *testing.T) {
	g := &forecast.Gate{Weights: []float64{0, 0}, Fill: []float64{0, 0}}
	rows := [][]float64{{1, 2}, {3, 4}}
	for name, c := range map[string]struct {
		X   [][]float64
		y   []float64
		cfg forecast.BoostConfig
	}{
		"no rows":            {nil, nil, forecast.DefaultBoostConfig()},
		"fewer outcomes":     {rows, []float64{1}, forecast.DefaultBoostConfig()},
		"short row":          {[][]float64{{1}, {2, 3}}, []float64{0, 1}, forecast.DefaultBoostConfig()},
		"no trees":           {rows, []float64{0, 1}, forecast.BoostConfig{Depth: 3, Rate: 0.1, Bins: 8}},
		"too deep":           {rows, []float64{0, 1}, forecast.BoostConfig{Trees: 1, Depth: 9, Rate: 0.1, Bins: 8}},
		"zero rate":          {rows, []float64{0, 1}, forecast.BoostConfig{Trees: 1, Depth: 3, Bins: 8}},
		"more bins than 255": {rows, []float64{0, 1}, forecast.BoostConfig{Trees: 1, Depth: 3, Rate: 0.1, Bins: 300}},
	} {
		if err := forecast.Boost(g, c.X, c.y, c.cfg); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
}

func TestGateValidateRefusesBrokenTrees(t *testing.T) {
	good := forecast.Tree{Feature: []int{0}, Split: []float64{1}, Leaf: []float64{-1, 1}}
	for name, tr := range map[string]forecast.Tree{
		"missing leaf":            {Feature: []int{0}, Split: []float64{1}, Leaf: []float64{1}},
		"unknown feature":         {Feature: []int{2}, Split: []float64{1}, Leaf: []float64{-1, 1}},
		"infinite split":          {Feature: []int{0}, Split: []float64{math.Inf(1)}, Leaf: []float64{-1, 1}},
		"not-a-number leaf":       {Feature: []int{0}, Split: []float64{1}, Leaf: []float64{math.NaN(), 1}},
		"fewer splits than nodes": {Feature: []int{0, 1}, Split: []float64{1}, Leaf: []float64{-1, 1, 2}},
	} {
		g := &forecast.Gate{Weights: []float64{0, 0}, Fill: []float64{0, 0}, Raise: 0.5, Clear: 0.5, Trees: []forecast.Tree{good, tr}}
		if err := g.Validate(2); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("%s: Validate = %v, want EINVALID", name, err)
		}
	}
	g := &forecast.Gate{Weights: []float64{0, 0}, Fill: []float64{0, 0}, Raise: 0.5, Clear: 0.5, Trees: []forecast.Tree{good}}
	if err := g.Validate(2); err != nil {
		t.Fatalf("a valid tree: %v", err)
	}
	// x[0] ≥ 1 goes right (+1), anything else left (−1).
	if lo, hi := g.Probability([]float64{0.5, 0}), g.Probability([]float64{1, 0}); math.Abs(lo-1/(1+math.E)) > 1e-12 || math.Abs(hi-1/(1+1/math.E)) > 1e-12 {
		t.Fatalf("one split at 1: p(0.5) = %g, p(1) = %g", lo, hi)
	}
}
