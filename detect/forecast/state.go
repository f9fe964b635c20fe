package forecast

import (
	"math"
	"time"
)

// Forecaster is the online state of one series. It is 80 bytes plus
// 4 bytes per seasonal bin when Config.Gamma > 0 (96 more for the default
// 24 bins). It is not safe for concurrent use.
type Forecaster struct {
	m        *Model
	last     int64     // Unix ms of the last accepted reading
	level    float64   // deseasonalised level, model space
	trend    float64   // per Step, model space
	variance float64   // running mean squared one-step error per Step
	lastY    float64   // last accepted reading, model space
	n        int64     // readings accepted
	season   []float32 // additive time-of-day profile, nil when off
}

// Observe feeds one reading at event time t (Unix ms). Readings must come
// in time order: one at or before the last accepted time is dropped, as
// are NaN and infinite values. After a silence longer than Config.MaxGap
// the level restarts at v with no trend; the error variance and the daily
// profile are kept, since they describe the stream rather than the moment.
func (f *Forecaster) Observe(t int64, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	y := f.m.toModel(v)
	switch {
	case f.n == 0 || t-f.last > f.m.maxGapMs:
		f.restart(t, y)
		return
	case t <= f.last:
		return
	}
	f.update(t, y)
}

// restart sets the level to y with no trend.
func (f *Forecaster) restart(t int64, y float64) {
	f.level = y - f.seasonAt(t)
	f.trend = 0
	f.last, f.lastY = t, y
	f.n++
}

// update is one step of damped Holt in error-correction form, with the
// smoothing weights scaled to the elapsed time in Steps.
func (f *Forecaster) update(t int64, y float64) {
	cfg := &f.m.cfg
	dt := float64(t-f.last) / f.m.stepMs
	s := f.seasonAt(t)
	err := y - (f.level + f.trend*f.m.dampedSum(dt) + s)
	// The error of a forecast dt Steps ahead grows with dt; per Step is
	// what the interval formula needs. Sub-Step spacings count as one.
	perStep := err * err / max(dt, 1)
	if f.n == 1 {
		f.variance = perStep
	} else {
		f.variance += cfg.ErrorWeight * (perStep - f.variance)
	}
	a := 1 - math.Pow(1-cfg.Alpha, max(dt, 1e-9))
	f.level += f.trend*f.m.dampedSum(dt) + a*err
	f.trend = f.trend*math.Pow(cfg.Phi, dt) + cfg.Beta*a*err/max(dt, 1)
	if f.season != nil {
		f.season[f.bin(t)] += float32(cfg.Gamma * (1 - a) * err)
	}
	f.last, f.lastY = t, y
	f.n++
}

func (f *Forecaster) bin(t int64) int {
	return int((t % day.Milliseconds()) / f.m.binMs % int64(len(f.season)))
}

func (f *Forecaster) seasonAt(t int64) float64 {
	if f.season == nil {
		return 0
	}
	return float64(f.season[f.bin(t)])
}

// Last returns the time and value of the last accepted reading; ok is
// false before the first.
func (f *Forecaster) Last() (t int64, v float64, ok bool) {
	return f.last, f.m.fromModel(f.lastY), f.n > 0
}

// Ready reports whether the stream has seen Config.MinObs readings, so
// that Crossing and Path answer.
func (f *Forecaster) Ready() bool { return f.n >= int64(f.m.cfg.MinObs) }

// Warning is a forecast crossing.
type Warning struct {
	// ETA is the time from the last reading to the projected crossing;
	// 0 when the last reading is already beyond the threshold.
	ETA time.Duration
	// At is the projected crossing time, Unix ms.
	At int64
	// Value is the projected Config.Quantile value at At, in the
	// series' unit (the last reading when ETA is 0).
	Value float64
	// Probability is the model's probability that the series is beyond
	// the threshold at the end of the Step in which it crosses.
	Probability float64
	// Within is the warning's stated horizon: it claims a crossing
	// within this long of the reading it was made at, and is judged
	// (and expires) by that claim. Crossing sets it to its horizon.
	Within time.Duration
}

// Crossing reports whether the Config.Quantile path (its upper quantile
// when above, its lower quantile otherwise) crosses threshold within
// horizon of the last reading, and when. It looks ahead in whole Steps
// and interpolates within the crossing Step. It answers false until the
// stream is Ready. It does not allocate.
func (f *Forecaster) Crossing(threshold float64, above bool, horizon time.Duration) (Warning, bool) {
	if !f.Ready() {
		return Warning{}, false
	}
	thr := f.m.toModel(threshold)
	if beyond(f.lastY, thr, above) {
		return Warning{At: f.last, Value: f.m.fromModel(f.lastY), Probability: 1, Within: horizon}, true
	}
	z := f.m.z
	if !above {
		z = -z
	}
	prev := f.lastY
	var found Warning
	crossed := false
	f.walk(horizon, func(k int, mean, sd float64) bool {
		q := mean + z*sd
		if !beyond(q, thr, above) {
			prev = q
			return true
		}
		frac := (thr - prev) / (q - prev)
		eta := time.Duration((float64(k-1) + frac) * float64(f.m.cfg.Step))
		found = Warning{ETA: eta, At: f.last + eta.Milliseconds(), Value: threshold, Probability: probBeyond(mean, sd, thr, above), Within: horizon}
		crossed = true
		return false
	})
	return found, crossed
}

func beyond(y, thr float64, above bool) bool {
	if above {
		return y >= thr
	}
	return y <= thr
}

// probBeyond is P(Y ≥ thr) (or ≤) for Y normal with the given moments.
func probBeyond(mean, sd, thr float64, above bool) float64 {
	if sd == 0 {
		if beyond(mean, thr, above) {
			return 1
		}
		return 0
	}
	d := (mean - thr) / sd
	if !above {
		d = -d
	}
	return 0.5 * math.Erfc(-d/math.Sqrt2)
}

// walk calls visit with the mean and standard deviation (model space) of
// the forecast k = 1, 2, … Steps after the last reading, for every k
// within horizon, until visit returns false. The variance follows
// ETS(A,Ad,N): σ²(1 + Σ_{j<k} (α(1 + β(φ + … + φ^j)))²).
func (f *Forecaster) walk(horizon time.Duration, visit func(k int, mean, sd float64) bool) {
	cfg := &f.m.cfg
	steps := int(horizon / cfg.Step)
	var damped, phiK, spread float64 = 0, 1, 1
	for k := 1; k <= steps; k++ {
		phiK *= cfg.Phi
		c := cfg.Alpha * (1 + cfg.Beta*damped) // coefficient of the error k-1 steps back
		if k > 1 {
			spread += c * c
		}
		damped += phiK
		at := f.last + int64(k)*int64(f.m.stepMs)
		mean := f.level + f.trend*damped + f.seasonAt(at)
		if !visit(k, mean, math.Sqrt(f.variance*spread)) {
			return
		}
	}
}

// Point is one Step of a projected path, in the series' unit.
type Point struct {
	At        int64   // Unix ms
	Mean      float64 // the median path (the mean in model space)
	Low, High float64 // the Config.Quantile band: quantiles 1-q and q
}

// Path appends to dst the projected path for every Step within horizon
// of the last reading and returns it; nothing before the stream is Ready.
func (f *Forecaster) Path(horizon time.Duration, dst []Point) []Point {
	if !f.Ready() {
		return dst
	}
	z := math.Abs(f.m.z)
	f.walk(horizon, func(k int, mean, sd float64) bool {
		dst = append(dst, Point{
			At:   f.last + int64(k)*int64(f.m.stepMs),
			Mean: f.m.fromModel(mean), Low: f.m.fromModel(mean - z*sd), High: f.m.fromModel(mean + z*sd),
		})
		return true
	})
	return dst
}

// Outlook is the largest standardised margin (mean − threshold)/sd of the
// projected path within horizon (negated for a downward crossing), and
// the Step at which it occurs: the model's own evidence for a crossing,
// as a feature for a Gate. It answers false until the stream is Ready or
// when the path has no spread yet. It does not allocate.
func (f *Forecaster) Outlook(threshold float64, above bool, horizon time.Duration) (margin float64, at int64, ok bool) {
	if !f.Ready() {
		return 0, 0, false
	}
	thr := f.m.toModel(threshold)
	margin = math.Inf(-1)
	f.walk(horizon, func(k int, mean, sd float64) bool {
		if sd <= 0 {
			return true
		}
		d := (mean - thr) / sd
		if !above {
			d = -d
		}
		if d > margin {
			margin, at, ok = d, f.last+int64(k)*int64(f.m.stepMs), true
		}
		return true
	})
	return margin, at, ok
}
