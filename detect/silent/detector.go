package silent

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cityvitals/alert"
)

// Rule is the name every finding of this detector carries.
const Rule = "silent"

// numShards spreads streams (by id) over this many locks, so that Seen
// calls from several ingest goroutines rarely meet on one.
const numShards = 64

// Stream is a datastream the detector watches.
type Stream struct {
	ID       int64
	Device   string
	Unit     string        // spatial unit code its silence is grouped by
	Interval time.Duration // expected reporting interval; ≤ 0: MinInterval
}

// Detector finds silent streams. Seen, Register and Forget are safe from
// any goroutine, concurrently with each other and with Scan; Scan calls
// are serialised.
type Detector struct {
	cfg    Config
	shards [numShards]shard

	// frontier is the now of the latest Scan: the registration time of
	// streams registered after it. scanned says whether there was one.
	frontier atomic.Int64
	scanned  atomic.Bool

	scan    sync.Mutex // one Scan at a time; guards changes
	changes []change   // scratch, reused by every Scan

	units units
}

// New returns a Detector. Zero fields of cfg take their defaults; an
// invalid field is an EINVALID *model.Error naming it.
func New(cfg Config) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, units: newUnits()}
	for i := range d.shards {
		d.shards[i].init()
	}
	return d, nil
}

func (d *Detector) shard(id int64) *shard {
	return &d.shards[uint64(id)%numShards]
}

// Register starts watching streams. A stream that never reports counts as
// quiet from its registration, which is the event time of the latest Scan
// (or of the next one, before any Scan). Registering a known id again
// updates its device, unit and interval and keeps its last report time.
func (d *Detector) Register(streams ...Stream) {
	for _, st := range streams {
		sh := d.shard(st.ID)
		span := d.cfg.span(st.Interval)
		sh.mu.Lock()
		last := int64(never)
		if i, ok := sh.index[st.ID]; ok {
			last = d.removeLocked(sh, i)
		}
		sh.add(st.ID, d.units.join(st.Unit), st.Device, span, last)
		sh.mu.Unlock()
	}
}

// Forget stops watching a stream; its silent finding, if any, clears at
// the next Scan. Unknown ids are ignored.
func (d *Detector) Forget(id int64) {
	sh := d.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if i, ok := sh.index[id]; ok {
		d.removeLocked(sh, i)
	}
}

// removeLocked unregisters slot i of sh (whose lock the caller holds) and
// returns its last report time.
func (d *Detector) removeLocked(sh *shard, i int32) int64 {
	d.units.leave(sh.slots[i].unit)
	return sh.remove(i)
}

// Seen records an observation of stream id at event time t (Unix ms). It
// is meant for every observation on the ingest path: it allocates nothing
// and takes only a shard's read lock. Unknown ids are ignored; an older t
// than one already seen changes nothing.
func (d *Detector) Seen(id int64, t int64) {
	sh := d.shard(id)
	sh.mu.RLock()
	if i, ok := sh.index[id]; ok {
		sh.slots[i].report(t)
	}
	sh.mu.RUnlock()
}

// Registered returns how many streams are watched.
func (d *Detector) Registered() int {
	n := 0
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.RLock()
		n += len(sh.index)
		sh.mu.RUnlock()
	}
	return n
}

// Scan evaluates the streams at event time now (Unix ms, the engine's
// frontier; it should not go backwards) and returns the findings that
// changed since the previous Scan: new and updated silences, and
// clearings (Level 0). A stream is silent when now is more than K × its
// interval past its last report (or its registration). Findings are sorted
// by unit, group before streams, then stream id.
func (d *Detector) Scan(now int64) []alert.Finding {
	d.scan.Lock()
	defer d.scan.Unlock()
	registeredAt := now
	if d.scanned.Load() {
		registeredAt = d.frontier.Load()
	}
	d.changes = d.changes[:0]
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		d.changes = sh.scan(now, registeredAt, d.changes)
		sh.mu.Unlock()
	}
	d.frontier.Store(now)
	d.scanned.Store(true)
	return d.settle(now)
}

// settle applies the shards' changes to their units and returns the
// resulting findings in order.
func (d *Detector) settle(now int64) []alert.Finding {
	d.units.mu.Lock()
	defer d.units.mu.Unlock()
	touched := d.units.apply(d.changes)
	var out []sortable
	for _, ut := range touched {
		out = d.findings(ut, now, out)
	}
	slices.SortStableFunc(out, func(a, b sortable) int {
		if c := strings.Compare(a.unit, b.unit); c != 0 {
			return c
		}
		if a.group != b.group {
			if a.group {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.stream, b.stream)
	})
	findings := make([]alert.Finding, len(out))
	for i := range out {
		findings[i] = out[i].finding
	}
	return findings
}

// sortable is a finding with the keys it is ordered by.
type sortable struct {
	unit    string
	group   bool
	stream  int64
	finding alert.Finding
}
