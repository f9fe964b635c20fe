package forecast_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/model"
)

// TestFitGateRecoversWeights draws outcomes from a known logistic model
// and checks the fit finds its coefficients, missing values included.
func TestFitGateRecoversWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bias, w := -1.0, []float64{2, -0.5, 0}
	var X [][]float64
	var y []float64
	for range 20000 {
		x := []float64{rng.NormFloat64(), 10 + 4*rng.NormFloat64(), rng.NormFloat64()}
		s := bias + w[0]*x[0] + w[1]*(x[1]-10) + w[2]*x[2]
		label := 0.0
		if rng.Float64() < 1/(1+math.Exp(-s)) {
			label = 1
		}
		if rng.IntN(50) == 0 {
			x[2] = math.NaN() // a context stream that had not reported
		}
		X, y = append(X, x), append(y, label)
	}
	g, err := forecast.FitGate(X, y, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	wantBias := bias - w[1]*10
	if math.Abs(g.Bias-wantBias) > 0.4 {
		t.Errorf("bias %.3f, want ≈ %.3f", g.Bias, wantBias)
	}
	for i := range w {
		if math.Abs(g.Weights[i]-w[i]) > 0.1 {
			t.Errorf("weight %d = %.3f, want ≈ %.3f", i, g.Weights[i], w[i])
		}
	}
	g.Raise, g.Clear = 0.5, 0.4
	if err := g.Validate(3); err != nil {
		t.Fatal(err)
	}
	withNaN := g.Probability([]float64{0.3, 12, math.NaN()})
	withFill := g.Probability([]float64{0.3, 12, g.Fill[2]})
	if withNaN != withFill {
		t.Errorf("a missing feature gives %g, its fill value %g", withNaN, withFill)
	}
}

func TestFitGateRefusesBadRows(t *testing.T) {
	for name, c := range map[string]struct {
		X [][]float64
		y []float64
	}{
		"no rows": {nil, nil},
		"uneven":  {[][]float64{{1}, {2}}, []float64{1}},
		"ragged":  {[][]float64{{1, 2}, {2}}, []float64{1, 0}},
	} {
		if _, err := forecast.FitGate(c.X, c.y, 1); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
}

func TestGateValidate(t *testing.T) {
	ok := forecast.Gate{Weights: []float64{1, 2}, Fill: []float64{0, 0}, Raise: 0.6, Clear: 0.4}
	if err := ok.Validate(2); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(g *forecast.Gate){
		"weights short": func(g *forecast.Gate) { g.Weights = g.Weights[:1] },
		"fill short":    func(g *forecast.Gate) { g.Fill = nil },
		"raise 1":       func(g *forecast.Gate) { g.Raise = 1 },
		"clear above":   func(g *forecast.Gate) { g.Clear = 0.7 },
		"clear zero":    func(g *forecast.Gate) { g.Clear = 0 },
		"weight NaN":    func(g *forecast.Gate) { g.Weights = []float64{math.NaN(), 1} },
		"bias infinite": func(g *forecast.Gate) { g.Bias = math.Inf(1) },
	} {
		g := ok
		g.Weights, g.Fill = append([]float64{}, ok.Weights...), append([]float64{}, ok.Fill...)
		mutate(&g)
		if err := g.Validate(2); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
}

// TestOutlook: a ramp towards the threshold has its best margin at the
// end of the horizon, positive once the median path crosses in time; a
// flat series far below has a strongly negative one.
func TestOutlook(t *testing.T) {
	const hour = int64(time.Hour / time.Millisecond)
	ramp := forecast.New(forecast.DefaultConfig())
	flat := forecast.New(forecast.DefaultConfig())
	if _, _, ok := ramp.Outlook(150, true, 6*time.Hour); ok {
		t.Fatal("Outlook answered before the stream was ready")
	}
	for i := range int64(24) {
		ramp.Observe(i*hour, 60+4*float64(i)+float64(i%2))
		flat.Observe(i*hour, 40+float64(i%3))
	}
	m, at, ok := ramp.Outlook(150, true, 6*time.Hour)
	_, crosses := ramp.Crossing(150, true, 6*time.Hour)
	if !ok || (m > 0) != crosses {
		t.Fatalf("ramp: margin %.2f ok %v, median crossing %v; want the margin's sign to agree", m, ok, crosses)
	}
	if at <= 23*hour || at > 29*hour {
		t.Errorf("ramp: best margin at %d h, want within the 6 h after the last reading", at/hour)
	}
	if fm, _, _ := flat.Outlook(150, true, 6*time.Hour); fm > -3 {
		t.Errorf("flat series at 40 has margin %.2f to 150; want far below", fm)
	}
}
