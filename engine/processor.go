package engine

import (
	"math"
	"runtime"

	"cityvitals/indicator"
	"cityvitals/model"
)

// processor is the engine's state and the logic that advances it. It is
// owned by the holder of Engine.work; the parts Signs reads (unit signs,
// tree, order) change only under Engine.signsMu.
type processor struct {
	e        *Engine
	step     int64 // ms
	lateness int64 // ms
	streams  Streams
	cat      *indicator.Catalog
	tree     *unitTree
	plan     *plan
	order    *programOrder // programs of the last evaluated tick
	gen      int           // bumped when tree or plan change: stream targets are stale

	known    streamTable
	seen     bool
	maxSeen  int64
	frontier int64 // every observation at or before it has been applied

	agenda map[int64]*tickEntry
	ticks  tickHeap

	silent bool // warming: level changes are not emitted

	signIDs signIndex
	// evaluators are the workers of a tick, the first also the roll-ups';
	// a tick uses at most maxWorkers of them.
	evaluators []*evaluator
	maxWorkers int
}

// tickEntry is the work known for one tick: observations in
// (tick − step, tick] not yet applied, and units whose indicators reading
// the flagged properties must be evaluated at the tick.
type tickEntry struct {
	obs     obsBuffer
	sorted  bool                   // obs are in (time, stream) order
	minTime int64                  // of obs
	dirty   map[*unitState]*bitset // property bits, see propertyPlan.bit
}

func newProcessor(e *Engine, cat *indicator.Catalog, topo Topology, streams Streams) *processor {
	p := &processor{
		e:        e,
		step:     e.cfg.Step.Milliseconds(),
		lateness: e.cfg.AllowedLateness.Milliseconds(),
		streams:  streams,
		cat:      cat,
		frontier: math.MinInt64,
		agenda:   make(map[int64]*tickEntry),
		signIDs:  make(signIndex),
		// Units of a tick are independent until roll-up: one worker per
		// processor the scheduler runs goroutines on.
		maxWorkers: runtime.GOMAXPROCS(0),
	}
	p.tree = buildTree(topo, nil)
	p.plan = newPlan(allVersions(cat), p.tree, p.signIDs)
	return p
}

func (p *processor) watermark() int64 {
	if !p.seen {
		return math.MinInt64
	}
	return p.maxSeen - p.lateness
}

// ceilTick returns the first tick at or after t.
func (p *processor) ceilTick(t int64) int64 {
	q := t / p.step
	if q*p.step < t {
		q++
	}
	return q * p.step
}

// accept buffers a batch; late observations and duplicates of applied
// ones are counted and dropped.
func (p *processor) accept(batch []model.Observation) {
	c := &p.e.counters
	// Batches mostly fall into one tick: remember its entry rather than
	// look it up per observation. No entry is removed while accepting.
	var cur *tickEntry
	curTick := int64(math.MinInt64)
	for _, o := range batch {
		if o.Time <= p.frontier {
			if st := p.known.get(o.Stream); st != nil && st.hasPointAt(o.Time) {
				c.duplicates.Add(1)
				p.e.metrics.duplicates.Inc()
			} else {
				c.late.Add(1)
				p.e.metrics.late.Inc()
			}
			continue
		}
		if !p.seen || o.Time > p.maxSeen {
			p.seen, p.maxSeen = true, o.Time
		}
		if tick := p.ceilTick(o.Time); cur == nil || tick != curTick {
			cur, curTick = p.entry(tick), tick
		}
		cur.add(&p.e.chunks, o)
	}
	c.watermark.Store(p.watermark())
	p.e.metrics.watermark.Set(float64(p.watermark()) / 1000)
}

// add buffers o, noting whether the buffer is still in (time, stream)
// order, as it is when data arrives in time order.
func (en *tickEntry) add(pool *chunkPool, o model.Observation) {
	if en.obs.len() > 0 {
		last := en.obs.back()
		if o.Time < last.Time || o.Time == last.Time && o.Stream < last.Stream {
			en.sorted = false
		}
		en.minTime = min(en.minTime, o.Time)
	} else {
		en.minTime = o.Time
	}
	en.obs.push(pool, o)
}

func (p *processor) entry(tick int64) *tickEntry {
	en, ok := p.agenda[tick]
	if !ok {
		en = &tickEntry{sorted: true}
		p.agenda[tick] = en
		p.ticks.push(tick)
	}
	return en
}

// advance applies every buffered observation at or before applyUpTo in
// (time, stream) order and evaluates every tick at or before evalUpTo
// that has work, each tick before any observation after it.
func (p *processor) advance(applyUpTo, evalUpTo int64) {
	p.applyPending()
	for p.ticks.len() > 0 {
		tick := p.ticks.peek()
		en := p.agenda[tick]
		if !p.applyEntry(en, applyUpTo) || tick > evalUpTo {
			break
		}
		p.ticks.pop()
		delete(p.agenda, tick)
		if len(en.dirty) > 0 {
			p.evaluate(tick, en.dirty)
		}
	}
	p.frontier = max(p.frontier, evalUpTo)
	p.e.counters.frontier.Store(p.frontier)
}

// advanceToWatermark is the live step.
func (p *processor) advanceToWatermark() {
	if p.seen {
		w := p.watermark()
		p.advance(w, w)
	}
}

// flush applies everything buffered and evaluates up to the tick that
// contains the newest observation.
func (p *processor) flush() {
	if p.seen {
		p.advance(p.maxSeen, p.ceilTick(p.maxSeen))
	}
}

// applyEntry applies the entry's observations at or before limit and
// reports whether none is left. Of several observations of one stream at
// one time the last received wins.
func (p *processor) applyEntry(en *tickEntry, limit int64) bool {
	if en.obs.len() == 0 {
		return true
	}
	if en.minTime > limit {
		return false
	}
	pool := &p.e.chunks
	if !en.sorted {
		en.obs.sortStable(pool)
		en.sorted = true
	}
	for {
		o, ok := en.obs.front()
		if !ok || o.Time > limit {
			break
		}
		en.obs.pop(pool)
		for {
			next, ok := en.obs.front()
			if !ok || next.Time != o.Time || next.Stream != o.Stream {
				break
			}
			o = next
			en.obs.pop(pool)
		}
		p.apply(o)
	}
	first, ok := en.obs.front()
	if !ok {
		return true
	}
	en.minTime = first.Time
	return false
}

// apply adds one observation to its stream's state and schedules the
// ticks at which it enters and leaves the windows of the indicators that
// read it.
func (p *processor) apply(o model.Observation) {
	st := p.stream(o.Stream)
	if st == nil {
		p.e.counters.unknown.Add(1)
		return
	}
	prop := p.plan.props[st.meta.Property]
	st.record(o.Time, o.Value, prop)
	p.e.counters.applied.Add(1)
	p.e.metrics.applied.Inc()
	if prop == nil || len(prop.levels) == 0 {
		return
	}
	targets := p.targets(st, prop)
	if len(targets) == 0 {
		return
	}
	if tick := p.ceilTick(o.Time); tick != st.dataTick {
		st.dataTick = tick
		p.mark(tick, targets, prop.bit)
	}
	if len(st.expiryTicks) != len(prop.windows) {
		st.expiryTicks = make([]int64, len(prop.windows))
	}
	for i, w := range prop.windows {
		if tick := p.ceilTick(o.Time + w); tick != st.expiryTicks[i] {
			st.expiryTicks[i] = tick
			p.mark(tick, targets, prop.bit)
		}
	}
}

// mark flags property for evaluation in units at tick.
func (p *processor) mark(tick int64, units []*unitState, property int) {
	var en *tickEntry
	slot := tick / p.step
	for _, u := range units {
		set := u.marked(tick, slot)
		if set == nil {
			if en == nil {
				en = p.entry(tick)
				if en.dirty == nil {
					en.dirty = make(map[*unitState]*bitset)
				}
			}
			if set = en.dirty[u]; set == nil {
				set = &bitset{}
				en.dirty[u] = set
			}
			u.remember(tick, slot, set)
		}
		set.set(property)
	}
}

// targets returns the units st's observations are evaluated in: its unit
// and ancestors at the levels its property's indicators are computed at.
func (p *processor) targets(st *streamState, prop *propertyPlan) []*unitState {
	if st.gen == p.gen {
		return st.targets
	}
	st.targets = st.targets[:0]
	for _, u := range chain(st.unit) {
		if prop.levels[u.level] {
			st.targets = append(st.targets, u)
		}
	}
	st.gen = p.gen
	return st.targets
}

// stream returns the state of stream id, registering it on first sight;
// nil if Streams does not know it.
func (p *processor) stream(id int64) *streamState {
	if st := p.known.get(id); st != nil {
		return st
	}
	meta, ok := p.streams.Stream(id)
	if !ok {
		return nil
	}
	st := &streamState{id: id, meta: meta, gen: -1}
	p.known.put(st)
	p.place(st)
	return st
}

// place puts st in its unit and in the selections of that unit and every
// ancestor. A stream in a unit the tree does not know counts for the
// root only.
func (p *processor) place(st *streamState) {
	st.unit = p.tree.units[st.meta.Unit]
	if st.unit == nil {
		st.unit = p.tree.root
	}
	st.gen = -1
	prop := p.plan.props[st.meta.Property]
	if prop == nil {
		return
	}
	for _, key := range prop.keys {
		if key.assetType == "" || key.assetType == st.meta.AssetType {
			addToSelections(st, key)
		}
	}
}

func addToSelections(st *streamState, key selectionKey) {
	for u := st.unit; u != nil; u = u.parent {
		if u.selections == nil {
			u.selections = make(map[selectionKey]*selection)
		}
		sel := u.selections[key]
		if sel == nil {
			sel = &selection{sorted: true}
			u.selections[key] = sel
		}
		sel.add(st)
	}
}

// indexKey indexes the selections by key if no Program declared it.
func (p *processor) indexKey(key selectionKey) {
	if !p.plan.addKey(key) {
		return
	}
	for _, st := range p.known.sorted() {
		if st.meta.Property == key.property && (key.assetType == "" || key.assetType == st.meta.AssetType) {
			addToSelections(st, key)
		}
	}
}

// applyPending installs a topology or catalog set since the last step.
func (p *processor) applyPending() {
	topo, cat := p.e.takePending()
	if topo == nil && cat == nil {
		return
	}
	p.e.signsMu.Lock()
	defer p.e.signsMu.Unlock()
	if topo != nil {
		p.tree = buildTree(topo, p.tree)
	}
	if cat != nil {
		p.cat = cat
		p.order = nil
	}
	p.plan = newPlan(allVersions(p.cat), p.tree, p.signIDs)
	p.gen++
	for _, u := range p.tree.units {
		u.selections = nil
	}
	for _, st := range p.known.sorted() {
		if topo != nil {
			if meta, ok := p.streams.Stream(st.id); ok {
				st.meta = meta
			}
		}
		p.place(st)
	}
}
