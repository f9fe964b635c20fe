package anomaly

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"cityvitals/alert"
	"cityvitals/model"
)

// Rule is the name findings of the anomaly watch carry.
const Rule = "anomaly"

// DefaultProperties are the series with daily and weekly rhythms whose
// breaks from pattern are worth an alert; each watched stream costs
// StateSize bytes, so the watch is opt-in by property.
var DefaultProperties = []string{"gas_pressure", "gas_flow", "water_pressure", "water_flow", "power_load", "traffic_flow", "crowd_count", "hotline_calls"}

// WatchStream is what the watch needs to know of a datastream.
type WatchStream struct {
	ID       int64
	Property string
	Unit     string
}

// Watch runs one Detector per watched datastream and turns reported
// anomalies into alert findings: a finding when a reading scores at the
// report level, cleared at the stream's next ordinary reading. Safe for
// concurrent use.
type Watch struct {
	cfg        Config
	properties []string
	names      func(unit string) (zh, en string)

	mu      sync.Mutex
	streams map[int64]*watchedStream
	pending []alert.Finding
}

type watchedStream struct {
	s      WatchStream
	d      *Detector
	active bool
}

// NewWatch watches streams of the given properties.
func NewWatch(cfg Config, properties []string, names func(unit string) (zh, en string)) (*Watch, error) {
	if err := cfg.withDefaults().Validate(); err != nil {
		return nil, err
	}
	return &Watch{cfg: cfg, properties: properties, names: names, streams: map[int64]*watchedStream{}}, nil
}

// Register starts watching streams of watched properties; a stream
// registered again keeps its state and takes its new unit.
func (w *Watch) Register(streams ...WatchStream) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range streams {
		if !slices.Contains(w.properties, s.Property) {
			continue
		}
		if ws, ok := w.streams[s.ID]; ok {
			ws.s = s
			continue
		}
		w.streams[s.ID] = &watchedStream{s: s, d: New(w.cfg)}
	}
}

// ObserveBatch scores committed readings (one lock per batch: it runs on
// the ingest path). Readings must come in time order per stream.
func (w *Watch) ObserveBatch(batch []model.Observation) {
	w.observe(batch, nil)
}

// ScoreBatch is ObserveBatch that also appends every reading's score to
// scores, in batch order, and returns the extended slice: NaN for a
// reading of a stream the watch does not watch. The scores are the ones
// the watch itself acts on, so a benchmark that replays a corpus through
// ScoreBatch grades exactly what live ingestion would alert on.
func (w *Watch) ScoreBatch(batch []model.Observation, scores []float64) []float64 {
	scores = slices.Grow(scores, len(batch))
	w.observe(batch, func(s float64) { scores = append(scores, s) })
	return scores
}

// observe folds batch into the streams' detectors and queues findings;
// record, if set, receives each reading's score in batch order.
func (w *Watch) observe(batch []model.Observation, record func(score float64)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	report := w.cfg.withDefaults().ReportLevel
	for _, o := range batch {
		ws, ok := w.streams[o.Stream]
		if !ok {
			if record != nil {
				record(math.NaN())
			}
			continue
		}
		score := ws.d.Observe(o.Time, o.Value)
		if record != nil {
			record(score)
		}
		switch {
		case score >= report && !ws.active:
			ws.active = true
			w.pending = append(w.pending, w.finding(ws, o, score, 1))
		case score < report && ws.active:
			ws.active = false
			w.pending = append(w.pending, w.finding(ws, o, score, 0))
		}
	}
}

// Drain returns the findings queued since the last call.
func (w *Watch) Drain() []alert.Finding {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.pending
	w.pending = nil
	return out
}

func (w *Watch) finding(ws *watchedStream, o model.Observation, score float64, level int8) alert.Finding {
	zh, en := w.names(ws.s.Unit)
	return alert.Finding{
		Rule: Rule, Level: level, At: o.Time,
		Labels:    map[string]string{"unit": ws.s.Unit, "stream": fmt.Sprint(ws.s.ID), "property": ws.s.Property},
		Evidence:  map[string]any{"score": score, "value": o.Value},
		SummaryZH: fmt.Sprintf("%s 监测点 %d（%s）读数 %g 偏离日常规律（异常度 %.2f）", zh, ws.s.ID, ws.s.Property, o.Value, score),
		SummaryEN: fmt.Sprintf("%s: stream %d (%s) reading %g breaks its usual pattern (anomaly score %.2f)", en, ws.s.ID, ws.s.Property, o.Value, score),
	}
}
