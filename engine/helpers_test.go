package engine

import (
	"sync"
	"testing"
	"time"

	"cityvitals/indicator"
	"cityvitals/model"
)

// treeUnit is one unit of a fake topology.
type treeUnit struct{ code, parent, level string }

// fakeTopology is a unit tree from a list.
type fakeTopology struct {
	units map[string]treeUnit
	codes []string
}

func newTopology(units ...treeUnit) *fakeTopology {
	t := &fakeTopology{units: make(map[string]treeUnit)}
	for _, u := range units {
		t.units[u.code] = u
		t.codes = append(t.codes, u.code)
	}
	return t
}

func (t *fakeTopology) Parent(code string) (string, bool) {
	u, ok := t.units[code]
	return u.parent, ok && u.parent != ""
}

func (t *fakeTopology) Level(code string) (string, bool) {
	u, ok := t.units[code]
	return u.level, ok
}

func (t *fakeTopology) Units() []string { return t.codes }

// fakeStreams maps stream ids to their metadata.
type fakeStreams map[int64]StreamMeta

func (s fakeStreams) Stream(id int64) (StreamMeta, bool) {
	m, ok := s[id]
	return m, ok
}

// recorder collects level changes.
type recorder struct {
	mu      sync.Mutex
	changes []LevelChange
}

func (r *recorder) record(c LevelChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
}

func (r *recorder) all() []LevelChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]LevelChange(nil), r.changes...)
}

// of returns the changes of one indicator in one unit.
func (r *recorder) of(unit, id string) []LevelChange {
	var out []LevelChange
	for _, c := range r.all() {
		if c.Unit == unit && c.Indicator == id {
			out = append(out, c)
		}
	}
	return out
}

// newTestEngine builds an engine with a recorder subscribed.
func newTestEngine(tb testing.TB, cfg Config, cat *indicator.Catalog, topo Topology, streams Streams) (*Engine, *recorder) {
	tb.Helper()
	e, err := New(cfg, cat, topo, streams)
	if err != nil {
		tb.Fatalf("new engine: %v", err)
	}
	rec := &recorder{}
	e.Subscribe(rec.record)
	return e, rec
}

// sign returns one indicator's sign in a unit, failing if absent.
func sign(tb testing.TB, e *Engine, unit, id string) Sign {
	tb.Helper()
	us, ok := e.Signs(unit)
	if !ok {
		tb.Fatalf("unit %q unknown", unit)
	}
	for _, s := range us.Signs {
		if s.Indicator == id {
			return s
		}
	}
	tb.Fatalf("unit %q has no sign %s (has %d signs)", unit, id, len(us.Signs))
	return Sign{}
}

// minute is the time of minute m after the test epoch, Unix ms.
func minute(m int) int64 {
	return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute).UnixMilli()
}

func obs(stream int64, t int64, v float64) model.Observation {
	return model.Observation{Stream: stream, Time: t, Value: v}
}

// gridTree is district d1 › street s1 › grids g1..g4.
func gridTree() *fakeTopology {
	return newTopology(
		treeUnit{"d1", "", "district"},
		treeUnit{"s1", "d1", "street"},
		treeUnit{"g1", "s1", "grid"},
		treeUnit{"g2", "s1", "grid"},
		treeUnit{"g3", "s1", "grid"},
		treeUnit{"g4", "s1", "grid"},
	)
}
