// Package predict is the forecast early-warning detector (预测预警): for
// every datastream of a watched property it keeps a forecaster (package
// forecast) and warns before a threshold is crossed, with the expected
// time of crossing ("gauge X expected to reach its warning level in ~40
// min"); the warning is withdrawn when the forecast no longer crosses.
//
// Observe runs on the ingest path, so it only updates small per-stream
// state and queues findings; Drain hands them to the alert lifecycle.
package predict

import (
	"fmt"
	"math"
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
}

// DefaultTargets are the crossings watched out of the box: slow build-ups
// where a forecast buys time. Gas detectors are left to the threshold
// detector: they are the most numerous sensors of a city and a leak
// outruns an hourly trend.
func DefaultTargets() []Target {
	return []Target{
		{Property: "flood_stage_index", Threshold: 0, Above: true, Horizon: 2 * time.Hour, Level: 2, Step: 5 * time.Minute, NameZH: "警戒水位", NameEN: "the warning stage"},
		{Property: "flood_stage_index", Threshold: 1, Above: true, Horizon: 2 * time.Hour, Level: 3, Step: 5 * time.Minute, NameZH: "保证水位", NameEN: "the guaranteed stage"},
		{Property: "pm25", Threshold: 150, Above: true, Horizon: 6 * time.Hour, Level: 2, Step: time.Hour, NameZH: "重污染 150 µg/m³", NameEN: "heavy pollution at 150 µg/m³"},
	}
}

// Stream is what the detector needs to know of a datastream.
type Stream struct {
	ID       int64
	Property string
	Unit     string
}

type watched struct {
	stream  Stream
	fc      *forecast.Forecaster
	warners []*forecast.Warner
	targets []Target
}

// Detector is safe for concurrent use.
type Detector struct {
	models  map[string]*forecast.Model // by property
	targets map[string][]Target        // by property
	names   func(unit string) (zh, en string)

	mu      sync.Mutex
	streams map[int64]*watched
	pending []alert.Finding
}

// New validates the targets and the model configuration.
func New(cfg forecast.Config, targets []Target, names func(unit string) (zh, en string)) (*Detector, error) {
	d := &Detector{models: map[string]*forecast.Model{}, targets: map[string][]Target{}, names: names, streams: map[int64]*watched{}}
	for i, t := range targets {
		if t.Level < 1 || t.Level > 4 || t.Horizon <= 0 || t.Property == "" || math.IsNaN(t.Threshold) {
			return nil, model.Errorf(model.EINVALID, "forecast targets[%d]: property, a horizon > 0 and a level 1–4 are required", i)
		}
		d.targets[t.Property] = append(d.targets[t.Property], t)
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
	}
	return d, nil
}

// Register starts watching streams of watched properties; others are
// ignored. Registering a stream again moves it to its new unit.
func (d *Detector) Register(streams ...Stream) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range streams {
		ts := d.targets[s.Property]
		if len(ts) == 0 {
			continue
		}
		if w, ok := d.streams[s.ID]; ok {
			w.stream = s
			continue
		}
		w := &watched{stream: s, fc: d.models[s.Property].New(), targets: ts}
		for _, t := range ts {
			wr, err := forecast.NewWarner(forecast.WarnerConfig{Threshold: t.Threshold, Above: t.Above, Horizon: t.Horizon})
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
// ones are ignored by the forecaster.
func (d *Detector) ObserveBatch(batch []model.Observation) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range batch {
		if w, ok := d.streams[o.Stream]; ok {
			d.observe(w, o)
		}
	}
}

func (d *Detector) observe(w *watched, o model.Observation) {
	w.fc.Observe(o.Time, o.Value)
	for i, wr := range w.warners {
		switch ev := wr.Check(w.fc); ev.Kind {
		case forecast.Raise:
			d.pending = append(d.pending, d.finding(w, w.targets[i], ev))
		case forecast.Withdraw:
			f := d.finding(w, w.targets[i], ev)
			f.Level = 0
			d.pending = append(d.pending, f)
		}
	}
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
			"threshold": t.Threshold, "horizon": t.Horizon.String(),
			"eta": ev.Warning.ETA.String(), "expected_at": ev.Warning.At,
			"forecast_value": ev.Warning.Value, "probability": ev.Warning.Probability,
		},
	}
	unitZH, unitEN := d.names(w.stream.Unit)
	minutes := int(math.Round(ev.Warning.ETA.Minutes()))
	f.SummaryZH = fmt.Sprintf("%s 监测点 %d 预计约 %d 分钟后达到%s", unitZH, w.stream.ID, minutes, t.NameZH)
	f.SummaryEN = fmt.Sprintf("%s: stream %d expected to reach %s in ~%d min", unitEN, w.stream.ID, t.NameEN, minutes)
	return f
}
