package inventory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cityvitals/geo"
	"cityvitals/model"
	"cityvitals/property"
	"cityvitals/store"
)

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// StreamRegistry is the in-memory registry the ingest path resolves
// streams with (ingest.Registry). The inventory tells it about every
// created or re-homed stream and asks it for streams by key.
type StreamRegistry interface {
	Put(ds ...model.Datastream)
	ByKey(key string) (model.Datastream, bool)
}

// Stores are the relational stores the inventory writes through.
type Stores struct {
	Units       store.Units
	Assets      store.Assets
	Datastreams store.Datastreams
}

// Service is safe for concurrent use. Reads use immutable snapshots that
// are swapped atomically; writes that change the tree are serialised.
type Service struct {
	stores     Stores
	properties *property.Catalog
	sink       StreamRegistry
	audit      Auditor
	now        func() time.Time

	tree    atomic.Pointer[tree]
	writeMu sync.Mutex // serialises changes to units and stream placement

	streamsMu sync.RWMutex
	byUnit    map[string][]int64 // unit code → stream ids placed there

	listenersMu     sync.Mutex
	listeners       []func()
	streamListeners []func([]int64)
}

// OnStreamsCreated registers fn to be called with the ids of every batch
// of newly registered streams, after they are stored.
func (s *Service) OnStreamsCreated(fn func(ids []int64)) {
	s.listenersMu.Lock()
	defer s.listenersMu.Unlock()
	s.streamListeners = append(s.streamListeners, fn)
}

func (s *Service) streamsCreated(ds []model.Datastream) {
	s.listenersMu.Lock()
	fns := slices.Clone(s.streamListeners)
	s.listenersMu.Unlock()
	if len(fns) == 0 {
		return
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	for _, fn := range fns {
		fn(ids)
	}
}

// OnChange registers fn to be called after every change of the tree or
// of where streams are placed (the live engine re-plans then). fn runs on
// the changing goroutine and must not call back into the Service's
// writing methods.
func (s *Service) OnChange(fn func()) {
	s.listenersMu.Lock()
	defer s.listenersMu.Unlock()
	s.listeners = append(s.listeners, fn)
}

func (s *Service) changed() {
	s.listenersMu.Lock()
	fns := slices.Clone(s.listeners)
	s.listenersMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// New loads the unit tree and every datastream from the stores, placing
// each stream in its unit and putting it in the registry.
func New(ctx context.Context, st Stores, props *property.Catalog, sink StreamRegistry, audit Auditor) (*Service, error) {
	s := &Service{
		stores:     st,
		properties: props,
		sink:       sink,
		audit:      audit,
		now:        time.Now,
		byUnit:     map[string][]int64{},
	}
	if err := s.reloadTree(ctx); err != nil {
		return nil, err
	}
	if err := s.loadStreams(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// loadStreams reads every datastream once, placing it in its unit and
// handing it to the registry in chunks (one scan serves both: with a
// million streams the scan dominates start-up).
func (s *Service) loadStreams(ctx context.Context) error {
	const chunk = 10_000
	batch := make([]model.Datastream, 0, chunk)
	flush := func() {
		s.sink.Put(batch...)
		batch = batch[:0]
	}
	err := s.stores.Datastreams.EachDatastream(ctx, func(ds model.Datastream) error {
		if ds.Unit != "" {
			s.byUnit[ds.Unit] = append(s.byUnit[ds.Unit], ds.ID)
		}
		if batch = append(batch, ds); len(batch) == chunk {
			flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load datastreams: %w", err)
	}
	flush()
	return nil
}

// Properties returns the observed-property catalog in force.
func (s *Service) Properties() *property.Catalog { return s.properties }

// Locate returns the deepest unit containing the WGS84 point.
func (s *Service) Locate(lon, lat float64) (string, bool) {
	return s.tree.Load().index.Locate(lon, lat)
}

// Unit returns the unit with the code from the in-memory tree.
func (s *Service) Unit(code string) (model.Unit, bool) {
	return s.tree.Load().index.Unit(code)
}

// Children returns the codes of a unit's direct children ("" = roots).
func (s *Service) Children(code string) []string {
	return s.tree.Load().children[code]
}

// Ancestors returns the codes from the root down to the unit itself.
func (s *Service) Ancestors(code string) []string {
	return s.tree.Load().ancestors(code)
}

// Descendants returns the unit and every unit below it, or nil for a
// unit the tree does not have.
func (s *Service) Descendants(code string) []string {
	t := s.tree.Load()
	if _, ok := t.parent[code]; !ok {
		return nil
	}
	return t.subtree(code)
}

// UnitStreams returns the ids of the streams placed in the unit and, with
// descendants, in every unit below it.
func (s *Service) UnitStreams(code string, descendants bool) []int64 {
	codes := []string{code}
	if descendants {
		codes = s.tree.Load().subtree(code)
	}
	s.streamsMu.RLock()
	defer s.streamsMu.RUnlock()
	var ids []int64
	for _, c := range codes {
		ids = append(ids, s.byUnit[c]...)
	}
	return ids
}

func (s *Service) record(ctx context.Context, actor, action, target string, detail any) error {
	if err := s.audit.Record(ctx, actor, action, target, detail); err != nil {
		return fmt.Errorf("audit %s %s: %w", action, target, err)
	}
	return nil
}

// Index returns the current spatial index (an immutable snapshot).
func (s *Service) Index() *geo.Index { return s.tree.Load().index }

// Units returns the code of every unit in the tree, sorted.
func (s *Service) Units() []string {
	t := s.tree.Load()
	codes := make([]string, 0, len(t.parent))
	for code := range t.parent {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// Parent returns a unit's parent code ("" for a root) and whether the
// unit exists.
func (s *Service) Parent(code string) (string, bool) {
	p, ok := s.tree.Load().parent[code]
	return p, ok
}

// Level returns a unit's level and whether the unit exists.
func (s *Service) Level(code string) (string, bool) {
	u, ok := s.Unit(code)
	return string(u.Level), ok
}
