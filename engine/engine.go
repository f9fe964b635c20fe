package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/indicator"
	"cityvitals/model"
)

// Config tunes the engine. The zero value of every field selects its
// default.
type Config struct {
	// Step is the evaluation tick: indicators are evaluated at event times
	// that are multiples of Step. Default 1 minute.
	Step time.Duration
	// AllowedLateness is how far behind the newest observation time the
	// watermark trails. Default 2 minutes.
	AllowedLateness time.Duration
	// QueueBatches bounds the batches waiting between Observe and the
	// engine goroutine. Default 1024.
	QueueBatches int
	// MaxBlock is the longest Observe waits for room when the queue is
	// full before it enqueues past the bound anyway. Default 10 ms.
	MaxBlock time.Duration
	// Registerer receives the engine's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

func (c Config) withDefaults() Config {
	if c.Step == 0 {
		c.Step = time.Minute
	}
	if c.AllowedLateness == 0 {
		c.AllowedLateness = 2 * time.Minute
	}
	if c.QueueBatches == 0 {
		c.QueueBatches = 1024
	}
	if c.MaxBlock == 0 {
		c.MaxBlock = 10 * time.Millisecond
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Step < time.Millisecond:
		return model.Errorf(model.EINVALID, "engine config: step %v: must be at least 1ms", c.Step)
	case c.Step%time.Millisecond != 0:
		return model.Errorf(model.EINVALID, "engine config: step %v: must be whole milliseconds", c.Step)
	case c.AllowedLateness < 0:
		return model.Errorf(model.EINVALID, "engine config: allowed lateness %v: must not be negative", c.AllowedLateness)
	case c.QueueBatches < 0:
		return model.Errorf(model.EINVALID, "engine config: queue batches %d: must not be negative", c.QueueBatches)
	case c.MaxBlock < 0:
		return model.Errorf(model.EINVALID, "engine config: max block %v: must not be negative", c.MaxBlock)
	}
	return nil
}

// StreamMeta is what the engine needs to know about a datastream.
type StreamMeta struct {
	Property  string // observed-property id
	AssetType string // type of the asset the stream is on, "" if none
	Unit      string // code of the spatial unit, "" if unplaced
}

// Streams resolves datastream ids; the application adapts its registry
// and asset inventory to it. It is called from the engine goroutine only.
type Streams interface {
	Stream(id int64) (StreamMeta, bool)
}

// Topology is the spatial-unit tree. A unit whose Parent is unknown or ""
// hangs below the virtual root "", which stands for the whole city.
type Topology interface {
	Parent(code string) (string, bool)
	Level(code string) (string, bool)
	Units() []string
}

// LevelChange is one indicator of one unit changing its warning level at
// an evaluation tick.
type LevelChange struct {
	Time      int64 // event-time tick, Unix ms
	Unit      string
	Indicator string
	From, To  indicator.Level
	Value     float64
	Threshold float64 // the bound of the higher of From and To; 0 when neither has one
	Window    time.Duration
}

// Stats are the engine's counters since New.
type Stats struct {
	Watermark    int64 // newest observation time − allowed lateness, Unix ms; math.MinInt64 before any
	Frontier     int64 // every observation at or before it has been applied
	Applied      int64 // observations applied to the state
	Late         int64 // arrived at or behind the frontier: not applied
	Duplicates   int64 // same stream and time as an applied one: not applied
	Unknown      int64 // stream unknown to Streams: not applied
	Evaluations  int64 // indicator evaluations and roll-ups
	EvalErrors   int64 // evaluations whose expression failed (graded no data)
	LevelChanges int64
	QueueDepth   int   // batches waiting for the engine goroutine
	Overflows    int64 // batches enqueued past QueueBatches after MaxBlock
}

// Engine is the live vital-signs engine. Observe, Signs, Stats, Subscribe,
// SetTopology and SetCatalog are safe for concurrent use; Run, Flush and
// Warm serialise among themselves.
type Engine struct {
	cfg     Config
	metrics *metrics
	queue   *batchQueue
	chunks  chunkPool // observation slices shared by Observe and the tick buffers

	// work serialises the processing goroutines (Run, Flush, Warm): the
	// processor is owned by whoever holds it.
	work sync.Mutex
	proc *processor

	// signsMu guards what Signs reads: unit sign states and the tree.
	signsMu sync.RWMutex

	pendingMu   sync.Mutex
	pendingTopo Topology
	pendingCat  *indicator.Catalog

	subsMu sync.Mutex
	subs   []func(LevelChange)

	counters counters
}

// counters are written by the processing goroutine and read by Stats.
type counters struct {
	watermark, frontier                   atomic.Int64
	applied, late, duplicates, unknown    atomic.Int64
	evaluations, evalErrors, levelChanges atomic.Int64
	overflows                             atomic.Int64
}

// New returns an engine over the catalog, unit tree and streams.
func New(cfg Config, cat *indicator.Catalog, topo Topology, streams Streams) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cat == nil || topo == nil || streams == nil {
		return nil, model.Errorf(model.EINVALID, "engine: catalog, topology and streams are required")
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("engine metrics: %w", err)
	}
	e := &Engine{cfg: cfg, metrics: m, queue: newBatchQueue(cfg.QueueBatches, cfg.MaxBlock)}
	e.proc = newProcessor(e, cat, topo, streams)
	e.counters.watermark.Store(e.proc.watermark())
	e.counters.frontier.Store(e.proc.frontier)
	return e, nil
}

// Observe hands a committed batch to the engine. It copies the batch (into
// a pooled slice, recycled once the engine has buffered it) and
// returns at once unless the queue is full; then it waits at most
// Config.MaxBlock for room (backpressure on ingest) and enqueues past the
// bound rather than drop, counting an overflow. It never drops.
func (e *Engine) Observe(batch []model.Observation) {
	if len(batch) == 0 {
		return
	}
	if overflowed := e.queue.push(e.chunks.copyOf(batch)); overflowed {
		e.counters.overflows.Add(1)
		e.metrics.overflows.Inc()
	}
	e.metrics.queueDepth.Set(float64(e.queue.depth()))
}

// Run is the engine goroutine: it applies queued batches until ctx is
// done, then drains what is queued (without flushing the watermark) and
// returns nil.
func (e *Engine) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			e.drain()
			return nil
		case <-e.queue.ready():
			e.drain()
		}
	}
}

// drain processes every queued batch and advances to the new watermark.
func (e *Engine) drain() {
	e.work.Lock()
	defer e.work.Unlock()
	e.processQueued()
	e.proc.advanceToWatermark()
}

func (e *Engine) processQueued() {
	for _, batch := range e.queue.takeAll() {
		e.proc.accept(batch)
		e.chunks.put(batch)
	}
	e.metrics.queueDepth.Set(float64(e.queue.depth()))
}

// Flush declares the end of input (replay, tests): it processes every
// queued batch, advances the frontier to the newest observation time and
// evaluates every tick up to the one that contains it. Observations at or
// before that time that arrive later are late.
func (e *Engine) Flush() {
	e.work.Lock()
	defer e.work.Unlock()
	e.processQueued()
	e.proc.flush()
}

// Subscribe registers fn for every level change. fn runs on the
// processing goroutine (Run, or the caller of Flush or Warm), in event-time
// order and, within a tick, units by code and indicators in catalog order,
// roll-ups after evaluations from the bottom of the tree up; it must not
// call back into the engine's processing methods.
func (e *Engine) Subscribe(fn func(LevelChange)) {
	e.subsMu.Lock()
	defer e.subsMu.Unlock()
	e.subs = append(e.subs, fn)
}

func (e *Engine) emit(c LevelChange) {
	e.counters.levelChanges.Add(1)
	e.metrics.levelChanges.Inc()
	e.subsMu.Lock()
	subs := e.subs
	e.subsMu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
}

// SetTopology replaces the unit tree from the next processing step on.
func (e *Engine) SetTopology(t Topology) {
	e.pendingMu.Lock()
	defer e.pendingMu.Unlock()
	e.pendingTopo = t
}

// SetCatalog replaces the indicator catalog from the next processing step
// on. Indicators already evaluated keep their signs; a new indicator is
// first evaluated when data for it arrives.
func (e *Engine) SetCatalog(c *indicator.Catalog) {
	e.pendingMu.Lock()
	defer e.pendingMu.Unlock()
	e.pendingCat = c
}

func (e *Engine) takePending() (Topology, *indicator.Catalog) {
	e.pendingMu.Lock()
	defer e.pendingMu.Unlock()
	t, c := e.pendingTopo, e.pendingCat
	e.pendingTopo, e.pendingCat = nil, nil
	return t, c
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	c := &e.counters
	return Stats{
		Watermark:    c.watermark.Load(),
		Frontier:     c.frontier.Load(),
		Applied:      c.applied.Load(),
		Late:         c.late.Load(),
		Duplicates:   c.duplicates.Load(),
		Unknown:      c.unknown.Load(),
		Evaluations:  c.evaluations.Load(),
		EvalErrors:   c.evalErrors.Load(),
		LevelChanges: c.levelChanges.Load(),
		QueueDepth:   e.queue.depth(),
		Overflows:    c.overflows.Load(),
	}
}
