package forecast

import (
	"math"

	"cityvitals/model"
)

// Gate is a model of "the series crosses the threshold within the
// horizon" over a fixed feature vector (the caller defines the features,
// see package predict): a logistic model, optionally refined by boosted
// regression trees (see Boost) that add what a weighted sum cannot say,
// such as "humid air matters only when the wind is still". A warning guarded by a Gate is raised
// when the probability reaches Raise and kept while it stays at or above
// Clear, so that other inputs (weather, neighbours, the hour) can veto a
// forecast the series alone would make. Gates are fitted offline with
// FitGate on history and shipped as configuration; a Gate is immutable.
type Gate struct {
	// Bias and Weights act on the raw features: p = σ(Bias + Σ wᵢxᵢ).
	Bias    float64   `json:"bias"`
	Weights []float64 `json:"weights"`
	// Fill replaces a missing (NaN) feature, e.g. a context stream that
	// has not reported yet: the training mean, so it tips nothing.
	Fill []float64 `json:"fill"`
	// Raise is the probability at which a warning is raised, Clear the
	// one below which it is withdrawn (Clear ≤ Raise: hysteresis).
	Raise float64 `json:"raise"`
	Clear float64 `json:"clear"`
	// Trees are added to the logistic score: p = σ(Bias + Σ wᵢxᵢ +
	// Σ trees(x)), each tree reading the features with Fill in place of
	// NaN.
	Trees []Tree `json:"trees,omitempty"`
}

// Validate reports a malformed gate as an EINVALID *model.Error.
func (g *Gate) Validate(features int) error {
	switch {
	case len(g.Weights) != features:
		return model.Errorf(model.EINVALID, "forecast gate: %d weights for %d features", len(g.Weights), features)
	case len(g.Fill) != features:
		return model.Errorf(model.EINVALID, "forecast gate: %d fill values for %d features", len(g.Fill), features)
	case !(g.Raise > 0 && g.Raise < 1):
		return model.Errorf(model.EINVALID, "forecast gate: raise = %g is outside (0, 1)", g.Raise)
	case !(g.Clear > 0 && g.Clear <= g.Raise):
		return model.Errorf(model.EINVALID, "forecast gate: clear = %g is outside (0, raise = %g]", g.Clear, g.Raise)
	}
	for i, w := range append([]float64{g.Bias}, append(g.Weights, g.Fill...)...) {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return model.Errorf(model.EINVALID, "forecast gate: coefficient %d is not finite", i)
		}
	}
	for i := range g.Trees {
		if err := g.Trees[i].validate(features); err != nil {
			return model.Errorf(model.EINVALID, "forecast gate: tree %d: %s", i, err)
		}
	}
	return nil
}

// Probability is the gate's probability for the features x (len(x) must
// be len(Weights)); NaN features take their Fill value.
func (g *Gate) Probability(x []float64) float64 {
	s := g.Bias
	for i, w := range g.Weights {
		v := x[i]
		if math.IsNaN(v) {
			v = g.Fill[i]
		}
		s += w * v
	}
	for i := range g.Trees {
		s += g.Trees[i].score(x, g.Fill)
	}
	return sigmoid(s)
}

func sigmoid(s float64) float64 { return 1 / (1 + math.Exp(-s)) }

// FitGate fits a Gate's Bias, Weights and Fill to rows X (NaN = missing)
// and outcomes y (0 or 1) by L2-penalised logistic regression (Newton's
// method on standardised features, l2 the penalty per standardised
// weight). Raise and Clear are left to the caller.
func FitGate(X [][]float64, y []float64, l2 float64) (*Gate, error) {
	if len(X) == 0 || len(X) != len(y) {
		return nil, model.Errorf(model.EINVALID, "forecast gate: %d rows and %d outcomes; need equal and non-zero", len(X), len(y))
	}
	p := len(X[0])
	mean, scale := standardise(X, p)
	w := make([]float64, p+1) // w[0] is the bias on the standardised scale
	z := make([]float64, p+1)
	for range 12 {
		grad := make([]float64, p+1)
		hess := make([][]float64, p+1)
		for a := range hess {
			hess[a] = make([]float64, p+1)
		}
		for r, x := range X {
			if len(x) != p {
				return nil, model.Errorf(model.EINVALID, "forecast gate: row %d has %d features, row 0 has %d", r, len(x), p)
			}
			z[0] = 1
			s := w[0]
			for j, v := range x {
				z[j+1] = 0
				if !math.IsNaN(v) {
					z[j+1] = (v - mean[j]) / scale[j]
				}
				s += w[j+1] * z[j+1]
			}
			pr := 1 / (1 + math.Exp(-s))
			for a := range z {
				grad[a] += (y[r] - pr) * z[a]
				for b := 0; b <= a; b++ {
					hess[a][b] += pr * (1 - pr) * z[a] * z[b]
				}
			}
		}
		for a := range hess {
			for b := range a {
				hess[b][a] = hess[a][b]
			}
			if a > 0 {
				hess[a][a] += l2
				grad[a] -= l2 * w[a]
			}
		}
		step, ok := solve(hess, grad)
		if !ok {
			return nil, model.Errorf(model.EINVALID, "forecast gate: features are collinear or constant; drop one")
		}
		for a := range w {
			w[a] += step[a]
		}
	}
	g := &Gate{Bias: w[0], Weights: make([]float64, p), Fill: mean}
	for j := range p {
		g.Weights[j] = w[j+1] / scale[j]
		g.Bias -= g.Weights[j] * mean[j]
	}
	return g, nil
}

// standardise returns each column's mean and standard deviation over its
// non-missing values (deviation 1 for a constant column).
func standardise(X [][]float64, p int) (mean, scale []float64) {
	mean, scale = make([]float64, p), make([]float64, p)
	for j := range p {
		var n, s, s2 float64
		for _, x := range X {
			if j < len(x) && !math.IsNaN(x[j]) {
				n, s, s2 = n+1, s+x[j], s2+x[j]*x[j]
			}
		}
		if n > 0 {
			mean[j] = s / n
			scale[j] = math.Sqrt(max(s2/n-mean[j]*mean[j], 0))
		}
		if scale[j] < 1e-12 {
			scale[j] = 1
		}
	}
	return mean, scale
}

// solve solves A x = b by Gaussian elimination with partial pivoting; ok
// is false when A is singular.
func solve(A [][]float64, b []float64) (x []float64, ok bool) {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64{}, A[i]...), b[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return nil, false
		}
		m[c], m[p] = m[p], m[c]
		for r := range n {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x = make([]float64, n)
	for i := range x {
		x[i] = m[i][n] / m[i][i]
	}
	return x, true
}
