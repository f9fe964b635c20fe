package engine

import (
	"cmp"
	"slices"
)

// point is one applied observation kept in a stream's history.
type point struct {
	t int64
	v float64
}

// streamState is what the engine keeps per datastream: its latest point
// and, for properties an indicator reads the history of, the points of
// the longest such window.
type streamState struct {
	id   int64
	meta StreamMeta
	unit *unitState // the root when unplaced

	hasLatest bool
	latest    point
	history   []point // oldest first; trimmed on append

	// Scheduling memo: the last data and expiry ticks marked, and the
	// units marked (valid while gen matches the processor's).
	dataTick    int64
	expiryTicks []int64
	targets     []*unitState
	gen         int
}

// record applies a point that is newer than every point applied before.
func (st *streamState) record(t int64, v float64, prop *propertyPlan) {
	st.hasLatest, st.latest = true, point{t: t, v: v}
	if prop == nil || prop.history == 0 {
		st.history = nil
		return
	}
	cut := 0
	for cut < len(st.history) && st.history[cut].t <= t-prop.history {
		cut++
	}
	if cut > 0 {
		// Shift rather than reslice so the backing array does not grow
		// without bound on a long-lived stream.
		st.history = append(st.history[:0], st.history[cut:]...)
	}
	st.history = append(st.history, point{t: t, v: v})
}

// hasPointAt reports whether a point at t has been applied, as far as the
// state still remembers: the latest point and the kept history.
func (st *streamState) hasPointAt(t int64) bool {
	if st.hasLatest && st.latest.t == t {
		return true
	}
	_, found := slices.BinarySearchFunc(st.history, t, func(p point, t int64) int {
		switch {
		case p.t < t:
			return -1
		case p.t > t:
			return 1
		}
		return 0
	})
	return found
}

// selectionKey names a selection: streams of a property, optionally only
// those on assets of one type.
type selectionKey struct {
	property  string
	assetType string
}

// selection is the streams of one key in one unit's subtree. Streams are
// appended as they register and sorted by id when next read, so that
// reductions over floats run in the same order live and in replay.
type selection struct {
	streams []*streamState
	sorted  bool
}

func (s *selection) add(st *streamState) {
	if n := len(s.streams); n > 0 && s.streams[n-1].id > st.id {
		s.sorted = false
	}
	s.streams = append(s.streams, st)
}

func (s *selection) streamsByID() []*streamState {
	if !s.sorted {
		slices.SortFunc(s.streams, func(a, b *streamState) int {
			switch {
			case a.id < b.id:
				return -1
			case a.id > b.id:
				return 1
			}
			return 0
		})
		s.sorted = true
	}
	return s.streams
}

// tickHeap is a min-heap of ticks with work.
type tickHeap struct{ ticks []int64 }

func (h *tickHeap) len() int    { return len(h.ticks) }
func (h *tickHeap) peek() int64 { return h.ticks[0] }

func (h *tickHeap) push(t int64) {
	h.ticks = append(h.ticks, t)
	for i := len(h.ticks) - 1; i > 0; {
		parent := (i - 1) / 2
		if h.ticks[parent] <= h.ticks[i] {
			break
		}
		h.ticks[parent], h.ticks[i] = h.ticks[i], h.ticks[parent]
		i = parent
	}
}

func (h *tickHeap) pop() int64 {
	top := h.ticks[0]
	last := len(h.ticks) - 1
	h.ticks[0] = h.ticks[last]
	h.ticks = h.ticks[:last]
	for i := 0; ; {
		smallest, l, r := i, 2*i+1, 2*i+2
		if l < last && h.ticks[l] < h.ticks[smallest] {
			smallest = l
		}
		if r < last && h.ticks[r] < h.ticks[smallest] {
			smallest = r
		}
		if smallest == i {
			break
		}
		h.ticks[i], h.ticks[smallest] = h.ticks[smallest], h.ticks[i]
		i = smallest
	}
	return top
}

// bitset is a small set of non-negative integers.
type bitset []uint64

func (b *bitset) set(i int) {
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bitset) has(i int) bool {
	return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0
}

// streamTable finds stream states by id. Stream ids are database
// sequence numbers, dense from 1, so most live in a slice indexed by id,
// which spares a hash look-up per observation; ids far beyond the number
// of streams (or negative) live in a map.
type streamTable struct {
	dense  []*streamState // by id; nil where unknown
	sparse map[int64]*streamState
	n      int
}

// denseSlack is how far beyond the count of streams the slice may reach:
// its pointers then cost at most a few words per stream.
const denseSlack = 4

func (t *streamTable) get(id int64) *streamState {
	if uint64(id) < uint64(len(t.dense)) {
		return t.dense[id]
	}
	return t.sparse[id]
}

func (t *streamTable) put(st *streamState) {
	t.n++
	if limit := int64(denseSlack*t.n + 1024); st.id >= 0 && st.id < limit {
		if st.id >= int64(len(t.dense)) {
			t.growDense(max(st.id+1, int64(2*len(t.dense))))
		}
		t.dense[st.id] = st
		return
	}
	if t.sparse == nil {
		t.sparse = make(map[int64]*streamState)
	}
	t.sparse[st.id] = st
}

// growDense extends the slice to n ids and moves into it the streams of
// the map it now covers.
func (t *streamTable) growDense(n int64) {
	t.dense = append(t.dense, make([]*streamState, int(n)-len(t.dense))...)
	for id, st := range t.sparse {
		if id >= 0 && id < n {
			t.dense[id] = st
			delete(t.sparse, id)
		}
	}
}

// sorted returns every stream by id.
func (t *streamTable) sorted() []*streamState {
	out := make([]*streamState, 0, t.n)
	for _, st := range t.sparse {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *streamState) int { return cmp.Compare(a.id, b.id) })
	negative, _ := slices.BinarySearchFunc(out, int64(0), func(st *streamState, id int64) int { return cmp.Compare(st.id, id) })
	beyond := slices.Clone(out[negative:])
	out = out[:negative]
	for _, st := range t.dense {
		if st != nil {
			out = append(out, st)
		}
	}
	return append(out, beyond...)
}
