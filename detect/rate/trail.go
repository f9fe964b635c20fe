package rate

import "math"

// bin averages the readings of one stretch of a stream's window. Times
// inside a bin are kept as offsets from its first reading so that sums of
// milliseconds stay exact in a float64.
type bin struct {
	first int64   // time of the first reading, Unix ms
	span  int32   // last reading's time less first, ms (< bin width ≤ a day)
	n     uint32  // readings; times strictly increase, so ≤ bin width in ms
	sumV  float64 // Σ value
	sumDt float64 // Σ (time − first), ms
}

// last is the time of the bin's newest reading.
func (b *bin) last() int64 { return b.first + int64(b.span) }

// trail is the trailing window of one stream: a ring of bins, oldest at
// head. Its capacity is fixed at registration.
type trail struct {
	bins  []bin
	head  uint8
	count uint8
}

// newTrail holds a window cut into bins bins. Bins start at least one
// width (window/bins, rounded up) apart, so at most bins of them start
// inside the window; one more slot keeps the bin straddling its start.
func newTrail(bins int) trail { return trail{bins: make([]bin, bins+1)} }

// at returns the i-th bin from the oldest.
func (w *trail) at(i int) *bin { return &w.bins[(int(w.head)+i)%len(w.bins)] }

// add records a reading at t, newer than every reading so far, after
// dropping the bins wholly older than t − window. width is the bin width.
func (w *trail) add(t int64, v float64, window, width int64) {
	for w.count > 0 && w.at(0).last() < t-window {
		w.dropOldest()
	}
	if w.count > 0 {
		if b := w.at(int(w.count) - 1); t-b.first < width {
			b.span = int32(t - b.first)
			b.n++
			b.sumV += v
			b.sumDt += float64(t - b.first)
			return
		}
	}
	if int(w.count) == len(w.bins) {
		w.dropOldest() // unreachable while bins start a width apart; kept as a guard
	}
	*w.at(int(w.count)) = bin{first: t, n: 1, sumV: v}
	w.count++
}

func (w *trail) dropOldest() {
	w.head = uint8((int(w.head) + 1) % len(w.bins))
	w.count--
}

// estimate is the slope of a window as of its newest reading.
type estimate struct {
	rate     float64 // value units per per-unit of time; NaN when unknown
	readings int     // readings in the window
	span     int64   // newest reading's time less the oldest bin's first, ms
}

// slope returns the count-weighted least-squares slope of the bin means,
// in value units per perMs milliseconds, as of now (the newest reading's
// time). Two passes over the bins (means first, then centred sums) keep
// the arithmetic well conditioned.
func (w *trail) slope(now int64, perMs float64) estimate {
	if w.count == 0 {
		return estimate{rate: math.NaN()}
	}
	var n, sx, sv float64
	for i := range int(w.count) {
		b := w.at(i)
		n += float64(b.n)
		sx += float64(b.n) * b.meanX(now, perMs)
		sv += b.sumV
	}
	mx, mv := sx/n, sv/n
	var sxx, sxv float64
	for i := range int(w.count) {
		b := w.at(i)
		dx := b.meanX(now, perMs) - mx
		sxx += float64(b.n) * dx * dx
		sxv += dx * (b.sumV - float64(b.n)*mv)
	}
	e := estimate{rate: math.NaN(), readings: int(n), span: now - w.at(0).first}
	if sxx > 0 {
		e.rate = sxv / sxx
	}
	return e
}

// meanX is the bin's mean reading time relative to now, in per-units.
func (b *bin) meanX(now int64, perMs float64) float64 {
	return (float64(b.first-now) + b.sumDt/float64(b.n)) / perMs
}
