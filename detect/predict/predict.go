// Package predict is the forecast early-warning detector (预测预警): for
// every datastream of a watched property it keeps a forecaster (package
// forecast) and warns before a threshold is crossed, with the expected
// time of crossing ("gauge X expected to reach its warning level in ~40
// min"); the warning is withdrawn when the forecast no longer crosses.
//
// A target may name context properties (dew point, wind speed, …): the
// latest readings of those properties from streams in the same unit, the
// hour of day and the mean of all streams of the watched property (the
// region) then feed a forecast.Gate, a model fitted offline, which
// decides whether the forecast is worth a warning. See FeatureNames for
// the feature vector. Every warning states the window it claims ("within
// 24 h"): the shortest of the target's windows whose gate backs a
// crossing; it is judged by that window and kept no longer.
//
// ObserveBatch runs on the ingest path, so it only updates small
// per-stream state and queues findings; Drain hands them to the alert
// lifecycle.
package predict

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/forecast"
	"cityvitals/model"
)

// Rule is the name findings of this detector carry.
const Rule = "forecast"

// Target is one watched crossing of a property.
type Target struct {
	Property  string
	Threshold float64
	Above     bool          // warn of crossing upwards
	Horizon   time.Duration // how far ahead to warn
	Level     int8          // alert level of the warning (1 blue … 4 red)
	// Step is the forecaster's time step for this property, about the
	// usual reporting interval (0: the model configuration's). All
	// targets of a property share one forecaster per stream and the first
	// target's step.
	Step   time.Duration
	NameZH string // what the threshold means, e.g. 警戒水位
	NameEN string
	// Context lists properties whose streams in the same unit describe
	// the conditions of the watched stream (dew point, wind speed); their
	// latest readings become Gate features. Only read when Gate is set.
	Context []string
	// Gate, when set, decides the warning from Features (its weights
	// must match their number); nil warns whenever the forecast's
	// quantile path crosses.
	Gate *forecast.Gate
	// Windows are shorter windows than Horizon a gated warning may
	// state, shortest first, each with the gate that judges a crossing
	// within it: a warning states the shortest window whose gate backs
	// a crossing (Gate and Horizon being the longest), so that an
	// imminent build-up is announced as one and a slow one still gets a
	// warning, with a longer claim.
	Windows []Window
	// UTCOffset is the local time of the watched streams, for the
	// hour-of-day features (Beijing and Shanghai: +8h).
	UTCOffset time.Duration
	// RaiseAfter and ClearAfter are the warner's hysteresis and Hold
	// keeps a warning up for its stated window (see
	// forecast.WarnerConfig; 0: its defaults).
	RaiseAfter, ClearAfter int
	Hold                   bool
}

// Stream is what the detector needs to know of a datastream.
type Stream struct {
	ID       int64
	Property string
	Unit     string
}

// lagReadings is how many readings back the "change" features look.
const lagReadings = 3

// recent is the last lagReadings+1 readings of a stream, newest at
// head: enough for a level and its change over lagReadings readings.
type recent struct {
	at   int64
	vals [lagReadings + 1]float64
	head uint8
	n    uint8
}

// push records v at t; readings at or before the last are dropped.
func (r *recent) push(t int64, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) || (r.n > 0 && t <= r.at) {
		return false
	}
	r.head = (r.head + 1) % uint8(len(r.vals))
	r.vals[r.head] = v
	r.at = t
	r.n = min(r.n+1, uint8(len(r.vals)))
	return true
}

// back is the reading k readings before the newest (NaN if unknown).
func (r *recent) back(k int) float64 {
	if r == nil || int(r.n) <= k {
		return math.NaN()
	}
	return r.vals[(int(r.head)+len(r.vals)-k)%len(r.vals)]
}

// change is the newest reading minus the one lagReadings before.
func (r *recent) change() float64 { return r.back(0) - r.back(lagReadings) }

// region keeps the mean log level and change of every stream of a
// watched property, updated by each stream's difference from its last
// contribution so an update costs O(1).
type region struct {
	level, change   float64
	nLevel, nChange int
}

type watched struct {
	stream  Stream
	fc      *forecast.Forecaster
	warners []*forecast.Warner
	targets []Target
	logs    recent    // log1p of the readings
	ctx     []*recent // per context property of the gated target, resolved lazily
	feats   []float64 // scratch for Features
	// contribution of this stream to its region
	inLevel, inChange bool
	level, change     float64
}

// Detector is safe for concurrent use.
type Detector struct {
	models  map[string]*forecast.Model // by property
	targets map[string][]Target        // by property
	context map[string]bool            // properties some target takes as context
	names   func(unit string) (zh, en string)

	mu       sync.Mutex
	streams  map[int64]*watched
	contexts map[int64]*contextStream
	byUnit   map[unitProperty]*recent // latest context readings
	regions  map[string]*region       // by watched property
	pending  []alert.Finding
	sink     func(FeatureRow)
}

type unitProperty struct{ unit, property string }

type contextStream struct {
	key unitProperty
}

// New validates the targets and the model configuration.
func New(cfg forecast.Config, targets []Target, names func(unit string) (zh, en string)) (*Detector, error) {
	d := &Detector{models: map[string]*forecast.Model{}, targets: map[string][]Target{}, context: map[string]bool{}, names: names,
		streams: map[int64]*watched{}, contexts: map[int64]*contextStream{}, byUnit: map[unitProperty]*recent{}, regions: map[string]*region{}}
	for i, t := range targets {
		if err := validateTarget(t); err != nil {
			return nil, fmt.Errorf("forecast targets[%d]: %w", i, err)
		}
		d.targets[t.Property] = append(d.targets[t.Property], t)
		for _, c := range t.Context {
			d.context[c] = true
		}
		if _, ok := d.models[t.Property]; ok {
			continue
		}
		mc := cfg
		if t.Step > 0 {
			mc.Step = t.Step
		}
		m, err := forecast.NewModel(mc)
		if err != nil {
			return nil, fmt.Errorf("forecast targets[%d]: %w", i, err)
		}
		d.models[t.Property] = m
		d.regions[t.Property] = &region{}
	}
	for p, ts := range d.targets {
		if gated := slices.IndexFunc(ts, func(t Target) bool { return t.Gate != nil }); gated >= 0 && len(ts) > 1 {
			return nil, model.Errorf(model.EINVALID, "forecast targets: %q has a gated target and %d others; a gated property takes one target", p, len(ts)-1)
		}
	}
	return d, nil
}

func validateTarget(t Target) error {
	if t.Level < 1 || t.Level > 4 || t.Horizon <= 0 || t.Property == "" || math.IsNaN(t.Threshold) {
		return model.Errorf(model.EINVALID, "property, a horizon > 0 and a level 1–4 are required")
	}
	if err := (forecast.WarnerConfig{Horizon: t.Horizon, RaiseAfter: t.RaiseAfter, ClearAfter: t.ClearAfter}).Validate(); err != nil {
		return err
	}
	for _, c := range t.Context {
		if c == "" || c == t.Property {
			return model.Errorf(model.EINVALID, "context property %q must be named and differ from the watched %q", c, t.Property)
		}
	}
	if t.Gate != nil {
		if err := t.Gate.Validate(len(FeatureNames(t.Context))); err != nil {
			return err
		}
	}
	return validateWindows(t)
}

// validateWindows checks that a target's windows are gated, ascending
// and shorter than its horizon.
func validateWindows(t Target) error {
	if len(t.Windows) > 0 && t.Gate == nil {
		return model.Errorf(model.EINVALID, "windows need the target's gate for the horizon %s", t.Horizon)
	}
	prev := time.Duration(0)
	for i, w := range t.Windows {
		if w.Within <= prev || w.Within >= t.Horizon || w.Gate == nil {
			return model.Errorf(model.EINVALID, "window %d (%s): windows must be gated, ascending and shorter than the horizon %s", i, w.Within, t.Horizon)
		}
		if err := w.Gate.Validate(len(FeatureNames(t.Context))); err != nil {
			return fmt.Errorf("window %d (%s): %w", i, w.Within, err)
		}
		prev = w.Within
	}
	return nil
}

// Register starts watching streams of watched properties and following
// streams of context properties; others are ignored. Registering a
// stream again moves it to its new unit.
func (d *Detector) Register(streams ...Stream) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range streams {
		if d.context[s.Property] {
			d.contexts[s.ID] = &contextStream{key: unitProperty{s.Unit, s.Property}}
		}
		ts := d.targets[s.Property]
		if len(ts) == 0 {
			continue
		}
		if w, ok := d.streams[s.ID]; ok {
			w.stream, w.ctx = s, nil
			continue
		}
		w := &watched{stream: s, fc: d.models[s.Property].New(), targets: ts}
		for _, t := range ts {
			wr, err := forecast.NewWarner(forecast.WarnerConfig{Threshold: t.Threshold, Above: t.Above, Horizon: t.Horizon, RaiseAfter: t.RaiseAfter, ClearAfter: t.ClearAfter, Hold: t.Hold})
			if err != nil {
				return err
			}
			w.warners = append(w.warners, wr)
		}
		d.streams[s.ID] = w
	}
	return nil
}

// ObserveBatch feeds committed readings (one lock for the batch: it runs
// on the ingest path). Readings must come in time order per stream; older
// ones are ignored. Context readings and every stream's regional
// contribution are taken first, so a batch's order does not matter and
// a station's weather of the same batch informs its forecast; context
// that arrives in a later batch informs the next reading.
func (d *Detector) ObserveBatch(batch []model.Observation) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range batch {
		if c, ok := d.contexts[o.Stream]; ok {
			d.observeContext(c, o)
		}
		if w, ok := d.streams[o.Stream]; ok {
			d.observeLevel(w, o)
		}
	}
	for _, o := range batch {
		if w, ok := d.streams[o.Stream]; ok {
			d.observe(w, o)
		}
	}
}

func (d *Detector) observeContext(c *contextStream, o model.Observation) {
	r := d.byUnit[c.key]
	if r == nil {
		r = &recent{}
		d.byUnit[c.key] = r
	}
	r.push(o.Time, o.Value)
}

// observeLevel records a watched reading's log level and moves the
// stream's contribution to its region.
func (d *Detector) observeLevel(w *watched, o model.Observation) {
	if !w.logs.push(o.Time, math.Log1p(max(o.Value, 0))) {
		return
	}
	rg := d.regions[w.stream.Property]
	if lv := w.logs.back(0); w.inLevel {
		rg.level += lv - w.level
		w.level = lv
	} else {
		rg.level, rg.nLevel, w.level, w.inLevel = rg.level+lv, rg.nLevel+1, lv, true
	}
	if ch := w.logs.change(); math.IsNaN(ch) {
		return
	} else if w.inChange {
		rg.change += ch - w.change
		w.change = ch
	} else {
		rg.change, rg.nChange, w.change, w.inChange = rg.change+ch, rg.nChange+1, ch, true
	}
}

func (d *Detector) observe(w *watched, o model.Observation) {
	w.fc.Observe(o.Time, o.Value)
	for i, wr := range w.warners {
		t := w.targets[i]
		var ev forecast.Event
		if t.Gate == nil {
			ev = wr.Check(w.fc)
		} else {
			at, _, _ := w.fc.Last()
			fc, ok := d.gated(w, t, wr)
			ev = wr.Update(at, fc, ok)
		}
		switch ev.Kind {
		case forecast.Raise:
			d.pending = append(d.pending, d.finding(w, t, ev))
		case forecast.Withdraw:
			f := d.finding(w, t, ev)
			f.Level = 0
			d.pending = append(d.pending, f)
		}
	}
}

// gated is the Crossing answer of a gated target: the shortest of its
// windows whose gate's probability reaches Raise (Clear while a warning
// is up), with the forecast's crossing time within that window, or the
// time the path comes closest to the threshold when the median path
// does not cross.
func (d *Detector) gated(w *watched, t Target, wr *forecast.Warner) (forecast.Warning, bool) {
	// A zero horizon only asks whether the last reading is beyond.
	if now, beyond := w.fc.Crossing(t.Threshold, t.Above, 0); !w.fc.Ready() || beyond {
		return now, beyond // not ready, or already beyond: as without a gate
	}
	last, _, _ := w.fc.Last()
	open := wr.Open(last)
	for i := range len(t.Windows) + 1 {
		if fc, ok := d.gatedWithin(w, t, t.window(i), open); ok {
			return fc, true
		}
	}
	return forecast.Warning{}, false
}

// window is the i-th window a gated target can state, shortest first;
// the last is its horizon with its gate.
func (t *Target) window(i int) Window {
	if i < len(t.Windows) {
		return t.Windows[i]
	}
	return Window{Within: t.Horizon, Gate: t.Gate}
}

// gatedWithin is win's answer: whether its gate backs a crossing within
// win.Within, at the raise probability or, for an open warning, the
// clear one.
func (d *Detector) gatedWithin(w *watched, t Target, win Window, open bool) (forecast.Warning, bool) {
	last, _, _ := w.fc.Last()
	fc, crosses := w.fc.Crossing(t.Threshold, t.Above, win.Within)
	w.feats = d.features(w, t, win.Within, crosses, w.feats[:0])
	p := win.Gate.Probability(w.feats)
	if d.sink != nil {
		d.sink(FeatureRow{Stream: w.stream.ID, Time: last, Within: win.Within, Features: w.feats, Probability: p})
	}
	cut := win.Gate.Raise
	if open {
		cut = win.Gate.Clear
	}
	if p < cut {
		return forecast.Warning{}, false
	}
	if !crosses {
		_, at, ok := w.fc.Outlook(t.Threshold, t.Above, win.Within)
		if !ok {
			at = last + win.Within.Milliseconds()
		}
		fc = forecast.Warning{ETA: time.Duration(at-last) * time.Millisecond, At: at, Value: t.Threshold, Within: win.Within}
	}
	fc.Probability = p
	return fc, true
}

// Drain returns the findings queued since the last call.
func (d *Detector) Drain() []alert.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.pending
	d.pending = nil
	return out
}

func (d *Detector) finding(w *watched, t Target, ev forecast.Event) alert.Finding {
	f := alert.Finding{
		Rule:  Rule,
		Level: t.Level,
		At:    ev.Time,
		Labels: map[string]string{
			"unit": w.stream.Unit, "stream": fmt.Sprint(w.stream.ID), "property": w.stream.Property,
			"threshold": fmt.Sprint(t.Threshold),
		},
		Evidence: map[string]any{
			"threshold": t.Threshold, "horizon": t.Horizon.String(), "within": ev.Warning.Within.String(),
			"eta": ev.Warning.ETA.String(), "expected_at": ev.Warning.At,
			"forecast_value": ev.Warning.Value, "probability": ev.Warning.Probability,
		},
	}
	unitZH, unitEN := d.names(w.stream.Unit)
	if ev.Kind == forecast.Withdraw {
		f.SummaryZH = fmt.Sprintf("%s 监测点 %d 预警解除：不再预计达到%s", unitZH, w.stream.ID, t.NameZH)
		f.SummaryEN = fmt.Sprintf("%s: stream %d no longer expected to reach %s", unitEN, w.stream.ID, t.NameEN)
		return f
	}
	minutes := int(math.Round(ev.Warning.ETA.Minutes()))
	within := ev.Warning.Within.Hours()
	f.SummaryZH = fmt.Sprintf("%s 监测点 %d 预计约 %d 分钟后达到%s（%g 小时内）", unitZH, w.stream.ID, minutes, t.NameZH, within)
	f.SummaryEN = fmt.Sprintf("%s: stream %d expected to reach %s in ~%d min (within %g h)", unitEN, w.stream.ID, t.NameEN, minutes, within)
	return f
}
