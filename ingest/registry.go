package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cityvitals/model"
)

// DatastreamSource lists every datastream, as store.Datastreams does.
type DatastreamSource interface {
	EachDatastream(ctx context.Context, fn func(model.Datastream) error) error
}

// Registry is the in-memory index of datastreams by id and by external
// key, so that ingest resolves items without a query. It is safe for
// concurrent use; reads are the hot path.
//
// Entries are compact so that a million streams fit comfortably: strings
// that repeat across streams (property, unit of measurement, device, asset,
// spatial unit) are interned once, and the id index is a dense table
// because the store assigns ids in sequence. ByID and ByKey rebuild a full
// model.Datastream; its Created time comes back in UTC.
//
// Locking: one RWMutex, taken once per batch by the ingest path (not once
// per item), so its cost disappears in the batch. A copy-on-write snapshot
// would make every Put of a provisioned stream copy a million entries.
type Registry struct {
	mu      sync.RWMutex
	entries []entry
	ids     idIndex
	byKey   map[string]int32 // key -> index into entries
	symbols symbolTable
}

// entry is one datastream in compact form.
type entry struct {
	id       int64
	key      string
	name     string
	created  int64 // Unix ns; 0 for the zero time
	interval time.Duration
	lon, lat float64
	property symbol
	uom      symbol
	device   symbol
	asset    symbol
	unit     symbol
	hasPoint bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byKey: make(map[string]int32), symbols: newSymbolTable()}
}

// Load adds every stream src lists; streams already present are replaced.
func (r *Registry) Load(ctx context.Context, src DatastreamSource) error {
	err := src.EachDatastream(ctx, func(ds model.Datastream) error {
		r.Put(ds)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load datastream registry: %w", err)
	}
	return nil
}

// Put adds or replaces streams, matched by ID. A changed key moves the key
// index with it.
func (r *Registry) Put(ds ...model.Datastream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range ds {
		r.put(d)
	}
}

func (r *Registry) put(d model.Datastream) {
	e := r.compact(d)
	at, ok := r.ids.get(d.ID)
	if !ok {
		at = int32(len(r.entries))
		r.entries = append(r.entries, e)
		r.ids.set(d.ID, at)
	} else {
		old := r.entries[at].key
		if cur, ok := r.byKey[old]; ok && cur == at && old != d.Key {
			delete(r.byKey, old) // the key still pointed here; another stream may have taken it since
		}
		r.entries[at] = e
	}
	if d.Key != "" {
		r.byKey[e.key] = at
	}
}

func (r *Registry) compact(d model.Datastream) entry {
	var created int64
	if !d.Created.IsZero() {
		created = d.Created.UnixNano()
	}
	return entry{
		id:       d.ID,
		key:      d.Key,
		name:     d.Name,
		created:  created,
		interval: d.Interval,
		lon:      d.Lon,
		lat:      d.Lat,
		property: r.symbols.intern(d.Property),
		uom:      r.symbols.intern(d.UoM),
		device:   r.symbols.intern(d.Device),
		asset:    r.symbols.intern(d.Asset),
		unit:     r.symbols.intern(d.Unit),
		hasPoint: d.HasPoint,
	}
}

func (r *Registry) expand(e *entry) model.Datastream {
	d := model.Datastream{
		ID:       e.id,
		Key:      e.key,
		Name:     e.name,
		Property: r.symbols.name(e.property),
		UoM:      r.symbols.name(e.uom),
		Interval: e.interval,
		Device:   r.symbols.name(e.device),
		Asset:    r.symbols.name(e.asset),
		Lon:      e.lon,
		Lat:      e.lat,
		HasPoint: e.hasPoint,
		Unit:     r.symbols.name(e.unit),
	}
	if e.created != 0 {
		d.Created = time.Unix(0, e.created).UTC()
	}
	return d
}

// ByID returns the stream with the id.
func (r *Registry) ByID(id int64) (model.Datastream, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if at, ok := r.ids.get(id); ok {
		return r.expand(&r.entries[at]), true
	}
	return model.Datastream{}, false
}

// ByKey returns the stream with the external key.
func (r *Registry) ByKey(key string) (model.Datastream, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if at, ok := r.byKey[key]; ok {
		return r.expand(&r.entries[at]), true
	}
	return model.Datastream{}, false
}

// EachDatastream calls fn for every stream in the order they were added
// (ID order after Load), stopping at fn's first error. It holds the read
// lock throughout, so fn must not Put. It satisfies DatastreamSource, so
// start-up code can read the registry instead of scanning the store again.
func (r *Registry) EachDatastream(ctx context.Context, fn func(model.Datastream) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i := range r.entries {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(r.expand(&r.entries[i])); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of streams.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.entries)
}

// streamInfo is what ingest needs to accept an item for a stream.
type streamInfo struct {
	id       int64
	property string
	device   string
}

// resolver answers lookups for one batch under a single read lock. The
// caller must call release when done and not use it afterwards.
type resolver struct{ r *Registry }

func (r *Registry) acquire() resolver {
	r.mu.RLock()
	return resolver{r}
}

func (v resolver) release() { v.r.mu.RUnlock() }

func (v resolver) byID(id int64) (streamInfo, bool) {
	at, ok := v.r.ids.get(id)
	if !ok {
		return streamInfo{}, false
	}
	return v.info(at), true
}

func (v resolver) byKey(key string) (streamInfo, bool) {
	at, ok := v.r.byKey[key]
	if !ok {
		return streamInfo{}, false
	}
	return v.info(at), true
}

func (v resolver) info(at int32) streamInfo {
	e := &v.r.entries[at]
	return streamInfo{id: e.id, property: v.r.symbols.name(e.property), device: v.r.symbols.name(e.device)}
}

// idIndex maps stream ids to entry positions. Ids come from a store
// sequence, so most fit a dense table (4 bytes per id); an id far beyond
// the table (a gap, or a foreign numbering) goes to the sparse map instead
// of growing the table without bound.
type idIndex struct {
	dense  []int32 // dense[id] = position+1; 0 = absent
	sparse map[int64]int32
}

// denseSlack is how far past twice the table's length an id may be and
// still extend the dense table.
const denseSlack = 1 << 16

func (x *idIndex) get(id int64) (int32, bool) {
	if id >= 0 && id < int64(len(x.dense)) {
		if at := x.dense[id]; at != 0 {
			return at - 1, true
		}
	}
	at, ok := x.sparse[id] // ids stored before the table grew past them stay here
	return at, ok
}

func (x *idIndex) set(id int64, at int32) {
	if _, ok := x.sparse[id]; ok {
		x.sparse[id] = at
		return
	}
	if id >= 0 && id < int64(len(x.dense)) {
		x.dense[id] = at + 1
		return
	}
	if id >= 0 && id < 2*int64(len(x.dense))+denseSlack {
		x.dense = append(x.dense, make([]int32, id+1-int64(len(x.dense)))...)
		x.dense[id] = at + 1
		return
	}
	if x.sparse == nil {
		x.sparse = make(map[int64]int32)
	}
	x.sparse[id] = at
}

// symbol is an interned string; 0 is "".
type symbol uint32

// symbolTable interns strings that repeat across many streams. It only
// grows: the distinct values are few next to the streams using them.
type symbolTable struct {
	names []string
	index map[string]symbol
}

func newSymbolTable() symbolTable {
	return symbolTable{names: []string{""}, index: map[string]symbol{"": 0}}
}

func (t *symbolTable) intern(s string) symbol {
	if sym, ok := t.index[s]; ok {
		return sym
	}
	sym := symbol(len(t.names))
	t.names = append(t.names, s)
	t.index[s] = sym
	return sym
}

func (t *symbolTable) name(sym symbol) string { return t.names[sym] }
