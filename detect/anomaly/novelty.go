package anomaly

import "math"

// Surprise history bins: four per octave of 1+z, so bin 28 holds z near
// 128, the largest surprise told apart (maxSurprise).
const (
	surpriseBins          = 32
	surpriseBinsPerOctave = 4
	maxSurprise           = 128
)

// surpriseHistory counts, with exponential forgetting, how often each
// size of surprise has been seen after warm-up. It answers "how often was
// a surprise at least this big seen before?", an empirical tail that
// stays honest where the Gaussian tail is not: a stream with a spike of
// the same size every two days is not surprised by the third one, however
// many spreads it is from the baseline.
type surpriseHistory [surpriseBins]float32

// bin is the histogram bin of surprise z (z ≥ 0).
func surpriseBin(z float64) int {
	return min(surpriseBins-1, int(surpriseBinsPerOctave*math.Log2(1+z)))
}

// tail is the share of remembered surprises at least as big as z (the
// same bin or above); 0 when nothing is remembered.
func (h *surpriseHistory) tail(z float64) float64 {
	b := surpriseBin(z)
	var above, total float64
	for i, c := range h {
		total += float64(c)
		if i >= b {
			above += float64(c)
		}
	}
	if total == 0 {
		return 0
	}
	return above / total
}

// forget weighs every remembered surprise down by keep, so that what was
// seen long ago stops excusing what is seen now.
func (h *surpriseHistory) forget(keep float32) {
	for i := range h {
		h[i] *= keep
	}
}

// add remembers surprise z.
func (h *surpriseHistory) add(z float64) {
	h[surpriseBin(z)]++
}
