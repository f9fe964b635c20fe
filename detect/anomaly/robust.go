package anomaly

import "math"

// madToSigma turns a mean absolute deviation into the standard deviation of
// a normal distribution with that deviation (sqrt(pi/2)).
const madToSigma = 1.2533141373155003

// robustWarm is how many samples a baseline takes before it starts to clip
// residuals: before that its spread is not yet a usable yardstick.
const robustWarm = 10

// robustStat is an exponentially weighted Huber estimate of a level and its
// mean absolute deviation. A residual beyond k deviations is clipped before
// it updates the estimate, so one outlier moves the level by at most
// alpha·k·dev, while a lasting shift still pulls the level over, and the
// deviation grows, within a few horizons.
type robustStat struct {
	Mean float64
	Dev  float64 // mean absolute deviation
	N    uint32  // samples seen, saturating
}

// update folds x in with weight alpha (or 1/n while fewer than 1/alpha
// samples have been seen, so early estimates are plain averages).
func (s *robustStat) update(x, alpha, k float64) {
	if s.N == 0 {
		s.Mean, s.Dev, s.N = x, 0, 1
		return
	}
	a := max(alpha, 1/float64(s.N+1))
	r := x - s.Mean
	if s.N >= robustWarm && s.Dev > 0 {
		r = max(-k*s.Dev, min(k*s.Dev, r))
	}
	s.Mean += a * r
	s.Dev += a * (math.Abs(r) - s.Dev)
	if s.N < math.MaxUint32 {
		s.N++
	}
}

// z is the distance of x from the level in standard deviations. The spread
// has a floor relative to the level so a flat stream does not turn a
// rounding difference into an infinite surprise.
func (s *robustStat) z(x float64) float64 {
	return math.Abs(s.signedZ(x))
}

// signedZ is z with the sign of x's side of the level.
func (s *robustStat) signedZ(x float64) float64 {
	sigma := max(s.Dev*madToSigma, 1e-3*math.Abs(s.Mean), 1e-9)
	return (x - s.Mean) / sigma
}

// upperTail is P(X > x) for a standard normal X, computed without the
// cancellation of 1-Φ(x) so that tiny tails stay distinct.
func upperTail(x float64) float64 {
	return 0.5 * math.Erfc(x/math.Sqrt2)
}
