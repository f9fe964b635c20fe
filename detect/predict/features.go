package predict

import (
	"math"
	"time"
)

// baseFeatures name the features every gated target has, in order;
// FeatureNames appends two per context property.
var baseFeatures = []string{
	"log_level",       // log(1+reading)
	"margin",          // forecast.Forecaster.Outlook: best (mean − threshold)/sd within the window
	"crossing",        // 1 when the forecast's quantile path crosses within the window, else 0
	"change_1",        // log level minus the previous reading's
	"change_3",        // … minus the one three readings back
	"hour_sin",        // local hour of day on the unit circle
	"hour_cos",        //
	"region_level",    // mean log level of every stream of the property
	"region_change_3", // mean change_3 of those streams
}

// FeatureNames lists a gated target's features in the order of its
// Gate's weights: the base features, then for each context property its
// latest reading in the stream's unit and that reading's change over the
// last three.
func FeatureNames(context []string) []string {
	out := append([]string{}, baseFeatures...)
	for _, c := range context {
		out = append(out, c, c+"_change_3")
	}
	return out
}

// margins beyond this tell nothing more and are clipped, so one wild
// forecast cannot dominate the gate.
const maxMargin = 10

// features appends w's features for t to dst (NaN where unknown).
// within is the window the margin and crossing features look over.
func (d *Detector) features(w *watched, t Target, within time.Duration, crosses bool, dst []float64) []float64 {
	last, _, _ := w.fc.Last()
	margin := math.NaN()
	if m, _, ok := w.fc.Outlook(t.Threshold, t.Above, within); ok {
		margin = max(-maxMargin, min(maxMargin, m))
	}
	crossing := 0.0
	if crosses {
		crossing = 1
	}
	hour := float64((last+t.UTCOffset.Milliseconds())%day.Milliseconds()) / float64(day.Milliseconds()) * 2 * math.Pi
	rg := d.regions[t.Property]
	dst = append(dst, w.logs.back(0), margin, crossing, w.logs.back(0)-w.logs.back(1), w.logs.change(),
		math.Sin(hour), math.Cos(hour), mean(rg.level, rg.nLevel), mean(rg.change, rg.nChange))
	if len(w.ctx) != len(t.Context) {
		w.ctx = make([]*recent, len(t.Context))
	}
	for i, c := range t.Context {
		if w.ctx[i] == nil {
			w.ctx[i] = d.byUnit[unitProperty{w.stream.Unit, c}]
		}
		dst = append(dst, w.ctx[i].back(0), w.ctx[i].change())
	}
	return dst
}

const day = 24 * time.Hour

func mean(sum float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// FeatureRow is one gated decision: the features a Gate saw and its
// probability.
type FeatureRow struct {
	Stream      int64
	Time        int64         // Unix ms of the reading
	Within      time.Duration // the window the gate judged
	Features    []float64
	Probability float64
}

// SetFeatureSink has fn called with every gated decision, in
// ObserveBatch under the detector's lock; the row's Features are reused
// after fn returns. It is for fitting gates offline (the forecast
// benchmark), not for the ingest path.
func (d *Detector) SetFeatureSink(fn func(FeatureRow)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sink = fn
}
