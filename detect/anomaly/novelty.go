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
// a surprise at least this big seen lately?", which the Gaussian tail
// cannot: a stream with a spike of the same size every two days is not
// surprised by the third one, however many spreads it is from the
// baseline.
type surpriseHistory [surpriseBins]float32

// surpriseBin is the histogram bin of surprise z (z ≥ 0).
func surpriseBin(z float64) int {
	if !(z > 0) { // and NaN, which must never index the histogram
		return 0
	}
	return min(surpriseBins-1, int(surpriseBinsPerOctave*math.Log2(1+z)))
}

// atLeast is the remembered weight of surprises at least as big as z (the
// same bin or above).
func (h *surpriseHistory) atLeast(z float64) float64 {
	var above float64
	for _, c := range h[surpriseBin(z):] {
		above += float64(c)
	}
	return above
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
