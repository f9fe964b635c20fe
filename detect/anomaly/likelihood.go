package anomaly

import "math"

// likelihoodCap bounds the per-observation surprise the likelihood
// averages: beyond it one reading could carry the average on its own, and
// single readings are the point score's business.
const likelihoodCap = 6

// likelihoodFloor is the smallest tail probability the likelihood tells
// apart (Numenta's 1 - 0.9999999999): at or below it the score is 1.
const likelihoodFloor = 1e-10

// likelihoodWarm is how many observations the likelihood's baseline takes
// before it starts to clip: before that its spread is not a yardstick.
const likelihoodWarm = 20

// likelihood is Numenta's anomaly likelihood (Ahmad et al., 2017) over
// the seasonal surprise: a short average of recent surprises judged
// against the Gaussian of that average's own long history. A stream whose
// readings are always a little surprising raises the history with them
// and scores nothing; a run of surprises that lasts, even each of them
// modest (a level shift, a changed rhythm), moves the short average far
// into the tail of its history.
type likelihood struct {
	Short float64 // average surprise, weight 1/ShortHorizon
	Mean  float64 // long-run level of Short
	Var   float64 // long-run variance of Short
}

// update folds the surprise z of the n-th observation in and returns the
// log-scaled tail probability of the short average as it now stands.
// Deviations beyond three spreads are clipped before they move the
// history, so an episode does not teach the history to expect itself.
func (l *likelihood) update(z float64, n int64, shortAlpha, longAlpha float64) float64 {
	r := min(z, likelihoodCap)
	if n <= 1 {
		l.Short, l.Mean, l.Var = r, r, 1
	}
	l.Short += shortAlpha * (r - l.Short)
	sd := math.Sqrt(max(l.Var, 1e-6))
	zl := (l.Short - l.Mean) / sd
	a := max(longAlpha, 1/float64(n+1))
	dev := l.Short - l.Mean
	if n > likelihoodWarm {
		dev = max(-3*sd, min(3*sd, dev))
	}
	l.Mean += a * dev
	l.Var += a * (dev*dev - l.Var)
	if zl <= 0 {
		return 0
	}
	return logScore(upperTail(zl), likelihoodFloor)
}

// logScore puts a tail probability p on a log scale in [0, 1], 1 at floor
// or below, so that tiny tails keep their order.
func logScore(p, floor float64) float64 {
	return max(0, min(1, math.Log(p+floor)/math.Log(floor)))
}
