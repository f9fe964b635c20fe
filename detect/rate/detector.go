package rate

import (
	"math"
	"sync"
	"time"

	"cityvitals/alert"
	"cityvitals/model"
)

// Rule is the name findings of this detector carry.
const Rule = "rate"

// maxTime is the last millisecond of year 9999: later (or negative) times
// are not measurements, and bounding them keeps every time difference far
// from overflow.
const maxTime = 253402300799999

// Stream is what the detector needs to know of a datastream.
type Stream struct {
	ID       int64
	Property string
	Unit     string
}

// Stats counts what the detector holds and what it ignored.
type Stats struct {
	Streams    int    // watched streams
	OutOfOrder uint64 // readings at or before their stream's newest time
	Bad        uint64 // readings flagged bad by their device
	Invalid    uint64 // non-finite values, times outside 1970–9999
}

// compiled is a validated Spec with its times in milliseconds.
type compiled struct {
	Spec
	window, width int64 // ms
	perMs         float64
}

// series is the state of one watched stream.
type series struct {
	stream   Stream
	spec     *compiled
	trail    trail
	last     int64   // newest accepted reading, Unix ms
	value    float64 // its value
	rate     float64 // the latest judged rate
	readings int32   // readings behind that rate
	level    int8    // current level, 0 none
}

// Detector watches the streams of the properties it has a Spec for. It is
// safe for concurrent use.
type Detector struct {
	specs map[string]*compiled // by property; read-only after New
	names func(unit string) (zh, en string)

	mu      sync.Mutex
	streams map[int64]*series
	pending []alert.Finding
	stats   Stats
}

// New validates the specs (EINVALID naming the spec and field at fault,
// or a property given twice). names gives a unit's Chinese and English
// names for summaries; nil uses the unit code.
func New(specs []Spec, names func(unit string) (zh, en string)) (*Detector, error) {
	if names == nil {
		names = func(unit string) (string, string) { return unit, unit }
	}
	d := &Detector{specs: map[string]*compiled{}, names: names, streams: map[int64]*series{}}
	first := map[string]int{}
	for i, s := range specs {
		if err := s.validate(i); err != nil {
			return nil, err
		}
		if j, ok := first[s.Property]; ok {
			return nil, model.Errorf(model.EINVALID, "rate specs[%d]: property %s is already watched by specs[%d]", i, s.Property, j)
		}
		first[s.Property] = i
		d.specs[s.Property] = compile(s)
	}
	return d, nil
}

func compile(s Spec) *compiled {
	if s.Bins == 0 {
		s.Bins = DefaultBins
	}
	window := s.Window.Milliseconds()
	width := (window + int64(s.Bins) - 1) / int64(s.Bins) // rounded up: see newTrail
	return &compiled{Spec: s, window: window, width: width, perMs: float64(s.Per / time.Millisecond)}
}

// Register starts watching streams of properties with a Spec; others are
// ignored. A stream registered again keeps its state and takes its new
// unit: an active finding is cleared under the old unit and raised again
// under the new one. A stream whose property changed starts afresh (its
// active finding cleared), or is forgotten if the new property has no
// Spec.
func (d *Detector) Register(streams ...Stream) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range streams {
		cur, known := d.streams[s.ID]
		spec := d.specs[s.Property]
		switch {
		case known && cur.stream.Property != s.Property:
			d.forget(cur)
		case known:
			d.move(cur, s.Unit)
			continue
		}
		if spec != nil {
			d.streams[s.ID] = &series{stream: s, spec: spec, trail: newTrail(spec.Bins), last: math.MinInt64}
		}
	}
}

// Forget stops watching the streams (deleted datastreams), clearing their
// active findings. Unknown ids are ignored.
func (d *Detector) Forget(ids ...int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		if cur, ok := d.streams[id]; ok {
			d.forget(cur)
		}
	}
}

func (d *Detector) forget(s *series) {
	if s.level > 0 {
		d.pending = append(d.pending, d.finding(s, s.last, 0))
	}
	delete(d.streams, s.stream.ID)
}

// move gives s a new unit; an active finding follows it, since the unit
// is part of the finding's identity.
func (d *Detector) move(s *series, unit string) {
	if s.stream.Unit == unit {
		return
	}
	level := s.level
	if level > 0 {
		d.pending = append(d.pending, d.finding(s, s.last, 0))
	}
	s.stream.Unit = unit
	if level > 0 {
		d.pending = append(d.pending, d.finding(s, s.last, level))
	}
}

// ObserveBatch judges committed readings: one lock for the batch, since
// it runs on the ingest path. Readings of unwatched streams cost a map
// lookup; see the package comment for what is ignored.
func (d *Detector) ObserveBatch(batch []model.Observation) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range batch {
		if s, ok := d.streams[o.Stream]; ok {
			d.observe(s, o)
		}
	}
}

func (d *Detector) observe(s *series, o model.Observation) {
	switch {
	case o.Time < 0 || o.Time > maxTime || math.IsNaN(o.Value) || math.IsInf(o.Value, 0):
		d.stats.Invalid++
		return
	case o.Quality == model.QualityBad:
		d.stats.Bad++
		return
	case o.Time <= s.last:
		d.stats.OutOfOrder++
		return
	}
	sp := s.spec
	s.last, s.value = o.Time, o.Value
	s.trail.add(o.Time, o.Value, sp.window, sp.width)
	e := s.trail.slope(o.Time, sp.perMs)
	if e.readings < sp.MinReadings || 2*e.span < sp.window || math.IsNaN(e.rate) || math.IsInf(e.rate, 0) {
		return // not enough to judge: keep the level
	}
	s.rate, s.readings = e.rate, int32(e.readings)
	if level := sp.grade(e.rate, s.level); level != s.level {
		d.pending = append(d.pending, d.finding(s, o.Time, level))
		s.level = level
	}
}

// grade returns the level of a signed rate given the current level: a
// level above the current one is entered at its threshold, the current
// one and those below are kept down to their threshold less the
// hysteresis (the engine's indicator grading, applied to rates).
func (c *compiled) grade(rate float64, current int8) int8 {
	v := c.towards(rate)
	for l := int8(4); l >= 1; l-- {
		t := c.Thresholds[l-1]
		if t == 0 {
			continue
		}
		if l <= current {
			t -= c.Hysteresis
		}
		if v >= t {
			return l
		}
	}
	return 0
}

// towards is the rate's magnitude in the watched direction (negative
// when it goes the other way).
func (c *compiled) towards(rate float64) float64 {
	switch c.Direction {
	case Drop:
		return -rate
	case Rise:
		return rate
	default:
		return math.Abs(rate)
	}
}

// Drain returns the findings queued since the last call, in the order
// their changes happened. The caller must drain regularly: findings are
// queued without bound so that none is lost.
func (d *Detector) Drain() []alert.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.pending
	d.pending = nil
	return out
}

// Stats returns the current counts.
func (d *Detector) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.stats
	st.Streams = len(d.streams)
	return st
}
